// Cuts a document's text into runs for highlighting. The services count spans in Unicode code points
// (proto/luoshi/v1/common.proto Span), JavaScript strings in UTF-16 units: the two differ after any
// character outside the Basic Multilingual Plane (rare CJK extension characters, emoji), so every span
// is converted before the text is cut.
import type { SpanLike } from "./types.js";

// UTF-16 index of each code point offset 0..n (n = number of code points), built once per text.
export function codePointIndex(text: string): (codePoint: number) => number {
  let astral = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      astral = true;
      break;
    }
  }
  if (!astral) return (cp) => Math.max(0, Math.min(cp, text.length));
  const offsets: number[] = [];
  for (let i = 0; i < text.length; ) {
    offsets.push(i);
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  offsets.push(text.length);
  return (cp) => offsets[Math.max(0, Math.min(cp, offsets.length - 1))];
}

// Something to mark: a span (in code points) of a kind ("figure", "task", "sentence" …) and an id the
// page uses to find it again (an index into the extraction's list).
export interface Mark {
  span: SpanLike | undefined;
  kind: string;
  id: number;
}

// One run of text under the same marks: kinds maps each kind covering the run to the id of the
// narrowest mark of that kind (a figure inside a task's sentence gets both).
export interface Segment {
  text: string;
  begin: number; // UTF-16 index in the text
  end: number;
  kinds: Record<string, number>;
}

interface Placed {
  begin: number;
  end: number;
  kind: string;
  id: number;
}

// Segments covering the whole text in order; marks with an empty, inverted or out-of-range span are
// ignored (clamped to the text when they run past it).
export function segment(text: string, marks: readonly Mark[]): Segment[] {
  const toUnit = codePointIndex(text);
  const placed: Placed[] = [];
  for (const m of marks) {
    if (!m.span) continue;
    const begin = toUnit(m.span.begin);
    const end = toUnit(m.span.end);
    if (!(m.span.begin >= 0) || end <= begin) continue;
    placed.push({ begin, end, kind: m.kind, id: m.id });
  }
  const cuts = new Set<number>([0, text.length]);
  for (const p of placed) {
    cuts.add(p.begin);
    cuts.add(p.end);
  }
  const points = [...cuts].sort((a, b) => a - b);
  // Marks sorted by begin; an active list swept along the cut points keeps this O(n log n + runs × active).
  placed.sort((a, b) => a.begin - b.begin || b.end - a.end);
  const out: Segment[] = [];
  let next = 0;
  let active: Placed[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const begin = points[i];
    const end = points[i + 1];
    while (next < placed.length && placed[next].begin <= begin) active.push(placed[next++]);
    active = active.filter((p) => p.end > begin);
    const kinds: Record<string, number> = {};
    const width: Record<string, number> = {};
    for (const p of active) {
      const w = p.end - p.begin;
      if (!(p.kind in width) || w < width[p.kind]) {
        width[p.kind] = w;
        kinds[p.kind] = p.id;
      }
    }
    const last = out[out.length - 1];
    if (last && sameKinds(last.kinds, kinds)) {
      last.end = end;
      last.text = text.slice(last.begin, end);
    } else {
      out.push({ text: text.slice(begin, end), begin, end, kinds });
    }
  }
  return out;
}

function sameKinds(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => b[k] === a[k]);
}

// The text a span covers (code points), e.g. to show a figure's words next to its reading.
export function spanText(text: string, span: SpanLike | undefined): string {
  if (!span) return "";
  const toUnit = codePointIndex(text);
  return text.slice(toUnit(span.begin), toUnit(span.end));
}

// The figure's index in its document's extraction, from the ingestion source key "<sha256>:obs:<n>"
// (docs/ingestion.md: keys are positional); null for any other key.
export function figureIndex(sourceKey: string): number | null {
  const m = /:obs:(\d+)$/.exec(sourceKey);
  return m ? Number(m[1]) : null;
}
