"""`suyuan analyze`: the integrity analytics over the whole ledger, from the command line.

Thin, like the rest of the CLI (`suyuan.cli` hands it the settings and
arguments): it checks the arguments, runs `suyuan.analytics.analyze` with a
progress bar on stderr and prints what it read and found. Rerunning it finds
the findings already stored and creates none (idempotent by fingerprint).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TextIO

from suyuan.config import Settings
from suyuan.errors import InputError


def _types(given: list[str] | None) -> list[str] | None:
    from suyuan.analytics.candidates import TYPES

    for t in given or ():
        if t not in TYPES:
            raise InputError(f"Unknown finding type {t!r}: expected one of {', '.join(TYPES)}.", field="type")
    return list(dict.fromkeys(given)) if given else None


def _since(value: str | None) -> datetime | None:
    from suyuan.timestamps import TimeFormatError, parse_time

    if value is None:
        return None
    try:
        return parse_time(value, "since")
    except TimeFormatError:
        raise InputError(f"Invalid --since {value!r}: expected an RFC 3339 time with offset, e.g. "
                         "2026-11-01T00:00:00+08:00.", field="since") from None


def _by_type(engine) -> dict[str, int]:  # noqa: ANN001
    from suyuan.trace.findings.queries import counts

    out: dict[str, int] = {}
    for (kind, _status), n in counts(engine).items():
        out[kind] = out.get(kind, 0) + n
    return out


def analyze(settings: Settings, args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the detectors (all, or `--type`s) over the ledger, judging what `--since` touched."""
    from suyuan import analytics
    from suyuan.analytics.candidates import TYPES
    from suyuan.courier.progress import ProgressBar
    from suyuan.runtime import initialised_engine

    out = out or sys.stdout
    types, since = _types(args.type), _since(args.since)
    engine = initialised_engine(settings)
    try:
        before = _by_type(engine)
        with ProgressBar(0, "entries and checks", sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done)
            report = analytics.analyze(engine, settings, since=since, types=types, progress=progress)
        after = _by_type(engine)
    finally:
        engine.dispose()
    s = report.stored
    print(f"read {report.entries} entries and {report.checks} consumer checks in {report.seconds:.1f} s", file=out)
    print(f"findings: {s.created} created, {s.updated} updated, {s.unchanged} unchanged", file=out)
    for kind in types or TYPES:
        found = report.by_type.get(kind, 0)
        print(f"  {kind:<15} {found:>7} found  {after.get(kind, 0) - before.get(kind, 0):>7} created", file=out)
    return 0


def add_command(sub: argparse._SubParsersAction, run) -> None:  # noqa: ANN001
    """Register `analyze`; `run` is the CLI's dispatcher, which calls `args.upkeep(settings, args)`."""
    p = sub.add_parser("analyze", help="run the integrity analytics over the ledger (idempotent)")
    p.add_argument("--since", metavar="RFC3339",
                   help="judge only what entries and checks from this time on touch (older ones are context)")
    p.add_argument("--type", action="append", metavar="TYPE",
                   help="only this finding type (repeatable); an unknown one is refused naming the types")
    p.set_defaults(func=run, upkeep=analyze)
