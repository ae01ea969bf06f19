"""HTTP caching of the scan page: ETag by what the page shows, If-None-Match answered 304, checks still counted."""

from __future__ import annotations

from suyuan.trace.journey.scanlog import scan_stats
from tests.api.world import Story, ok, post


def test_a_revalidation_is_a_304_without_a_body_and_still_counts_the_check(client, cast, ledger):
    key = Story(client, cast).listed("C1")
    first = client.get("/" + key)
    tag = first.headers["etag"]
    assert first.status_code == 200 and tag.startswith('W/"')
    assert first.headers["cache-control"] == "public, max-age=5" and first.headers["vary"] == "Accept"
    again = client.get("/" + key, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag and again.headers["cache-control"] == "public, max-age=5"
    client.app.state.check_queue.flush()
    assert scan_stats(ledger.engine, key).count == 2  # the 304 is a consumer check too
    assert client.get("/" + key, headers={"If-None-Match": 'W/"other", ' + tag}).status_code == 304
    # A fresh read tags the same record the same way, though the count of checks moved on.
    assert client.get("/" + key).headers["etag"] == tag
    assert client.get("/" + key, headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_a_new_event_changes_the_etag(client, cast):
    story = Story(client, cast)
    key = story.listed("C2")
    tag = client.get("/" + key).headers["etag"]
    json_tag = client.get("/" + key, headers={"Accept": "application/json"}).headers["etag"]
    assert json_tag != tag  # one tag per negotiated answer
    ok(post(client, cast.merchant, key, "sell", {"price": "88.00", "order": "c1:" + "ab" * 16}))
    r = client.get("/" + key, headers={"If-None-Match": tag})
    assert r.status_code == 200 and r.headers["etag"] != tag and "售出" in r.text
    assert client.get("/" + key, headers={"If-None-Match": r.headers["etag"]}).status_code == 304


def test_pages_with_a_review_token_are_not_cached(client, cast):
    key, token = Story(client, cast).delivered("C3")
    r = client.get(f"/{key}?review_token={token}")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store" and "etag" not in r.headers


def test_no_caching_with_max_age_zero(settings):
    from fastapi.testclient import TestClient

    from suyuan.api.app import create_app
    from tests.api.conftest import CAST, Who
    from suyuan.trace.parties.registry import create_party

    with TestClient(create_app(settings.model_copy(update={"scan_page_max_age_seconds": 0}),
                               integrate=False)) as client:
        made = {}
        for name, roles in CAST.items():
            party, secret = create_party(client.app.state.ledger.engine, name=f"{name} 测试有限公司", roles=roles)
            made[name] = Who(party.id, secret)
        from types import SimpleNamespace

        key = Story(client, SimpleNamespace(**made)).listed("C4")
        r = client.get("/" + key)
        assert r.status_code == 200 and r.headers["cache-control"] == "no-cache" and "etag" not in r.headers


def test_a_write_answered_by_another_worker_forgets_the_tags(client, cast, settings):
    """Workers on one host share a stamp file in the data directory: a sibling's write ends this one's 304s."""
    from fastapi.testclient import TestClient

    from suyuan.api.app import create_app

    client.app.state.page_tags.stamp_every = 0  # look at the stamp on every revalidation
    key = Story(client, cast).listed("C5")
    tag = client.get("/" + key).headers["etag"]
    assert client.get("/" + key, headers={"If-None-Match": tag}).status_code == 304
    with TestClient(create_app(settings, integrate=False)) as sibling:
        ok(post(sibling, cast.merchant, key, "sell", {"price": "88.00", "order": "c1:" + "cd" * 16}))
    r = client.get("/" + key, headers={"If-None-Match": tag})
    assert r.status_code == 200 and r.headers["etag"] != tag and "售出" in r.text
