"""The scan parser against a table of valid and invalid inputs.

Each row names the rule it checks: "GS" is the GS1 General Specifications,
"DL" the GS1 Digital Link Standard: URI Syntax (1.4), "AIM" ISO/IEC 15424
symbology identifiers. Valid rows expect a key; invalid rows expect no key
and an error containing the given words.
"""

from __future__ import annotations

import json
import random
import re

import pytest

from suyuan.errors import InputError
from tests.conformance import vectors
from suyuan.codes.gs1 import ScanResult, digital_link_uri, parse, validate_key

GS = "\x1d"
G = "06901234567892"  # GTIN-13 6901234567892 (GS1 China prefix 690) as GTIN-14
DL = "https://id.gs1.org/01/09506000134352"  # the Digital Link standard's example GTIN
SSCC = "106141411234567897"


def ok(value: str, key: str, rule: str):
    return pytest.param(value, key, None, id=f"ok: {rule}")


def bad(value: str, error: str, rule: str):
    return pytest.param(value, None, error, id=f"bad: {rule}")


TABLE = [
    # --- bare GTINs and SSCCs -------------------------------------------------
    ok("6901234567892", f"01/{G}", "GS GTIN-13 is zero-padded to 14 digits"),
    ok("614141123452", "01/00614141123452", "GS GTIN-12 (UPC-A) padded to 14"),
    ok("96385074", "01/00000096385074", "GS GTIN-8 padded to 14"),
    ok("19506000134359", "01/19506000134359", "GS GTIN-14 with indicator digit 1"),
    ok(SSCC, f"00/{SSCC}", "GS SSCC is 18 digits"),
    ok("6901234567892\r\n", f"01/{G}", "keyboard-wedge CR LF is not data"),
    bad("6901234567893", "Invalid GTIN check digit for '6901234567893': expected 2, got 3.",
        "GS 7.9 GTIN-13 check digit"),
    bad("09506000134353", "Invalid GTIN check digit for '09506000134353': expected 2, got 3.",
        "GS 7.9 GTIN-14 check digit"),
    bad("96385075", "Invalid GTIN check digit for '96385075': expected 4, got 5.",
        "GS 7.9 GTIN-8 check digit"),
    bad("106141411234567898", "Invalid SSCC check digit for '106141411234567898': expected 7, got 8.",
        "GS 7.9 SSCC check digit"),
    bad("", "Empty scan", "nothing scanned"),
    bad(" \r\n", "Empty scan", "only whitespace"),
    bad("garbage", "Unrecognised scan 'garbage'", "not GS1 data"),
    bad("12345", "Invalid GS1 element string", "five digits are no GTIN and no element string"),
    bad("9" * 5000, "Scan too long", "an endless scan is refused early"),
    # --- symbology identifiers ------------------------------------------------
    ok("]E06901234567892", f"01/{G}", "AIM ]E0 EAN-13"),
    ok("]E496385074", "01/00000096385074", "AIM ]E4 EAN-8"),
    ok("]E001234565", "01/00012345000065", "AIM ]E0 with 8 digits is UPC-E, expanded to GTIN-12"),
    ok("]E3978030640615712345", "01/09780306406157", "AIM ]E3 EAN-13 with a 5-digit add-on, add-on dropped"),
    ok("]I119506000134359", "01/19506000134359", "AIM ]I1 ITF-14"),
    ok("]C10106901234567892", f"01/{G}", "AIM ]C1 GS1-128"),
    ok("]e00106901234567892", f"01/{G}", "AIM ]e0 GS1 DataBar"),
    ok("]d2010690123456789221SN1", f"01/{G}/21/SN1", "AIM ]d2 GS1 DataMatrix, serial last needs no GS"),
    ok("]Q3010690123456789210LOT7", f"01/{G}/10/LOT7", "AIM ]Q3 GS1 QR Code"),
    ok("]Q3https://example.com/01/" + G, f"01/{G}", "AIM ]Q3 carrying a Digital Link URI"),
    ok("]Q1https://example.com/01/" + G, f"01/{G}", "AIM ]Q1 plain QR Code with a Digital Link URI"),
    bad("]", "Invalid symbology identifier", "AIM identifier is ] and two characters"),
    bad("]A0ABC123", "Unsupported symbology ']A0'", "AIM ]A0 Code 39 is not a GS1 symbology"),
    bad("]C00106901234567892", "Unsupported symbology ']C0'", "AIM ]C0 plain Code 128 has no FNC1"),
    bad("]Q1hello", "Unsupported symbology ']Q1'", "plain QR Code text that is no URI"),
    bad("]E0ABCDEFGHIJKLM", "Invalid GTIN 'ABCDEFGHIJKLM'", "EAN-13 carries digits only"),
    bad("]E0https://example.com/01/" + G, "Unexpected URI in a EAN_UPC symbol", "DL URIs ride QR/Data Matrix only"),
    # --- element strings ------------------------------------------------------
    ok("0106901234567892", f"01/{G}", "GS element string without symbology identifier"),
    ok(f"]C1010690123456789210LOT7{GS}21SN1", f"01/{G}/10/LOT7/21/SN1",
       "GS FNC1 (GS) ends a variable-length lot before the serial"),
    ok(f"{GS}0106901234567892{GS}10LOT7{GS}", f"01/{G}/10/LOT7", "leading FNC1 and trailing GS tolerated"),
    ok("]d201069012345678921726123110ABC", f"01/{G}/10/ABC", "GS fixed-length (17) needs no GS"),
    ok("]C1010690123456789217261200", f"01/{G}", "GS (17) date at the end of the string"),
    ok(f"]C100{SSCC}0200614141123452{GS}3725", f"00/{SSCC}",
       "GS SSCC with (02) contents and (37) count as attributes"),
    ok(f"0106901234567892{GS}10LOT7{GS}10LOT7", f"01/{G}/10/LOT7", "GS a repeated AI with the same value"),
    bad("]C101069012345678", "AI (01) GTIN expected format N14, got '069012345678' (12 characters)",
        "GS truncated element string"),
    bad("]C10106901234567892171231", "AI (17) USE BY or EXPIRY expected format N6, got '1231'",
        "GS truncated fixed-length date"),
    bad("]d20106901234567893", "Invalid GTIN check digit for '06901234567893': expected 2, got 3.",
        "GS 7.9 check digit inside an element string"),
    bad("]C100106141411234567898", "Invalid SSCC check digit for '106141411234567898'",
        "GS 7.9 SSCC check digit inside an element string"),
    bad("]C1010690123456789223ABC", "expected a GS1 Application Identifier, got '23ABC'",
        "GS AI 23 does not exist"),
    bad(f"0106901234567892{GS}10A{GS}10B", "Conflicting values for AI (10)",
        "GS one AI, one value"),
    bad(f"0106901234567892{GS}{GS}10A", "got two in a row", "GS an empty field between separators"),
    bad("010690123456789202" + "00614141123452", "Invalid AI pair (01) and (02)",
        "GS invalid pair: GTIN (01) with content GTIN (02)"),
    bad("0106901234567892" + "3725", "Invalid AI pair (01) and (37)",
        "GS invalid pair: GTIN (01) with count (37)"),
    bad("21SN1", "No ledger key in scan (21)", "GS serial (21) needs a GTIN"),
    bad(f"00{SSCC}0106901234567892", "Ambiguous scan", "one ledger key per scan"),
    bad("0106901234567892235ABC", "Unsupported key qualifier (235)", "DL 235 qualifies a GTIN, not in our keys"),
    # --- HRI --------------------------------------------------------------------
    ok("(01)06901234567892(10)LOT7(21)SN1", f"01/{G}/10/LOT7/21/SN1", "GS HRI with parentheses"),
    ok("(01) 06901234567892 (17) 261231 (10) LOT7", f"01/{G}/10/LOT7", "GS HRI as printed, spaced"),
    ok(f"(00){SSCC}", f"00/{SSCC}", "GS HRI of an SSCC"),
    ok("(01)06901234567892(10)A/B-1", f"01/{G}/10/A%2FB-1", "key percent-encodes '/' in a lot"),
    ok("(01)06901234567892(17)261200", f"01/{G}", "GS date with day 00 means end of month"),
    bad("(01)06901234567892(10)", "AI (10) has no data", "GS HRI field without data"),
    bad("(01)06901234567892(17)260231", "Invalid date in AI (17)", "GS (17) must be a calendar date"),
    bad("(01)06901234567892(10)ABCDEFGHIJKLMNOPQRSTU", "expected format X..20",
        "GS (10) is at most 20 characters"),
    bad("(01)06901234567892(10)AB C", "expected format X..20", "GS 7.11 set 82 has no space"),
    bad("(01)06901234567892junk(", "Invalid HRI", "GS HRI is (AI)data repeated"),
    bad("(01)0690123456789X", "Invalid AI (01) GTIN value '0690123456789X'", "GS (01) is 14 digits"),
    bad("(00)106141411234567898", "Invalid SSCC check digit", "GS 7.9 SSCC check digit in HRI"),
    bad("(99)internal", "No ledger key in scan (99)", "GS company-internal data names nothing"),
    # --- Digital Link -----------------------------------------------------------
    ok(DL, "01/09506000134352", "DL GTIN primary key"),
    ok(f"{DL}/10/ABC1/21/12345", "01/09506000134352/10/ABC1/21/12345", "DL lot then serial"),
    ok("https://example.com/products/01/09506000134352/21/12345", "01/09506000134352/21/12345",
       "DL any host, with a path prefix"),
    ok(f"http://example.cn/01/{G}", f"01/{G}", "DL http is allowed"),
    ok(f"HTTPS://EXAMPLE.COM/01/{G}/10/ABC", f"01/{G}/10/ABC", "DL scheme and host are case-insensitive"),
    ok(f"{DL}/10/ABC1?17=261231", "01/09506000134352/10/ABC1", "DL expiry (17) is a query attribute"),
    ok(f"{DL}/22/2A/10/ABC1/21/123", "01/09506000134352/10/ABC1/21/123",
       "DL CPV (22) comes first and is not part of the key"),
    ok(f"{DL}/21/A%2FB%2B1", "01/09506000134352/21/A%2FB%2B1", "DL percent-decoding after splitting on '/'"),
    ok(f"{DL}/21/A%2fb", "01/09506000134352/21/A%2Fb", "DL percent-encoding is case-insensitive"),
    ok(f"{DL}/21/A+1", "01/09506000134352/21/A%2B1", "DL '+' is data, not a space"),
    ok(f"{DL}?linkType=gs1:pip&17=261231", "01/09506000134352", "DL non-GS1 query parameters are ignored"),
    ok(f"https://id.gs1.org/00/{SSCC}?02=00614141123452&37=25", f"00/{SSCC}", "DL SSCC with attributes"),
    bad(f"{DL}/", "got a trailing '/'", "DL the path ends in a value, not '/' (gs1-syntax-engine)"),
    ok(f"{DL}/10/ABC#top", "01/09506000134352/10/ABC", "a fragment is not sent and not data"),
    bad("https://id.gs1.org/01/9506000134352", "must have 14 digits, expected '09506000134352', got 13",
        "DL gtin-value = 14DIGIT: GTIN-13 must be zero-padded"),
    bad("https://id.gs1.org/01/614141123452", "must have 14 digits, expected '00614141123452', got 12",
        "DL gtin-value = 14DIGIT: GTIN-12 must be zero-padded"),
    bad("https://id.gs1.org/01/96385074", "must have 14 digits", "DL gtin-value = 14DIGIT: GTIN-8"),
    bad("https://id.gs1.org/01/09506000134353", "Invalid GTIN check digit for '09506000134353': expected 2, got 3.",
        "GS 7.9 check digit in a Digital Link path"),
    bad(f"{DL}/21/123/10/ABC", "key qualifiers must follow the order 22, 10, 21, got 21, 10",
        "DL qualifier order 22/10/21"),
    bad(f"{DL}/10/ABC/22/2A", "got 10, 22", "DL CPV (22) before the lot"),
    bad(f"{DL}/10/A/10/B", "got 10, 10", "DL each qualifier at most once"),
    bad(f"{DL}/17/261231", "(17) is not a key qualifier of (01), expected it as a query parameter",
        "DL data attributes belong in the query string"),
    bad(f"{DL}?10=ABC", "(10) is a key or key qualifier, expected it in the path",
        "DL key qualifiers belong in the path"),
    bad(f"{DL}?01=09506000134352", "(01) is a key or key qualifier", "DL one primary key, in the path"),
    bad("https://id.gs1.org/gtin/09506000134352/lot/ABC", "the alphabetic AI 'gtin' is deprecated",
        "DL 1.2 deprecated alphabetic AIs"),
    bad(f"{DL}/10", "expected /AI/value pairs", "DL path info is AI/value pairs"),
    bad("https://example.com/products/123", "expected a primary key", "DL path needs a primary key"),
    bad("ftp://id.gs1.org/01/09506000134352", "expected scheme http or https, got 'ftp'",
        "DL scheme http or https"),
    bad("https:///01/09506000134352", "expected a host name", "DL URI has a host"),
    bad(f"{DL}/10/%FF", "Invalid percent-encoding '%FF'", "DL percent-encoded UTF-8"),
    bad(f"{DL}/10/A%20B", "expected format X..20", "GS 7.11 set 82 has no space, even encoded"),
    bad(f"{DL}?17=261331", "AI (17) USE BY or EXPIRY", "GS (17) month 13"),
    bad(f"{DL}?17=2612", "AI (17) USE BY or EXPIRY", "GS (17) truncated in a query"),
    bad("https://id.gs1.org/414/9521234543213", "Unsupported primary key (414)",
        "DL GLN is a key, but not a ledger key"),
    bad(f"https://id.gs1.org/00/{SSCC}/10/A", "(10) is not a key qualifier of (00)",
        "DL an SSCC has no key qualifiers"),
    bad(f"{DL}/235/XYZ", "Unsupported key qualifier (235)", "DL third-party serial not in our keys"),
    bad("https://example.com/8004/9520614141234567?01=9520123456788", "Unsupported primary key (8004) GIAI",
        "DL the primary key decides: a GTIN in the query is a data attribute"),
    ok(f"https://id.gs1.org/00/{SSCC}?10=ABC123", f"00/{SSCC}", "DL (10) is a data attribute of an SSCC"),
    ok(f"https://a/00/faux/00/{SSCC}", f"00/{SSCC}", "DL the rightmost primary key after any stem"),
    bad(f"{DL}?17=261231&17=261231", "(17) is repeated", "DL each AI once, even with the same value"),
    bad(f"{DL}?98=A+B", "'+' is a space", "DL '+' in a query string is a space"),
    bad("http://[::1/01/09506000134352", "Invalid Digital Link URI", "a malformed URI"),
]


def test_table_is_large_enough():
    valid = sum(1 for p in TABLE if p.values[1] is not None)
    invalid = len(TABLE) - valid
    assert len({p.id for p in TABLE}) == len(TABLE), "rule names must be unique"
    assert valid >= 30 and invalid >= 30, (valid, invalid)


@pytest.mark.parametrize(("value", "key", "error"), TABLE)
def test_parse_table(value: str, key: str | None, error: str | None):
    result = parse(value)
    assert isinstance(result, ScanResult)
    if key is not None:
        assert result.key_error is None, result.key_error
        assert result.key == key
        assert validate_key(result.key) == result.key
        assert result.kind in ("gtin", "item", "lot", "lot_item", "sscc")
    else:
        assert result.key is None
        assert result.key_error is not None
        assert error in result.key_error, result.key_error
        assert result.kind is None


def test_message_pattern_is_word_for_word():
    result = parse("]d20106901234567893")
    assert result.key_error == "Invalid GTIN check digit for '06901234567893': expected 2, got 3."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"{DL}/22/2A/10/ABC1/21/123?17=261231&15=261130",
         dict(kind="lot_item", gtin="09506000134352", lot="ABC1", serial="123", sscc=None,
              attributes={"22": "2A", "17": "261231", "15": "261130"}, source_format="digital_link")),
        ("]C1010690123456789217261231",
         dict(kind="gtin", gtin=G, lot=None, serial=None, attributes={"17": "261231"},
              source_format="element_string")),
        ("(01)06901234567892(21)A/1",
         dict(kind="item", gtin=G, serial="A/1", key=f"01/{G}/21/A%2F1", source_format="hri")),
        ("(01)06901234567892(10)L1",
         dict(kind="lot", lot="L1", source_format="hri")),
        (SSCC, dict(kind="sscc", sscc=SSCC, gtin=None, source_format="bare")),
        (f"00{SSCC}0200614141123452{GS}3725",
         dict(kind="sscc", sscc=SSCC, attributes={"02": "00614141123452", "37": "25"})),
    ],
)
def test_result_fields(value: str, expected: dict):
    result = parse(value)
    assert result.key_error is None
    for name, want in expected.items():
        assert getattr(result, name) == want, name
    assert result.value == value


def test_fields_survive_when_no_key_is_made():
    result = parse(f"{DL}/235/XYZ")
    assert result.key is None and result.gtin == "09506000134352"
    assert result.attributes == {"235": "XYZ"}
    result = parse("https://example.com/8004/9520614141234567?01=9520123456788")
    assert result.key is None and result.gtin is None and result.source_format == "digital_link"
    assert result.attributes == {"8004": "9520614141234567", "01": "09520123456788"}


def test_result_is_frozen():
    result = parse(DL)
    with pytest.raises(AttributeError):
        result.key = "01/x"  # type: ignore[misc]


def test_parse_never_raises_on_garbage():
    rng = random.Random(20250701)
    alphabet = "0123456789()]/%?&=+#:.\x1d\x00 abcdefxyzCdeEQ\u00e9\u4e2d\ud800"
    prefixes = ["", "]C1", "]Q3", "]E0", "]d2", "(01)", "https://x.cn/01/", "http://", "01"]
    for _ in range(3000):
        text = rng.choice(prefixes) + "".join(
            rng.choice(alphabet) for _ in range(rng.randint(0, 40))
        )
        result = parse(text)
        assert (result.key is None) != (result.key_error is None), text
    assert parse(None).key_error  # type: ignore[arg-type]
    assert parse(b"0106901234567892").key_error  # type: ignore[arg-type]


# --- the EPCIS 2.0 examples' Digital Link URIs ---------------------------------

def _epcis_uris() -> list[str]:
    uris: set[str] = set()
    for path in vectors("epcis", "*.jsonld"):
        uris.update(re.findall(r'https://id\.gs1\.org/0[01]/[^"\s]+', path.read_text()))
    return sorted(uris)


def test_epcis_example_uris_parse():
    uris = _epcis_uris()
    assert len(uris) >= 4, f"expected the four EPCIS examples' Digital Link URIs, got {uris}"
    failures = [(u, parse(u).key_error) for u in uris if parse(u).key is None]
    assert not failures, f"{len(failures)} of {len(uris)} failed: {json.dumps(failures)}"


# --- digital_link_uri ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "base", "attributes", "uri"),
    [
        (f"01/{G}", "https://trace.example.cn", None, f"https://trace.example.cn/01/{G}"),
        (f"01/{G}/10/A%2FB/21/1", "https://example.com/p/", {"17": "261231", "22": "V1"},
         f"https://example.com/p/01/{G}/22/V1/10/A%2FB/21/1?17=261231"),
        (f"00/{SSCC}", "http://id.example.com", {"37": "25", "02": "00614141123452"},
         f"http://id.example.com/00/{SSCC}?02=00614141123452&37=25"),
    ],
)
def test_digital_link_uri_round_trips(key, base, attributes, uri):
    assert digital_link_uri(key, base, attributes) == uri
    result = parse(uri)
    assert result.key == key
    assert result.attributes == (attributes or {})


@pytest.mark.parametrize(
    ("key", "base", "attributes", "error"),
    [
        ("01/06901234567893", "https://x.cn", None, "Invalid GTIN check digit"),
        (f"01/{G}", "x.cn", None, "Invalid resolver base 'x.cn'"),
        (f"01/{G}", "ftp://x.cn", None, "Invalid resolver base"),
        (f"01/{G}", "https://x.cn?a=1", None, "Invalid resolver base"),
        (f"01/{G}", "https://x.cn/01", None, "without a GS1 key AI as a segment, got '01'"),
        (f"01/{G}", "https://x.cn", {"10": "A"}, "Invalid attribute (10)"),
        (f"01/{G}", "https://x.cn", {"17": "261331"}, "AI (17)"),
        (f"01/{G}", "https://x.cn", {"exp": "261231"}, "expected a numeric GS1 AI"),
        (f"00/{SSCC}", "https://x.cn", {"22": "V1"}, "Invalid attribute (22)"),
    ],
)
def test_digital_link_uri_refuses(key, base, attributes, error):
    with pytest.raises(InputError, match=re.escape(error)):
        digital_link_uri(key, base, attributes)
