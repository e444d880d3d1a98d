"""A one-page PDF of text lines, for receipts, without a PDF library.

The file is PDF 1.4 as the specification lays it out: a header, five objects (catalogue,
page tree, page, its content stream, and the Helvetica font every PDF reader has built in,
in WinAnsi encoding so "£" and "é" print), the cross-reference table giving each object's
byte offset, and the trailer. Text outside WinAnsi is printed as "?".
"""

from dataclasses import dataclass

PAGE_WIDTH = 595  # A4, in points
PAGE_HEIGHT = 842
MARGIN = 56


@dataclass(frozen=True)
class Line:
    """One line of text; ``size`` in points, ``gap`` the space above it in points."""

    text: str
    size: int = 11
    bold: bool = False
    gap: int = 6


def _literal(text):
    """``text`` as a PDF literal string in WinAnsi (cp1252)."""
    raw = text.encode("cp1252", errors="replace")
    escaped = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped + b")"


def _content(lines):
    commands = [b"BT"]
    y = PAGE_HEIGHT - MARGIN
    for line in lines:
        y -= line.size + line.gap
        font = b"/F2" if line.bold else b"/F1"
        commands.append(b"%s %d Tf" % (font, line.size))
        commands.append(b"1 0 0 1 %d %d Tm" % (MARGIN, y))
        commands.append(_literal(line.text) + b" Tj")
    commands.append(b"ET")
    return b"\n".join(commands)


def _font(name):
    return (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>"
        % name.encode()
    )


def text_pdf(lines, *, title=""):
    """The bytes of a one-page A4 PDF showing ``lines`` (``Line``s) from the top."""
    content = _content(lines)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>" % (PAGE_WIDTH, PAGE_HEIGHT),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        _font("Helvetica"),
        _font("Helvetica-Bold"),
        b"<< /Title %s /Producer (Masthead) >>" % _literal(title),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (
        len(objects) + 1,
        len(objects),
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)
