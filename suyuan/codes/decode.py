"""Codes in a photo: decode a JPEG or PNG with zxing-cpp and parse each code.

Uploads are untrusted: the size, the format, the pixel count and the
integrity of the file are checked before any pixel is decoded, so that a
decompression bomb or a truncated file ends in an `InputError`, not in a
crash or an exhausted worker.
"""

from __future__ import annotations

import io
import re
import warnings

import zxingcpp
from PIL import Image

from suyuan.errors import InputError
from suyuan.codes.gs1 import ScanResult, parse

MAX_BYTES = 5 * 1024 * 1024
# 40 MP is more than any phone camera gives; Pillow's own bomb limit is ~89 MP.
MAX_PIXELS = 40_000_000

_MAGIC = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


def _format(data: bytes) -> str:
    for magic, name in _MAGIC.items():
        if data.startswith(magic):
            return name
    raise InputError(
        f"Not an image: expected a JPEG or PNG file, got {len(data)} bytes "
        f"starting with {bytes(data[:8])!r}.",
        field="image",
    )


def open_image(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open and fully load a JPEG or PNG upload, refusing anything unsafe."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError(
            f"Invalid image: expected bytes, got {type(data).__name__}.", field="image"
        )
    data = bytes(data)
    if len(data) > max_bytes:
        raise InputError(
            f"Image too large: expected at most {max_bytes / 1024 / 1024:g} MB "
            f"({max_bytes} bytes), got {len(data)} bytes.",
            field="image",
        )
    if not data:
        raise InputError("Empty image: expected a JPEG or PNG file, got 0 bytes.", field="image")
    fmt = _format(data)
    with warnings.catch_warnings():
        # Pillow only warns between its limit and twice its limit; make that an error too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = image.size  # from the header; nothing decoded yet
            if width * height > max_pixels:
                raise InputError(
                    f"Image too large: expected at most {max_pixels} pixels, "
                    f"got {width}x{height} = {width * height}.",
                    field="image",
                )
            image.load()
        except InputError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            declared = re.search(r"\((\d+) pixels\)", str(exc))
            got = f"{declared.group(1)} pixels" if declared else "more"
            raise InputError(
                f"Image refused as a decompression bomb: expected at most {max_pixels} pixels, "
                f"got {got}.",
                field="image",
            ) from exc
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
            # Pillow reports truncated and corrupt files as OSError/SyntaxError/ValueError.
            raise InputError(
                f"Unreadable {fmt} image: expected a complete, valid file, got an error: {exc}.",
                field="image",
            ) from exc
    return image


def _grayscale(image: Image.Image) -> Image.Image:
    """8-bit grey on white, whatever the mode (palette, alpha, CMYK, 16-bit)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, "white")
        image = Image.alpha_composite(background, rgba)
    if image.mode in ("I;16", "I"):
        image = image.point(lambda v: v / 256)
    return image.convert("L")


def scanner_text(barcode: zxingcpp.Barcode) -> str:
    """What a scanner in AIM mode would transmit: symbology identifier, then data.

    zxing's plain text mode keeps GS1 FNC1 separators as GS (0x1D), as a
    scanner does.
    """
    return f"{barcode.symbology_identifier}{barcode.text}"


def decode_image(
    data: bytes, max_bytes: int = MAX_BYTES, *, max_pixels: int = MAX_PIXELS
) -> list[ScanResult]:
    """The codes found in a JPEG or PNG photo, each parsed to a ledger key.

    Codes that are not GS1 (a plain URL, text) come back with `key=None` and
    a `key_error`. An empty list means no code was found. Raises InputError
    for uploads that are too large, not JPEG/PNG, corrupt or bombs.
    """
    image = open_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    gray = _grayscale(image)
    barcodes = zxingcpp.read_barcodes(gray, text_mode=zxingcpp.TextMode.Plain)
    return [parse(scanner_text(b)) for b in barcodes]
