"""HTTP: a batch's label sheets as PDF, for the producer that registered its product only."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from suyuan.codes.gs1 import split_key
from tests.api.world import BATCH, PRODUCT, gtin, ok
from tests.codes import sheets

LOT = "LYG/2026+A"  # "/" and "+" are percent-encoded in the key: the route must keep them


def _batch(client, cast, n=23):  # noqa: ANN001, ANN202
    g = gtin(31)
    h = cast.producer.headers
    ok(client.post("/v1/goods/products", headers=h, json={"id": str(uuid.uuid4()), "gtin": g, "data": PRODUCT}))
    ok(client.post("/v1/goods/batches", headers=h, json={"id": str(uuid.uuid4()), "gtin": g, "lot": LOT, "data": BATCH}))
    keys = ok(client.post("/v1/goods/items:serialise", headers=h,
                          json={"id": str(uuid.uuid4()), "gtin": g, "lot": LOT, "count": n,
                                "prefix": "LYG226"}))["keys"]
    return f"01/{g}/10/{quote(LOT, safe='')}", keys


def test_the_producer_gets_every_label_as_pdf(client, cast):
    batch, keys = _batch(client, cast)
    r = client.get(f"/v1/batches/{batch}/labels.pdf", headers=cast.producer.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'attachment; filename="labels-{split_key(batch)["01"]}-LYG_2026_A.pdf"'
    assert int(r.headers["content-length"]) == len(r.content) and r.content.startswith(b"%PDF-")
    pages = sheets.pdf_pages_text(r.content)
    assert len(pages) == 2  # 21 labels a page
    text = "\n".join(line for page in pages for line in page)
    for key in keys:
        assert f"(21){split_key(key)['21']}" in text.splitlines()
    assert text.count(f"(10){LOT}") == len(keys) and text.count(PRODUCT["name"]) == len(keys)
    used = sheets.pdf_fonts(r.content)
    assert used and all(used.values()), used

    few = client.get(f"/v1/batches/{batch}/labels.pdf?limit=5", headers=cast.producer.headers)
    assert few.status_code == 200
    [page] = sheets.pdf_pages_text(few.content)
    shown = [line[4:] for line in page if line.startswith("(21)")]
    assert shown == sorted(split_key(k)["21"] for k in keys)[:5]  # the first five by item key


def test_only_the_producer_may_print_the_labels(client, cast):
    batch, _ = _batch(client, cast, n=2)
    url = f"/v1/batches/{batch}/labels.pdf"
    for who in (cast.producer2, cast.merchant, cast.inspector, cast.admin):
        r = client.get(url, headers=who.headers)
        assert r.status_code == 403, (who, r.text)
        assert r.json()["detail"].startswith("Not your goods: product ") and r.json()["field"] == "key"
    r = client.get(url)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_bad_requests_answer_4xx_json(client, cast):
    batch, _ = _batch(client, cast, n=1)
    h = cast.producer.headers
    r = client.get(f"/v1/batches/{batch.replace('LYG', 'NOPE')}/labels.pdf", headers=h)
    assert r.status_code == 404 and "No batch is registered under" in r.json()["detail"]
    product = batch.split("/10/")[0]
    r = client.get(f"/v1/batches/{product}/labels.pdf", headers=h)
    assert r.status_code == 422 and r.json()["field"] == "key"
    assert "expected 01/<GTIN-14>/10/<lot>" in r.json()["detail"]
    r = client.get(f"/v1/batches/{product}9/10/L1/labels.pdf", headers=h)
    assert r.status_code == 422 and r.json()["field"] == "key"
    for limit in ("0", "10001", "many"):
        r = client.get(f"/v1/batches/{batch}/labels.pdf?limit={limit}", headers=h)
        assert r.status_code == 422 and r.json()["field"] == "limit", r.text
