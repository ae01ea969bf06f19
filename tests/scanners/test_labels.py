"""Label sheets: every QR code on a printed page decodes back to its item's key."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from PIL import Image, ImageDraw

from suyuan.config import Settings
from suyuan.errors import InputError
from suyuan.ledger.db import make_engine
from suyuan.scanners.decode import decode_image
from suyuan.scanners.labels import PER_PAGE, LabelData, page_png, place, write_sheets
from suyuan.trace import goods
from suyuan.trace.parties import create_party
from tests.api.world import BATCH, PRODUCT, gtin

BASE = "https://trace.example.cn/id"
G = "06901234567892"


def _labels(n: int) -> list[LabelData]:
    # Serials of every shape: set 82 punctuation is percent-encoded in the key and the URI.
    serials = [f"SN{i:05d}" if i % 5 else f"A/B+{i}" for i in range(n)]
    from suyuan.scanners.gs1 import make_key

    return [LabelData(make_key(gtin=G, lot="LOT7", serial=s), "连云港 南美白对虾 1 kg", "产地 连云港海州湾 320700")
            for s in serials]


def _decoded_keys(png: bytes) -> list[str]:
    results = decode_image(png, 50 * 1024 * 1024)
    assert all(r.key_error is None for r in results), [r.key_error for r in results]
    return sorted(r.key for r in results)


def test_each_page_decodes_to_its_items():
    labels = _labels(PER_PAGE + 4)
    pages = list(place(labels, BASE))
    assert [len(p) for p in pages] == [PER_PAGE, 4]
    for page in pages:
        assert _decoded_keys(page_png(page)) == sorted(p.label.key for p in page)


def test_labels_show_the_hri_name_and_origin():
    [page] = list(place(_labels(1), BASE))
    assert page[0].lines == ["连云港 南美白对虾 1 kg", f"(01) {G}", "(10) LOT7", "(21) A/B+0",
                             "产地 连云港海州湾 320700"]
    assert page[0].uri == f"{BASE}/01/{G}/10/LOT7/21/A%2FB%2B0"


def test_pdf_has_one_page_per_sheet(tmp_path):
    done = []
    [out] = write_sheets(_labels(2 * PER_PAGE + 1), tmp_path / "labels.pdf", BASE, progress=done.append)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b(?!s)", data)) == 3
    assert b"STSong-Light" in data  # Chinese names in a CID font every PDF reader maps
    assert sum(done) == 2 * PER_PAGE + 1


_RUN = re.compile(r"M([\d.]+),([\d.]+)h([\d.]+)v([\d.]+)h-[\d.]+z")


def _rasterise_svg(svg: str, px_per_mm: float = 8) -> bytes:
    """Draw the page's module runs (the only filled paths a label sheet has) onto white."""
    import io

    root = ET.fromstring(svg)
    image = Image.new("L", (round(210 * px_per_mm), round(297 * px_per_mm)), 255)
    draw = ImageDraw.Draw(image)
    for el in root.iter("{http://www.w3.org/2000/svg}path"):
        for x, y, w, h in _RUN.findall(el.get("d")):
            x0, y0 = float(x) * px_per_mm, float(y) * px_per_mm
            draw.rectangle([round(x0), round(y0), round(x0 + float(w) * px_per_mm) - 1,
                            round(y0 + float(h) * px_per_mm) - 1], fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_svg_pages_decode(tmp_path):
    labels = _labels(PER_PAGE + 2)
    files = write_sheets(labels, tmp_path / "labels.svg", BASE)
    assert [f.name for f in files] == ["labels-001.svg", "labels-002.svg"]
    keys = []
    for f in files:
        keys += _decoded_keys(_rasterise_svg(f.read_text(encoding="utf-8")))
    assert sorted(keys) == sorted(label.key for label in labels)
    [single] = write_sheets(labels[:3], tmp_path / "one.svg", BASE)
    assert single.name == "one.svg"


def test_html_is_one_printable_document(tmp_path):
    [out] = write_sheets(_labels(PER_PAGE + 1), tmp_path / "labels.html", BASE)
    text = out.read_text(encoding="utf-8")
    assert "@page{size:A4;margin:0}" in text and text.count("<section>") == 2
    first = text.split("<section>")[1].split("</section>")[0]
    assert len(_decoded_keys(_rasterise_svg(first))) == PER_PAGE
    assert "连云港 南美白对虾" in text and "(21) A/B+0" in text


@pytest.mark.parametrize(("out", "labels", "words"), [
    ("labels.docx", 1, "expected a .pdf, .svg, .html or .png file"),
    ("labels.pdf", 0, "No labels to print"),
])
def test_bad_requests(tmp_path, out, labels, words):
    with pytest.raises(InputError, match=re.escape(words)):
        write_sheets(_labels(labels), tmp_path / out, BASE)


def test_cli_prints_a_batch(db_url, tmp_path):
    engine = make_engine(db_url)
    settings = Settings(data_dir=tmp_path / "lib", database_url=db_url)
    producer, _ = create_party(engine, name="生产者 测试有限公司", roles=["producer"])
    g = gtin(5)
    goods.register_product(engine, settings, producer, g, PRODUCT)
    goods.register_batch(engine, settings, producer, g, "LOT9", BATCH)
    keys = goods.serialise(engine, settings, producer, g, 30, lot="LOT9")
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
    env |= {"SUYUAN_DATA_DIR": str(tmp_path / "data"), "SUYUAN_DATABASE_URL": db_url, "SUYUAN_RESOLVER_URL": BASE}

    def run(*args):  # noqa: ANN202
        return subprocess.run([sys.executable, "-m", "suyuan.cli", "labels", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    r = run("--batch", f"01/{g}/10/LOT9", "--out", str(tmp_path / "labels.png"))
    assert r.returncode == 0, r.stderr
    assert "30 labels on 2 A4 pages" in r.stdout and "100%" in r.stderr
    found = []
    for page in sorted(tmp_path.glob("labels-*.png")):
        found += _decoded_keys(page.read_bytes())
    assert sorted(found) == sorted(keys)
    r = run("--batch", f"01/{g}/10/LOT9", "--out", str(tmp_path / "labels.pdf"))
    assert r.returncode == 0 and (tmp_path / "labels.pdf").read_bytes().startswith(b"%PDF")
    r = run("--batch", f"01/{g}/10/NOPE", "--out", str(tmp_path / "x.pdf"))
    assert r.returncode == 1 and "No batch is registered under" in r.stderr
