"""Label sheets: A4 pages of item labels with a QR code and the human-readable key.

Each label carries the item's GS1 Digital Link URI as a QR code (level Q,
see `suyuan.scanners.render`) and, for people, the GTIN, lot and serial as
the GS1 HRI (General Specifications §4.15: `(01) ... (10) ... (21) ...`),
the product name and the origin. The layout is one model (`Sheet`, in
millimetres, origin top left) drawn by four writers: PDF (reportlab,
vector), print-ready SVG (one file per page) and HTML (all pages, CSS
`@page` A4), and a PNG raster used to check that printed codes scan.

The grid is 3 x 7 labels of 63.5 x 38.1 mm, the common A4 sheet of
self-adhesive labels (e.g. Avery L7160), so sheets print on stock paper.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import qrcode
import zxingcpp
from PIL import Image, ImageDraw

from suyuan.errors import InputError, NotFound
from suyuan.scanners import gs1
from suyuan.scanners.render import QR_ERROR_CORRECTION

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
class Placed:
    """One label on a page: position in mm and what it shows."""

    x: float
    y: float
    label: LabelData
    uri: str
    modules: list[list[bool]]  # QR modules with the quiet zone, row by row
    lines: list[str]


def hri_lines(label: LabelData) -> list[str]:
    parts = label.parts
    lines = [f"(01) {parts['01']}"]
    if "10" in parts:
        lines.append(f"(10) {parts['10']}")
    if "21" in parts:
        lines.append(f"(21) {parts['21']}")
    return lines


def qr_modules(data: str) -> list[list[bool]]:
    """The QR modules (True = dark) of `data` at level Q, with a QR_BORDER quiet zone.

    Encoded by zxing-cpp's writer (ISO/IEC 18004 with the §7.8.3 mask
    penalty), about 40 times faster than the pure-Python `qrcode` package,
    which matters for a 10,000-label batch; the single-code endpoints keep
    `qrcode` (suyuan.scanners.render).
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


def place(labels: Iterable[LabelData], resolver_base: str) -> Iterator[list[Placed]]:
    """Lay labels out page by page (a generator: a 10,000-label job never holds every page)."""
    page: list[Placed] = []
    for label in labels:
        i = len(page)
        x = MARGIN_X + (i % COLS) * (LABEL_W + GAP_X)
        y = MARGIN_Y + (i // COLS) * LABEL_H
        uri = gs1.digital_link_uri(label.key, resolver_base)
        lines = [label.name, *hri_lines(label), label.origin]
        page.append(Placed(x, y, label, uri, qr_modules(uri), lines))
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


def _fit(text: str, width_mm: float, size_pt: float, measure: Callable[[str, float], float]) -> str:
    """Shorten `text` with an ellipsis until it fits `width_mm`."""
    limit = width_mm / 25.4 * 72
    if measure(text, size_pt) <= limit:
        return text
    while text and measure(text + "…", size_pt) > limit:
        text = text[:-1]
    return text + "…"


def _approx_width(text: str, size_pt: float) -> float:
    # Without font metrics (SVG, HTML): CJK glyphs are one em wide, Latin about half.
    return sum(size_pt if ord(ch) > 0x2E7F else size_pt * 0.55 for ch in text)


# --- writers -----------------------------------------------------------------------

TEXT_X = PAD + QR_MM + 1.0
TEXT_W = LABEL_W - TEXT_X - PAD
NAME_PT, TEXT_PT = 7.0, 6.5
LINE_MM = 3.6


def _text_rows(p: Placed, measure: Callable[[str, float], float]) -> list[tuple[float, str, float]]:
    """(y offset in mm from the label's top, text, size in pt) for the label's text column."""
    rows = []
    y = PAD + 4.0
    for i, line in enumerate(p.lines):
        size = NAME_PT if i == 0 else TEXT_PT
        rows.append((y, _fit(line, TEXT_W, size, measure), size))
        y += LINE_MM + (1.0 if i == 0 else 0)
    return rows


def _qr_origin(p: Placed) -> tuple[float, float, float]:
    """Top-left corner of the QR symbol and its module size, in mm."""
    module = QR_MM / len(p.modules)
    return p.x + PAD, p.y + (LABEL_H - QR_MM) / 2, module


class PdfWriter:
    """Vector PDF through reportlab; Chinese text in the Adobe-GB1 CID font STSong-Light."""

    def __init__(self, out: Path):
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.pdfgen import canvas

        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        self.out = out
        self._width = pdfmetrics.stringWidth
        self._c = canvas.Canvas(str(out), pagesize=A4, pageCompression=1)
        self._c.setTitle("suyuan labels")

    def measure(self, text: str, size: float) -> float:
        return self._width(text, "STSong-Light", size)

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
            for dy, text, size in _text_rows(p, self.measure):
                c.setFont("STSong-Light", size)
                c.drawString((p.x + TEXT_X) * mm, top - (p.y + dy) * mm, text)
        c.showPage()

    def close(self) -> list[Path]:
        self._c.save()
        return [self.out]


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
        for dy, text, size in _text_rows(p, _approx_width):
            weight = ' font-weight="bold"' if size == NAME_PT else ""
            parts.append(f'<text x="{p.x + TEXT_X:.2f}" y="{p.y + dy:.2f}" font-size="{size * 25.4 / 72:.2f}"'
                         f'{weight} font-family="Noto Sans CJK SC, Source Han Sans SC, SimHei, sans-serif">'
                         f"{html.escape(text)}</text>")
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
    """A page as a greyscale PNG: the QR codes exactly as placed, text left out (no CJK font needed)."""
    px = dpi / 25.4
    image = Image.new("L", (round(PAGE_W * px), round(PAGE_H * px)), 255)
    draw = ImageDraw.Draw(image)
    for p in placed:
        qx, qy, m = _qr_origin(p)
        for r, c, n in _runs(p.modules):
            x0, y0 = (qx + c * m) * px, (qy + r * m) * px
            draw.rectangle([round(x0), round(y0), round(x0 + n * m * px) - 1, round(y0 + m * px) - 1], fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


WRITERS = {
    "pdf": PdfWriter,
    "svg": partial(PageFilesWriter, render=lambda placed: _svg_page(placed).encode("utf-8")),
    "html": HtmlWriter,
    "png": partial(PageFilesWriter, render=page_png),
}


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
    for page in place(labels, resolver_base):
        writer.page(page)
        if progress:
            progress(len(page))
    return writer.close()


# --- a batch's labels from the database ------------------------------------------------


def batch_labels(engine, batch_key: str) -> list[LabelData]:  # noqa: ANN001
    """The labels of a batch's items: product name and the origin recorded at registration."""
    import json

    from sqlalchemy import select

    from suyuan.ledger.models import Entry
    from suyuan.trace.goods import batch_row, items_t, product_row

    parts = gs1.split_key(batch_key)
    if set(parts) != {"01", "10"}:
        raise InputError(f"Invalid batch key {batch_key!r}: expected 01/<GTIN-14>/10/<lot>.", field="batch")
    with engine.connect() as conn:
        batch = batch_row(conn, batch_key)
        if batch is None:
            raise NotFound(f"No batch is registered under {batch_key}: register it first.")
        product = product_row(conn, parts["01"])
        first = conn.execute(select(Entry.canonical).where(Entry.key == batch_key, Entry.seq == 0)).scalar()
        origin = json.loads(bytes(first))["statement"]["data"].get("origin", {}) if first else {}
        keys = conn.execute(select(items_t.c.key).where(items_t.c.batch_key == batch_key)
                            .order_by(items_t.c.key)).scalars().all()
    place_name = " ".join(v for v in (origin.get("place"), origin.get("region") or batch.origin_region) if v)
    name = product.name if product is not None else parts["01"]
    return [LabelData(key, name, f"产地 {place_name}") for key in keys]
