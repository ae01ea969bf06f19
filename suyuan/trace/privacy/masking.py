"""What public pages may show of a person: masked names, never buyers or recipients.

Organisations are shown by their registered name (实名登记 is the point of the
page). Natural persons (individual parties: a courier, a farmer) are shown as
their surname followed by stars, as Chinese courier and e-commerce pages do
(王*, 王**). Consumers are pseudonymous actors (`consumer:<hex>`) and appear as
"消费者 ab**". Buyers and recipients never reach these functions: the page
omits the fields that commit to them.
"""

from __future__ import annotations

import unicodedata


def _is_cjk(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY"))


def mask_person(name: str) -> str:
    """Keep the first character (a Chinese surname) or each word's initial; star the rest."""
    name = (name or "").strip()
    if not name:
        return "*"
    if _is_cjk(name[0]):
        return name[0] + "*" * max(1, len(name) - 1)
    return " ".join(w[0] + "*" * max(1, len(w) - 1) for w in name.split())


def mask_consumer(actor: str | None) -> str:
    """'consumer:3f9a...' -> '3f**': enough to tell two reviewers apart, nothing more."""
    tag = (actor or "").partition(":")[2]
    return (tag[:2] or "??") + "**"


def public_name(kind: str | None, name: str | None) -> str:
    """A party's name as a public page shows it."""
    if kind == "individual":
        return mask_person(name or "")
    return name or ""
