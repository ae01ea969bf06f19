"""HTTP: one pagination convention across flags, chains, parties and traces.

Every list pages by `after` + `limit`, ascending, and answers `next`: the
value to pass as `after` for the next page, null on the last page. A client
that follows `next` sees every row exactly once, however many there are.
"""

from __future__ import annotations

from tests.api.world import Story, at, ok, statement


def pages(client, path: str, field: str, *, headers=None, **params):  # noqa: ANN001, ANN201
    """Follow `next` from the first page to the last: the pages' rows, in order."""
    out, after = [], None
    while True:
        query = params | ({"after": after} if after is not None else {})
        body = ok(client.get(path, params=query, headers=headers), 200)
        out.append(body[field])
        after = body["next"]
        if after is None:
            return out
        assert body[field], "a page with a next is not empty"


def test_an_inspector_pages_through_more_than_1000_flags_exactly_once(client, cast):
    story = Story(client, cast, n=81)
    # 1,001 registrations stamped a day ahead of the server: one time_future flag each.
    future = at(60 * 24)
    sts = [statement(f"{story.batch}/21/F{i:04d}", "register", time=future) for i in range(1001)]
    r = client.post("/v1/events:batch", headers=cast.producer.headers,
                    json={"events": [{"statement": st} for st in sts]})
    assert ok(r, 200)["written"] == 1001
    h = cast.inspector.headers

    for limit, sizes in ((1000, [1000, 1]), (300, [300, 300, 300, 101])):
        got = pages(client, "/v1/flags", "flags", headers=h, code="time_future", limit=limit)
        assert [len(p) for p in got] == sizes
        flags = [f for p in got for f in p]
        ids = [f["id"] for f in flags]
        assert ids == sorted(ids) and len(set(ids)) == 1001, "ascending, each flag once"
        assert sorted(f["key"] for f in flags) == sorted(st["key"] for st in sts)
    # The newest is on the last page, not the first; after it there is nothing.
    last = ok(client.get("/v1/flags", params={"code": "time_future", "limit": 1000}, headers=h), 200)
    assert last["next"] == last["flags"][-1]["id"]
    tail = ok(client.get("/v1/flags", params={"code": "time_future", "after": ids[-1]}, headers=h), 200)
    assert tail == {"flags": [], "next": None}
    r = client.get("/v1/flags", params={"limit": 1001}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "limit"


def test_a_chain_pages_by_seq(client, cast):
    story = Story(client, cast, n=82)
    key = story.sold("C1")  # register, list, sell
    whole = ok(client.get(f"/v1/chains/{key}"), 200)
    assert [e["seq"] for e in whole["entries"]] == [0, 1, 2] and whole["next"] is None and whole["key"] == key
    got = pages(client, f"/v1/chains/{key}", "entries", limit=2)
    assert [[e["seq"] for e in p] for p in got] == [[0, 1], [2]]
    # A page that ends exactly at the chain's end says so: no empty page to fetch.
    exact = ok(client.get(f"/v1/chains/{key}", params={"after": 0, "limit": 2}), 200)
    assert [e["seq"] for e in exact["entries"]] == [1, 2] and exact["next"] is None
    assert ok(client.get(f"/v1/chains/{key}", params={"after": 2}), 200) == {"key": key, "entries": [], "next": None}


def test_parties_page_by_id_with_and_without_a_role(client, cast):
    everyone = ok(client.get("/v1/parties"), 200)
    ids = [p["id"] for p in everyone["parties"]]
    assert everyone["next"] is None and ids == sorted(ids) and set(ids) >= {w.id for w in vars(cast).values()}
    got = pages(client, "/v1/parties", "parties", limit=3)
    assert [p["id"] for page in got for p in page] == ids and all(len(p) == 3 for p in got[:-1])
    producers = pages(client, "/v1/parties", "parties", role="producer", limit=1)
    assert sorted(p["id"] for page in producers for p in page) == sorted([cast.producer.id, cast.producer2.id])
    assert all(page[0]["roles"] == ["producer"] for page in producers)


def test_the_batch_trace_pages_with_after_and_next_and_still_answers_cursor(client, cast):
    story = Story(client, cast, n=83)
    keys = sorted(story.item(f"T{i}") for i in range(5))
    h = cast.inspector.headers
    got = pages(client, f"/v1/batches/{story.batch}/trace", "items", headers=h, limit=2)
    assert [[i["key"] for i in p] for p in got] == [keys[:2], keys[2:4], keys[4:]]
    first = ok(client.get(f"/v1/batches/{story.batch}/trace", params={"limit": 2}, headers=h), 200)
    assert first["next"] == first["next_cursor"] == keys[1]
    # Clients of the first version page with cursor= and next_cursor.
    old = ok(client.get(f"/v1/batches/{story.batch}/trace", params={"limit": 2, "cursor": keys[1]}, headers=h), 200)
    assert [i["key"] for i in old["items"]] == keys[2:4] and old["next_cursor"] == keys[3]
