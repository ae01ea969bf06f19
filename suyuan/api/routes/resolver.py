"""The GS1 Digital Link resolver: the public page behind every QR code.

Paths are the Digital Link URI paths of GS1 Digital Link URI Syntax 1.4 §4
(`/01/{gtin}`, `/01/{gtin}/10/{lot}`, `/01/{gtin}/21/{serial}`,
`/01/{gtin}/10/{lot}/21/{serial}`, `/00/{sscc}`). As a GS1 conformant
resolver does (GS1-Conformant Resolver Standard 1.1 §6, link types), one URI
answers several ways: the HTML page for a browser; the traceability record
as JSON for `Accept: application/json` or `?linkType=gs1:traceability`; and
the list of links (an RFC 9264 linkset) for `?linkType=all`.

Every consumer check is logged anonymously (`suyuan.trace.journey.scanlog`) in the
transaction that reads the page, so the page counts itself. The checker is
known only by a keyed hash of its address and the day; the address is the
connecting peer's, or, when that peer is one of `SUYUAN_TRUSTED_PROXIES`, the
right-most X-Forwarded-For hop that is not a trusted proxy. An unregistered or malformed
code gets a red warning page (404, 400), never a server error. Reviews and
complaints arrive as plain HTML form posts carrying the review token and go
through the same capture path as `POST /v1/events` with `Bearer rv_...`.
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
import time
import uuid
from datetime import datetime, timezone
from functools import lru_cache, partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Connection, func, select
from starlette.concurrency import run_in_threadpool

from suyuan.api import scanview
from suyuan.api.errors import error_body
from suyuan.config import Settings, get_settings
from suyuan.errors import InputError, SuyuanError
from suyuan.ledger.chain import recorded_ids
from suyuan.ledger.models import Checkpoint
from suyuan.codes.gs1 import make_key, validate_key
from suyuan.codes import regions
from suyuan.trace.events.capture import REVIEW_TOKEN_PREFIX, capture
from suyuan.trace.goods.registry import KeyRef, key_ref
from suyuan.trace.journey.public import PublicRecord, Warning, public_record
from suyuan.trace.journey.scanlog import CHECKER_SALT_PURPOSE, ScanStats, checker_id, china_day, record_scan

router = APIRouter(tags=["resolver (GS1 Digital Link)"])
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")

TRACEABILITY = ("gs1:traceability", "https://gs1.org/voc/traceability", "https://ref.gs1.org/voc/traceability")
REGION_HEADER = "x-region"
CHECKPOINT_TTL = 1.0  # seconds: a checkpoint is at most this stale on the page
PAGE_THREADS = 8  # pages built at once per process (see _in_thread)
REVIEW_TOKEN_LINK = re.compile(r"^rv_[A-Za-z0-9_-]{1,100}$")


class _CheckpointSize:
    """The latest checkpoint size, read at most once a second per process (checkpoints only grow)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: int | None = None
        self._at = 0.0

    def get(self, engine) -> int:  # noqa: ANN001
        now = time.monotonic()
        if self._value is not None and now - self._at < CHECKPOINT_TTL:
            return self._value
        with engine.connect().execution_options(readonly=True) as conn:
            value = conn.execute(select(func.max(Checkpoint.__table__.c.size))).scalar() or 0
        with self._lock:
            self._value, self._at = value, now
        return value


def _checkpoint_size(request: Request) -> int:
    state = request.app.state
    cache = getattr(state, "resolver_checkpoint", None)
    if cache is None:
        cache = state.resolver_checkpoint = _CheckpointSize()
    return cache.get(state.ledger.engine)


def _settings(request: Request) -> Settings:
    override = request.app.dependency_overrides.get(get_settings)
    return override() if override else get_settings()


# --- negotiation -----------------------------------------------------------------------


def _wants(request: Request) -> str:
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


def _lang(request: Request) -> str:
    return scanview.lang_of(request.query_params.get("lang"))


def _region(request: Request) -> str | None:
    value = request.query_params.get("region") or request.headers.get(REGION_HEADER)
    return value if regions.is_region(value) else None


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)


def client_address(request: Request, settings: Settings) -> str:
    """The checking client's address: the peer's, unless the peer is a trusted proxy.

    Behind trusted proxies, the client is the right-most X-Forwarded-For hop
    that is not itself a trusted proxy: hops further left were written by the
    client and may be anything. With no trusted proxies the header is ignored,
    so a client cannot pose as many by sending it.
    """
    peer = request.client.host if request.client else ""
    trusted = _networks(tuple(settings.trusted_proxies))
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [h.strip() for value in request.headers.getlist("x-forwarded-for") for h in value.split(",")]
    hops = [h for h in hops if h]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop[:100]
    return hops[0][:100] if hops else peer


def _checker_salt(request: Request) -> bytes:
    state = request.app.state
    salt = getattr(state, "checker_salt", None)
    if salt is None:
        salt = state.checker_salt = state.ledger.signer.derive_secret(CHECKER_SALT_PURPOSE)
    return salt


def _gtin14(gtin: str) -> str:
    # Digital Link allows GTIN-8, -12 and -13 in the path; the ledger keys GTIN-14.
    return gtin.zfill(14) if gtin.isdigit() and len(gtin) in (8, 12, 13) else gtin


def _page_url(key: str, lang: str, **extra: str) -> str:
    query = {"lang": lang} if lang != "zh" else {}
    query |= extra
    return "/" + key + ("?" + urlencode(query) if query else "")


# --- the resolver ------------------------------------------------------------------------


def _resolve(request: Request, *, gtin: str | None = None, lot: str | None = None,
             serial: str | None = None, sscc: str | None = None) -> Response:
    mode, lang = _wants(request), _lang(request)
    shown_key = "/".join(p for p in request.url.path.strip("/").split("/"))
    try:
        key = make_key(sscc=sscc) if sscc is not None else make_key(gtin=_gtin14(gtin or ""), lot=lot, serial=serial)
        ref = key_ref(key)
    except InputError as exc:
        return _not_ours(request, mode, lang, shown_key, Warning("invalid", {"detail": str(exc)}), 400)
    engine = request.app.state.ledger.engine
    settings = _settings(request)
    try:
        rec = _build(request, engine, settings, ref, count=mode != "linkset")
    except SuyuanError as exc:  # a key that parses but names nothing usable
        return _not_ours(request, mode, lang, shown_key, Warning("invalid", {"detail": str(exc)}), 400)
    if rec is None:
        return _not_ours(request, mode, lang, key, Warning("unregistered", {"key": key}), 404)
    if mode == "linkset":
        return _linkset(request, rec)
    if mode == "json":
        body = rec.as_json() | {"uri": _absolute(request, rec.key),
                                "messages": [scanview.warning_line(w, lang) for w in rec.warnings],
                                "notices": scanview.notices(rec, lang)}
        return JSONResponse(body, headers=_headers(request, rec.key))
    done = request.query_params.get("done")
    # A review token in the link (the QR code on a delivery slip) fills in the forms; such a page
    # is not stored by caches and sends no Referer, so the token goes no further.
    token = request.query_params.get("review_token", "")
    token = token if REVIEW_TOKEN_LINK.match(token) else None
    headers = _headers(request, rec.key)
    if token:
        headers |= {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    ctx = scanview.page_context(rec, lang) | {
        "request": request, "page_url": _page_url(rec.key, lang),
        "other_lang_url": _page_url(rec.key, scanview.TEXT[lang]["switch_lang"]),
        "json_url": "/" + rec.key + "?linkType=gs1:traceability",
        "form_id": str(uuid.uuid4()), "complain_form_id": str(uuid.uuid4()), "review_token": token,
        "done": scanview.TEXT[lang].get("thanks_" + done) if done in ("review", "complain") else None,
    }
    return templates.TemplateResponse(request, "scan.html", ctx, headers=headers)


def _build(request: Request, engine, settings: Settings, ref: KeyRef, *, count: bool) -> PublicRecord | None:  # noqa: ANN001
    """Look the goods up, log the check once they are known to exist, and assemble the record."""
    region = _region(request)
    address = client_address(request, settings)

    def log_check(conn: Connection, key: str) -> ScanStats:
        now = datetime.now(timezone.utc)
        checker = checker_id(_checker_salt(request), address, china_day(now))
        return record_scan(conn, settings, key, region, now, checker=checker, watch=ref.kind == "item")

    return public_record(engine, ref, record_check=log_check if count else None,
                         checkpoint_size=_checkpoint_size(request))


def _headers(request: Request, key: str) -> dict[str, str]:
    base = _absolute(request, key)
    return {
        "Vary": "Accept",
        "Cache-Control": "no-cache",  # every check is counted, and recalls show at once
        "Link": f'<{base}?linkType=gs1:traceability>; rel="gs1:traceability"; type="application/json", '
                f'<{base}?linkType=all>; rel="linkset"; type="application/linkset+json"',
    }


def _absolute(request: Request, key: str) -> str:
    return str(request.base_url).rstrip("/") + "/" + key


def _linkset(request: Request, rec: PublicRecord) -> JSONResponse:
    """RFC 9264 linkset of what this resolver offers for the key (GS1 link types)."""
    anchor = _absolute(request, rec.key)
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


def _not_ours(request: Request, mode: str, lang: str, key: str, warning: Warning, status: int) -> Response:
    line = scanview.warning_line(warning, lang)
    if mode != "html":
        return JSONResponse({"detail": line if lang == "en" else scanview.warning_line(warning, "en"),
                             "field": "key", "key": key,
                             "warnings": [{"code": warning.code, **warning.params}]},
                            status_code=status, headers={"Vary": "Accept", "Cache-Control": "no-cache"})
    t = scanview.TEXT[lang]
    query = {"lang": t["switch_lang"]} if t["switch_lang"] != "zh" else {}
    other = request.url.path + ("?" + urlencode(query) if query else "")
    return templates.TemplateResponse(request, "warning.html", {
        "request": request, "t": t, "lang": lang, "line": line, "code": warning.code,
        "other_lang_url": other}, status_code=status, headers={"Vary": "Accept", "Cache-Control": "no-cache"})


async def _in_thread(request: Request, **path: str | None) -> Response:
    """`_resolve` on a worker thread, at most PAGE_THREADS at once.

    Each page holds one database connection while it is built and spends most
    of its time waiting on it; past a few threads, more of them only contend
    for the GIL (and the pool), so further requests wait here, in the event loop.
    """
    limiter = getattr(request.app.state, "resolver_limiter", None)
    if limiter is None:
        limiter = request.app.state.resolver_limiter = anyio.CapacityLimiter(PAGE_THREADS)
    return await anyio.to_thread.run_sync(partial(_resolve, request, **path), limiter=limiter)


@router.get("/01/{gtin}/10/{lot}/21/{serial}", summary="Item page (GS1 Digital Link, lot and serial)")
async def item_with_lot(request: Request, gtin: str, lot: str, serial: str) -> Response:
    return await _in_thread(request, gtin=gtin, lot=lot, serial=serial)


@router.get("/01/{gtin}/21/{serial}", summary="Item page (GS1 Digital Link, serial)")
async def item(request: Request, gtin: str, serial: str) -> Response:
    return await _in_thread(request, gtin=gtin, serial=serial)


@router.get("/01/{gtin}/10/{lot}", summary="Batch page (GS1 Digital Link, lot)")
async def batch(request: Request, gtin: str, lot: str) -> Response:
    return await _in_thread(request, gtin=gtin, lot=lot)


@router.get("/01/{gtin}", summary="Product page (GS1 Digital Link, GTIN)")
async def product(request: Request, gtin: str) -> Response:
    return await _in_thread(request, gtin=gtin)


@router.get("/00/{sscc}", summary="Parcel page (GS1 Digital Link, SSCC)")
async def parcel(request: Request, sscc: str) -> Response:
    return await _in_thread(request, sscc=sscc)


# --- reviews and complaints ------------------------------------------------------------------

FORM_FIELDS = {"review": ("rating", "text"), "complain": ("category", "text")}


def _first_stamp(engine, ident: str) -> str | None:  # noqa: ANN001
    """The time the first post of this form was stamped with, if it was recorded.

    A form's time is the server's clock when it is posted, so the same form
    posted again a second later would otherwise be another statement under
    the same id (409): with the first time it is answered as the retry it is.
    """
    with engine.connect().execution_options(readonly=True) as conn:
        row = recorded_ids(conn, [ident]).get(ident)
    if row is None:
        return None
    try:
        stamped = json.loads(bytes(row.canonical))["statement"]["time"]
    except (ValueError, KeyError, TypeError):
        return None
    return stamped if isinstance(stamped, str) else None


@router.post("/scan/{action}", summary="Review or complaint form post (review token in a form field)",
             response_class=HTMLResponse)
async def feedback(request: Request, action: str) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=20)
    field = lambda name: (form.get(name) or [""])[0].strip()  # noqa: E731
    lang = scanview.lang_of(field("lang"))
    key, token = field("key"), field("token")
    try:
        if action not in FORM_FIELDS:
            raise InputError(f"Invalid form action {action[:20]!r}: expected review or complain.", field="action")
        if not token.startswith(REVIEW_TOKEN_PREFIX):
            raise InputError("Invalid review token: expected the rv_... code issued at delivery.", field="token")
        data: dict[str, Any] = {}
        if action == "review":
            rating = field("rating")
            data["rating"] = int(rating) if rating.isdigit() and len(rating) < 3 else rating
            if field("text"):
                data["text"] = field("text")
        else:
            data = {"category": field("category"), "text": field("text")}
        ident = field("id")
        try:
            ident = str(uuid.UUID(ident))
        except ValueError:
            ident = str(uuid.uuid4())
        settings = _settings(request)
        engine = request.app.state.ledger.engine
        stamped = await run_in_threadpool(_first_stamp, engine, ident)
        statement = {"key": key, "type": action,
                     "time": stamped or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "actor": None, "data": data, "id": ident}
        await run_in_threadpool(capture, engine, settings, statement, None, review_token=token)
    except SuyuanError as exc:
        status, body = error_body(exc)
        t = scanview.TEXT[lang]
        try:
            back = _page_url(validate_key(key), lang)
        except InputError:
            back = None  # never link to whatever the form claimed
        return templates.TemplateResponse(request, "warning.html", {
            "request": request, "t": t, "lang": lang, "line": t["refused"] + body["detail"],
            "code": "refused", "back_url": back, "other_lang_url": None}, status_code=status)
    return RedirectResponse(_page_url(key, lang, done=action), status_code=303)
