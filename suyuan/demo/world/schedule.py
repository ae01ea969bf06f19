"""Grouping the world's events into atomic batches of one party each, in an order capture allows.

Capture takes one party per batch (`capture_many(..., party=)`), and a
journey passes from party to party, so the writer cannot simply cut the
recorded-order stream into chunks. Within a window of recorded time, each
event waits for the events before it on the goods it touches (its key, a
parcel's items, an item's batch and product); `rounds` then gathers, round
after round, every event whose predecessors are written into one group per
party (a review: per review token). A group's recorded time is the latest of
its events' and of its predecessors' groups', so an entry is never recorded
before one it depends on, and recorded times stay within the window of the
simulated clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from suyuan.demo.world.timeline import Ev


def touched(events: list[Ev]) -> list[list[str]]:
    """The keys each event (in recorded order) reads or moves."""
    contents: dict[str, list[str]] = {}
    out = []
    for ev in events:
        keys = [ev.key]
        if ev.type == "pack":
            contents.setdefault(ev.key, []).extend(ev.data["items"])
            keys += ev.data["items"]
        elif ev.key.startswith("00/"):
            keys += contents.get(ev.key, [])
        elif ev.type == "register" and "/21/" in ev.key:
            keys.append(ev.key.split("/21/")[0])
        elif ev.type == "register" and "/10/" in ev.key:
            keys.append(ev.key.split("/10/")[0])
        out.append(keys)
    return out


def predecessors(events: list[Ev]) -> list[tuple[int, ...]]:
    """For each event, the last earlier events touching any of its keys."""
    last: dict[str, int] = {}
    out = []
    for i, keys in enumerate(touched(events)):
        if events[i].type == "scan":  # a consumer check waits for nothing and holds nothing up
            out.append(())
            continue
        out.append(tuple({last[k] for k in keys if k in last}))
        for k in keys:
            last[k] = i
    return out


def windows(events: list[Ev], span: timedelta, most: int) -> Iterator[tuple[int, int]]:
    """[lo, hi) ranges of the stream, each within `span` of recorded time and at most `most` events."""
    lo = 0
    while lo < len(events):
        hi, first = lo, events[lo].rec
        while hi < len(events) and hi - lo < most and events[hi].rec - first <= span:
            hi += 1
        yield lo, hi
        lo = hi


def group_of(ev: Ev) -> str:
    return ev.party.id if ev.party is not None else "token:" + ev.id


def rounds(events: list[Ev], deps: list[tuple[int, ...]], lo: int, hi: int,
           nows: dict[int, datetime]) -> list[list[list[int]]]:
    """The window's events as rounds of per-party groups (see the module doc); fills `nows`."""
    pending = [i for i in range(lo, hi) if events[i].type != "scan"]
    done: set[int] = set()
    out = []
    while pending:
        groups: dict[str, list[int]] = {}
        placed: dict[int, str] = {}
        rest = []
        for i in pending:
            g = group_of(events[i])
            if all(d < lo or d in done or placed.get(d) == g for d in deps[i]):
                groups.setdefault(g, []).append(i)
                placed[i] = g
            else:
                rest.append(i)
        for members in groups.values():
            now = max(events[i].rec for i in members)
            now = max([now] + [nows[d] for i in members for d in deps[i] if d in nows])
            for i in members:
                nows[i] = now
        if not placed:
            raise RuntimeError(f"events {rest[:3]} wait for events outside the window [{lo}, {hi})")
        done |= placed.keys()
        out.append(list(groups.values()))
        pending = rest
    return out
