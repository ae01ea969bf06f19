"""Label sheet layout: where every label, QR module and line of text goes on an A4 page.

Each label carries the item's GS1 Digital Link URI as a QR code (level Q,
see `suyuan.codes.render`) and, for people, the GTIN, lot and serial as
the GS1 HRI element string (General Specifications §4.15: the AIs in
parentheses, `(01)06901234567892(10)LOT7(21)SN0001`), the product name and
the origin. The layout (`place`, in millimetres, origin top left) decides
every text line once, measured with the label font (`suyuan.codes.fonts`);
the writers (`suyuan.codes.labels`) draw exactly these lines.

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

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator, Sequence

import qrcode
import zxingcpp

from suyuan.codes import digital_link, fonts, keys
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


@dataclass(frozen=True)
class LabelData:
    key: str
    name: str
    origin: str

    @property
    def parts(self) -> dict[str, str]:
        return keys.split_key(self.key)


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
PT_MM = 25.4 / 72

# A line may break before a CJK character (and its closing punctuation) or after a space.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_CLOSING = "，。、；：！？）》」』】〕…,.;:!?)"
_PIECE = re.compile(rf"[{_CJK}][{_CLOSING}]*\s*|[^\s{_CJK}]+\s*|\s+")


def _mm(text: str, size: float, bold: bool) -> float:
    return fonts.width_pt(text, size, bold) * PT_MM


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
    lines = sum(size * LEADING * PT_MM for block in blocks for size, _ in block)
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
        n_line, o_line = n_size * LEADING * PT_MM, o_size * LEADING * PT_MM
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
            em = size * PT_MM
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
        uri = digital_link.digital_link_uri(label.key, resolver_base)
        page.append(Placed(x, y, label, uri, qr_modules(uri), [label.name, hri(label), label.origin],
                           layout_text(label)))
        if len(page) == PER_PAGE:
            yield page
            page = []
    if page:
        yield page


def runs(modules: list[list[bool]]) -> Iterator[tuple[int, int, int]]:
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


def qr_origin(p: Placed) -> tuple[float, float, float]:
    """Top-left corner of the QR symbol and its module size, in mm."""
    module = QR_MM / len(p.modules)
    return p.x + PAD, p.y + (LABEL_H - QR_MM) / 2, module
