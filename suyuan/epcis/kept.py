"""Keeping an EPCIS event's content verbatim in a ledger entry, and giving it back.

The ledger takes no floats (DESIGN.md, "Hash"): every JSON number that is not
a safe integer -- a sensor value of 26.0, a quantity of 200.5 -- is kept as
its shortest decimal string (`repr`, which reads back to the same double), and
a JSON pointer (RFC 6901) to it is listed in `numbers`, so `thaw` gives it back
as a JSON number. Namespace prefixes of user extensions (`example:myField`)
are resolved against the document's `@context` and kept beside the event, so
that the event is given back as the same JSON-LD value.
"""

from __future__ import annotations

import json
from typing import Any

SUYUAN_NS = "https://suyuan.example/epcis/"
# suyuan's own extensions: the typed event, its data, and (in exports) the entries that record it.
OWN_TYPE, OWN_DATA, OWN_ENTRIES = "suyuan:type", "suyuan:data", "suyuan:entries"
SAFE_INT = 2**53 - 1


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def freeze(value: Any, path: str, numbers: list[str]) -> Any:
    """`value` with floats and unsafe integers as decimal strings; their pointers appended to `numbers`."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float) or (isinstance(value, int) and abs(value) > SAFE_INT):
        numbers.append(path)
        return repr(value)
    if isinstance(value, dict):
        return {k: freeze(v, f"{path}/{_escape(k)}", numbers) for k, v in value.items()}
    if isinstance(value, list):
        return [freeze(v, f"{path}/{i}", numbers) for i, v in enumerate(value)]
    return value


def thaw(root: dict[str, Any], numbers: list[str]) -> dict[str, Any]:
    """`root` (a deep copy) with the numbers `freeze` kept as strings given back as JSON numbers."""
    if not numbers:
        return root
    root = json.loads(json.dumps(root))
    for pointer in numbers:
        parts = [_unescape(p) for p in pointer.split("/")[1:]]
        node: Any = root
        try:
            for part in parts[:-1]:
                node = node[int(part)] if isinstance(node, list) else node[part]
            last: Any = int(parts[-1]) if isinstance(node, list) else parts[-1]
            node[last] = json.loads(node[last])
        except (KeyError, IndexError, ValueError, TypeError):
            continue  # a pointer into a field the reader dropped
    return root


# --- namespaces ------------------------------------------------------------------------


def prefixes(context: Any) -> dict[str, str]:
    """The namespace prefixes a JSON-LD `@context` (string, object or list of them) declares."""
    found: dict[str, str] = {}
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, dict):
            found.update({k: v for k, v in item.items() if isinstance(v, str) and not k.startswith("@")})
    return found


def used_prefixes(value: Any, into: set[str]) -> set[str]:
    """The prefixes of every compact IRI used as a key anywhere in `value`."""
    if isinstance(value, dict):
        for k, v in value.items():
            if ":" in k and not k.startswith("@") and "//" not in k:
                into.add(k.split(":", 1)[0])
            used_prefixes(v, into)
    elif isinstance(value, list):
        for v in value:
            used_prefixes(v, into)
    return into
