"""The label font: Kurinto Sans SC, a CJK TrueType face shipped by the `weblate-fonts` package.

Labels print Chinese product names and origins next to the GS1 HRI, in
every format. One face serves all of them, so a line measured here is the
line every writer draws: reportlab embeds a subset of it in the PDF (PDF
32000-1 §9.9: an embedded font prints the same on any reader, unlike the
non-embedded CID font STSong-Light), Pillow rasterises it for PNG sheets,
and SVG/HTML name it first in `font-family` and pin each line to its
measured width (`textLength`).

Kurinto Sans is under the SIL Open Font License 1.1 (the package's
`LICENSES/OFL-1.1.txt`), which allows embedding in documents. It is a
TrueType-outline font (`glyf`), which reportlab's TTF embedding needs; the
CFF-outline Noto Sans CJK / Source Han OTFs are not.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from suyuan.errors import SuyuanError

PACKAGE = "weblate_fonts"
_DIR = "static/weblate_fonts/kurinto/ttf"
FILES = {False: "KurintoSansSC-Rg.ttf", True: "KurintoSansSC-Bd.ttf"}
NAMES = {False: "KurintoSansSC-Rg", True: "KurintoSansSC-Bd"}  # PostScript names, as pdffonts lists them
FAMILY = "Kurinto Sans SC"


class FontMissing(SuyuanError):
    """The label font's file is not installed."""


@lru_cache(maxsize=2)
def path(bold: bool = False) -> Path:
    """The TTF file of the regular (or bold) face."""
    try:
        found = Path(str(files(PACKAGE) / _DIR / FILES[bold]))
    except ModuleNotFoundError as exc:
        raise FontMissing(
            f"Label font missing: expected the {PACKAGE!r} package (pip install weblate-fonts), got none."
        ) from exc
    if not found.is_file():
        raise FontMissing(f"Label font missing: expected {found}, got no such file; reinstall weblate-fonts.")
    return found


@lru_cache(maxsize=2)
def pdf_name(bold: bool = False) -> str:
    """Register the face with reportlab once (embedded, subset) and return its font name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = NAMES[bold]
    pdfmetrics.registerFont(TTFont(name, str(path(bold))))
    return name


def width_pt(text: str, size_pt: float, bold: bool = False) -> float:
    """Advance width of `text` in points, from the face's own metrics (no kerning)."""
    from reportlab.pdfbase import pdfmetrics

    return pdfmetrics.stringWidth(text, pdf_name(bold), size_pt)


@lru_cache(maxsize=32)
def pil_font(size_px: float, bold: bool = False):  # noqa: ANN201
    """The face for Pillow at an em size in pixels (fractional sizes need Pillow 10.1)."""
    from PIL import ImageFont

    return ImageFont.truetype(str(path(bold)), size_px)
