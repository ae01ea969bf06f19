"""GS1 Digital Link URIs (URI Syntax 1.4): parsed to a typed result, and built for a ledger key.

A Digital Link URI is `scheme://host[/stem]/<key AI>/<key>[/<qualifier AI>/<value>...]`
followed by an optional query string of data attributes (`?17=261231`) and
other parameters (`linkType=...`). `parse_digital_link` accepts every primary
key of the standard (`suyuan.codes.primary_keys`), not only the GTINs and
SSCCs suyuan keys its ledger by: the result says what the URI names and, in
the paired fields `key` / `key_error`, the ledger key or why there is none.

The rules follow the standard as the GS1 reference implementation
(gs1/gs1-syntax-engine, `gs1_parseDLuri`) applies them; the cases are in
tests/codes/test_digital_link.py:

- only URI characters; scheme `http` or `https`, in lower or upper case;
  a host, without characters a host name cannot hold;
- the path info starts at the rightmost `/<primary key AI>/<value>` reached
  by stepping back over `/AI/value` pairs from the end: whatever comes before
  is the stem, however many key-like segments it has; the path does not end
  in `/`; a GTIN in the path has 14 digits;
- each path value is percent-decoded after splitting on `/`, and `+` in a
  path is a plus sign; in the query string `+` is a space (which no GS1 AI
  holds), so a plus sign there is written `%2B`;
- qualifiers follow their key's sequence; a query parameter named by digits
  is an AI: known, once per URI, a permitted data attribute, not a qualifier
  the path could hold, its value valid; other parameters are kept, unread;
- every value is validated by biip and every key's check digits verified.

biip's own `GS1DigitalLinkURI.parse` enforces few of these (it takes the
leftmost key, keeps the last of repeated AIs, mixes qualifier alternatives,
pads short GTINs, skips unknown AIs), so they are checked here; biip
validates every element string and builds the URIs.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import unquote, urlsplit

from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementString, GS1ElementStrings

from suyuan.codes.element_strings import parse_element
from suyuan.codes.keys import ledger_key, split_key
from suyuan.codes.primary_keys import (
    LEGACY_NAMES,
    NAMED_PATHS,
    PRIMARY_KEYS,
    application_identifier,
    belongs_in_path,
    is_data_attribute,
    is_sequence,
    qualifier_rule,
)
from suyuan.errors import InputError

# RFC 3986 characters (gs1-syntax-engine `uriCharacters`); anything else must be percent-encoded.
_URI_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%")
# URI characters that cannot be in a host (gs1-syntax-engine `badDomainCharacters`).
_NOT_IN_HOST = frozenset("_~?#@!$&'()*+,;=%")

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DigitalLink:
    """A GS1 Digital Link URI's content, and the ledger key it names or why it names none.

    `key` and `key_error` are paired: exactly one is set. `path` holds the
    primary key and its qualifiers and `attributes` the query's data
    attributes, (AI, decoded value) in the URI's order; `extensions` the
    other query parameters as written. `element_strings` is biip's view of
    the same data (`GS1DigitalLinkURI(...).as_canonical_uri()` and so on).
    """

    value: str  # the URI, unchanged
    stem: str  # scheme, host and any path before the primary key
    path: Pairs
    attributes: Pairs = ()
    extensions: tuple[str, ...] = ()
    element_strings: tuple[GS1ElementString, ...] = ()
    key: str | None = None
    key_error: str | None = None

    @property
    def primary_key(self) -> str:
        return self.path[0][0]

    @property
    def name(self) -> str:
        """What the URI identifies: `GTIN`, `SSCC`, `GIAI`, ..., or `UPUI`, `FID`, `EOID`, `MID`."""
        pair = tuple(ai for ai, _ in self.path)
        return NAMED_PATHS.get(pair, PRIMARY_KEYS[self.primary_key].name)

    @property
    def qualifiers(self) -> dict[str, str]:
        return dict(self.path[1:])

    @property
    def elements(self) -> dict[str, str]:
        """Every AI of the URI with its value: path first, then the data attributes."""
        return dict(self.path + self.attributes)

    @cached_property
    def canonical(self) -> str:
        """The canonical form on id.gs1.org (URI Syntax: canonical GS1 Digital Link URI), by biip."""
        return GS1DigitalLinkURI(self.value, GS1ElementStrings(self.element_strings)).as_canonical_uri()


def parse_digital_link(uri: str) -> DigitalLink:
    """Parse a GS1 Digital Link URI; raise InputError when it breaks a rule of the standard."""
    where = f"Digital Link URI {uri[:200]!r}"
    path_start = _authority(uri, where)
    rest = uri[path_start:].partition("#")[0]  # a fragment is not sent to the server
    path, _, query = rest.partition("?")
    info_start, info = _path_info(path, where)
    path_elements = _path_elements(info, where)
    path_pairs = tuple((ai, es.value) for ai, es in path_elements)
    attribute_elements, extensions = _query(query, path_pairs, where)
    attributes = tuple((ai, es.value) for ai, es in attribute_elements)
    try:
        key, key_error = ledger_key(path_pairs[0][0], dict(path_pairs + attributes)), None
    except InputError as exc:
        key, key_error = None, str(exc)
    return DigitalLink(
        value=uri, stem=uri[:path_start] + path[:info_start], path=path_pairs,
        attributes=attributes, extensions=extensions,
        element_strings=tuple(es for _, es in path_elements + attribute_elements),
        key=key, key_error=key_error,
    )  # fmt: skip


def _authority(uri: str, where: str) -> int:
    """Check the characters, scheme and host; return where the path begins."""
    bad = next((i for i, char in enumerate(uri) if char not in _URI_CHARACTERS), None)
    if bad is not None:
        raise InputError(
            f"Invalid {where}: expected only URI characters (anything else percent-encoded), "
            f"got {uri[bad]!r} at position {bad}.",
            field="scan",
        )
    scheme, sep, rest = uri.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        got = repr(scheme) if sep else "none"
        raise InputError(f"Invalid {where}: expected scheme http or https, got {got}.", field="scan")
    if scheme not in (scheme.lower(), scheme.upper()):
        raise InputError(
            f"Invalid {where}: expected scheme http or https in one case, got {scheme!r}.",
            field="scan",
        )
    host, slash, _ = rest.partition("/")
    if not host or not slash or any(char in _NOT_IN_HOST for char in host):
        got = f", got {host!r}" if host and slash else ""
        raise InputError(f"Invalid {where}: expected a host name, then the path{got}.", field="scan")
    try:
        urlsplit(uri).port  # noqa: B018  # an unclosed IPv6 bracket or a bad port raise here
    except ValueError as exc:
        raise InputError(f"Invalid {where}: {exc}.", field="scan") from exc
    return len(scheme) + 3 + len(host)


def _root(segments: list[str]) -> int | None:
    """Index of the primary key: step back over /AI/value pairs from the end (reference rule)."""
    i = len(segments) - 2
    while i >= 0 and application_identifier(segments[i]) is not None:
        if segments[i] in PRIMARY_KEYS:
            return i
        i -= 2
    return None


def _path_info(path: str, where: str) -> tuple[int, list[str]]:
    """(where the path info starts in `path`, its segments: key AI, value, qualifier AI, ...)."""
    segments = path.split("/")[1:]
    trailing = len(segments) > 1 and segments[-1] == ""
    root = _root(segments[:-1] if trailing else segments)
    if root is None:
        raise _no_primary_key(segments[:-1] if trailing else segments, where)
    if trailing:
        raise InputError(
            f"Invalid {where}: expected the path to end in a value, got a trailing '/'.",
            field="scan",
        )
    return sum(len(segment) + 1 for segment in segments[:root]), segments[root:]


def _no_primary_key(segments: list[str], where: str) -> InputError:
    legacy = next((seg for seg in segments if seg in LEGACY_NAMES), None)
    keys = [i for i, seg in enumerate(segments) if seg in PRIMARY_KEYS]
    if legacy is not None and not keys:
        return InputError(
            f"Invalid {where}: the alphabetic AI {legacy!r} is deprecated since Digital Link "
            f"URI Syntax 1.2, expected the numeric AI {LEGACY_NAMES[legacy]!r}.",
            field="scan",
        )
    if not keys:
        return InputError(
            f"Invalid {where}: expected a primary key such as /01/<GTIN> or /00/<SSCC> in the path.",
            field="scan",
        )
    info = segments[keys[-1]:]
    if len(info) % 2:
        return InputError(
            f"Invalid {where}: expected /AI/value pairs after the primary key ({info[0]}), "
            f"got {len(info)} segments.",
            field="scan",
        )
    unknown = next((seg for seg in info[2::2] if application_identifier(seg) is None), info[-2])
    return InputError(
        f"Invalid {where}: expected /AI/value pairs after the primary key ({info[0]}), "
        f"got {unknown!r}, which is no GS1 Application Identifier.",
        field="scan",
    )


def _decode(raw: str, where: str, *, query: bool) -> str:
    """Percent-decode one value (after splitting); in a query `+` is a space first."""
    try:
        value = unquote(raw.replace("+", " ") if query else raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"Invalid percent-encoding {raw!r} in {where}: expected UTF-8 octets.", field="scan"
        ) from exc
    if "\x00" in value:
        raise InputError(f"Invalid {where}: expected no NUL (%00) in {raw!r}.", field="scan")
    return value


def _path_elements(info: list[str], where: str) -> list[tuple[str, GS1ElementString]]:
    pairs = [(info[i], _decode(info[i + 1], where, query=False)) for i in range(0, len(info), 2)]
    empty = next((ai for ai, value in pairs if not value), None)
    if empty is not None:
        raise InputError(f"Invalid {where}: AI ({empty}) has an empty value.", field="scan")
    key, key_value = pairs[0]
    if key == "01" and key_value.isdigit() and len(key_value) in (8, 12, 13):
        raise InputError(
            f"Invalid GTIN {key_value!r} in {where}: a GTIN in a Digital Link path "
            f"must have 14 digits, expected {key_value.zfill(14)!r}, "
            f"got {len(key_value)} digits.",
            field="scan",
        )
    qualifiers = [ai for ai, _ in pairs[1:]]
    if not is_sequence(key, qualifiers):
        raise _qualifier_error(key, qualifiers, where)
    return [(ai, parse_element(ai, value, where)) for ai, value in pairs]


def _qualifier_error(key: str, qualifiers: list[str], where: str) -> InputError:
    allowed = [ai for sequence in PRIMARY_KEYS[key].qualifiers for ai in sequence]
    stray = next((ai for ai in qualifiers if ai not in allowed), None)
    if stray is None:
        return InputError(f"Invalid {where}: {qualifier_rule(key, qualifiers)}.", field="scan")
    if is_data_attribute(stray):
        hint = "expected it as a query parameter"
    elif allowed:
        hint = f"expected only ({'), ('.join(allowed)})"
    else:
        hint = "which takes no key qualifiers"
    return InputError(
        f"Invalid {where}: ({stray}) is not a key qualifier of ({key}), {hint}.", field="scan"
    )


def _query(
    query: str, path: Pairs, where: str
) -> tuple[list[tuple[str, GS1ElementString]], tuple[str, ...]]:
    """The query's data attributes, validated, and its other parameters as written."""
    attributes: list[tuple[str, GS1ElementString]] = []
    extensions: list[str] = []
    for param in query.split("&"):
        name, equals, raw = param.partition("=")
        if not param:
            continue  # "&&" and a bare "?" carry nothing
        if not equals or not name or not name.isdigit():
            extensions.append(param)  # not GS1 data: linkType, a singleton, ...
            continue
        seen = [ai for ai, _ in path] + [ai for ai, _ in attributes]
        _check_attribute(name, raw, path, seen, where)
        attributes.append((name, _attribute_element(name, raw, where)))
    return attributes, tuple(extensions)


def _check_attribute(ai: str, raw: str, path: Pairs, seen: list[str], where: str) -> None:
    key, qualifiers = path[0][0], [q for q, _ in path[1:]]
    if ai in seen:
        what = "a key or key qualifier already in the path" if ai in dict(path) else "repeated"
        raise InputError(f"Invalid {where}: ({ai}) is {what}, expected each AI once.", field="scan")
    app_id = application_identifier(ai)
    if app_id is None:
        raise InputError(f"Unknown GS1 Application Identifier ({ai}) in {where}.", field="scan")
    if belongs_in_path(key, qualifiers, ai):
        raise InputError(
            f"Invalid {where}: ({ai}) is a key or key qualifier, "
            "expected it in the path, not the query string.",
            field="scan",
        )
    if not is_data_attribute(ai):
        raise InputError(
            f"Invalid {where}: ({ai}) {app_id.data_title} is not permitted as a data attribute.",
            field="scan",
        )
    if not raw:
        raise InputError(f"Invalid {where}: AI ({ai}) has an empty value.", field="scan")


def _attribute_element(ai: str, raw: str, where: str) -> GS1ElementString:
    value = _decode(raw, where, query=True)
    if ai == "01" and value.isdigit() and len(value) in (8, 12, 13):
        value = value.zfill(14)  # a GTIN-8/12/13 attribute is padded (as the reference does)
    try:
        return parse_element(ai, value, where)
    except InputError as exc:
        if "+" not in raw:
            raise
        raise InputError(
            f"{str(exc).rstrip('.')}; in a query string '+' is a space, write %2B for a plus sign.",
            field="scan",
        ) from exc


# --- building ----------------------------------------------------------------------


def digital_link_uri(key: str, resolver_base: str, attributes: dict[str, str] | None = None) -> str:
    """The GS1 Digital Link URI of ledger key `key` on `resolver_base` (any http(s) host and prefix).

    biip builds it: the key, then a consumer product variant (22) in the path
    before the lot, as the URI Syntax orders a GTIN's qualifiers; other
    attributes become query parameters, sorted by AI.
    """
    fields = split_key(key)
    scheme, host, prefix = _resolver_base(resolver_base)
    attrs = dict(attributes or {})
    for ai in attrs:
        _check_key_attribute(key, ai)
    strings = GS1ElementStrings(
        parse_element(ai, value, "attributes") for ai, value in {**fields, **attrs}.items()
    )
    uri = GS1DigitalLinkURI.from_element_strings(strings).as_uri(domain=host, prefix=prefix or None)
    return scheme + uri.removeprefix("https")


def _resolver_base(resolver_base: str) -> tuple[str, str, str]:
    """(scheme, host, path prefix without its slashes) of a resolver base URL."""
    base = resolver_base.rstrip("/") if isinstance(resolver_base, str) else ""
    try:
        parts = urlsplit(base)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or parts.query or parts.fragment:  # fmt: skip
        raise InputError(
            f"Invalid resolver base {resolver_base!r}: expected an http(s) URL such as "
            "'https://id.example.com' with an optional path prefix.",
            field="resolver_base",
        )
    clash = [segment for segment in parts.path.split("/") if segment in PRIMARY_KEYS]
    if clash:
        # The standard's parser steps back from the end and finds the right key, but a
        # parser reading left to right (biip's, for one) takes the first such segment.
        raise InputError(
            f"Invalid resolver base {resolver_base!r}: expected a path prefix without "
            f"a GS1 key AI as a segment, got {clash[0]!r}.",
            field="resolver_base",
        )
    return parts.scheme, parts.netloc, parts.path.strip("/")


def _check_key_attribute(key: str, ai: str) -> None:
    if not isinstance(ai, str) or not ai.isdigit():
        raise InputError(f"Invalid attribute {ai!r}: expected a numeric GS1 AI.", field="attributes")
    primary, *qualifiers = key.split("/")[::2]
    if ai == "22" and primary == "01":
        return  # a consumer product variant goes into the path
    if ai in PRIMARY_KEYS or belongs_in_path(primary, qualifiers, ai):
        raise InputError(
            f"Invalid attribute ({ai}): it is a key or key qualifier, expected it in the key.",
            field="attributes",
        )
    app_id = application_identifier(ai)
    if app_id is not None and not is_data_attribute(ai):
        raise InputError(
            f"Invalid attribute ({ai}) {app_id.data_title}: expected a GS1 AI that may be a "
            "Digital Link data attribute.",
            field="attributes",
        )
