"""Label sheets: A4 pages of item labels with a QR code and the human-readable key.

Each label carries the item's GS1 Digital Link URI as a QR code (level Q,
see `suyuan.codes.render`) and, for people, the GTIN, lot and serial as
the GS1 HRI element string (General Specifications §4.15: the AIs in
parentheses, `(01)06901234567892(10)LOT7(21)SN0001`), the product name and
the origin. The layout (`place`, in millimetres, origin top left) decides
every text line once, measured with the label font (`suyuan.codes.fonts`),
and four writers draw the same lines: PDF (reportlab, vector, the font
embedded), print-ready SVG (one file per page) and HTML (all pages, CSS
`@page` A4), and PNG (Pillow, the same font).

Text is wrapped, never cut: the HRI takes one line per element string
(`(01)...`, `(10)...`, `(21)...`), each shrunk (down to 4.5 pt) until it
fits; only a value of the widest letters (twenty Ws) is still too wide
there, and it goes on on the next line. Name and origin wrap at word or
character boundaries and shrink to fit the label; only a name or origin too
long for the label even at the smallest size ends in "…".

The grid is 3 x 7 labels of 63.5 x 38.1 mm, the common A4 sheet of
self-adhesive labels (e.g. Avery L7160), so sheets print on stock paper.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, Sequence

import qrcode
import zxingcpp
from PIL import Image, ImageDraw

from suyuan.errors import InputError
from suyuan.codes import fonts
from suyuan.codes import gs1
from suyuan.codes.render import QR_ERROR_CORRECTION

PAGE_W, PAGE_H = 210.0, 297.0
COLS, ROWS = 3, 7
LABEL_W, LABEL_H = 63.5, 38.1
GAP_X = 2.5
MARGIN_X = (PAGE_W - COLS * LABEL_W - (COLS - 1) * GAP_X) / 2
MARGIN_Y = (PAGE_H - ROWS * LABEL_H) / 2
PER_PAGE = COLS * ROWS
QR_MM = 30.0  # with a 2-module quiet zone inside; a version 5 symbol gets ~0.7 mm modules
_EC_LEVEL = {qrcode.constants.ERROR_CORRECT_Q: "Q", qrcode.constants.ERROR_CORRECT_H: "H",
             qrcode.constants.ERROR_CORRECT_M: "M", qrcode.constants.ERROR_CORRECT_L: "L"}[QR_ERROR_CORRECTION]
QR_BORDER = 2  # the label's blank edge adds to it: ≥ 4 modules of clear space around the symbol
PAD = 2.0
FORMATS = ("pdf", "svg", "html", "png")


@dataclass(frozen=True)
class LabelData:
    key: str
    name: str
    origin: str

    @property
    def parts(self) -> dict[str, str]:
        return gs1.split_key(self.key)


@dataclass(frozen=True)
class TextRow:
    """One printed line of a label: where (mm from the label's top left, baseline), what, how big."""

    x: float
    y: float
    text: str
    size: float  # pt
    bold: bool
    width: float  # mm, measured with the label font


@dataclass(frozen=True)
class Placed:
    """One label on a page: position in mm and what it shows."""

    x: float
    y: float
    label: LabelData
    uri: str
    modules: list[list[bool]]  # QR modules with the quiet zone, row by row
    lines: list[str]  # name, HRI element string, origin: what the label says, before wrapping
    rows: tuple[TextRow, ...]  # the same text as laid out: every writer draws exactly these


def hri_elements(label: LabelData) -> list[str]:
    """The key's element strings, `(01)<GTIN>`, `(10)<lot>`, `(21)<serial>`, values decoded."""
    return [f"({ai}){value}" for ai, value in label.parts.items()]


def hri(label: LabelData) -> str:
    """The GS1 HRI of the key, e.g. `(01)06901234567892(10)LOT7(21)SN0001`."""
    return "".join(hri_elements(label))


def qr_modules(data: str) -> list[list[bool]]:
    """The QR modules (True = dark) of `data` at level Q, with a QR_BORDER quiet zone.

    Encoded by zxing-cpp's writer (ISO/IEC 18004 with the §7.8.3 mask
    penalty), about 40 times faster than the pure-Python `qrcode` package,
    which matters for a 10,000-label batch; the single-code endpoints keep
    `qrcode` (suyuan.codes.render).
    """
    symbol = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level=_EC_LEVEL)
    image = memoryview(symbol.to_image(scale=1, add_quiet_zones=False))
    size = image.shape[0]
    pixels = image.tobytes()  # one byte per module, row by row: 0 dark, 255 light
    blank = [False] * (size + 2 * QR_BORDER)
    rows = [list(blank) for _ in range(QR_BORDER)]
    edge = [False] * QR_BORDER
    for r in range(size):
        rows.append(edge + [v == 0 for v in pixels[r * size:(r + 1) * size]] + edge)
    rows += [list(blank) for _ in range(QR_BORDER)]
    return rows


# --- text layout -------------------------------------------------------------------

TEXT_X = PAD + QR_MM + 1.0
TEXT_W = LABEL_W - TEXT_X - PAD
TEXT_H = LABEL_H - 2 * PAD
NAME_PT, TEXT_PT = 7.0, 6.5
HRI_SIZES = (6.5, 6.0, 5.5, 5.0, 4.5)  # pt; smaller is too small to read, so a wider value wraps instead
SCALES = (1.0, 0.9, 0.8, 0.7)  # name and origin shrink by these before anything is shortened
LEADING = 1.2  # line height, in ems
INK_TOP, INK_BOTTOM = 0.86, 0.1  # Kurinto's CJK ink, above and below the baseline, in ems
BLOCK_GAP = 0.8  # mm between name, HRI and origin
_PT_MM = 25.4 / 72

# A line may break before a CJK character (and its closing punctuation) or after a space.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_CLOSING = "，。、；：！？）》」』】〕…,.;:!?)"
_PIECE = re.compile(rf"[{_CJK}][{_CLOSING}]*\s*|[^\s{_CJK}]+\s*|\s+")


def _mm(text: str, size: float, bold: bool) -> float:
    return fonts.width_pt(text, size, bold) * _PT_MM


def _split_long(piece: str, size: float, bold: bool) -> list[str]:
    """Cut a piece wider than the column into the longest runs that fit (at least one character each)."""
    out = []
    while piece:
        n = len(piece)
        while n > 1 and _mm(piece[:n], size, bold) > TEXT_W:
            n -= 1
        out.append(piece[:n])
        piece = piece[n:]
    return out


def wrap(pieces: Sequence[str], size: float, bold: bool = False) -> list[str]:
    """Greedy line filling of `pieces` (the units between which a line may break); nothing is dropped."""
    lines: list[str] = []
    current = ""
    for piece in pieces:
        if _mm((current + piece).rstrip(), size, bold) <= TEXT_W:
            current += piece
            continue
        if current.strip():
            lines.append(current.rstrip())
        current = ""
        piece = piece.lstrip() if lines else piece
        if _mm(piece.rstrip(), size, bold) > TEXT_W:
            *whole, piece = _split_long(piece.rstrip(), size, bold)
            lines += whole
        current = piece
    if current.strip():
        lines.append(current.rstrip())
    return lines


@lru_cache(maxsize=256)
def _wrapped(text: str, size: float, bold: bool) -> tuple[str, ...]:
    # A batch's labels share name and origin: wrap each once.
    return tuple(wrap(_PIECE.findall(text), size, bold))


def _shorten(line: str, size: float, bold: bool) -> str:
    while line and _mm(line + "…", size, bold) > TEXT_W:
        line = line[:-1]
    return line.rstrip() + "…"


def _hri_lines(label: LabelData) -> list[tuple[float, str]]:
    """(size, text) of the HRI's lines: one element string a line, each as large as fits."""
    lines = []
    for element in hri_elements(label):
        size = next((s for s in HRI_SIZES if _mm(element, s, False) <= TEXT_W), None)
        if size is None:  # wider than the column even at the smallest size: the value goes on below
            lines += [(HRI_SIZES[-1], part) for part in _split_long(element, HRI_SIZES[-1], False)]
        else:
            lines.append((size, element))
    return lines


Block = Sequence[tuple[float, str]]  # (size in pt, text) of each line


def _height(blocks: Sequence[Block]) -> float:
    lines = sum(size * LEADING * _PT_MM for block in blocks for size, _ in block)
    return lines + BLOCK_GAP * (sum(1 for block in blocks if block) - 1)


def _block(size: float, lines: Sequence[str]) -> list[tuple[float, str]]:
    return [(size, line) for line in lines]


def layout_text(label: LabelData) -> tuple[TextRow, ...]:
    """The label's text column: name (bold), HRI, origin, wrapped and sized to fit, centred vertically."""
    hri_lines = _hri_lines(label)
    for scale in SCALES:
        n_size, o_size = NAME_PT * scale, TEXT_PT * scale
        name, origin = _wrapped(label.name, n_size, True), _wrapped(label.origin, o_size, False)
        if _height([_block(n_size, name), hri_lines, _block(o_size, origin)]) <= TEXT_H:
            break
    else:
        # Even the smallest size overflows: the HRI stays whole, name and origin share what is left.
        n_line, o_line = n_size * LEADING * _PT_MM, o_size * LEADING * _PT_MM
        room = TEXT_H - _height([hri_lines]) - 2 * BLOCK_GAP
        keep_origin = min(len(origin), max(1, int(room / 2 / o_line)))
        keep_name = max(1, int((room - keep_origin * o_line) / n_line))
        if keep_name < len(name):
            name = (*name[:keep_name - 1], _shorten(name[keep_name - 1], n_size, True))
        if keep_origin < len(origin):
            origin = (*origin[:keep_origin - 1], _shorten(origin[keep_origin - 1], o_size, False))
    blocks = [_block(n_size, name), hri_lines, _block(o_size, origin)]
    y = max(PAD, (LABEL_H - _height(blocks)) / 2)
    rows = []
    for i, block in enumerate(blocks):
        if not block:
            continue
        bold = i == 0
        for size, line in block:
            em = size * _PT_MM
            baseline = y + ((LEADING - INK_TOP - INK_BOTTOM) / 2 + INK_TOP) * em  # ink centred in its line
            rows.append(TextRow(TEXT_X, round(baseline, 3), line, round(size, 2), bold,
                                round(_mm(line, size, bold), 3)))
            y += LEADING * em
        y += BLOCK_GAP
    return tuple(rows)


def place(labels: Iterable[LabelData], resolver_base: str) -> Iterator[list[Placed]]:
    """Lay labels out page by page (a generator: a 10,000-label job never holds every page)."""
    page: list[Placed] = []
    for label in labels:
        i = len(page)
        x = MARGIN_X + (i % COLS) * (LABEL_W + GAP_X)
        y = MARGIN_Y + (i // COLS) * LABEL_H
        uri = gs1.digital_link_uri(label.key, resolver_base)
        page.append(Placed(x, y, label, uri, qr_modules(uri), [label.name, hri(label), label.origin],
                           layout_text(label)))
        if len(page) == PER_PAGE:
            yield page
            page = []
    if page:
        yield page


def _runs(modules: list[list[bool]]) -> Iterator[tuple[int, int, int]]:
    """(row, first column, length) of each horizontal run of dark modules: far fewer shapes to draw."""
    for r, row in enumerate(modules):
        c = 0
        n = len(row)
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                yield r, start, c - start
            else:
                c += 1


def _qr_origin(p: Placed) -> tuple[float, float, float]:
    """Top-left corner of the QR symbol and its module size, in mm."""
    module = QR_MM / len(p.modules)
    return p.x + PAD, p.y + (LABEL_H - QR_MM) / 2, module


# --- writers -----------------------------------------------------------------------


class PdfWriter:
    """Vector PDF through reportlab, text in the embedded (subset) label font."""

    def __init__(self, out: Path | BinaryIO):
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfgen import canvas

        self.out = out
        self._fonts = {bold: fonts.pdf_name(bold) for bold in (False, True)}
        # Starting in the label font keeps reportlab's default Helvetica (not embedded) out of the file.
        self._c = canvas.Canvas(out if not isinstance(out, Path) else str(out), pagesize=A4, pageCompression=1,
                                initialFontName=self._fonts[False], initialFontSize=TEXT_PT)
        self._c.setTitle("suyuan labels")

    def page(self, placed: Sequence[Placed]) -> None:
        from reportlab.lib.units import mm

        c = self._c
        top = PAGE_H * mm
        for p in placed:
            qx, qy, m = _qr_origin(p)
            path = c.beginPath()
            for r, col, n in _runs(p.modules):
                # PDF's y axis points up; each run is drawn slightly taller to avoid hairline gaps.
                path.rect((qx + col * m) * mm, top - (qy + (r + 1) * m) * mm, n * m * mm, m * mm * 1.001)
            c.setFillGray(0)
            c.drawPath(path, stroke=0, fill=1)
            for row in p.rows:
                c.setFont(self._fonts[row.bold], row.size)
                c.drawString((p.x + row.x) * mm, top - (p.y + row.y) * mm, row.text)
        c.showPage()

    def close(self) -> list[Path]:
        self._c.save()
        return [self.out] if isinstance(self.out, Path) else []


SVG_FONTS = f"{fonts.FAMILY}, Noto Sans CJK SC, Source Han Sans SC, sans-serif"


def _svg_page(placed: Sequence[Placed]) -> str:
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" viewBox="0 0 210 297">',
        '<rect x="0" y="0" width="210" height="297" fill="white"/>',
    ]
    for p in placed:
        qx, qy, m = _qr_origin(p)
        d = "".join(f"M{qx + c * m:.3f},{qy + r * m:.3f}h{n * m:.3f}v{m:.3f}h-{n * m:.3f}z"
                    for r, c, n in _runs(p.modules))
        parts.append(f'<path fill="black" shape-rendering="crispEdges" d="{d}"/>')
        for row in p.rows:
            # textLength pins the line to the width measured with the label font, whatever font
            # the viewer substitutes, so a line never runs into the next label.
            weight = ' font-weight="bold"' if row.bold else ""
            parts.append(f'<text x="{p.x + row.x:.3f}" y="{p.y + row.y:.3f}" font-size="{row.size * _PT_MM:.3f}"'
                         f' textLength="{row.width:.3f}" lengthAdjust="spacingAndGlyphs"{weight}'
                         f' font-family="{SVG_FONTS}">{html.escape(row.text)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


class PageFilesWriter:
    """One file per page: `labels.svg`, or `labels-001.svg`, `labels-002.svg`, ... (SVG and PNG)."""

    def __init__(self, out: Path, render: Callable[[Sequence[Placed]], bytes]):
        self.out, self.render, self.pages = out, render, 0
        self._written: list[Path] = []

    def page(self, placed: Sequence[Placed]) -> None:
        self.pages += 1
        path = self.out.with_name(f"{self.out.stem}-{self.pages:03d}{self.out.suffix}")
        path.write_bytes(self.render(placed))
        self._written.append(path)

    def close(self) -> list[Path]:
        if len(self._written) == 1:
            self._written[0].replace(self.out)
            return [self.out]
        return self._written


class HtmlWriter:
    """One HTML document; each A4 page a section with its SVG, printed edge to edge."""

    def __init__(self, out: Path):
        self.out = out
        self._f = out.open("w", encoding="utf-8")
        self._f.write(
            "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>suyuan labels</title>\n"
            "<style>@page{size:A4;margin:0}body{margin:0}"
            "section{width:210mm;height:297mm;page-break-after:always;break-after:page}"
            "section svg{display:block}</style></head><body>\n")

    def page(self, placed: Sequence[Placed]) -> None:
        self._f.write("<section>" + _svg_page(placed) + "</section>\n")

    def close(self) -> list[Path]:
        self._f.write("</body></html>\n")
        self._f.close()
        return [self.out]


def page_png(placed: Sequence[Placed], dpi: int = 200) -> bytes:
    """A page as a greyscale PNG: the QR codes exactly as placed and the text in the label font."""
    px = dpi / 25.4
    image = Image.new("L", (round(PAGE_W * px), round(PAGE_H * px)), 255)
    draw = ImageDraw.Draw(image)
    for p in placed:
        qx, qy, m = _qr_origin(p)
        for r, c, n in _runs(p.modules):
            x0, y0 = (qx + c * m) * px, (qy + r * m) * px
            draw.rectangle([round(x0), round(y0), round(x0 + n * m * px) - 1, round(y0 + m * px) - 1], fill=0)
        for row in p.rows:
            font = fonts.pil_font(row.size / 72 * dpi, row.bold)
            draw.text(((p.x + row.x) * px, (p.y + row.y) * px), row.text, font=font, fill=0, anchor="ls")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


WRITERS = {
    "pdf": PdfWriter,
    "svg": partial(PageFilesWriter, render=lambda placed: _svg_page(placed).encode("utf-8")),
    "html": HtmlWriter,
    "png": partial(PageFilesWriter, render=page_png),
}


def _draw(writer, labels: Sequence[LabelData], resolver_base: str,  # noqa: ANN001
          progress: Callable[[int], None] | None) -> None:
    if not labels:
        raise InputError("No labels to print: expected at least one item.", field="batch")
    for page in place(labels, resolver_base):
        writer.page(page)
        if progress:
            progress(len(page))


def write_sheets(labels: Sequence[LabelData], out: Path | str, resolver_base: str,
                 progress: Callable[[int], None] | None = None) -> list[Path]:
    """Write the labels to `out`; the suffix (.pdf, .svg, .html, .png) picks the format.

    Returns the files written (SVG and PNG give one file per page when there
    are several). `progress` is called with the number of labels laid out.
    """
    out = Path(out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in WRITERS:
        raise InputError(f"Invalid output {str(out)!r}: expected a .pdf, .svg, .html or .png file.", field="out")
    if not labels:
        raise InputError("No labels to print: expected at least one item.", field="batch")
    writer = WRITERS[fmt](out)
    _draw(writer, labels, resolver_base, progress)
    return writer.close()


def write_pdf(labels: Sequence[LabelData], stream: BinaryIO, resolver_base: str,
              progress: Callable[[int], None] | None = None) -> None:
    """Write the labels as one PDF into a binary stream (the HTTP answer's spool file)."""
    writer = PdfWriter(stream)
    _draw(writer, labels, resolver_base, progress)
    writer.close()


# --- a batch's labels from the database ------------------------------------------------
