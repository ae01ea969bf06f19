"""Labels rendered, degraded like a phone photo, decoded by zxing-cpp, parsed: same key.

SVGs are checked by parsing the XML and rasterising their rectangles (the
only shapes qrcode and python-barcode draw), then decoding that raster too.
"""

from __future__ import annotations

import io
import re
import struct
import xml.etree.ElementTree as ET
import zlib

import pytest
from PIL import Image, ImageDraw, ImageFilter

from suyuan.errors import InputError
from suyuan.codes import render
from suyuan.codes.decode import MAX_BYTES, decode_image
from suyuan.codes.gs1 import digital_link_uri

BASE = "https://trace.example.cn/id"
G = "06901234567892"
SSCC = "106141411234567897"

# (kind, key, attributes): every code kind, keys of every shape it can carry.
ROUND_TRIPS = [
    ("qr", f"01/{G}", None),
    ("qr", f"01/{G}/10/LOT7/21/SN1", {"17": "261231"}),
    ("qr", f"01/{G}/21/A%2FB%2B1", None),
    ("qr", f"00/{SSCC}", None),
    ("ean13", f"01/{G}", None),
    ("ean13", "01/00614141123452", None),  # GTIN-12 printed as EAN-13 with a leading 0
    ("gs1-128", f"01/{G}/10/LOT7/21/SN1", None),
    ("gs1-128", f"01/{G}/10/A%2FB", {"17": "261231"}),
    ("gs1-128", f"00/{SSCC}", None),
]


def _png_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _to_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _assert_decodes_to(data: bytes, key: str, attributes: dict | None = None) -> None:
    results = decode_image(data)
    assert len(results) == 1, [r.key_error or r.key for r in results]
    assert results[0].key_error is None, results[0].key_error
    assert results[0].key == key
    assert results[0].attributes == (attributes or {})


@pytest.mark.parametrize(("kind", "key", "attributes"), ROUND_TRIPS)
def test_png_round_trip(kind, key, attributes):
    png = render.render(key, kind, "png", BASE, attributes)
    assert png.startswith(b"\x89PNG")
    _assert_decodes_to(png, key, attributes)


# --- degraded photos ------------------------------------------------------------


def _rotate(angle: float):
    def degrade(image: Image.Image) -> bytes:
        rgb = image.convert("RGB")
        return _to_png(rgb.rotate(angle, expand=True, fillcolor="white", resample=Image.BICUBIC))

    return degrade


def _scale_half(image: Image.Image) -> bytes:
    w, h = image.size
    return _to_png(image.convert("L").resize((w // 2, h // 2), Image.BILINEAR))


def _blur(image: Image.Image) -> bytes:
    return _to_png(image.convert("L").filter(ImageFilter.GaussianBlur(radius=1)))


def _jpeg30(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=30)
    return out.getvalue()


def _photo(image: Image.Image) -> bytes:
    """All at once: turned 10 degrees, shrunk, blurred, saved as a poor JPEG."""
    rgb = image.convert("RGB").rotate(10, expand=True, fillcolor="white", resample=Image.BICUBIC)
    rgb = rgb.resize((rgb.width * 3 // 4, rgb.height * 3 // 4), Image.BILINEAR)
    rgb = rgb.filter(ImageFilter.GaussianBlur(radius=1))
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=30)
    return out.getvalue()


DEGRADATIONS = {
    "rotate-90": _rotate(90),
    "rotate-10": _rotate(10),
    "scale-0.5": _scale_half,
    "blur-1": _blur,
    "jpeg-q30": _jpeg30,
    "all-at-once": _photo,
}
DEGRADED_KEYS = [
    ("qr", f"01/{G}/10/LOT7/21/SN1"),
    ("ean13", f"01/{G}"),
    ("gs1-128", f"01/{G}/10/LOT7/21/SN1"),
]


@pytest.mark.parametrize("degradation", list(DEGRADATIONS))
@pytest.mark.parametrize(("kind", "key"), DEGRADED_KEYS)
def test_degraded_round_trip(kind, key, degradation):
    image = _png_image(render.render(key, kind, "png", BASE))
    _assert_decodes_to(DEGRADATIONS[degradation](image), key)


def test_several_codes_in_one_photo():
    qr = _png_image(render.render(f"01/{G}/21/SN9", "qr", "png", BASE)).convert("L")
    ean = _png_image(render.render(f"01/{G}", "ean13", "png")).convert("L")
    sheet = Image.new("L", (qr.width + ean.width + 60, max(qr.height, ean.height) + 40), 255)
    sheet.paste(qr, (20, 20))
    sheet.paste(ean, (qr.width + 40, 20))
    keys = sorted(r.key for r in decode_image(_to_png(sheet)))
    assert keys == [f"01/{G}", f"01/{G}/21/SN9"]


def test_transparent_png_is_read_on_white():
    qr = _png_image(render.render(f"01/{G}", "qr", "png", BASE)).convert("L")
    rgba = Image.new("RGBA", qr.size, (0, 0, 0, 0))
    rgba.putalpha(qr.point(lambda v: 255 - v))  # black modules opaque, the rest transparent
    _assert_decodes_to(_to_png(rgba), f"01/{G}")


def test_sixteen_bit_png_is_read():
    qr = _png_image(render.render(f"01/{G}", "qr", "png", BASE)).convert("L")
    deep = qr.point(lambda v: v * 257, mode="I").convert("I;16")
    assert _png_image(_to_png(deep)).mode == "I;16"
    _assert_decodes_to(_to_png(deep), f"01/{G}")


def test_non_gs1_code_comes_back_with_an_error():
    import qrcode

    image = qrcode.make("hello, world")
    out = io.BytesIO()
    image.save(out)
    [result] = decode_image(out.getvalue())
    assert result.key is None
    assert "Unsupported symbology ']Q1'" in result.key_error


def test_no_code_gives_an_empty_list():
    assert decode_image(_to_png(Image.new("L", (200, 200), 255))) == []


# --- SVG ---------------------------------------------------------------------------

_MM = re.compile(r"^([\d.]+)(mm)?$")
_SQUARE = re.compile(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z")


def _mm(value: str) -> float:
    match = _MM.match(value)
    assert match, value
    return float(match.group(1))


def _rasterise(svg: bytes, px_per_mm: float = 12) -> Image.Image:
    """Draw the black rectangles and square paths of an SVG onto white."""
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    width, height = _mm(root.get("width")), _mm(root.get("height"))
    image = Image.new("L", (round(width * px_per_mm) + 1, round(height * px_per_mm) + 1), 255)
    draw = ImageDraw.Draw(image)
    for el in root.iter():
        tag = el.tag.split("}")[-1]
        if tag == "rect" and "black" in (el.get("style") or el.get("fill") or ""):
            x, y = _mm(el.get("x")), _mm(el.get("y"))
            w, h = _mm(el.get("width")), _mm(el.get("height"))
            box = [x * px_per_mm, y * px_per_mm, (x + w) * px_per_mm - 1, (y + h) * px_per_mm - 1]
            draw.rectangle(box, fill=0)
        elif tag == "path":
            for x1, y1, x2, y2 in _SQUARE.findall(el.get("d")):
                box = [float(x1) * px_per_mm, float(y1) * px_per_mm,
                       float(x2) * px_per_mm - 1, float(y2) * px_per_mm - 1]  # fmt: skip
                draw.rectangle(box, fill=0)
    return image


@pytest.mark.parametrize(("kind", "key", "attributes"), ROUND_TRIPS)
def test_svg_round_trip(kind, key, attributes):
    svg = render.render(key, kind, "svg", BASE, attributes)
    root = ET.fromstring(svg)  # well-formed XML
    text = "".join(root.itertext())
    if kind == "ean13":
        assert key.split("/")[1][1:] in text.replace(" ", "")  # the HRI digits under the bars
    if kind == "gs1-128":
        assert render.element_string(key, attributes) in text
    _assert_decodes_to(_to_png(_rasterise(svg)), key, attributes)


def test_qr_svg_is_svg_of_the_digital_link():
    uri = digital_link_uri(f"01/{G}/10/LOT7", BASE)
    svg = render.qr_svg(uri)
    assert ET.fromstring(svg).tag.endswith("svg")
    [result] = decode_image(_to_png(_rasterise(svg)))
    assert result.value == f"]Q1{uri}"


def test_gs1_128_puts_fnc1_only_after_variable_fields():
    data, text = render._gs1_128_data("(01)06901234567892(10)LOT7(17)261231(21)SN1")
    assert data == "010690123456789210LOT7\xf117261231" + "21SN1"
    assert text == "(01)06901234567892(10)LOT7(17)261231(21)SN1"


# --- render refuses what does not fit ----------------------------------------------


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: render.render(f"00/{SSCC}", "ean13", "png"), "EAN-13 does not fit key '00/"),
        (lambda: render.render(f"01/{G}/10/L1", "ean13", "png"), "has a lot or serial"),
        (lambda: render.render(f"01/{G}", "ean13", "png", BASE, {"17": "261231"}), "carries no attributes"),
        (lambda: render.render("01/19506000134359", "ean13", "png"), "indicator digit 1"),
        (lambda: render.render("01/00000096385074", "ean13", "svg"), "is a GTIN-8"),
        (lambda: render.render(f"01/{G}", "qr", "png"), "No resolver base"),
        (lambda: render.render(f"01/{G}", "qr", "png", "trace.example.cn"), "Invalid resolver base"),
        (lambda: render.render(f"01/{G}", "pdf417", "png", BASE), "Invalid label kind 'pdf417'"),
        (lambda: render.render(f"01/{G}", "qr", "gif", BASE), "Invalid format 'gif'"),
        (lambda: render.render("01/06901234567893", "qr", "png", BASE),
         "Invalid GTIN check digit for '06901234567893': expected 2, got 3."),
        (lambda: render.render(f"01/{G}/10/{'L' * 20}/21/{'S' * 20}", "gs1-128", "png"),
         "too long for GS1-128: expected at most 48 data characters, got 60"),
        (lambda: render.render(f"01/{G}/10/L1", "gs1-128", "png", None, {"10": "L2"}), "part of the key"),
        (lambda: render.gs1_128_png("0106901234567892"), "expected the (AI)data form"),
        (lambda: render.gs1_128_svg("(01)06901234567893"), "Invalid GTIN check digit"),
        (lambda: render.ean13_png("690123456789"), "expected 13 digits or 14 with a leading 0"),
        (lambda: render.ean13_svg("6901234567893"), "expected 2, got 3"),
        (lambda: render.qr_png(""), "expected a non-empty string"),
        (lambda: render.qr_png("x" * 5000), "QR data too long"),
    ],
)
def test_render_refuses(call, error):
    with pytest.raises(InputError, match=re.escape(error)):
        call()


# --- decode refuses bad uploads -------------------------------------------------------


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_declaring(width: int, height: int, rows: bytes = b"") -> bytes:
    """A PNG header for width x height greyscale, with `rows` (compressed) as its only IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )


def _real_bomb() -> bytes:
    """8000 x 8000 white pixels (64 MP) that compress to well under a megabyte."""
    row = b"\x00" + b"\xff" * 8000
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(8000)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", 8000, 8000, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def _label_png() -> bytes:
    return render.render(f"01/{G}", "qr", "png", BASE)


def _label_jpeg() -> bytes:
    return _jpeg30(_png_image(_label_png()))


def _corrupt_crc(png: bytes) -> bytes:
    i = png.index(b"IDAT") + 10
    return png[:i] + bytes([png[i] ^ 0xFF]) + png[i + 1 :]


BAD_UPLOADS = [
    ("not an image", lambda: b"hello, this is text", {}, "Not an image: expected a JPEG or PNG file"),
    ("empty", lambda: b"", {}, "Empty image"),
    ("GIF", lambda: b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", {}, "Not an image"),
    ("PDF", lambda: b"%PDF-1.7\n", {}, "Not an image"),
    ("PNG signature only", lambda: b"\x89PNG\r\n\x1a\n", {}, "Unreadable PNG image"),
    ("truncated PNG", lambda: _label_png()[: len(_label_png()) // 2], {}, "Unreadable PNG image"),
    ("truncated JPEG", lambda: _label_jpeg()[: len(_label_jpeg()) // 2], {}, "Unreadable JPEG image"),
    ("corrupt PNG chunk", lambda: _corrupt_crc(_label_png()), {}, "Unreadable PNG image"),
    ("over 5 MB", lambda: b"\x89PNG\r\n\x1a\n" + bytes(MAX_BYTES), {},
     f"Image too large: expected at most 5 MB ({MAX_BYTES} bytes), got {MAX_BYTES + 8} bytes."),
    ("over a lower limit", lambda: _label_png(), {"max_bytes": 100}, "expected at most"),
    ("tiny PNG declaring 100000x100000", lambda: _png_declaring(100_000, 100_000), {},
     "decompression bomb: expected at most 40000000 pixels, got 10000000000 pixels."),
    ("tiny PNG declaring 7000x7000", lambda: _png_declaring(7000, 7000), {},
     "expected at most 40000000 pixels, got 7000x7000"),
    ("real 64 MP bomb", _real_bomb, {}, "expected at most 40000000 pixels, got 8000x8000"),
    ("Pillow's bomb error", lambda: _png_declaring(100_000, 100_000), {"max_pixels": 10**12},
     "decompression bomb"),
    ("Pillow's bomb warning", lambda: _png_declaring(10_000, 10_000), {"max_pixels": 10**12},
     "decompression bomb"),
    ("declared size, no pixels", lambda: _png_declaring(100, 100), {}, "Unreadable PNG image"),
]


@pytest.mark.parametrize(("make", "kwargs", "error"), [b[1:] for b in BAD_UPLOADS],
                         ids=[b[0] for b in BAD_UPLOADS])  # fmt: skip
def test_decode_refuses(make, kwargs, error):
    data = make()
    if "max_bytes" not in kwargs:
        assert len(data) <= MAX_BYTES or "too large" in error
    with pytest.raises(InputError, match=re.escape(error)) as info:
        decode_image(data, **kwargs)
    assert info.value.field == "image"


def test_decode_refuses_non_bytes():
    with pytest.raises(InputError, match="expected bytes, got str"):
        decode_image("not bytes")  # type: ignore[arg-type]
