"""`GET /v1/codes/{key}.png|.svg` and `POST /v1/scans/decode`, through HTTP."""

from __future__ import annotations

import io
import zlib
import struct

import pytest
from PIL import Image

from suyuan.codes.gs1 import digital_link_uri
from tests.codes.conftest import RESOLVER

G = "06901234567892"
SSCC = "106141411234567897"

ROUND_TRIPS = [
    ("qr", f"01/{G}"),
    ("qr", f"01/{G}/10/LOT7/21/SN1"),
    ("qr", f"01/{G}/21/A%2FB%2B1"),
    ("qr", f"00/{SSCC}"),
    ("ean13", f"01/{G}"),
    ("gs1-128", f"01/{G}/10/LOT7/21/SN1"),
    ("gs1-128", f"00/{SSCC}"),
]


def _url(key: str, fmt: str = "png", kind: str = "qr") -> str:
    # The key goes into the path as it is, percent-encoding and all, as in a Digital Link URI.
    return f"/v1/codes/{key}.{fmt}?kind={kind}"


@pytest.mark.parametrize(("kind", "key"), ROUND_TRIPS)
def test_render_then_decode_through_the_api(api, kind, key):
    r = api.get(_url(key, "png", kind))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    assert "max-age" in r.headers["cache-control"]
    d = api.post("/v1/scans/decode", content=r.content, headers={"Content-Type": "image/png"})
    assert d.status_code == 200, d.text
    body = d.json()
    assert body["count"] == 1
    assert body["codes"][0]["key"] == key
    assert body["codes"][0]["key_error"] is None


def test_qr_carries_the_digital_link_uri_on_the_configured_resolver(api):
    key = f"01/{G}/10/LOT7/21/SN1"
    png = api.get(_url(key)).content
    [code] = api.post("/v1/scans/decode", content=png).json()["codes"]
    assert code["value"].endswith(digital_link_uri(key, RESOLVER))
    assert code["source_format"] == "digital_link"


def test_a_jpeg_photo_decodes(api):
    png = api.get(_url(f"01/{G}/21/SN9")).content
    image = Image.open(io.BytesIO(png)).convert("RGB").rotate(8, expand=True, fillcolor="white")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=40)
    r = api.post("/v1/scans/decode", content=out.getvalue(), headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 200, r.text
    assert [c["key"] for c in r.json()["codes"]] == [f"01/{G}/21/SN9"]


def test_svg_is_served_as_svg(api):
    r = api.get(_url(f"01/{G}", "svg", "ean13"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in r.content


def test_an_image_without_codes_gives_an_empty_list(api):
    out = io.BytesIO()
    Image.new("L", (100, 100), 255).save(out, format="PNG")
    r = api.post("/v1/scans/decode", content=out.getvalue())
    assert r.status_code == 200 and r.json() == {"count": 0, "codes": []}


# --- bad input: 4xx with one sentence, never 500 ------------------------------------


def _bomb_png(width: int = 20000, height: int = 20000) -> bytes:
    """A tiny PNG whose header declares a huge image (400 MP of zeros compress to ~400 KB)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = zlib.compress(b"\x00" * (width // 8 + 1) * 64)  # truncated rows: the header is what matters
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


BAD_CODES = [
    ("/v1/codes/01/06901234567893.png", 422, "check digit"),
    ("/v1/codes/01/06901234567892", 422, "expected /v1/codes/<key>.png"),
    ("/v1/codes/01/06901234567892.gif", 422, "expected /v1/codes/<key>.png"),
    ("/v1/codes/.png", 422, "Invalid"),
    ("/v1/codes/banana.svg", 422, "Invalid key"),
    ("/v1/codes/01/06901234567892.png?kind=pdf417", 422, "kind"),
    ("/v1/codes/00/106141411234567897.png?kind=ean13", 422, "EAN-13 does not fit"),
    ("/v1/codes/01/06901234567892/21/SN1.png?kind=ean13", 422, "EAN-13 does not fit"),
    ("/v1/codes/01/16901234567899.png?kind=ean13", 422, "indicator digit"),
    ("/v1/codes/01/06901234567892/21/" + "X" * 30 + ".png", 422, "1 to 20 characters"),
]


@pytest.mark.parametrize(("path", "status", "words"), BAD_CODES)
def test_bad_code_requests(api, path, status, words):
    r = api.get(path)
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert words in detail
    assert detail.endswith("."), detail


def _png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("L", (50, 50), 255).save(out, format="PNG")
    return out.getvalue()


BAD_UPLOADS = [
    ("empty", b"", {}, 422, "Empty image"),
    ("text", b"hello, this is not an image", {}, 422, "Not an image"),
    ("gif", b"GIF89a" + b"\x00" * 100, {"Content-Type": "image/gif"}, 422, "expected a JPEG or PNG"),
    ("truncated png", _png_bytes()[:40], {"Content-Type": "image/png"}, 422, "Unreadable PNG"),
    ("truncated jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, {"Content-Type": "image/jpeg"}, 422, "Unreadable JPEG"),
    ("bomb", _bomb_png(), {"Content-Type": "image/png"}, 422, "decompression bomb"),
    ("too big", b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024), {"Content-Type": "image/png"}, 413,
     "too large"),
    ("multipart", b"--x\r\n\r\n--x--", {"Content-Type": "multipart/form-data; boundary=x"}, 422,
     "send the image itself"),
]


@pytest.mark.parametrize(("name", "body", "headers", "status", "words"), BAD_UPLOADS,
                         ids=[b[0] for b in BAD_UPLOADS])
def test_bad_uploads(api, name, body, headers, status, words):
    r = api.post("/v1/scans/decode", content=body, headers=headers)
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]


def test_five_megabytes_pass_the_body_limit(api):
    # Other paths keep the 64 KiB limit; this one takes a phone photo.
    body = _png_bytes()
    padded = body + b"\x00" * (1024 * 1024)  # trailing bytes after IEND are ignored by Pillow
    r = api.post("/v1/scans/decode", content=padded, headers={"Content-Type": "image/png"})
    assert r.status_code == 200, r.text
    assert api.post("/v1/events", content=b"x" * 70000).status_code == 413
