"""windows: the one-pass burst finders agree with a naive reference on random series."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from suyuan.analytics.windows import bursts, distinct_bursts, prefix

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def naive(times, labels, minutes, least):  # noqa: ANN001, ANN201
    """The same windows, each recounted from scratch."""
    found, i = [], 0
    while i < len(times):
        j = i
        while j < len(times) and times[j] - times[i] <= timedelta(minutes=minutes):
            j += 1
        if len({x for x in labels[i:j] if x is not None}) >= least:
            found.append((i, j))
            i = j
        else:
            i += 1
    return found


def test_distinct_bursts_match_the_naive_count():
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randrange(0, 40)
        times = sorted(T0 + timedelta(minutes=rng.uniform(0, 600)) for _ in range(n))
        labels = [rng.choice(["a", "b", "c", "d", "e", None]) for _ in range(n)]
        least, minutes = rng.randrange(1, 5), rng.choice([10, 60, 120])
        assert distinct_bursts(times, labels, minutes, least) == naive(times, labels, minutes, least)


def test_bursts_with_prefix_counts_find_the_first_passing_windows():
    times = [T0 + timedelta(minutes=m) for m in (0, 5, 10, 100, 101, 102, 103, 500)]
    counts = prefix([True, False, True, True, True, True, True, True])
    found = bursts(times, 30, lambda i, j: counts[j] - counts[i] >= 3)
    assert found == [(3, 7)]
