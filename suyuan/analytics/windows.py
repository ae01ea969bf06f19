"""Bursts in time: the windows of a time-sorted series that pass a test, found in one pass.

Detectors of brushing, fake reviews and cloned codes all ask "is there a
window of N minutes in which enough happened?". `bursts` answers the
earliest such windows, not overlapping: each window starts at an element
and holds every element up to `minutes` after it; once one passes, the next
search starts after it, so one burst is one finding, and the same series
gives the same windows (a burst's first element is its stable anchor).
Linear: the test sees the window's bounds, and callers keep prefix counts
or a running count of distinct labels (`distinct_bursts`) rather than
rescanning it.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Callable, Hashable, Sequence


def bursts(times: Sequence[datetime], minutes: float, ok: Callable[[int, int], bool]) -> list[tuple[int, int]]:
    """Windows [i, j) of sorted `times`, each within `minutes` of times[i], for which ok(i, j); earliest first."""
    span, found, i, j, n = timedelta(minutes=minutes), [], 0, 0, len(times)
    while i < n:
        j = max(j, i)
        while j < n and times[j] - times[i] <= span:
            j += 1
        if ok(i, j):
            found.append((i, j))
            i = j
        else:
            i += 1
    return found


def distinct_bursts(times: Sequence[datetime], labels: Sequence[Hashable], minutes: float,
                    least: int) -> list[tuple[int, int]]:
    """Windows as `bursts` finds them holding at least `least` distinct labels (None labels count for none)."""
    span, found, seen = timedelta(minutes=minutes), [], Counter()
    i, j, n = 0, 0, len(times)
    while i < n:
        if j < i:  # a burst ended before i: start afresh
            j, seen = i, Counter()
        while j < n and times[j] - times[i] <= span:
            if labels[j] is not None:
                seen[labels[j]] += 1
            j += 1
        if len(seen) >= least:
            found.append((i, j))
            i, seen = j, Counter()
            continue
        _drop(seen, labels[i])
        i += 1
    return found


def _drop(seen: Counter, label: Hashable) -> None:
    if label is not None:
        seen[label] -= 1
        if seen[label] <= 0:
            del seen[label]


def prefix(flags: Sequence[bool]) -> list[int]:
    """Running counts of true flags: flags[i:j] holds prefix[j] - prefix[i] of them."""
    out = [0]
    for f in flags:
        out.append(out[-1] + (1 if f else 0))
    return out
