"""What one Digital Link URI answers: negotiation and the linkset (GS1-Conformant Resolver Standard 1.1 §6).

As a GS1 conformant resolver does, one URI answers several ways: the HTML
page for a browser; the traceability record as JSON for
`Accept: application/json` or `?linkType=gs1:traceability`; and the list of
links (an RFC 9264 linkset) for `?linkType=all`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse

from suyuan.trace.journey.public import PublicRecord

TRACEABILITY = ("gs1:traceability", "https://gs1.org/voc/traceability", "https://ref.gs1.org/voc/traceability")


def wants(request: Request) -> str:
    """`html`, `json` or `linkset`, from ?linkType= first, then the Accept header."""
    link_type = request.query_params.get("linkType", "")
    if link_type == "all":
        return "linkset"
    if link_type in TRACEABILITY:
        return "json"
    accept = request.headers.get("accept", "").lower()
    if "application/linkset+json" in accept:
        return "linkset"
    json_at = min((accept.find(m) for m in ("application/json", "application/ld+json") if m in accept), default=-1)
    html_at = accept.find("text/html")
    if json_at >= 0 and (html_at < 0 or json_at < html_at):
        return "json"
    return "html"


def absolute(request: Request, key: str) -> str:
    return str(request.base_url).rstrip("/") + "/" + key


def page_url(key: str, lang: str, **extra: str) -> str:
    query = {"lang": lang} if lang != "zh" else {}
    query |= extra
    return "/" + key + ("?" + urlencode(query) if query else "")


def page_headers(request: Request, key: str) -> dict[str, str]:
    base = absolute(request, key)
    return {
        "Vary": "Accept",
        "Cache-Control": "no-cache",  # every check is counted, and recalls show at once
        "Link": f'<{base}?linkType=gs1:traceability>; rel="gs1:traceability"; type="application/json", '
                f'<{base}?linkType=all>; rel="linkset"; type="application/linkset+json"',
    }


def linkset(request: Request, rec: PublicRecord) -> JSONResponse:
    """RFC 9264 linkset of what this resolver offers for the key (GS1 link types)."""
    anchor = absolute(request, rec.key)
    base = str(request.base_url).rstrip("/")
    links: dict[str, Any] = {
        "anchor": anchor,
        "https://gs1.org/voc/defaultLink": [{"href": anchor, "title": "商品溯源 Product trace", "type": "text/html"}],
        "https://gs1.org/voc/pip": [
            {"href": anchor, "title": "商品溯源", "type": "text/html", "hreflang": ["zh"]},
            {"href": anchor + "?lang=en", "title": "Product trace", "type": "text/html", "hreflang": ["en"]},
        ],
        "https://gs1.org/voc/traceability": [
            {"href": anchor + "?linkType=gs1:traceability", "title": "Traceability record", "type": "application/json"},
            {"href": f"{base}/v1/chains/{rec.key}", "title": "Ledger chain entries", "type": "application/json"},
        ],
        "https://gs1.org/voc/verificationService": [
            {"href": f"{base}/log/checkpoint", "title": "Signed log checkpoint", "type": "text/plain"},
            {"href": f"{base}/log/key", "title": "Log verifier key", "type": "text/plain"},
        ],
    }
    if rec.kind == "item":
        links["https://gs1.org/voc/verificationService"] += [
            {"href": f"{base}/v1/items/{rec.key}/verify", "title": "Server-side verification", "type": "application/json"},
            {"href": f"{base}/v1/items/{rec.key}/bundle", "title": "Offline verification bundle", "type": "application/json"},
        ]
    certs = (rec.batch or {}).get("certificates") or []
    if certs:
        links["https://gs1.org/voc/certificationInfo"] = [
            {"href": anchor + "?linkType=gs1:traceability", "title": f"{c['name']} sha256:{c['sha256']}",
             "type": "application/json"} for c in certs]
    return JSONResponse({"linkset": [links]}, media_type="application/linkset+json",
                        headers={"Vary": "Accept"})
