"""EPC URNs and GS1 Digital Link URIs to ledger keys and back (EPC TDS 2.0 §6, GS1 Digital Link 1.4).

Each row is written out by hand from the standard's examples: the URN, the
key it names, and its URN again from the key with the prefix length the URN
gave. Bad EPCs are refused with a sentence naming them, in the form the
project's errors take.
"""

from __future__ import annotations

import pytest

from suyuan.epcis.identifiers import in_format, parse_epc, to_digital_link, to_urn
from suyuan.errors import InputError

CASES = [  # URN, key, level
    ("urn:epc:id:sgtin:0614141.107346.2017", "01/10614141073464/21/2017", "instance"),
    ("urn:epc:id:sgtin:0614141.107346.A%2FB", "01/10614141073464/21/A%2FB", "instance"),
    ("urn:epc:id:sscc:0614141.1234567890", "00/106141412345678908", "instance"),
    ("urn:epc:id:sgln:0614141.07346.1234", "414/0614141073467/254/1234", "instance"),
    ("urn:epc:id:sgln:0614141.00777.0", "414/0614141007776", "instance"),  # extension 0: the GLN alone
    ("urn:epc:id:pgln:9520001.11111", "417/9520001111112", "instance"),
    ("urn:epc:id:grai:4012345.00225.1", "8003/040123450022561", "instance"),
    ("urn:epc:id:giai:4000001.111", "8004/4000001111", "instance"),
    ("urn:epc:id:gsrn:4012345.0000000001", "8018/401234500000000012", "instance"),
    ("urn:epc:id:gsrnp:4012345.0000000001", "8017/401234500000000012", "instance"),
    ("urn:epc:id:gdti:0614141.12345.400", "253/0614141123452400", "instance"),
    ("urn:epc:id:sgcn:4012345.67890.04711", "255/401234567890104711", "instance"),
    ("urn:epc:id:ginc:0614141.xyz3311cba", "401/0614141xyz3311cba", "instance"),
    ("urn:epc:id:gsin:0614141.123456789", "402/06141411234567890", "instance"),
    ("urn:epc:id:cpi:0614141.123ABC.123456789", "8010/0614141123ABC/8011/123456789", "instance"),
    ("urn:epc:id:itip:4012345.012345.01.02.987", "8006/040123451234560102/21/987", "instance"),
    ("urn:epc:id:upui:1234567.089456.51qIgY)%3C%26Jp3*j7'SDB", "01/01234567894560/235/51qIgY%29%3C%26Jp3%2Aj7%27SDB",
     "instance"),
    ("urn:epc:class:lgtin:4012345.012345.998877", "01/04012345123456/10/998877", "class"),
    ("urn:epc:idpat:sgtin:4012345.098765.*", "01/04012345987652", "class"),
]


@pytest.mark.parametrize("urn, key, level", CASES)
def test_urns_name_their_keys_and_come_back_the_same(urn, key, level):
    epc = parse_epc(urn)
    assert (epc.key, epc.level, epc.value) == (key, level, urn)
    assert to_urn(epc.key, epc.gcp) == urn


@pytest.mark.parametrize("uri, key, level", [
    ("https://id.gs1.org/01/70614141123451/21/2017", "01/70614141123451/21/2017", "instance"),
    ("https://example.com/some/path/01/09520123456788/10/L%2F1/21/S1", "01/09520123456788/10/L%2F1/21/S1", "instance"),
    ("https://id.gs1.org/00/106141412345678908", "00/106141412345678908", "instance"),
    ("https://id.gs1.org/01/04012345123456/10/998877", "01/04012345123456/10/998877", "class"),
    ("https://id.gs1.org/01/04012345987652", "01/04012345987652", "class"),
    ("https://id.gs1.org/414/0614141073467/254/1234", "414/0614141073467/254/1234", "instance"),
    ("https://id.gs1.org/8004/4000001111", "8004/4000001111", "instance"),
])
def test_digital_link_uris_name_their_keys(uri, key, level):
    epc = parse_epc(uri)
    assert (epc.key, epc.level) == (key, level)
    assert parse_epc(to_digital_link(key)).key == key


def test_without_a_urn_the_prefix_length_comes_from_gs1s_table():
    assert to_urn("01/70614141123451/21/2017") == "urn:epc:id:sgtin:0614141.712345.2017"
    assert to_urn("00/106141412345678908") == "urn:epc:id:sscc:0614141.1234567890"
    assert to_urn("01/04012345987652") == "urn:epc:idpat:sgtin:4012345.098765.*"


@pytest.mark.parametrize("value, message", [
    ("urn:epc:id:sgtin:0614141.107346", "expected 3 dot-separated parts for sgtin, got 2"),
    ("urn:epc:id:sgtin:061414.107346.1", "expected the GS1 Company Prefix and indicator and item reference to "
                                         "hold 13 digits together, got 6 + 6"),
    ("urn:epc:id:sgtin:06141410.0734.1", "hold 13 digits together, got 8 + 4"),
    ("urn:epc:id:sgtin:06141.1073460.1", "expected a GS1 Company Prefix of 6 to 12 digits, got 5"),
    ("urn:epc:id:sgtin:0614141.10734x.1", "expected digits for the indicator and item reference"),
    ("https://id.gs1.org/01/70614141123452/21/2017",
     "Invalid GTIN check digit for '70614141123452': expected 1, got 2"),
    ("urn:epc:id:bic:CSQU3054383", "expected an EPC scheme suyuan keys by"),
    ("urn:epc:idpat:sgtin:4012345.098765.12", "expected a class-level pattern"),
    ("urn:epc:class:lgtin:4012345.012345", "expected 3 dot-separated parts for lgtin"),
    ("https://example.com/things/1", "expected a primary key such as /01/<GTIN>"),
    ("https://id.gs1.org/01/09520123456788?17=261231", "expected a Digital Link URI without data attributes"),
    ("x-thing:42", "expected an EPC URN (urn:epc:...) or a GS1 Digital Link URI"),
])
def test_bad_epcs_are_refused_naming_them(value, message):
    with pytest.raises(InputError) as exc:
        parse_epc(value)
    assert message in str(exc.value) and value[:60] in str(exc.value)
    assert str(exc.value).startswith("Invalid EPC") and exc.value.field == "epc"


def test_formats_as_the_header_asks_and_leave_what_is_no_epc():
    urn, link = "urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"
    assert in_format(urn, "Always_GS1_Digital_Link") == link
    assert in_format(link, "Always_EPC_URN") == "urn:epc:id:sgtin:0614141.107346.2017"
    assert in_format(urn, "No_Preference") == urn and in_format(link, "No_Preference") == link
    assert in_format("urn:epcglobal:cbv:bt:0614141073467:1152", "Always_GS1_Digital_Link") == \
        "urn:epcglobal:cbv:bt:0614141073467:1152"
