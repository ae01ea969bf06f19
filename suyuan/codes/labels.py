"""Label sheets: A4 pages of item labels, written as PDF, SVG, HTML or PNG.

`suyuan.codes.label_layout` places every label and decides every text
line once; four writers draw the same lines: PDF (reportlab, vector, the
font embedded), print-ready SVG (one file per page) and HTML (all pages, CSS
`@page` A4), and PNG (Pillow, the same font). The layout's public names are
importable from here as well.
"""

from __future__ import annotations

import html
import io
from functools import partial
from pathlib import Path
from typing import BinaryIO, Callable, Sequence

from PIL import Image, ImageDraw

from suyuan.codes import fonts
from suyuan.codes.label_layout import (
    PAGE_H,
    PAGE_W,
    PER_PAGE,
    PT_MM,
    TEXT_PT,
    LabelData,
    Placed,
    TextRow,
    hri,
    hri_elements,
    layout_text,
    place,
    qr_modules,
    qr_origin,
    runs,
)
from suyuan.errors import InputError

__all__ = [
    "FORMATS", "LabelData", "PER_PAGE", "Placed", "TextRow", "hri", "hri_elements", "layout_text",
    "page_png", "place", "qr_modules", "svg_page", "write_pdf", "write_sheets",
]  # fmt: skip

FORMATS = ("pdf", "svg", "html", "png")


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
            qx, qy, m = qr_origin(p)
            path = c.beginPath()
            for r, col, n in runs(p.modules):
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


def svg_page(placed: Sequence[Placed]) -> str:
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" viewBox="0 0 210 297">',
        '<rect x="0" y="0" width="210" height="297" fill="white"/>',
    ]
    for p in placed:
        qx, qy, m = qr_origin(p)
        d = "".join(f"M{qx + c * m:.3f},{qy + r * m:.3f}h{n * m:.3f}v{m:.3f}h-{n * m:.3f}z"
                    for r, c, n in runs(p.modules))
        parts.append(f'<path fill="black" shape-rendering="crispEdges" d="{d}"/>')
        for row in p.rows:
            # textLength pins the line to the width measured with the label font, whatever font
            # the viewer substitutes, so a line never runs into the next label.
            weight = ' font-weight="bold"' if row.bold else ""
            parts.append(f'<text x="{p.x + row.x:.3f}" y="{p.y + row.y:.3f}" font-size="{row.size * PT_MM:.3f}"'
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
        self._f.write("<section>" + svg_page(placed) + "</section>\n")

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
        qx, qy, m = qr_origin(p)
        for r, c, n in runs(p.modules):
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
    "svg": partial(PageFilesWriter, render=lambda placed: svg_page(placed).encode("utf-8")),
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
