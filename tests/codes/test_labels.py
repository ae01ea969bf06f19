"""Label sheets: every QR code decodes to its item, and every label shows its full HRI, name and origin.

Each format is read back: PDF text (pypdf) and fonts, SVG and HTML text,
and the PNG compared with the SVG of the same page (see tests/codes/sheets.py).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from PIL import Image, ImageDraw

from suyuan.config import PLACEHOLDER_RESOLVER_URL, Settings
from suyuan.errors import Forbidden, InputError
from suyuan.ledger.db import make_engine
from suyuan.codes import label_layout as sheet
from suyuan.codes.decode import decode_image
from suyuan.codes.gs1 import make_key, split_key
from suyuan.codes.labels import PER_PAGE, LabelData, layout_text, page_png, place, svg_page, write_sheets
from suyuan.trace.goods.labels import batch_labels
from suyuan.trace.events import registration
from suyuan.trace.parties.registry import create_party
from tests.api.world import BATCH, PRODUCT, gtin
from tests.codes import sheets
from tests.server import running_server

BASE = "https://trace.example.cn/id"
G = "06901234567892"
NAME, ORIGIN = "连云港 南美白对虾 1 kg", "产地 连云港海州湾 320700"
DPI = 200


def _labels(n: int) -> list[LabelData]:
    # Serials of every shape: set 82 punctuation is percent-encoded in the key and the URI.
    serials = [f"SN{i:05d}" if i % 5 else f"A/B+{i}" for i in range(n)]
    return [LabelData(make_key(gtin=G, lot="LOT7", serial=s), NAME, ORIGIN) for s in serials]


def _hri(key: str) -> str:
    return "".join(f"({ai}){value}" for ai, value in split_key(key).items())


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
    assert page[0].lines == [NAME, f"(01){G}(10)LOT7(21)A/B+0", ORIGIN]
    # The HRI is wider than the text column: one element string a line.
    assert [r.text for r in page[0].rows] == [NAME, f"(01){G}", "(10)LOT7", "(21)A/B+0", ORIGIN]
    assert [r.bold for r in page[0].rows] == [True, False, False, False, False]
    assert [r.size for r in page[0].rows] == [sheet.NAME_PT] + [sheet.HRI_SIZES[0]] * 3 + [sheet.TEXT_PT]
    assert page[0].uri == f"{BASE}/01/{G}/10/LOT7/21/A%2FB%2B0"


def _inside_the_label(rows) -> None:  # noqa: ANN001
    em = sheet.PT_MM
    for r in rows:
        assert r.x + r.width <= sheet.LABEL_W - sheet.PAD + 1e-6, r
        assert r.y - sheet.INK_TOP * r.size * em >= sheet.PAD - 1e-6, r
        assert r.y + sheet.INK_BOTTOM * r.size * em <= sheet.LABEL_H - sheet.PAD + 1e-6, r
    ys = [r.y for r in rows]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)  # one line under the other, none on top of another


@pytest.mark.parametrize(("lot", "serial", "name", "origin", "whole"), [
    ("LOT7", "PFX3ABRZMWS26BACRVE5", NAME, ORIGIN, True),  # a serial as serialise makes them
    ("L" * 20, "M" * 20, NAME, ORIGIN, False),  # the longest lot and serial GS1 allows, in wide letters
    ("LOT7", "PFX3AB" + "W" * 14, NAME, ORIGIN, False),  # the widest serial a prefix gives
    ("LOT7", "SN1", "东海野生大黄鱼 冰鲜 " * 20, "产地 " + "浙江省舟山市普陀区沈家门渔港" * 14, True),  # 200 characters each
])
def test_long_text_wraps_and_the_hri_is_never_cut(lot, serial, name, origin, whole):
    label = LabelData(make_key(gtin=G, lot=lot, serial=serial), name[:200], origin[:200])
    rows = layout_text(label)
    _inside_the_label(rows)
    first = next(i for i, r in enumerate(rows) if not r.bold)
    last = next(i for i, r in enumerate(rows) if r.text.startswith("产地"))
    hri, text = rows[first:last], [r.text for r in rows[:first] + rows[last:]]
    assert "".join(r.text for r in hri) == f"(01){G}(10){lot}(21){serial}"  # all of it, in order
    assert not any("…" in r.text for r in hri)
    if whole:  # each element string on one line, as large as that allows
        assert [r.text for r in hri] == [f"(01){G}", f"(10){lot}", f"(21){serial}"]
        assert hri[0].size == sheet.HRI_SIZES[0] and all(r.size >= sheet.HRI_SIZES[-1] for r in hri)
    else:  # too wide even at the smallest size: the value goes on on the next line
        assert len(hri) > 3 and hri[-1].size == sheet.HRI_SIZES[-1]
    if len(name) < 100:
        assert text == [name, origin]
    else:  # too long even at the smallest size: name and origin end in "…", everything before is whole
        assert text[0] == name[:len(text[0])] and any(t.endswith("…") for t in text)


def test_name_and_origin_wrap_before_they_shrink():
    label = LabelData(make_key(gtin=G, lot="LOT7", serial="SN1"), "连云港 南美白对虾 冷冻 去头 大号 1 kg 装",
                      "产地 江苏省连云港市海州区海州湾渔场 320706")
    rows = layout_text(label)
    _inside_the_label(rows)
    name = [r for r in rows if r.bold]
    assert len(name) == 2 and {r.size for r in name} == {sheet.NAME_PT}
    assert "".join(r.text for r in name).replace(" ", "") == label.name.replace(" ", "")


def _db_batch(db_url, tmp_path, count=50, prefix="PFX3AB"):  # noqa: ANN001, ANN202
    engine = make_engine(db_url)
    settings = Settings(data_dir=tmp_path / "lib", database_url=db_url)
    producer, _ = create_party(engine, name="生产者 测试有限公司", roles=["producer"])
    g = gtin(5)
    registration.register_product(engine, settings, producer, g, PRODUCT)
    registration.register_batch(engine, settings, producer, g, "LOT9", BATCH)
    keys = registration.serialise(engine, settings, producer, g, count, lot="LOT9", prefix=prefix)
    return engine, producer, f"01/{g}/10/LOT9", keys


def _cli(db_url, tmp_path, *args, resolver=BASE):  # noqa: ANN001, ANN202
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
    env |= {"SUYUAN_DATA_DIR": str(tmp_path / "data"), "SUYUAN_DATABASE_URL": db_url}
    if resolver:
        env["SUYUAN_RESOLVER_URL"] = resolver
    return subprocess.run([sys.executable, "-m", "suyuan.cli", "labels", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_50_item_pdf_shows_every_full_serial_in_an_embedded_cjk_font(db_url, tmp_path):
    engine, _, batch, keys = _db_batch(db_url, tmp_path)
    try:
        expected = list(place(batch_labels(engine, batch), BASE))
    finally:
        engine.dispose()
    r = _cli(db_url, tmp_path, "--batch", batch, "--out", str(tmp_path / "labels.pdf"))
    assert r.returncode == 0, r.stderr
    assert "50 labels on 3 A4 pages" in r.stdout and "warning" not in r.stderr
    data = (tmp_path / "labels.pdf").read_bytes()
    pages = sheets.pdf_pages_text(data)
    # Every line of every label, in order, exactly as laid out: nothing cut, nothing left out.
    assert pages == [[row.text for p in page for row in p.rows] for page in expected]
    text = "\n".join(line for page in pages for line in page)
    for key in keys:
        serial = split_key(key)["21"]
        assert re.fullmatch(r"PFX3AB[2-9A-HJ-NP-Z]{14}", serial)
        assert f"(21){serial}\n" in text + "\n" and "…" not in text
    assert text.count(PRODUCT["name"]) == 50 and text.count("产地 连云港海州湾 320700") == 50
    # What pdffonts lists: the CJK face, embedded (as a subset); no font left to the reader's machine.
    used = sheets.pdf_fonts(data)
    assert used and all(used.values()), used
    assert {re.sub(r"^/[A-Z]{6}\+", "", name) for name in used} == {"KurintoSansSC-Rg", "KurintoSansSC-Bd"}


def _check_png_against_svg(png_bytes: bytes, svg: str, page) -> None:  # noqa: ANN001
    """The PNG shows, at each place, the line the SVG of the same page places there, and nothing else."""
    png = Image.open(io.BytesIO(png_bytes)).convert("L")
    texts = sheets.svg_texts(svg)
    assert [t.text for t in texts] == [row.text for p in page for row in p.rows]  # one layout feeds both
    px = DPI / 25.4
    for i, t in enumerate(texts):
        assert sheets.mismatch(png, texts, i, t.text, DPI) == 0, t
    # The comparison tells texts apart: another label's serial, a cut one or a blank line does not match.
    serials = [i for i, t in enumerate(texts) if t.text.startswith("(21)")]
    a = serials[0]
    for other in (texts[serials[1]].text, texts[a].text[:-3] + "…", texts[a].text[:-1], ""):
        assert sheets.mismatch(png, texts, a, other, DPI) > 0, other
    # Each QR code sits on the label whose text shows that key's HRI; nothing else is drawn on the label.
    found = sheets.decoded(png)
    assert sorted(k for k, _, _ in found) == sorted(p.label.key for p in page)
    for key, cx, cy in found:
        [p] = [p for p in page
               if p.x * px <= cx <= (p.x + sheet.LABEL_W) * px and p.y * px <= cy <= (p.y + sheet.LABEL_H) * px]
        mine = [t for t in texts if p.x <= t.x <= p.x + sheet.LABEL_W and p.y <= t.y <= p.y + sheet.LABEL_H]
        assert _hri(key) in "".join(t.text for t in mine) and p.label.key == key
        qx, qy, _ = sheet.qr_origin(p)
        keep = [sheets.text_box(t, px) for t in mine]
        keep.append((round(qx * px) - 1, round(qy * px) - 1, round((qx + sheet.QR_MM) * px) + 1,
                     round((qy + sheet.QR_MM) * px) + 1))
        assert sheets.stray_pixels(png, (p.x, p.y, p.x + sheet.LABEL_W, p.y + sheet.LABEL_H), keep, DPI) == 0


def test_a_50_item_png_shows_every_full_serial_as_its_svg_does(db_url, tmp_path):
    engine, _, batch, keys = _db_batch(db_url, tmp_path)
    try:
        expected = list(place(batch_labels(engine, batch), BASE))
    finally:
        engine.dispose()
    for suffix in ("png", "svg"):
        r = _cli(db_url, tmp_path, "--batch", batch, "--out", str(tmp_path / f"labels.{suffix}"))
        assert r.returncode == 0 and "50 labels on 3 A4 pages" in r.stdout, r.stderr
    for n, page in enumerate(expected, 1):
        svg = (tmp_path / f"labels-{n:03d}.svg").read_text(encoding="utf-8")
        _check_png_against_svg((tmp_path / f"labels-{n:03d}.png").read_bytes(), svg, page)
    shown = "".join(t.text for n in (1, 2, 3)
                    for t in sheets.svg_texts((tmp_path / f"labels-{n:03d}.svg").read_text(encoding="utf-8")))
    assert all(f"(21){split_key(k)['21']}" in shown for k in keys)


def test_png_text_is_the_svg_text_for_long_lines():
    labels = [LabelData(make_key(gtin=G, lot="L" * 20, serial=f"PFX3AB{i:014d}"), "东海野生大黄鱼 冰鲜 " * 6,
                        "产地 浙江省舟山市普陀区沈家门渔港 330903") for i in range(4)]
    [page] = list(place(labels, BASE))
    _check_png_against_svg(page_png(page, DPI), svg_page(page), page)


_RUN = re.compile(r"M([\d.]+),([\d.]+)h([\d.]+)v([\d.]+)h-[\d.]+z")


def _rasterise_svg(svg: str, px_per_mm: float = 8) -> bytes:
    """Draw the page's module runs (the only filled paths a label sheet has) onto white."""
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


def test_svg_pages_decode_and_show_the_text(tmp_path):
    labels = _labels(PER_PAGE + 2)
    files = write_sheets(labels, tmp_path / "labels.svg", BASE)
    assert [f.name for f in files] == ["labels-001.svg", "labels-002.svg"]
    keys, texts = [], []
    for f in files:
        svg = f.read_text(encoding="utf-8")
        keys += _decoded_keys(_rasterise_svg(svg))
        texts += [t.text for t in sheets.svg_texts(svg)]
    assert sorted(keys) == sorted(label.key for label in labels)
    assert texts == [row.text for page in place(labels, BASE) for p in page for row in p.rows]
    joined = "".join(texts)  # each label's HRI, whole, between its name and its origin
    assert texts.count(NAME) == len(labels) and all(f"{NAME}{_hri(lb.key)}{ORIGIN}" in joined for lb in labels)
    [single] = write_sheets(labels[:3], tmp_path / "one.svg", BASE)
    assert single.name == "one.svg"


def test_html_is_one_printable_document(tmp_path):
    labels = _labels(PER_PAGE + 1)
    [out] = write_sheets(labels, tmp_path / "labels.html", BASE)
    text = out.read_text(encoding="utf-8")
    assert "@page{size:A4;margin:0}" in text and text.count("<section>") == 2
    sections = [s.split("</section>")[0] for s in text.split("<section>")[1:]]
    assert len(_decoded_keys(_rasterise_svg(sections[0]))) == PER_PAGE
    shown = [t.text for s in sections for t in sheets.svg_texts(s)]
    assert shown == [row.text for page in place(labels, BASE) for p in page for row in p.rows]
    assert f"{NAME}(01){G}(10)LOT7(21)A/B+0{ORIGIN}" in "".join(shown) and f"{NAME}</text>" in text


@pytest.mark.parametrize(("out", "labels", "words"), [
    ("labels.docx", 1, "expected a .pdf, .svg, .html or .png file"),
    ("labels.pdf", 0, "No labels to print"),
])
def test_bad_requests(tmp_path, out, labels, words):
    with pytest.raises(InputError, match=re.escape(words)):
        write_sheets(_labels(labels), tmp_path / out, BASE)


def test_batch_labels_are_the_producers_alone(db_url, tmp_path):
    engine, producer, batch, keys = _db_batch(db_url, tmp_path, count=5, prefix="")
    try:
        other, _ = create_party(engine, name="另一个生产者", roles=["producer"])
        assert [label.key for label in batch_labels(engine, batch, party=producer.id)] == sorted(keys)
        assert len(batch_labels(engine, batch, limit=2)) == 2
        with pytest.raises(Forbidden, match=f"registered by party {producer.id}, got party {other.id}"):
            batch_labels(engine, batch, party=other.id)
        with pytest.raises(InputError, match="expected a number of labels of at least 1"):
            batch_labels(engine, batch, limit=0)
    finally:
        engine.dispose()


def test_cli_prints_a_batch(db_url, tmp_path):
    engine, _, batch, keys = _db_batch(db_url, tmp_path, count=30, prefix="")
    engine.dispose()
    r = _cli(db_url, tmp_path, "--batch", batch, "--out", str(tmp_path / "labels.png"))
    assert r.returncode == 0, r.stderr
    assert "30 labels on 2 A4 pages" in r.stdout and "100%" in r.stderr and "warning" not in r.stderr
    found = []
    for page in sorted(tmp_path.glob("labels-*.png")):
        found += _decoded_keys(page.read_bytes())
    assert sorted(found) == sorted(keys)
    r = _cli(db_url, tmp_path, "--batch", batch, "--out", str(tmp_path / "few.pdf"), "--limit", "4")
    assert r.returncode == 0 and "4 labels on 1 A4 pages" in r.stdout, r.stderr
    r = _cli(db_url, tmp_path, "--batch", batch.replace("LOT9", "NOPE"), "--out", str(tmp_path / "x.pdf"))
    assert r.returncode == 2 and "No batch is registered under" in r.stderr


def test_cli_warns_once_when_the_resolver_is_the_placeholder(db_url, tmp_path):
    engine, _, batch, _ = _db_batch(db_url, tmp_path, count=2, prefix="")
    engine.dispose()
    for resolver, args in ((None, ()), (BASE, ("--resolver", PLACEHOLDER_RESOLVER_URL + "/"))):
        r = _cli(db_url, tmp_path, "--batch", batch, "--out", str(tmp_path / "w.pdf"), *args, resolver=resolver)
        assert r.returncode == 0, r.stderr
        warnings = [line for line in r.stderr.splitlines() if "warning" in line]
        assert warnings == [f"suyuan: warning: SUYUAN_RESOLVER_URL is the placeholder {PLACEHOLDER_RESOLVER_URL}: "
                            "QR codes printed with it lead nowhere; set it to the base URL your scan pages are "
                            "served under."]
    r = _cli(db_url, tmp_path, "--batch", batch, "--out", str(tmp_path / "w.pdf"), "--resolver", BASE, resolver=None)
    assert r.returncode == 0 and "warning" not in r.stderr


@pytest.mark.parametrize("resolver", [None, BASE])
def test_serve_warns_at_start_when_the_resolver_is_the_placeholder(tmp_path, resolver):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
    env["SUYUAN_DATA_DIR"] = str(tmp_path / "data")
    if resolver:
        env["SUYUAN_RESOLVER_URL"] = resolver
    log = tmp_path / "serve.log"
    with running_server(env, log=log):
        pass
    warnings = [line for line in log.read_text(encoding="utf-8").splitlines() if "SUYUAN_RESOLVER_URL" in line]
    assert len(warnings) == (0 if resolver else 1), warnings
