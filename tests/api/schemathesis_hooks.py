"""Schemathesis hooks: values for the formats suyuan's OpenAPI names (`suyuan.api.params`).

A pattern cannot say "with its GS1 check digit", so the OpenAPI names a
format and this module teaches the fuzzer to make such values; without it
nearly every generated key would be refused for its check digit, and the
fuzzer would never reach a route's logic. Load it with
`SCHEMATHESIS_HOOKS=tests.api.schemathesis_hooks` (the README's command and
tests/api/test_openapi_contract.py do).
"""

from __future__ import annotations

from biip.checksums import gs1_standard_check_digit
from hypothesis import strategies as st

import schemathesis

_DIGITS = "0123456789"
# Lots and serials that need no percent-encoding (a subset of GS1 character set 82).
_PLAIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def with_check_digit(length: int, prefix: str = "") -> st.SearchStrategy[str]:
    body = st.text(_DIGITS, min_size=length - 1 - len(prefix), max_size=length - 1 - len(prefix))
    return body.map(lambda b: prefix + b + str(gs1_standard_check_digit(prefix + b)))


def _uscc(body: str) -> str:
    """GB 32100-2015: the 18th character is the check character of the first 17."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


gtin14 = with_check_digit(14, "0")  # indicator 0: a trade item, not a logistic variant
gtin = st.one_of(with_check_digit(8), with_check_digit(12), with_check_digit(13), gtin14)
sscc = with_check_digit(18)
gln = with_check_digit(13)
qualifier = st.text(_PLAIN, min_size=1, max_size=20)
goods_key = st.one_of(
    gtin14.map(lambda g: f"01/{g}"),
    st.tuples(gtin14, qualifier).map(lambda t: f"01/{t[0]}/10/{t[1]}"),
    st.tuples(gtin14, qualifier).map(lambda t: f"01/{t[0]}/21/{t[1]}"),
    st.tuples(gtin14, qualifier, qualifier).map(lambda t: f"01/{t[0]}/10/{t[1]}/21/{t[2]}"),
    sscc.map(lambda s: f"00/{s}"),
)
item_key = st.one_of(
    st.tuples(gtin14, qualifier).map(lambda t: f"01/{t[0]}/21/{t[1]}"),
    st.tuples(gtin14, qualifier, qualifier).map(lambda t: f"01/{t[0]}/10/{t[1]}/21/{t[2]}"),
)
batch_key = st.tuples(gtin14, qualifier).map(lambda t: f"01/{t[0]}/10/{t[1]}")
chain_key = st.one_of(goods_key, gln.map(lambda g: f"417/{g}"))
uscc = st.tuples(st.sampled_from("159"), st.sampled_from("123"), st.text(_DIGITS, min_size=6, max_size=6),
                 st.text(_USCC_CHARS, min_size=9, max_size=9)).map(lambda t: _uscc("".join(t)))
code_path = st.tuples(goods_key, st.sampled_from(["png", "svg"])).map(".".join)
tile_path = st.tuples(st.one_of(st.just("entries"), st.integers(0, 3).map(str)), st.integers(0, 999)).map(
    lambda t: f"{t[0]}/{t[1]:03d}")

for name, strategy in {"gs1-key": goods_key, "gs1-chain-key": chain_key, "gtin": gtin, "gtin-14": gtin14,
                       "sscc": sscc, "gln": gln, "uscc": uscc, "tlog-tile-path": tile_path,
                       "gs1-qualifier": qualifier, "gs1-item-key": item_key, "gs1-batch-key": batch_key, "gs1-code-path": code_path}.items():
    schemathesis.openapi.format(name, strategy)
