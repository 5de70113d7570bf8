#!/usr/bin/env python3
"""Writes a minimal .docx from a readable spec, for the extraction test documents.

    make_docx.py SPEC.docx.txt OUT.docx

Spec: one paragraph per line (blank lines are skipped). A table is the lines between `[table]` and
`[/table]`, one row per line, cells separated by ` | `. A cell may start with markers:
  {span=N}   the cell covers N grid columns (w:gridSpan)
  {restart}  the cell starts a vertical merge (w:vMerge val="restart")
  {cont}     the cell continues the merge above (w:vMerge, written empty as Word does)
Only the standard library is used; the output is deterministic (fixed zip timestamps).
"""
import re
import sys
import zipfile
from xml.sax.saxutils import escape

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def paragraph(text):
    return f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'


def cell(spec):
    props = []
    text = spec
    while True:
        m = re.match(r"\{(span=\d+|restart|cont)\}", text)
        if not m:
            break
        marker = m.group(1)
        text = text[m.end():]
        if marker.startswith("span="):
            props.append(f'<w:gridSpan w:val="{marker[5:]}"/>')
        elif marker == "restart":
            props.append('<w:vMerge w:val="restart"/>')
        else:
            props.append("<w:vMerge/>")
            text = ""
    tcpr = f"<w:tcPr>{''.join(props)}</w:tcPr>" if props else ""
    return f"<w:tc>{tcpr}{paragraph(text.strip())}</w:tc>"


def table(rows):
    out = ["<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/></w:tblPr>"]
    for row in rows:
        out.append("<w:tr>" + "".join(cell(c) for c in row.split(" | ")) + "</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def body(spec_lines):
    parts, rows, in_table = [], [], False
    for line in spec_lines:
        line = line.rstrip("\n")
        if line.strip() == "[table]":
            in_table, rows = True, []
        elif line.strip() == "[/table]":
            in_table = False
            parts.append(table(rows))
        elif in_table:
            if line.strip():
                rows.append(line.strip())
        elif line.strip():
            parts.append(paragraph(line.strip()))
    return "".join(parts)


def main():
    spec, out = sys.argv[1], sys.argv[2]
    with open(spec, encoding="utf-8") as f:
        xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               f'<w:document xmlns:w="{W}"><w:body>{body(f.readlines())}</w:body></w:document>')
    files = {
        "[Content_Types].xml":
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            '</Types>',
        "_rels/.rels":
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            '</Relationships>',
        "word/document.xml": xml,
    }
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


if __name__ == "__main__":
    main()
