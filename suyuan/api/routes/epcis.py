"""EPCIS 2.0 REST binding: capture (jobs and single events), queries, vocabularies, journey exports.

Capture needs a party's API key and goes through the same capture as
`POST /v1/events` (`suyuan.epcis.capture`). Queries and exports are public,
like `/v1/chains`: they serve ledger entries. Headers of the binding:
`GS1-EPCIS-Version` and `GS1-CBV-Version` (2.0.x, else 406) are answered on
every response, `GS1-EPC-Format` (`No_Preference`, `Always_GS1_Digital_Link`,
`Always_EPC_URN`) is honoured on capture and query, and
`GS1-Capture-Error-Behaviour` (`rollback`, `proceed`) on capture.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from suyuan import __version__
from suyuan.api.deps import CurrentParty, EngineDep, LedgerDep, SettingsDep
from suyuan.api.params import BatchKey, ItemKey
from suyuan.codes.gs1 import validate_key
from suyuan.epcis import index, query, schema, vocabulary
from suyuan.epcis.capture import BEHAVIOURS, EPC_FORMATS, capture_events
from suyuan.epcis.document import journey_document, query_document
from suyuan.epcis.kept import SUYUAN_NS, prefixes
from suyuan.epcis.service import EpcisService
from suyuan.errors import BadRequest, NotAcceptable, NotFound, TooLarge, UnsupportedMediaType

CAPTURE_PATH = "/epcis/capture"
EPCIS_VERSION, CBV_VERSION = "2.0.0", "2.0.0"
JSON_LD = "application/ld+json"
_MEDIA = ("application/json", JSON_LD)
_VERSION = {"enum": ["2.0", "2.0.0"], "description": "2.0.x; the server speaks 2.0.0 and answers 406 to others"}


class JsonLd(JSONResponse):
    """What the binding answers (the routes build their answers; this names the media type in the OpenAPI)."""

    media_type = JSON_LD


router = APIRouter(tags=["epcis"], default_response_class=JsonLd, responses={
    400: {"description": "A document, query or header that breaks the EPCIS 2.0 standard"},
    406: {"description": "An EPCIS or CBV version other than 2.0"}})
_BODY = {"responses": {415: {"description": "A body that is not application/ld+json or application/json"}},
         "openapi_extra": {"requestBody": {"required": True, "content": {
             JSON_LD: {"schema": {"type": "object"}}, "application/json": {"schema": {"type": "object"}}}}}}


def get_epcis(request: Request) -> EpcisService:
    return request.app.state.epcis


EpcisDep = Annotated[EpcisService, Depends(get_epcis)]


def _versions(epcis_version: str | None, cbv_version: str | None) -> None:
    for name, value in (("GS1-EPCIS-Version", epcis_version), ("GS1-CBV-Version", cbv_version)):
        if value is not None and not value.strip().startswith("2.0"):
            raise NotAcceptable(f"Unsupported {name} {value[:20]!r}: expected 2.0 (this server speaks 2.0.0).",
                                field=name)


def epcis_headers(
    # The patterns and the enum document what `_versions` and the check below refuse (406, 400).
    epcis_version: Annotated[str, Header(alias="GS1-EPCIS-Version", json_schema_extra=_VERSION)] = EPCIS_VERSION,
    cbv_version: Annotated[str, Header(alias="GS1-CBV-Version", json_schema_extra=_VERSION)] = CBV_VERSION,
    epc_format: Annotated[str, Header(alias="GS1-EPC-Format", json_schema_extra={"enum": list(EPC_FORMATS)})
                          ] = "No_Preference",
) -> str:
    """Check the binding's version headers; the EPC format asked for."""
    _versions(epcis_version, cbv_version)
    if epc_format not in EPC_FORMATS:
        raise BadRequest(f"Invalid GS1-EPC-Format {epc_format[:40]!r}: expected {', '.join(EPC_FORMATS)}.",
                         field="GS1-EPC-Format")
    return epc_format


FormatDep = Annotated[str, Depends(epcis_headers)]


def _answer(body: Any, status: int = 200, epc_format: str = "No_Preference", **headers: str) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=JSON_LD, headers={
        "GS1-EPCIS-Version": EPCIS_VERSION, "GS1-CBV-Version": CBV_VERSION, "GS1-EPC-Format": epc_format,
        **headers})


async def _body(request: Request) -> Any:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in _MEDIA:
        raise UnsupportedMediaType(f"Unsupported Content-Type {media[:60]!r}: expected application/ld+json or "
                                   "application/json.", field="Content-Type")
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"Malformed JSON body: {str(exc)[:200]}.", field=None) from None


# --- discovery ----------------------------------------------------------------------------

RESOURCES = ["capture", "events", "eventTypes", "epcs", "bizSteps", "dispositions"]
_DISCOVERY = {"GS1-EPCIS-Min": EPCIS_VERSION, "GS1-EPCIS-Max": EPCIS_VERSION, "GS1-CBV-Min": CBV_VERSION,
              "GS1-CBV-Max": CBV_VERSION, "GS1-Vendor-Version": f"suyuan {__version__}",
              "GS1-Extensions": f"suyuan={SUYUAN_NS}"}


_OPTIONS = {"status_code": 204, "response_class": Response,
            "responses": {204: {"description": "`Allow` and the GS1 headers"}}}


@router.options("/epcis", summary="EPCIS 2.0 discovery: versions and formats this server speaks", **_OPTIONS)
def options_top() -> Response:
    return options("")


# One route per resource, so that each path's `Allow` is the methods the OpenAPI gives that path.
@router.options("/epcis/capture", summary="EPCIS 2.0 discovery of the capture resource", **_OPTIONS)
@router.options("/epcis/events", summary="EPCIS 2.0 discovery of the events resource", **_OPTIONS)
@router.options("/epcis/eventTypes", summary="EPCIS 2.0 discovery of the event types", **_OPTIONS)
@router.options("/epcis/bizSteps", summary="EPCIS 2.0 discovery of the bizSteps", **_OPTIONS)
@router.options("/epcis/dispositions", summary="EPCIS 2.0 discovery of the dispositions", **_OPTIONS)
def options_resource(request: Request) -> Response:
    return options(request.url.path.removeprefix("/epcis/"))


@router.options("/epcis/{resource:path}", include_in_schema=False, **_OPTIONS)
def options(resource: str = "") -> Response:
    allow = "GET, POST, OPTIONS" if resource in ("capture", "events") else "GET, OPTIONS"
    return Response(status_code=204, headers={"Allow": allow, "GS1-EPCIS-Version": EPCIS_VERSION,
                                              "GS1-CBV-Version": CBV_VERSION, "GS1-EPC-Format": "No_Preference",
                                              **_DISCOVERY})


@router.get("/epcis", summary="EPCIS 2.0: the top-level resources")
def discovery(epc_format: FormatDep) -> JSONResponse:
    return _answer({"@set": RESOURCES}, epc_format=epc_format, **_DISCOVERY)


# --- capture ------------------------------------------------------------------------------


@router.post(CAPTURE_PATH, status_code=202, summary="Capture an EPCIS document as an asynchronous job", **_BODY)
async def capture(request: Request, party: CurrentParty, epcis: EpcisDep, settings: SettingsDep,
                  epc_format: FormatDep,
                  behaviour: Annotated[str, Header(alias="GS1-Capture-Error-Behaviour",
                                                   json_schema_extra={"enum": list(BEHAVIOURS)})] = "rollback",
                  ) -> Response:
    if behaviour not in BEHAVIOURS:
        raise BadRequest(f"Invalid GS1-Capture-Error-Behaviour {behaviour[:40]!r}: expected rollback or proceed.",
                         field="GS1-Capture-Error-Behaviour")
    document = await _body(request)
    schema.check(document)
    events = document["epcisBody"]["eventList"]
    if len(events) > settings.max_batch_statements:
        raise TooLarge(f"Too many events: expected at most {settings.max_batch_statements} in one capture, got "
                       f"{len(events)}; send them in several documents.", field="epcisBody.eventList")
    job = epcis.jobs.submit(party, events, prefixes(document.get("@context")), behaviour, epc_format)
    return _answer({"captureID": job}, 202, epc_format, Location=f"{CAPTURE_PATH}/{job}")


@router.get(CAPTURE_PATH, summary="Your capture jobs, newest first")
def jobs(party: CurrentParty, epcis: EpcisDep, epc_format: FormatDep) -> JSONResponse:
    return _answer(epcis.jobs.list(party), epc_format=epc_format)


@router.get(CAPTURE_PATH + "/{capture_id}", summary="A capture job: running, success, errors")
def job(capture_id: str, party: CurrentParty, epcis: EpcisDep, epc_format: FormatDep) -> JSONResponse:
    return _answer(epcis.jobs.get(capture_id, party), epc_format=epc_format)


@router.post("/epcis/events", status_code=201, summary="Capture one EPCIS event at once", **_BODY)
async def capture_one(request: Request, party: CurrentParty, engine: EngineDep, settings: SettingsDep,
                      epc_format: FormatDep) -> Response:
    event = await _body(request)
    schema.check(event, "event")
    if event.get("type") in ("EPCISDocument", "EPCISQueryDocument"):
        raise BadRequest("Invalid event: expected one event; send a document to POST /epcis/capture.", field="type")
    declared = prefixes(event.get("@context"))
    body = {k: v for k, v in event.items() if k != "@context"}
    result = capture_events(engine, settings, party, [body], declared, epc_format=epc_format)[0]
    if result.error is not None:
        raise result.error
    location = f"/epcis/events/{quote(result.event_id, safe='')}"
    return _answer({"eventID": result.event_id}, 201 if result.created else 200, epc_format, Location=location)


# --- queries ------------------------------------------------------------------------------


def _page(request: Request, engine: Any, params: list[tuple[str, str]], epc_format: str,
          epc: str | None = None) -> JSONResponse:
    q = query.parse_query(params)
    if epc is not None:
        q.matches.append((query.ALL_FIELDS, [epc]))
    index.catch_up(engine)
    with engine.connect() as conn:
        rows = query.select_events(conn, q)
        more = len(rows) > q.per_page
        rows = rows[:q.per_page]
        events = query.load(conn, rows, epc_format)
    headers = {}
    if more:
        kept = [(k, v) for k, v in params if k != "nextPageToken"]
        url = request.url.path + "?" + urlencode(kept + [("nextPageToken", query.next_token(rows[-1].id))])
        headers["Link"] = f'<{url}>; rel="next"'
    return _answer(query_document(events), epc_format=epc_format, **headers)


@router.get("/epcis/events", summary="Query events with the EPCIS 2.0 query parameters (public)")
def events(request: Request, engine: EngineDep, epc_format: FormatDep) -> JSONResponse:
    return _page(request, engine, list(request.query_params.multi_items()), epc_format)


@router.get("/epcis/events/{event_id:path}", summary="One event by its eventID (URL-encoded)")
def event(event_id: str, request: Request, engine: EngineDep, epc_format: FormatDep) -> JSONResponse:
    index.catch_up(engine)
    with engine.connect() as conn:
        found = query.load(conn, query.select_events(conn, query.parse_query([("EQ_eventID", event_id)])),
                           epc_format)
    found = [e for e in found if e[0].get("eventID") == event_id]
    if not found:
        raise NotFound(f"No event has eventID {event_id[:200]!r}.")
    return _answer(query_document(found), epc_format=epc_format)


@router.get("/epcis/epcs/{epc:path}/events", summary="Every event naming an EPC, in any field (public)")
def epc_events(epc: str, request: Request, engine: EngineDep, epc_format: FormatDep) -> JSONResponse:
    return _page(request, engine, list(request.query_params.multi_items()), epc_format, epc)


@router.get("/epcis/eventTypes", summary="The EPCIS event types")
def event_types(epc_format: FormatDep) -> JSONResponse:
    return _answer(list(vocabulary.EVENT_TYPES), epc_format=epc_format)


@router.get("/epcis/bizSteps", summary="The CBV 2.0 bizSteps")
def biz_steps(epc_format: FormatDep) -> JSONResponse:
    return _answer(list(vocabulary.BIZ_STEPS), epc_format=epc_format)


@router.get("/epcis/dispositions", summary="The CBV 2.0 dispositions")
def dispositions(epc_format: FormatDep) -> JSONResponse:
    return _answer(list(vocabulary.DISPOSITIONS), epc_format=epc_format)


# --- journey exports ----------------------------------------------------------------------


@router.get("/v1/items/{key:path}/epcis", summary="An item's journey as an EPCIS 2.0 document (public)")
def item_epcis(key: ItemKey, ledger: LedgerDep, epc_format: FormatDep) -> JSONResponse:
    validate_key(key)
    return _answer(journey_document(ledger.engine, ledger, key, epc_format=epc_format), epc_format=epc_format)


@router.get("/v1/batches/{key:path}/epcis", summary="A batch's journey, with its items', as EPCIS 2.0 (public)")
def batch_epcis(key: BatchKey, ledger: LedgerDep, epc_format: FormatDep) -> JSONResponse:
    validate_key(key)
    return _answer(journey_document(ledger.engine, ledger, key, batch=True, epc_format=epc_format),
                   epc_format=epc_format)
