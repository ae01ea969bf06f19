"""The GS1 Digital Link resolver: the public page behind every QR code.

Paths are the Digital Link URI paths of GS1 Digital Link URI Syntax 1.4 §4
(`/01/{gtin}`, `/01/{gtin}/10/{lot}`, `/01/{gtin}/21/{serial}`,
`/01/{gtin}/10/{lot}/21/{serial}`, `/00/{sscc}`). One URI answers as a page,
as JSON or as a linkset (`suyuan.api.links`).

Every consumer check is logged anonymously (`suyuan.trace.journey.scanlog`) in the
transaction that reads the page, so the page counts itself. The checker is
known only by a keyed hash of its address and the day; the address is the
connecting peer's, or, when that peer is one of `SUYUAN_TRUSTED_PROXIES`, the
right-most X-Forwarded-For hop that is not a trusted proxy
(`suyuan.api.deps.client_address`). An unregistered or malformed code gets a
red warning page (404, 400), never a server error; a check of an unregistered
serial under a registered GTIN is logged as well (a possible made-up code, for
`suyuan.analytics`). Reviews and complaints posted from the page are
`suyuan.api.routes.feedback`.

Pages carry a weak ETag and a short `Cache-Control: max-age`
(`suyuan.api.pagecache`), so a CDN or a reverse proxy carries repeated
scans; a revalidation of the tag this process sent lately is answered 304
at once, its check logged a moment later in a batch.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.routing import Match

from suyuan.api import deps, links, pagecache, scanview
from suyuan.api.params import GtinPath, QualifierPath, SsccPath
from suyuan.codes import regions
from suyuan.codes.gs1 import make_key
from suyuan.config import Settings
from suyuan.errors import InputError, SuyuanError
from suyuan.ledger.ledger import Ledger
from suyuan.trace.goods.registry import KeyRef, key_ref
from suyuan.trace.journey.public import CheckpointSize, PublicRecord, Warning, public_record
from suyuan.trace.credit.record import PartyCredit
from suyuan.trace.journey.scanlog import CheckQueue, consumer_check

router = APIRouter(tags=["resolver (GS1 Digital Link)"])
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")

REGION_HEADER = "x-region"
REVIEW_TOKEN_LINK = re.compile(r"^rv_[A-Za-z0-9_-]{1,100}$")


@dataclass(frozen=True)
class Page:
    """What building one scan page needs, from the dependencies."""

    request: Request
    settings: Settings
    ledger: Ledger
    address: str
    salt: bytes
    checkpoints: CheckpointSize
    limiter: anyio.CapacityLimiter
    tags: pagecache.PageTags
    checks: CheckQueue
    credit: PartyCredit

    @property
    def lang(self) -> str:
        return scanview.lang_of(self.request.query_params.get("lang"))

    @property
    def region(self) -> str | None:
        value = self.request.query_params.get("region") or self.request.headers.get(REGION_HEADER)
        return value if regions.is_region(value) else None


async def get_page(request: Request) -> Page:
    """One dependency for all a page needs (each a FastAPI dependency of its own costs a scan of its
    signature per request, which a revalidation answered 304 would spend most of its time on)."""
    settings, ledger = await deps.get_settings(request), await deps.get_ledger(request)
    tags = await deps.get_page_tags(request, settings)
    return Page(request, settings, ledger, deps.client_address(request, settings),
                await deps.get_checker_salt(request, ledger), await deps.get_checkpoint_size(request),
                await deps.get_page_limiter(request), tags, await deps.get_check_queue(request, ledger, settings, tags),
                await deps.get_party_credit(request))


def _gtin14(gtin: str) -> str:
    # Digital Link allows GTIN-8, -12 and -13 in the path; the ledger keys GTIN-14.
    return gtin.zfill(14) if gtin.isdigit() and len(gtin) in (8, 12, 13) else gtin


# --- the resolver ------------------------------------------------------------------------


def _resolve(page: Page, *, gtin: str | None = None, lot: str | None = None,
             serial: str | None = None, sscc: str | None = None) -> Response:
    request, mode, lang = page.request, links.wants(page.request), page.lang
    shown_key = "/".join(p for p in request.url.path.strip("/").split("/"))
    try:
        key = make_key(sscc=sscc) if sscc is not None else make_key(gtin=_gtin14(gtin or ""), lot=lot, serial=serial)
        ref = key_ref(key)
    except InputError as exc:
        return _not_ours(request, mode, lang, shown_key, Warning("invalid", {"detail": str(exc)}), 400)
    try:
        rec = _build(page, ref, count=mode != "linkset")
    except SuyuanError as exc:  # a key that parses but names nothing usable
        return _not_ours(request, mode, lang, shown_key, Warning("invalid", {"detail": str(exc)}), 400)
    if rec is None:
        return _not_ours(request, mode, lang, key, Warning("unregistered", {"key": key}), 404)
    if mode == "linkset":
        return links.linkset(request, rec)
    record = rec.as_json()
    tag = _tag(page, mode, rec, record)
    if tag is not None and pagecache.matches(request.headers.get("if-none-match"), tag):
        return _not_modified(page, tag)
    if mode == "json":
        body = record | {"uri": links.absolute(request, rec.key),
                         "messages": [scanview.warning_line(w, lang) for w in rec.warnings],
                         "notices": scanview.notices(rec, lang)}
        return JSONResponse(body, headers=links.page_headers(request, rec.key) | _cache_headers(page, tag))
    return _html(request, rec, lang, _cache_headers(page, tag))


# --- HTTP caching (`suyuan.api.pagecache`) ------------------------------------------------


def _url(page: Page, mode: str) -> tuple[str, str]:
    return mode, page.request.url.path + "?" + page.request.url.query


def _tag(page: Page, mode: str, rec: PublicRecord, record: dict) -> str | None:
    """The page's tag, remembered for revalidations; None for pages no cache may keep (a review token's)."""
    query = page.request.query_params
    if page.settings.scan_page_max_age_seconds <= 0 or query.get("review_token"):
        return None
    tag = pagecache.etag((mode, page.lang, query.get("done") or ""), record)
    page.tags.remember(_url(page, mode), tag, rec.key, rec.kind)
    return tag


def _cache_headers(page: Page, tag: str | None) -> dict[str, str]:
    if tag is None:
        return {}
    return {"ETag": tag, "Cache-Control": f"public, max-age={page.settings.scan_page_max_age_seconds}"}


def _not_modified(page: Page, tag: str) -> Response:
    """304: no body (RFC 9110 §15.4.5), the validator and the caching headers again."""
    return Response(status_code=304, headers={"Vary": "Accept", **_cache_headers(page, tag)})


class Revalidations:
    """Pure ASGI middleware: a revalidation of a scan page this process tagged lately is answered 304
    here, before routing (the resolver's paths come after every other route) and dependencies.

    Anything else, and any tag not remembered, goes on to the route, which reads the record.
    """

    def __init__(self, app):  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send):  # noqa: ANN001
        if (scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(("/01/", "/00/"))
                or not any(name == b"if-none-match" for name, _ in scope["headers"])):
            return await self.app(scope, receive, send)
        route = next((r for r in router.routes if r.matches(scope)[0] == Match.FULL), None)
        if route is None or getattr(scope["app"].state, "ledger", None) is None:
            return await self.app(scope, receive, send)
        answer = _revalidated(await get_page(Request(scope)))
        if answer is None:
            return await self.app(scope, receive, send)
        scope["route"] = route  # counted and logged as the page's route
        await answer(scope, receive, send)


def _revalidated(page: Page) -> Response | None:
    """A 304 straight from the tag this process sent for the URL, the check logged off the request path."""
    if "if-none-match" not in page.request.headers:
        return None
    mode = links.wants(page.request)
    found = page.tags.fresh(_url(page, mode), page.request.headers["if-none-match"]) if mode != "linkset" else None
    if found is None:
        return None
    page.checks.add(page.salt, page.address, found.key, page.region, watch=found.kind == "item")
    return _not_modified(page, found.tag)


def _html(request: Request, rec: PublicRecord, lang: str, cache: dict[str, str]) -> Response:
    done = request.query_params.get("done")
    # A review token in the link (the QR code on a delivery slip) fills in the forms; such a page
    # is not stored by caches and sends no Referer, so the token goes no further.
    token = request.query_params.get("review_token", "")
    token = token if REVIEW_TOKEN_LINK.match(token) else None
    headers = links.page_headers(request, rec.key) | cache
    if token:
        headers |= {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    ctx = scanview.page_context(rec, lang) | {
        "request": request, "page_url": links.page_url(rec.key, lang),
        "other_lang_url": links.page_url(rec.key, scanview.TEXT[lang]["switch_lang"]),
        "json_url": "/" + rec.key + "?linkType=gs1:traceability",
        "form_id": str(uuid.uuid4()), "complain_form_id": str(uuid.uuid4()), "review_token": token,
        "done": scanview.TEXT[lang].get("thanks_" + done) if done in ("review", "complain") else None,
    }
    return templates.TemplateResponse(request, "scan.html", ctx, headers=headers)


def _build(page: Page, ref: KeyRef, *, count: bool) -> PublicRecord | None:
    """Look the goods up, log the check once they are known to exist, and assemble the record."""
    check = consumer_check(page.settings, page.salt, page.address, page.region, watch=ref.kind == "item")
    # A made-up serial under a real GTIN is logged too (no page flags: the page already warns "unregistered").
    unknown = consumer_check(page.settings, page.salt, page.address, page.region, watch=False)
    return public_record(page.ledger.engine, ref, record_check=check if count else None,
                         checkpoint_size=page.checkpoints.get(page.ledger.engine), settings=page.settings,
                         record_unregistered=unknown if count and ref.kind == "item" else None,
                         credit_cache=page.credit)


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


async def _in_thread(page: Page, **path: str | None) -> Response:
    """`_resolve` on a worker thread, at most PAGE_THREADS at once (`suyuan.api.deps.get_page_limiter`).

    Further requests wait here, in the event loop, not in the thread pool. A revalidation of a page
    this process sent lately is answered here, without a thread.
    """
    revalidated = _revalidated(page)
    if revalidated is not None:
        return revalidated
    return await anyio.to_thread.run_sync(partial(_resolve, page, **path), limiter=page.limiter)


PageDep = Depends(get_page)
_WARNING = {"text/html": {"schema": {"type": "string"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
PAGE = {"response_class": Response, "responses": {
    200: {"description": "The page (HTML), the record (JSON, `?linkType=gs1:traceability`) or the linkset",
          "content": {"text/html": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "object"}},
                      "application/linkset+json": {"schema": {"type": "object"}}}},
    400: {"description": "Not a valid GS1 key: a red warning page", "content": _WARNING},
    404: {"description": "Not registered here: a red warning page", "content": _WARNING}}}


@router.get("/01/{gtin}/10/{lot}/21/{serial}", summary="Item page (GS1 Digital Link, lot and serial)", **PAGE)
async def item_with_lot(gtin: GtinPath, lot: QualifierPath, serial: QualifierPath, page: Page = PageDep) -> Response:
    return await _in_thread(page, gtin=gtin, lot=lot, serial=serial)


@router.get("/01/{gtin}/21/{serial}", summary="Item page (GS1 Digital Link, serial)", **PAGE)
async def item(gtin: GtinPath, serial: QualifierPath, page: Page = PageDep) -> Response:
    return await _in_thread(page, gtin=gtin, serial=serial)


@router.get("/01/{gtin}/10/{lot}", summary="Batch page (GS1 Digital Link, lot)", **PAGE)
async def batch(gtin: GtinPath, lot: QualifierPath, page: Page = PageDep) -> Response:
    return await _in_thread(page, gtin=gtin, lot=lot)


@router.get("/01/{gtin}", summary="Product page (GS1 Digital Link, GTIN)", **PAGE)
async def product(gtin: GtinPath, page: Page = PageDep) -> Response:
    return await _in_thread(page, gtin=gtin)


@router.get("/00/{sscc}", summary="Parcel page (GS1 Digital Link, SSCC)", **PAGE)
async def parcel(sscc: SsccPath, page: Page = PageDep) -> Response:
    return await _in_thread(page, sscc=sscc)
