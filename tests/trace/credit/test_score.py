"""Scores and levels: weights, severity, decay with age, clean history, the listing, resolution."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from suyuan.trace.credit import marks, score
from suyuan.trace.credit.findings import record_finding
from suyuan.trace.parties.registry import create_party

UTC = timezone.utc


def entry(n: int) -> bytes:
    return hashlib.sha256(str(n).encode()).digest()


def test_levels_follow_the_thresholds(settings):
    assert [score.level_of(s, settings) for s in (100, 85, 84, 70, 69, 50, 49, 0)] == list("AABBCCDD")
    assert score.level_of(100, settings, listed=True) == "D"


def test_marks_weigh_by_kind_and_severity_and_halve_with_age(engine, settings):
    party, _ = create_party(engine, name="m", roles=["merchant"])
    now = datetime.now(UTC)
    with engine.begin() as conn:
        base = score.compute(conn, settings, party.id, now).score
        marks.add(conn, settings, party.id, "breach", "high", entry(1), "417/x", now)
        fresh = score.compute(conn, settings, party.id, now)
        assert base - fresh.score == settings.credit_weights["breach"] * 2  # high: factor 2, no decay yet
        later = score.compute(conn, settings, party.id, now + timedelta(days=settings.credit_half_life_days))
        assert fresh.explanation[0]["weight"] == -24.0
        assert later.explanation[0]["weight"] == -12.0  # one half-life on, half the weight
        marks.resolve(conn, settings, party.id, [entry(1).hex()], entry(2))
        assert score.compute(conn, settings, party.id, now).score == base


def test_a_clean_history_earns_the_bonus_and_upheld_findings_count(engine, settings):
    party, _ = create_party(engine, name="p", roles=["producer"])
    now = datetime.now(UTC)
    with engine.begin() as conn:
        assert score.compute(conn, settings, party.id, now).score == settings.credit_base_score
        year = score.compute(conn, settings, party.id, now + timedelta(days=settings.credit_clean_days))
        assert year.score == settings.credit_base_score + settings.credit_clean_bonus
        assert year.explanation[-1]["kind"] == "clean_history"
        record_finding(conn, type="fake_reviews", reason="ring", score=500, subject_party=party.id,
                       evidence=["ab" * 32], status="open")
        assert score.compute(conn, settings, party.id, now).score == settings.credit_base_score  # open: no weight
        record_finding(conn, type="fake_orders", reason="ring", score=1000, subject_party=party.id,
                       evidence=["cd" * 32], status="upheld", when=now)
        found = score.compute(conn, settings, party.id, now)
        assert found.score == settings.credit_base_score - settings.credit_weights["finding"]
        assert found.level == "C" and found.explanation[0]["kind"] == "finding"


def test_a_changed_half_life_rebuilds_the_sums(engine, settings):
    party, _ = create_party(engine, name="q", roles=["merchant"])
    then = datetime.now(UTC) - timedelta(days=90)
    with engine.begin() as conn:
        marks.add(conn, settings, party.id, "complaint", "medium", entry(3), "417/x", then)
        settings.credit_half_life_days = 90
        halved = score.compute(conn, settings, party.id, then + timedelta(days=90))
        assert halved.explanation[0]["weight"] == -settings.credit_weights["complaint"] / 2
        assert halved.score == round(settings.credit_base_score - settings.credit_weights["complaint"] / 2
                                     + settings.credit_clean_bonus * 90 / settings.credit_clean_days)
