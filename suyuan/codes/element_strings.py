"""GS1 element strings: AI data as scanners transmit it and as people read it.

An element string is an AI followed by its data (GS1 General Specifications
§3); several are concatenated, a variable-length field that is not last
ending in FNC1, which scanners transmit as GS (0x1D) (§7.8). The
human-readable interpretation (HRI, §4.15) puts each AI in parentheses:
`(01)06901234567892(10)LOT7`.

biip splits the string (`GS1Message.parse`), knows every AI's format and
validates each field (`GS1ElementString.parse`) and joins fields back into a
message (`GS1Message.from_element_strings`). On top of it suyuan verifies
every key's check digit (`keys.verify_key`), refuses an AI that is repeated
with another value, and reads printed HRI, which may be spaced out, strictly:
a field without data or text between fields is an error, not skipped.
"""

from __future__ import annotations

import re

from biip import ParseError
from biip.gs1_element_strings import GS1ElementString, GS1ElementStrings
from biip.gs1_messages import GS1Message

from suyuan.codes.keys import verify_key
from suyuan.codes.primary_keys import application_identifier
from suyuan.errors import InputError

GS = "\x1d"  # ASCII group separator: how scanners transmit FNC1
SCAN_HINT = (
    "expected a GS1 element string, a GS1 Digital Link URI, "
    "a GTIN (8, 12, 13 or 14 digits) or an SSCC (18 digits)"
)
_NO_MATCH = re.compile(r"^Failed to match '(.*)' with GS1 AI \((\d+)\) pattern", re.S)
_NO_AI = re.compile(r"^Failed to get GS1 Application Identifier from '(.*)'\.$", re.S)
_HRI_FIELD = re.compile(r"\((\d{2,4})\)([^(]*)")


def biip_message(exc: Exception) -> str:
    # biip writes "Expected 7, got 8."; suyuan's messages read "expected A, got B".
    return str(exc).replace(": Expected", ": expected")


def _explain(exc: Exception) -> str:
    """Say which field of an element string failed, in suyuan's words."""
    text = str(exc)
    if match := _NO_MATCH.match(text):
        ai = match.group(2)
        data = match.group(1)[len(ai) :]
        app_id = application_identifier(ai)
        spec = app_id.format.split("+", 1)[-1] if app_id else "?"
        title = app_id.data_title if app_id else ""
        return f"AI ({ai}) {title} expected format {spec}, got {data!r} ({len(data)} characters)."
    if match := _NO_AI.match(text):
        return f"expected a GS1 Application Identifier, got {match.group(1)[:20]!r}."
    return biip_message(exc)


def parse_element(ai: str, data: str, where: str) -> GS1ElementString:
    """One AI's data, validated against its format (§3.2) and its key's check digits (§7.9)."""
    app_id = application_identifier(ai)
    if app_id is None:
        raise InputError(f"Unknown GS1 Application Identifier ({ai}) in {where}.", field="scan")
    try:
        element = GS1ElementString.parse(f"{ai}{data}")
    except ParseError as exc:
        if "date" in str(exc):
            raise InputError(
                f"Invalid date in AI ({ai}) {app_id.data_title}: expected a calendar "
                f"date (YYMMDD, DD may be 00), got {data!r}.",
                field="scan",
            ) from exc
        raise InputError(
            f"Invalid AI ({ai}) {app_id.data_title} value {data!r} in {where}: "
            f"expected format {app_id.format.split('+', 1)[-1]}, got {len(data)} characters "
            "that do not match it.",
            field="scan",
        ) from exc
    verify_key(ai, element.value)
    for error in (element.gtin_error, element.sscc_error, element.gln_error):
        if error:
            raise InputError(biip_message(error), field="scan")
    return element


def element(ai: str, data: str, where: str) -> str:
    """The validated data of one AI (see `parse_element`)."""
    return parse_element(ai, data, where).value


def collect(pairs: list[tuple[str, str]], where: str) -> dict[str, str]:
    """AI pairs into a dict; a repeated AI must repeat its value."""
    elements: dict[str, str] = {}
    for ai, data in pairs:
        if ai in elements and elements[ai] != data:
            raise InputError(
                f"Conflicting values for AI ({ai}) in {where}: "
                f"expected one value, got {elements[ai]!r} and {data!r}.",
                field="scan",
            )
        elements[ai] = data
    return elements


def parse_element_string(text: str) -> dict[str, str]:
    """Parse a GS1 element string, GS-separated, into {AI: value}.

    Variable-length fields not at the end must be followed by GS (0x1D),
    which is how scanners transmit FNC1; a leading GS (FNC1 in first
    position) and a trailing one are tolerated.
    """
    where = "element string"
    body = text.strip(GS)
    if not body:
        raise InputError(f"Empty element string: {SCAN_HINT}.", field="scan")
    if GS * 2 in body:
        raise InputError(
            f"Invalid element string {text!r}: expected one GS between fields, got two in a row.",
            field="scan",
        )
    try:
        message = GS1Message.parse(body)
    except ParseError as exc:
        raise InputError(
            f"Invalid GS1 element string {text[:100]!r}: {_explain(exc)}", field="scan"
        ) from exc
    pairs = [(es.ai.ai, element(es.ai.ai, es.value, where)) for es in message.element_strings]
    return collect(pairs, where)


def parse_hri(text: str) -> dict[str, str]:
    """Parse the human-readable interpretation `(01)...(10)...` into {AI: value}."""
    # Printed HRI puts spaces around the (AI) prefixes; data never holds a
    # space (set 82 has none), so only those spaces go.
    hri = re.sub(r"\s*(\(\d{2,4}\))\s*", r"\1", text.strip())
    pairs: list[tuple[str, str]] = []
    pos = 0
    for match in _HRI_FIELD.finditer(hri):
        if match.start() != pos:
            break
        ai, data = match.groups()
        if not data:
            raise InputError(f"Invalid HRI {text!r}: AI ({ai}) has no data.", field="scan")
        pairs.append((ai, data))
        pos = match.end()
    if not pairs or pos != len(hri):
        raise InputError(
            f"Invalid HRI {text!r}: expected (AI)data(AI)data, "
            f"got unparsable text at position {pos}.",
            field="scan",
        )
    return collect([(ai, element(ai, data, "HRI")) for ai, data in pairs], "HRI")


def message(fields: dict[str, str], where: str = "element string") -> GS1Message:
    """biip's GS1 message of validated fields, in the given order.

    Its `value` is the element string with GS after each variable-length
    field but the last (what a GS1-128 or GS1 DataMatrix carries), its
    `as_hri()` the human-readable interpretation.
    """
    strings = GS1ElementStrings(parse_element(ai, data, where) for ai, data in fields.items())
    return GS1Message.from_element_strings(strings)
