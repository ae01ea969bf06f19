"""Reviews and complaints posted as plain HTML forms from the scan page: the statement each one makes.

A shopper's browser sends no event time and no idempotency id of its own
making: the page embeds a fresh UUID in each form, and the server stamps the
time when the form arrives. The same form posted twice (a double click, a
reload) must be the same statement, so a form whose id was recorded is
stamped with the time of its first post and answered as the retry it is,
not refused as another statement under the same id (409).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine

from suyuan.errors import InputError
from suyuan.ledger.chain import recorded_ids

FORM_FIELDS = {"review": ("rating", "text"), "complain": ("category", "text")}


def first_stamp(engine: Engine, ident: str) -> str | None:
    """The time the first post of this form was stamped with, if it was recorded."""
    with engine.connect().execution_options(readonly=True) as conn:
        row = recorded_ids(conn, [ident]).get(ident)
    if row is None:
        return None
    try:
        stamped = json.loads(bytes(row.canonical))["statement"]["time"]
    except (ValueError, KeyError, TypeError):
        return None
    return stamped if isinstance(stamped, str) else None


def _data(action: str, form: Mapping[str, str]) -> dict[str, Any]:
    if action == "review":
        rating = form.get("rating", "")
        data: dict[str, Any] = {"rating": int(rating) if rating.isdigit() and len(rating) < 3 else rating}
        if form.get("text"):
            data["text"] = form["text"]
        return data
    return {"category": form.get("category", ""), "text": form.get("text", "")}


def form_statement(engine: Engine, action: str, form: Mapping[str, str],
                   now: datetime | None = None) -> dict[str, Any]:
    """The statement a review or complaint form makes (`form`: its stripped fields key, id, rating, ...).

    The payload is checked later, by capture, like any other statement's.
    """
    if action not in FORM_FIELDS:
        raise InputError(f"Invalid form action {action[:20]!r}: expected review or complain.", field="action")
    try:
        ident = str(uuid.UUID(form.get("id", "")))
    except ValueError:
        ident = str(uuid.uuid4())
    stamped = first_stamp(engine, ident)
    when = stamped or (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"key": form.get("key", ""), "type": action, "time": when, "actor": None,
            "data": _data(action, form), "id": ident}
