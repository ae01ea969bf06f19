"""GS1 Digital Link URIs (URI Syntax 1.4) against a table of rules, each row citing its source.

Sources: "ref" is the GS1 reference implementation, gs1/gs1-syntax-engine
(`src/c-lib/dl.c`: `gs1_parseDLuri` and its unit test `test_dl_parseDLuri`,
whose case comments are quoted); "dict" the GS1 Barcode Syntax Dictionary it
reads (`dlpkey` gives a primary key's qualifier sequences, the flag `?` the
permitted data attributes); "ABNF" the URI Syntax grammar; "GS" the GS1
General Specifications. The row passes only if suyuan accepts what the
reference accepts and refuses what it refuses; suyuan's messages are its own.
"""

from __future__ import annotations

import random
import re

import pytest
from biip import ParseError
from biip.gs1_digital_link_uris import GS1DigitalLinkURI

from suyuan.codes.digital_link import DigitalLink, digital_link_uri, parse_digital_link
from suyuan.codes.keys import split_key
from suyuan.codes.primary_keys import PRIMARY_KEYS
from suyuan.errors import InputError


def check_digit(payload: str) -> str:
    """GS1 mod-10 (General Specifications §7.9.1), written out as the naive reference."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return str((10 - total % 10) % 10)


def with_check(payload: str) -> str:
    return payload + check_digit(payload)


GTIN = "09520123456788"  # the URI Syntax's example GTIN
SSCC = "106141411234567897"
GLN = with_check("952123454321")
NOT_KEYED = "suyuan keys its ledger by GTIN (01) and SSCC (00) only."
A = "https://example.com"


def ok(uri: str, rule: str, **expect):
    return pytest.param(uri, expect, None, id=f"ok: {rule}")


def bad(uri: str, error: str, rule: str):
    return pytest.param(uri, None, error, id=f"bad: {rule}")


TABLE = [
    # --- schemes ----------------------------------------------------------------
    ok(f"http://a/00/{SSCC}", "ref 'http'", key=f"00/{SSCC}"),
    ok(f"HTTP://a/00/{SSCC}", "ref 'HTTP'", key=f"00/{SSCC}"),
    ok(f"https://a/00/{SSCC}", "ref 'https'", key=f"00/{SSCC}"),
    ok(f"HTTPS://a/00/{SSCC}", "ref 'HTTPS'", key=f"00/{SSCC}"),
    bad(f"HtTp://a/b/00/{SSCC}", "expected scheme http or https in one case, got 'HtTp'",
        "ref 'Mixed-case scheme forbidden'"),
    bad(f"ftp://a/00/{SSCC}", "expected scheme http or https, got 'ftp'", "ref 'ftp://'; ABNF scheme"),
    bad(f"a/00/{SSCC}", "expected scheme http or https, got none", "ref: a URI has a scheme"),
    bad(f"https://a/01/{GTIN}/10/AB C", "expected only URI characters", "ref: only URI characters"),
    bad(f"https://溯源.cn/01/{GTIN}", "expected only URI characters", "ref: a host is ASCII (punycode)"),
    # --- hosts --------------------------------------------------------------------
    bad(f"https:///01/{GTIN}", "expected a host name", "ref 'No domain'"),
    bad(f"https://00/{SSCC}", "expected a primary key", "ref 'No domain': 00 is the host"),
    bad("http://a", "expected a host name, then the path", "ref 'No path info': no path at all"),
    ok(f"https://xn--fsq.xn--0zwm56d/01/{GTIN}", "ref 'Puny code'", key=f"01/{GTIN}"),
    ok(f"https://a./01/{GTIN}", "ref 'Explicit FQDN'", key=f"01/{GTIN}"),
    ok(f"https://a:65535/01/{GTIN}", "ref 'Port specified'", key=f"01/{GTIN}"),
    ok(f"https://192.0.2.1/01/{GTIN}", "ref 'IPv4'", key=f"01/{GTIN}"),
    ok(f"https://[2001:db8::1]/01/{GTIN}", "ref 'IPv6'", key=f"01/{GTIN}"),
    bad(f"https://[fe80::1%25lo]/01/{GTIN}", "expected a host name", "ref 'IPv6 zone identifiers not useful'"),
    bad(f"https://$a/01/{GTIN}", "expected a host name", "ref 'Bad character in domain'"),
    bad(f"https://user@a/01/{GTIN}", "expected a host name", "ref: '@' (user info) is no host character"),
    bad(f"http://[::1/01/{GTIN}", "Invalid Digital Link URI", "RFC 3986 IP-literal: an unclosed bracket"),
    # --- path stems -------------------------------------------------------------
    ok(f"https://a/stem/00/{SSCC}", "ref 'Custom stem'", stem="https://a/stem", key=f"00/{SSCC}"),
    ok(f"https://a/more/stem/00/{SSCC}", "ref 'Custom stem', two segments", stem="https://a/more/stem"),
    ok(f"https://a/00/faux/00/{SSCC}", "ref 'Fake AI in stem, stop at rightmost key'",
       stem="https://a/00/faux", key=f"00/{SSCC}"),
    ok(f"https://a/10/x/01/{GTIN}/10/L1", "ref: stepping back over /AI/value pairs from the end",
       stem="https://a/10/x", key=f"01/{GTIN}/10/L1"),
    ok(f"https://brand.example.com/some-extra/pathinfo/01/{GTIN}", "ref: the standard's stem example",
       stem="https://brand.example.com/some-extra/pathinfo"),
    bad("http://a/b", "expected a primary key", "ref 'No path info'"),
    bad("http://a/", "expected a primary key", "ref 'Pathelogical minimal domain but no AI info'"),
    bad(f"https://a/gtin/{GTIN}", "the alphabetic AI 'gtin' is deprecated",
        "ref: convenience alphas off by default (deprecated since URI Syntax 1.2)"),
    bad(f"https://a/01/{GTIN}/10", "expected /AI/value pairs after the primary key (01), got 3 segments",
        "ABNF: the path info is /AI/value pairs"),
    bad(f"https://a/01/{GTIN}/89/X", "got '89', which is no GS1 Application Identifier",
        "ref: unknown AI (89) in the path"),
    bad(f"https://a/01/{GTIN}/10/", "got 3 segments", "ABNF: a qualifier without its value, then '/'"),
    # --- trailing slashes, query and fragment delimiters ------------------------------
    bad(f"https://a/stem/00/{SSCC}/", "got a trailing '/'", "ref \"Can't end in slash\""),
    ok(f"https://a/stem/00/{SSCC}?", "ref 'Empty query params'", attributes=()),
    ok(f"https://a/01/{GTIN}/22/test/10/abc/21/xyz#", "ref 'Empty fragment after path info'",
       key=f"01/{GTIN}/10/abc/21/xyz"),
    ok(f"https://a/01/{GTIN}/10/abc#fragment", "ref 'Ignore fragment after path info'", key=f"01/{GTIN}/10/abc"),
    ok(f"https://a/stem/00/{SSCC}?99=ABC#fragment", "ref 'Ignore fragment after query info'",
       attributes=(("99", "ABC"),)),
    ok(f"https://a/01/{GTIN}?&&&99=ABC&&&&&&98=XYZ&&&", "ref 'Extraneous query param separators'",
       attributes=(("99", "ABC"), ("98", "XYZ"))),
    # --- percent and '+' encoding ---------------------------------------------------------
    ok(f"https://a/01/{GTIN}/22/ABC%2d123?99=ABC&98=XYZ%2f987", "ref 'Percent escaped values'",
       elements={"01": GTIN, "22": "ABC-123", "99": "ABC", "98": "XYZ/987"}),
    ok(f"https://a/01/{GTIN}/22/ABC+123", "ref '\"+\" means \"+\" in path info'", qualifiers={"22": "ABC+123"}),
    bad(f"https://a/01/{GTIN}?98=XYZ+987", "in a query string '+' is a space, write %2B",
        "ref '\"+\" means \" \"' in query info"),
    ok(f"https://a/01/{GTIN}?98=XYZ%2B987", "ref URIescape: '+' is written %2B", attributes=(("98", "XYZ+987"),)),
    ok(f"https://id.gs1.org/414/{GLN}/254/32a%2Fb", "ref: decoded after splitting on '/' (spec example)",
       qualifiers={"254": "32a/b"}),
    ok(f"https://a/01/{GTIN}/21/A%4gB", "ref URIunescape 'Non hex digit': kept as written",
       key=f"01/{GTIN}/21/A%254gB"),
    bad(f"https://a/01/{GTIN}/21/A%00B", "expected no NUL", "ref URIunescape: '\\0 is trapped'"),
    bad(f"https://a/01/{GTIN}/21/%FF", "Invalid percent-encoding '%FF'", "GS 7.11: set 82 is ASCII"),
    # --- a GTIN in the path has 14 digits -----------------------------------------------------
    bad("https://a/01/2112345678900", "must have 14 digits, expected '02112345678900', got 13",
        "ref: zero-suppressed GTINs off by default (GTIN-13)"),
    bad("https://a/01/416000336108", "got 12 digits", "ref: zero-suppressed GTINs off by default (GTIN-12)"),
    bad("https://a/01/02345673", "got 8 digits", "ref: zero-suppressed GTINs off by default (GTIN-8)"),
    ok("https://example.com/8004/9520614141234567?01=9520123456788",
       "ref 'Special handling of AI (01) to pad' in the query", name="GIAI",
       attributes=(("01", "09520123456788"),), key=None),
    # --- duplicate AIs ---------------------------------------------------------------------------
    bad(f"https://id.gs1.org/01/{GTIN}/10/ABC123?99=XYZ789&01={GTIN}", "(01) is a key or key qualifier already",
        "ref 'Forbid duplicate AIs': the key"),
    bad(f"https://id.gs1.org/01/{GTIN}/10/ABC123?10=ABC123", "(10) is a key or key qualifier already",
        "ref 'Forbid duplicate AIs': a qualifier"),
    bad(f"https://id.gs1.org/01/{GTIN}?99=XYZ789&99=XYZ789", "(99) is repeated", "ref 'Forbid duplicate AIs': attributes"),
    # --- which AIs qualify which key, in which order (dict dlpkey) -------------------------------------
    ok(f"https://a/01/{GTIN}/22/TEST/10/ABC/21/XYZ", "dict 01 dlpkey=22,10,21", name="GTIN",
       key=f"01/{GTIN}/10/ABC/21/XYZ", attributes=()),
    ok(f"https://a/01/{GTIN}/22/V1/21/S1", "dict 01 22,10,21: any of them, in order", key=f"01/{GTIN}/21/S1"),
    ok(f"https://a/01/{GTIN}/235/TEST", "dict 01 dlpkey=...|235 (ABNF upui-path)", name="UPUI",
       qualifiers={"235": "TEST"}, key=None),
    bad(f"https://a/01/{GTIN}/21/123/10/ABC", "key qualifiers must follow the order 22, 10, 21, got 21, 10",
        "dict 'invalid (bad order)'"),
    bad(f"https://a/01/{GTIN}/10/ABC/22/2A", "got 10, 22", "dict 'invalid (bad order)': 22 first"),
    bad(f"https://a/01/{GTIN}/10/A/10/B", "got 10, 10", "dict: each qualifier once"),
    bad(f"https://a/01/{GTIN}/22/A/10/B/235/C", "(or 235 alone)", "dict \"invalid (don't mix)\""),
    ok(f"https://a/8006/{with_check('9521234567890')}0102/22/V/10/L/21/S", "dict 8006 dlpkey=22,10,21",
       name="ITIP"),
    bad(f"https://a/8006/{with_check('9521234567890')}0102/235/T", "(235) is not a key qualifier of (8006)",
        "dict: 235 qualifies 01 only"),
    bad(f"https://a/8006/{with_check('9521234567890')}0302", "Invalid ITIP piece 03 of 02",
        "dict 8006 N4,pieceoftotal"),
    ok("https://a/8010/95212345PART/8011/123", "dict 8010 dlpkey=8011", name="CPID"),
    ok(f"https://a/414/{GLN}/254/1", "dict 414 dlpkey=254|7040, first alternative", name="GLN"),
    ok(f"https://a/414/{GLN}/7040/1A2B", "dict 414 dlpkey=254|7040 (ABNF fid-path)", name="FID"),
    bad(f"https://a/414/{GLN}/254/1/7040/1A2B", "key qualifiers must follow the order 254, got 254, 7040",
        "dict 414 254|7040: alternatives, not both"),
    ok(f"https://a/415/{GLN}/8020/INV42", "dict 415 dlpkey=8020", name="GLN of the invoicing party"),
    ok(f"https://a/417/{GLN}/7040/1A2B", "dict 417 dlpkey=7040 (ABNF eoid-path)", name="EOID"),
    ok("https://a/8004/9521234ASSET1/7040/1A2B", "dict 8004 dlpkey=7040 (ABNF mid-path)", name="MID"),
    ok(f"https://a/8017/{with_check('95212345678901234')}/8019/1", "dict 8017 dlpkey=8019",
       name="GSRN of a service provider"),
    ok("https://a/8018/123456789012345675/8019/123", "ref 8018 with 8019", name="GSRN of a service recipient"),
    bad(f"https://id.gs1.org/00/{SSCC}/10/A", "(10) is not a key qualifier of (00), expected it as a query",
        "dict 00 dlpkey: no qualifiers"),
    bad(f"https://a/253/{with_check('952123456789')}/21/1", "(21) is not a key qualifier of (253), which takes no",
        "dict 253 dlpkey: no qualifiers"),
    bad(f"https://a/01/{GTIN}/17/261231", "(17) is not a key qualifier of (01), expected it as a query parameter",
        "ABNF: data attributes go in the query string"),
    # --- every key's check digits are verified ------------------------------------------------------
    bad(f"https://a/01/{GTIN[:-1]}9", "Invalid GTIN check digit", "GS 7.9.1 GTIN in a path"),
    bad(f"https://a/253/{GLN[:-1]}0ABC", "Invalid GDTI check digit", "dict 253 N13,csum"),
    bad(f"https://a/402/{with_check('9521234567890123')[:-1]}0", "Invalid GSIN check digit", "dict 402 N17,csum"),
    bad(f"https://a/8003/0{GLN[:-1]}0S1", "Invalid GRAI check digit", "dict 8003 N1,zero N13,csum"),
    bad("https://a/8013/1987654Ad4X4bL5ttr2310cXK", "Invalid GMN check characters", "ref lint_csumalpha"),
    bad(f"https://a/414/{GLN[:-1]}0", "Invalid GLN check digit", "dict 414 N13,csum"),
    # --- data attributes in the query string (dict '?') ---------------------------------------------------
    ok(f"https://id.gs1.org/01/{GTIN}/10/ABC1/21/12345?17=180426", "ref: the standard's example",
       attributes=(("17", "180426"),), key=f"01/{GTIN}/10/ABC1/21/12345"),
    ok(f"https://example.com/01/{GTIN}?3103=000195&3922=0299&17=201225", "ref: the standard's example of three attributes",
       attributes=(("3103", "000195"), ("3922", "0299"), ("17", "201225"))),
    ok(f"https://id.gs1.org/00/952012345678912345?02={GTIN}&37=25&10=ABC123",
       "ref: (10) is a data attribute of an SSCC", key="00/952012345678912345",
       attributes=(("02", GTIN), ("37", "25"), ("10", "ABC123"))),
    bad(f"https://example.com/01/{GTIN}?10=ABC123", "(10) is a key or key qualifier, expected it in the path",
        "ref 'AI in query params that should be in the path info'"),
    bad(f"https://example.com/01/{GTIN}/10/L?22=V", "(22) is a key or key qualifier, expected it in the path",
        "ref: (22) fits the path before (10)"),
    ok(f"https://id.gs1.org/01/{GTIN}/235/XYZ?10=ABC123", "ref 'fine because we chose an alternate key qualifier'",
       name="UPUI", attributes=(("10", "ABC123"),)),
    bad(f"https://id.gs1.org/01/{GTIN}/235/XYZ?21=S", "(21) SERIAL is not permitted as a data attribute",
        "dict 21 has no '?' (and ex=235)"),
    bad(f"https://a/01/{GTIN}?8200=https:%2F%2Fexample.com", "(8200) PRODUCT URL is not permitted as a data attribute",
        "ref '(8200) is invalid as a data attribute'"),
    bad(f"https://a/01/{GTIN}?254=1", "(254) GLN EXTENSION COMPONENT is not permitted", "dict 254 has no '?'"),
    bad(f"https://a/01/{GTIN}?99=ABC&999=faux", "Unknown GS1 Application Identifier (999)",
        "ref 'Non-AI, numeric-only query param'"),
    bad(f"https://example.com/01/{GTIN}?99=XYZ&89=ABC123", "Unknown GS1 Application Identifier (89)",
        "ref 'Examples with unknown AIs, not permitted'"),
    bad(f"https://a/01/{GTIN}?99=", "AI (99) has an empty value", "ref 'Empty AI value in query parameter'"),
    bad(f"https://a/01/{GTIN}?17=261331", "AI (17) USE BY or EXPIRY", "GS (17) month 13"),
    ok(f"https://a/01/{GTIN}?singleton1&unknown1=555&99=ABC&linkType=gs1:pip&98=XYZ",
       "ref: singletons and non-numeric parameters are no AI data",
       attributes=(("99", "ABC"), ("98", "XYZ")), extensions=("singleton1", "unknown1=555", "linkType=gs1:pip")),
]


def test_table_is_large_enough():
    valid = sum(1 for p in TABLE if p.values[2] is None)
    assert len({p.id for p in TABLE}) == len(TABLE), "rule names must be unique"
    assert valid >= 40 and len(TABLE) - valid >= 40, (valid, len(TABLE) - valid)


@pytest.mark.parametrize(("uri", "expect", "error"), TABLE)
def test_digital_link_table(uri: str, expect: dict | None, error: str | None):
    if error is not None:
        with pytest.raises(InputError) as raised:
            parse_digital_link(uri)
        assert error in str(raised.value), str(raised.value)
        return
    link = parse_digital_link(uri)
    assert isinstance(link, DigitalLink) and link.value == uri
    assert (link.key is None) != (link.key_error is None)
    for name, want in expect.items():
        assert getattr(link, name) == want, (name, getattr(link, name))


def test_only_input_errors_on_garbage():
    rng = random.Random(20250709)
    alphabet = "0123456789/?&=+%#:.[]@abcxyzAB" + "\x00 \u4e2d"
    prefixes = ["https://a/", f"https://a/01/{GTIN}", "http://a/00/", "HTTPS://", "https://a/414/", "h"]
    for _ in range(3000):
        uri = rng.choice(prefixes) + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        try:
            link = parse_digital_link(uri)
        except InputError:
            continue
        assert (link.key is None) != (link.key_error is None), uri


# --- every primary key of the standard, typed -------------------------------------------------------

EXAMPLES = {
    "00": SSCC, "01": GTIN, "253": with_check("952123456789") + "DOC1",
    "255": with_check("952123456789") + "12", "401": "9521234ABC", "402": with_check("9521234567890123"),
    "414": GLN, "415": GLN, "417": GLN, "8003": "0" + GLN + "S1", "8004": "9521234ASSET1",
    "8006": with_check("9521234567890") + "0102", "8010": "95212345PART", "8013": "1987654Ad4X4bL5ttr2310c2K",
    "8017": with_check("95212345678901234"), "8018": with_check("95212345678901234"),
}  # fmt: skip


def test_every_primary_key_of_the_standard_is_read():
    assert set(EXAMPLES) == set(PRIMARY_KEYS)
    for ai, value in EXAMPLES.items():
        link = parse_digital_link(f"https://id.example.cn/p/{ai}/{value}?99=X")
        assert link.primary_key == ai and link.path == ((ai, value),), ai
        assert link.name == PRIMARY_KEYS[ai].name and link.attributes == (("99", "X"),)
        if ai in ("00", "01"):
            assert link.key == f"{ai}/{value}" and link.key_error is None
        else:
            assert link.key is None
            assert link.key_error == f"Unsupported primary key ({ai}) {PRIMARY_KEYS[ai].name}: {NOT_KEYED}"


def test_biip_reads_the_same_element_strings():
    # biip validates and holds the element strings; its canonical URI is the typed result's.
    link = parse_digital_link(f"https://x.cn/p/01/{GTIN}/22/V1/10/L%2F1?17=261231&linkType=all")
    assert [(es.ai.ai, es.value) for es in link.element_strings] == [
        ("01", GTIN), ("22", "V1"), ("10", "L/1"), ("17", "261231")]
    assert link.canonical == f"https://id.gs1.org/01/{GTIN}/22/V1/10/L%2F1?17=261231"
    assert link.canonical == GS1DigitalLinkURI.parse(link.value).as_canonical_uri()


# Where biip's own parser, alone, reads a URI otherwise than the standard: why suyuan checks these rules itself.
BIIP_DIFFERS = [
    (f"https://a/00/faux/00/{SSCC}", "takes the leftmost key, the reference the rightmost"),
    (f"https://a/01/{GTIN}?99=A&99=B", "keeps the last of repeated AIs"),
    (f"https://a/01/{GTIN}/22/A/235/B", "lets 235 follow 22"),
    ("https://a/01/9520123456788", "pads a GTIN-13 in the path"),
    (f"https://a/01/{GTIN}?999=faux", "skips an unknown numeric AI"),
    (f"https://a/01/{GTIN}?10=ABC", "takes a qualifier from the query"),
    (f"https://a/01/{GTIN}?8200=X", "takes an AI that is no data attribute"),
]


@pytest.mark.parametrize(("uri", "why"), BIIP_DIFFERS, ids=[w for _, w in BIIP_DIFFERS])
def test_where_biip_alone_differs_from_the_standard(uri: str, why: str):
    try:
        GS1DigitalLinkURI.parse(uri)
        biip_accepts = True
    except ParseError:
        biip_accepts = False
    try:
        parse_digital_link(uri)
        suyuan_accepts = True
    except InputError:
        suyuan_accepts = False
    assert biip_accepts != suyuan_accepts, f"biip now agrees with the standard ({why}): the hand-written rule may go"


# --- building --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "base", "attributes"),
    [
        (f"01/{GTIN}", "https://trace.example.cn", None),
        (f"01/{GTIN}/10/A%2FB/21/1", "http://localhost:8000/p/q/", {"22": "V+1", "17": "261231", "3103": "000195"}),
        (f"00/{SSCC}", "https://id.example.cn", {"02": GTIN, "37": "25", "10": "L1"}),
    ],
)
def test_built_uris_parse_back_and_biip_agrees(key, base, attributes):
    uri = digital_link_uri(key, base, attributes)
    assert uri.startswith(base.rstrip("/") + f"/{key[:2]}/")
    link = parse_digital_link(uri)
    assert link.key == key and link.stem == base.rstrip("/")
    assert link.elements == {**split_key(key), **(attributes or {})}
    assert link.canonical == GS1DigitalLinkURI.parse(uri).as_canonical_uri()


@pytest.mark.parametrize(
    ("attributes", "error"),
    [
        ({"8200": "https://x.cn"}, "Invalid attribute (8200) PRODUCT URL: expected a GS1 AI that may be"),
        ({"254": "1"}, "Invalid attribute (254)"),
        ({"414": GLN}, "it is a key or key qualifier"),
        ({"89": "X"}, "Unknown GS1 Application Identifier (89)"),
    ],
)
def test_built_uris_hold_only_data_attributes(attributes, error):
    with pytest.raises(InputError, match=re.escape(error)):
        digital_link_uri(f"01/{GTIN}", "https://x.cn", attributes)
