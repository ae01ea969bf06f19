"""What a scanned line means: the session's payload and the fields each line adds.

A keyboard-wedge scanner types each code as a line. A dispatch line may carry the
parcel's own waybill and weight after the code, `code<TAB>waybill<TAB>weight_g`
(`LINE_FORMAT`); a plain code takes the session's options (`event_payload`).
Both are checked with the server's own payload rules before anything is queued,
so a wrong option fails at once rather than once per scan, long after the
courier walked away.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from suyuan.errors import InputError
from suyuan.timestamps import format_time

ACTIONS = ("dispatch", "transit", "deliver")
LINE_FORMAT = "code<TAB>waybill<TAB>weight_g"
# Payload fields a dispatch line may carry after the code, in order; an empty
# field (or none) takes the session's option.
PER_SCAN: dict[str, tuple[str, ...]] = {"dispatch": ("waybill", "weight_g")}
# Each payload option (argparse dest) and the actions whose payload it sets.
OPTIONS: dict[str, tuple[str, ...]] = {
    "waybill": ("dispatch",), "weight_g": ("dispatch",), "from_region": ("dispatch",),
    "to_region": ("dispatch",), "hub": ("transit",), "region": ("transit", "deliver"),
    "direction": ("transit",), "signed_by": ("deliver",), "recipient": ("dispatch", "deliver"),
}  # fmt: skip
_COMMITMENT = re.compile(r"^hmac-sha256:[0-9a-f]{64}$")
_GRAMS = re.compile(r"^\d{1,10}$")


class UsageError(InputError):
    """A wrong option or combination of options of `suyuan scan` (exit 2)."""


def event_payload(action: str, *, waybill: str | None = None, weight_g: int | None = None,
                  from_region: str | None = None, to_region: str | None = None, hub: str | None = None,
                  region: str | None = None, direction: str | None = None,
                  signed_by: str | None = None, recipient: str | None = None) -> dict[str, Any]:
    """The payload every scan of this session carries, checked before anything is queued.

    A wrong region code would otherwise be refused once per scan, long after
    the courier walked away. A dispatch's waybill and weight may instead come
    on each line (`line_payload`); options of another action are refused.
    """
    if action not in ACTIONS:
        raise UsageError(f"Invalid action {action!r}: expected dispatch, transit or deliver.", field="action")
    given = {"waybill": waybill, "weight_g": weight_g, "from_region": from_region, "to_region": to_region,
             "hub": hub, "region": region, "direction": direction, "signed_by": signed_by,
             "recipient": recipient}
    given = {k: v for k, v in given.items() if v is not None}
    for name in given:
        if action not in OPTIONS[name]:
            raise UsageError(f"Option --{_option(name)} is for --action {' or '.join(OPTIONS[name])}, "
                             f"not {action}: remove it.", field=name)
    if recipient is not None and not _COMMITMENT.match(recipient):
        raise UsageError(f"Invalid --recipient {recipient[:80]!r}: expected the commitment POST /v1/people "
                         "returned for the recipient, hmac-sha256:<64 hex>.", field="recipient")
    data = {("action" if k == "direction" else k): v for k, v in given.items()}
    if action == "transit":
        data.setdefault("action", "arrive")  # said in the entry, not left to the server's default
    # Stand-ins for the fields each line may bring, so the rest is checked now.
    stand_in = {k: v for k, v in {"waybill": "0", "weight_g": 1}.items()
                if k in PER_SCAN.get(action, ()) and k not in data}
    try:
        _check(action, data | stand_in)
    except InputError as exc:
        raise UsageError(f"{str(exc).rstrip('.')}; set it with --{_option(exc.field)}.", field=exc.field) from None
    return data


def line_payload(action: str, session: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """One scan's payload: the session's, with the per-scan fields its line carried after the code.

    `fields` are the line's tab-separated fields after the code. Raises
    InputError (one sentence) for a line that cannot be queued.
    """
    while fields and not fields[-1].strip():
        fields = fields[:-1]  # scanners configured with a Tab suffix
    names = PER_SCAN.get(action, ())
    if fields and not names:
        raise InputError(f"Unexpected text after the code: fields after a tab ({LINE_FORMAT}) are for "
                         f"dispatch only, expected just the code for {action}.", field="line")
    if len(fields) > len(names):
        raise InputError(f"Too many fields on this line: expected {LINE_FORMAT}, got {len(fields) + 1} "
                         "tab-separated fields.", field="line")
    data = dict(session)
    for name, value in zip(names, fields):
        value = value.strip()
        if not value:
            continue
        if name == "weight_g":
            if not _GRAMS.match(value):
                raise InputError(f"Invalid weight_g {value[:40]!r} on this line: expected whole grams, "
                                 "e.g. 1200.", field="weight_g")
            data[name] = int(value)
        else:
            data[name] = value
    if fields or names:
        try:
            _check(action, data)
        except InputError as exc:
            name = (exc.field or "").removeprefix("data.")
            how = (f"put it on the line ({LINE_FORMAT}) or set --{_option(name)}" if name in names
                   else f"set --{_option(name)}")
            raise InputError(f"{str(exc).rstrip('.')}; {how}.", field=exc.field) from None
    return data


def _check(action: str, data: dict[str, Any]) -> None:
    # The payload models are plain pydantic classes; the client checks with
    # the server's own rules rather than a copy that could drift.
    from suyuan.trace.events import payloads as events

    events.parse_payload(events.event_type(action), "item", data)


def _option(name: str | None) -> str:
    name = (name or "").removeprefix("data.")
    return {"action": "direction"}.get(name, name).replace("_", "-")


def scan_time(now: datetime | None = None) -> str:
    """RFC 3339 UTC with seconds: when the code was scanned, not when it reached the server."""
    return format_time(now or datetime.now(timezone.utc))
