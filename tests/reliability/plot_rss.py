#!/usr/bin/env python3
"""Plots the memory samples of luoshi_load_test (--rss_csv) as an SVG, with no plotting library.

usage: plot_rss.py SAMPLES.csv OUT.svg [TITLE]
One line per service for all resident memory (solid) and for memory not backed by a file (dashed).
"""
import csv
import sys


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    title = sys.argv[3] if len(sys.argv) > 3 else "Resident memory per service"
    xs = [float(r["seconds"]) for r in rows]
    series = []
    colors = {"ingestion": "#1f77b4", "indicators": "#d62728", "tasks": "#2ca02c"}
    for name, color in colors.items():
        series.append((f"{name} (all)", color, "", [float(r[f"{name}_rss"]) for r in rows]))
        series.append((f"{name} (not file-backed)", color, "6,4", [float(r[f"{name}_anon"]) for r in rows]))
    width, height, left, right, top, bottom = 760, 360, 60, 200, 30, 40
    xmax = max(xs) or 1
    ymax = max(max(v) for _, _, _, v in series) * 1.1 or 1
    def px(x):
        return left + (width - left - right) * x / xmax
    def py(y):
        return height - bottom - (height - top - bottom) * y / ymax
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="18" font-size="13">{title}</text>']
    for i in range(6):  # horizontal grid and MiB labels
        y = ymax * i / 5
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{py(y):.1f}" y2="{py(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.0f}</text>')
    for i in range(6):  # time labels
        x = xmax * i / 5
        out.append(f'<text x="{px(x):.1f}" y="{height - bottom + 16}" text-anchor="middle">{x:.0f} s</text>')
    out.append(f'<text x="14" y="{(top + height - bottom) / 2}" transform="rotate(-90 14 {(top + height - bottom) / 2})" text-anchor="middle">MiB</text>')
    for k, (label, color, dash, ys) in enumerate(series):
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys))
        style = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.6"{style} points="{points}"/>')
        ly = top + 14 * k + 10
        out.append(f'<line x1="{width - right + 10}" x2="{width - right + 34}" y1="{ly}" y2="{ly}" stroke="{color}" stroke-width="1.6"{style}/>')
        out.append(f'<text x="{width - right + 40}" y="{ly + 4}">{label}</text>')
    out.append("</svg>")
    open(sys.argv[2], "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
