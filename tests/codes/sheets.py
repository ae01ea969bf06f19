"""Reading label sheets back the way a person checks a print: text, fonts and codes.

PDF: pypdf extracts each page's text and lists the fonts with whether each is
embedded (what `pdffonts` shows). SVG: the `<text>` elements. PNG: no OCR is
available, so each line the SVG of the same page places is drawn again with
the label font and compared, pixel by pixel, with that spot of the PNG; and
nothing may be drawn on a label outside its QR code and its lines of text.
"""

from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import zxingcpp
from PIL import Image, ImageDraw, ImageFilter
from pypdf import PdfReader

from suyuan.codes import fonts
from suyuan.codes.gs1 import parse

SVG = "{http://www.w3.org/2000/svg}"
PT_MM = 25.4 / 72


def pdf_pages_text(data: bytes) -> list[list[str]]:
    """The text of each page, line by line, as pypdf extracts it."""
    return [page.extract_text().splitlines() for page in PdfReader(io.BytesIO(data)).pages]


def pdf_fonts(data: bytes) -> dict[str, bool]:
    """{base font name: embedded?} over every page, as `pdffonts` lists them."""
    found: dict[str, bool] = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in (page["/Resources"].get_object().get("/Font") or {}).values():
            font = ref.get_object()
            descendants = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for f in descendants:
                descriptor = f.get("/FontDescriptor")
                descriptor = descriptor.get_object() if descriptor is not None else {}
                embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                found[str(font["/BaseFont"])] = embedded
    return found


@dataclass(frozen=True)
class SvgText:
    x: float  # mm
    y: float  # baseline, mm
    size: float  # em, mm
    length: float  # mm
    bold: bool
    text: str


def svg_texts(svg: str) -> list[SvgText]:
    root = ET.fromstring(svg)
    return [SvgText(float(t.get("x")), float(t.get("y")), float(t.get("font-size")), float(t.get("textLength")),
                    t.get("font-weight") == "bold", t.text or "")
            for t in root.iter(f"{SVG}text")]


def _dark(image: Image.Image) -> set[tuple[int, int]]:
    w, h = image.size
    data = image.tobytes()
    return {(i % w, i // w) for i, v in enumerate(data) if v < 128}


def text_box(t: SvgText, px: float) -> tuple[int, int, int, int]:
    """Pixel box that holds the line's ink: the em above the baseline, the descent below, a margin right."""
    return (math.floor(t.x * px) - 2, math.floor((t.y - 1.05 * t.size) * px) - 2,
            math.ceil((t.x + t.length + 0.5) * px) + 2, math.ceil((t.y + 0.4 * t.size) * px) + 2)


def mismatch(png: Image.Image, texts: list[SvgText], i: int, text: str, dpi: int) -> int:
    """How far the PNG at line `i`'s place is from the page's text with that line reading `text` (0: a match).

    The expected drawing is every line of the SVG drawn in the label font,
    line `i` replaced by `text` (neighbouring lines reach into each other's
    boxes). The SVG rounds positions to 1 µm, so the drawings may differ by
    a fraction of a pixel: a dark pixel is matched when the other drawing
    has one within a pixel of it. The box is cut into strips half an em
    wide; the answer is the largest count of unmatched pixels in one strip,
    so one wrong, missing or extra character shows however long the line is.
    """
    px = dpi / 25.4
    box = text_box(texts[i], px)
    crop = png.crop(box)
    expected = Image.new("L", crop.size, 255)
    draw = ImageDraw.Draw(expected)
    for j, t in enumerate(texts):
        near = text_box(t, px)
        if near[2] < box[0] or near[0] > box[2] or near[3] < box[1] or near[1] > box[3]:
            continue
        font = fonts.pil_font(round(t.size / PT_MM, 2) / 72 * dpi, t.bold)
        draw.text((t.x * px - box[0], t.y * px - box[1]), text if j == i else t.text, font=font, fill=0,
                  anchor="ls")
    unmatched = (_dark(crop) - _dark(expected.filter(ImageFilter.MinFilter(3)))) | (
        _dark(expected) - _dark(crop.filter(ImageFilter.MinFilter(3))))
    strip = max(2, round(texts[i].size * px / 2))
    counts: dict[int, int] = {}
    for x, _ in unmatched:
        counts[x // strip] = counts.get(x // strip, 0) + 1
    return max(counts.values(), default=0)


def stray_pixels(png: Image.Image, cell: tuple[float, float, float, float], keep: list[tuple[int, int, int, int]],
                 dpi: int) -> int:
    """Dark pixels inside a label's cell (mm) that fall in none of the `keep` boxes (px)."""
    px = dpi / 25.4
    x0, y0, x1, y1 = (round(v * px) for v in cell)
    mask = Image.new("L", png.size, 0)
    draw = ImageDraw.Draw(mask)
    for b in keep:
        draw.rectangle(b, fill=255)
    count = 0
    region, allowed = png.crop((x0, y0, x1, y1)).tobytes(), mask.crop((x0, y0, x1, y1)).tobytes()
    for v, ok in zip(region, allowed):
        if v < 128 and not ok:
            count += 1
    return count


def decoded(png: Image.Image) -> list[tuple[str, float, float]]:
    """(key, centre x, centre y in px) of each QR code on the page."""
    out = []
    for code in zxingcpp.read_barcodes(png, formats=zxingcpp.BarcodeFormat.QRCode):
        corners = [code.position.top_left, code.position.top_right,
                   code.position.bottom_left, code.position.bottom_right]
        key = parse(code.text).key
        out.append((key, sum(p.x for p in corners) / 4, sum(p.y for p in corners) / 4))
    return out
