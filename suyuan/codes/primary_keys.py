"""The GS1 Digital Link primary keys, their key qualifiers, and the permitted data attributes.

GS1 Digital Link URI Syntax 1.4 lets sixteen GS1 keys start the path info,
each followed by its key qualifiers in a fixed order; the GS1 Barcode Syntax
Dictionary states the same table machine-readably (its `dlpkey` attribute,
which the reference implementation gs1/gs1-syntax-engine reads), and marks
with the flag `?` the AIs that may be data attributes in the query string.
The table below is transcribed from it:

    00   SSCC          dlpkey                 8003 GRAI           dlpkey
    01   GTIN          dlpkey=22,10,21|235    8004 GIAI           dlpkey=7040
    253  GDTI          dlpkey                 8006 ITIP           dlpkey=22,10,21
    255  GCN           dlpkey                 8010 CPID           dlpkey=8011
    401  GINC          dlpkey                 8013 GMN            dlpkey
    402  GSIN          dlpkey                 8017 GSRN provider  dlpkey=8019
    414  GLN           dlpkey=254|7040        8018 GSRN recipient dlpkey=8019
    415  GLN pay to    dlpkey=8020
    417  party GLN     dlpkey=7040

`22,10,21` is one ordered sequence of optional qualifiers (any of them, in
that order); `254|7040` are alternatives, never mixed. Some pairs have names
of their own (URI Syntax ABNF): UPUI is a GTIN with a TPX (`01` + `235`), FID
a GLN with a UIC extension (`414` + `7040`), EOID a party GLN with one
(`417` + `7040`), MID a GIAI with one (`8004` + `7040`); they are no further
primary keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from biip import ParseError
from biip.gs1_application_identifiers import GS1ApplicationIdentifier


@dataclass(frozen=True)
class PrimaryKey:
    ai: str
    name: str
    qualifiers: tuple[tuple[str, ...], ...] = ()  # alternative ordered sequences


PRIMARY_KEYS = {
    key.ai: key
    for key in (
        PrimaryKey("00", "SSCC"),
        PrimaryKey("01", "GTIN", (("22", "10", "21"), ("235",))),
        PrimaryKey("253", "GDTI"),
        PrimaryKey("255", "GCN"),
        PrimaryKey("401", "GINC"),
        PrimaryKey("402", "GSIN"),
        PrimaryKey("414", "GLN", (("254",), ("7040",))),
        PrimaryKey("415", "GLN of the invoicing party", (("8020",),)),
        PrimaryKey("417", "party GLN", (("7040",),)),
        PrimaryKey("8003", "GRAI"),
        PrimaryKey("8004", "GIAI", (("7040",),)),
        PrimaryKey("8006", "ITIP", (("22", "10", "21"),)),
        PrimaryKey("8010", "CPID", (("8011",),)),
        PrimaryKey("8013", "GMN"),
        PrimaryKey("8017", "GSRN of a service provider", (("8019",),)),
        PrimaryKey("8018", "GSRN of a service recipient", (("8019",),)),
    )
}

# Syntax Dictionary entries without the `?` flag: never a data attribute in a query string.
NOT_DATA_ATTRIBUTES = frozenset(
    {"03", "21", "22", "235", "254", "7040", "7041", "8011", "8014", "8019", "8020", "8200"}
)

# Key and qualifier pairs with a name of their own (URI Syntax ABNF: upui-path, fid-path, ...).
NAMED_PATHS = {("01", "235"): "UPUI", ("414", "7040"): "FID", ("417", "7040"): "EOID",
               ("8004", "7040"): "MID"}  # fmt: skip

# Alphabetic AI names of Digital Link 1.0/1.1, deprecated since URI Syntax 1.2.
LEGACY_NAMES = {
    "gtin": "01", "itip": "8006", "gmn": "8013", "cpid": "8010", "gln": "414", "party": "417",
    "gsrnp": "8017", "gsrn": "8018", "gcn": "255", "sscc": "00", "gdti": "253", "ginc": "401",
    "gsin": "402", "grai": "8003", "giai": "8004", "cpv": "22", "lot": "10", "ser": "21",
    "cpsn": "8011", "glnx": "254", "refno": "8020", "srin": "8019",
}  # fmt: skip


def application_identifier(ai: str) -> GS1ApplicationIdentifier | None:
    """The AI's entry in biip's table, or None when `ai` is no assigned GS1 AI."""
    try:
        app_id = GS1ApplicationIdentifier.extract(ai)
    except ParseError:
        return None
    return app_id if app_id.ai == ai else None


def is_sequence(key: str, qualifiers: list[str]) -> bool:
    """Whether `qualifiers` follow one of the key's qualifier sequences, in order, each once."""
    for sequence in PRIMARY_KEYS[key].qualifiers:
        position = 0
        for ai in qualifiers:
            if ai not in sequence[position:]:
                break
            position = sequence.index(ai, position) + 1
        else:
            return True
    return not qualifiers


def belongs_in_path(key: str, qualifiers: list[str], ai: str) -> bool:
    """Whether `ai`, put somewhere among the path's qualifiers, would make a valid path.

    A query attribute that could be a key qualifier there must be one: the
    reference implementation trials it at every position after the key.
    """
    return any(
        is_sequence(key, qualifiers[:i] + [ai] + qualifiers[i:])
        for i in range(len(qualifiers) + 1)
    )


def is_data_attribute(ai: str) -> bool:
    """Whether a GS1 AI may appear as a query-string data attribute (the `?` flag)."""
    return application_identifier(ai) is not None and ai not in NOT_DATA_ATTRIBUTES


def qualifier_rule(key: str, got: list[str]) -> str:
    """The key's qualifier order against what came, e.g. 'key qualifiers must follow the order
    22, 10, 21, got 21, 10 (or 235 alone)'."""
    first, *others = PRIMARY_KEYS[key].qualifiers
    rule = f"key qualifiers must follow the order {', '.join(first)}, got {', '.join(got)}"
    for other in others:
        rule += f" (or {', '.join(other)} alone)" if len(other) == 1 else f" (or {', '.join(other)})"
    return rule
