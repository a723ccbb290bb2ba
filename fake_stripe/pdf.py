"""A one-page PDF stub (an invoice's `invoice_pdf`): enough for a browser to open and a person to read, with
no dependency. Text only and ASCII, because the HTTP layer sends every body as text."""

from __future__ import annotations

PAGE_HEIGHT = 792
MARGIN = 72
LEADING = 16


def text_document(lines: list[str]) -> str:
    """A valid PDF 1.4 file showing `lines` in Helvetica, top to bottom."""
    shown = " T* ".join(f"({_escape(line)}) Tj" for line in lines)
    stream = f"BT /F1 12 Tf {LEADING} TL {MARGIN} {PAGE_HEIGHT - MARGIN} Td {shown} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 {PAGE_HEIGHT}] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
    ]
    document = "%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(document))  # ASCII only, so characters are bytes
        document += f"{number} 0 obj\n{body}\nendobj\n"
    xref = len(document)
    document += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n"
    document += "".join(f"{offset:010d} 00000 n \n" for offset in offsets)
    document += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return document


def _escape(line: str) -> str:
    ascii_line = line.replace("×", "x").encode("ascii", "replace").decode()
    return ascii_line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
