"""Validation against the EPCIS 2.0 JSON schema (GS1, shipped with the package).

`EPCIS-JSON-Schema.json` beside this module is GS1's schema (gs1/EPCIS at
2b888be, licence in `LICENSE.gs1-EPCIS`), the same file the conformance tests
carry. It is checked with `jsonschema-rs`, which also checks the `date-time`
and `uri` formats: a 10,000-event document validates in about a tenth of a
second, where a pure-Python validator takes tens of seconds, longer than the
capture itself. The first error names its place as a JSON pointer.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any

import jsonschema_rs

from suyuan.errors import SchemaViolation

SCHEMA_FILE = "EPCIS-JSON-Schema.json"


def schema() -> dict[str, Any]:
    return json.loads(files("suyuan.epcis").joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Any:
    return jsonschema_rs.validator_for(schema())


def pointer(path: list[Any] | tuple[Any, ...]) -> str:
    """An RFC 6901 JSON pointer for a path of keys and indices."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def check(document: Any, what: str = "document") -> None:
    """Raise SchemaViolation naming the first place where `document` breaks the EPCIS 2.0 schema."""
    validator = _validator()
    if validator.is_valid(document):
        return
    error = next(iter(validator.iter_errors(document)))
    where = pointer(list(error.instance_path))
    raise SchemaViolation(f"Invalid EPCIS {what} at {where or '/'}: {error.message[:300]}.", field=where or "/")


def is_valid(document: Any) -> bool:
    return _validator().is_valid(document)
