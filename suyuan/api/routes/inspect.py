"""The inspector's tools: verify a journey, take it away as a bundle, trace, export.

Verification and bundles are public: they disclose only ledger entries,
which `/v1/chains` already serves, and a consumer's page links to them.
Traces and exports gather a batch's whole distribution (merchants, regions,
volumes): they need an inspector's or an admin's API key (DESIGN.md, "Who
uses it": inspectors trace).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from suyuan.api.deps import EngineDep, InspectorParty, LedgerDep
from suyuan.api.params import LOT_PATTERN, BatchKey, ItemKey, date_or_time_query, media
from suyuan.codes.gs1 import validate_key
from suyuan.trace.journey import export
from suyuan.trace.journey import evidence
from suyuan.trace.journey import tracing

router = APIRouter(tags=["inspector"])


@router.get("/v1/items/{key:path}/verify",
            summary="Server-side verdict on an item's journey: chains, signatures, inclusion in the log")
def verify(key: ItemKey, ledger: LedgerDep) -> dict[str, Any]:
    validate_key(key)
    return evidence.verify_item(ledger, key)


@router.get("/v1/items/{key:path}/bundle",
            summary="Everything needed to verify an item's journey offline (`suyuan verify-bundle`)")
def bundle(key: ItemKey, ledger: LedgerDep) -> dict[str, Any]:
    validate_key(key)
    return evidence.build_bundle(ledger, key).to_json()


@router.get("/v1/items/{key:path}/trace",
            summary="Backward trace: batch, product, producer (real name, licences), inputs (inspectors)")
def trace_item(key: ItemKey, inspector: InspectorParty, engine: EngineDep) -> dict[str, Any]:
    validate_key(key)
    return tracing.trace_backward(engine, key)


@router.get("/v1/batches/{key:path}/trace", response_class=Response,
            summary="Forward trace of a batch, paged by item key (inspectors)")
def trace_batch(key: BatchKey, inspector: InspectorParty, engine: EngineDep,
                limit: int = Query(tracing.DEFAULT_PAGE, ge=1, le=tracing.MAX_PAGE),
                after: str | None = Query(None, max_length=200, description="The `next` of the previous page"),
                cursor: str | None = Query(None, max_length=200, deprecated=True,
                                           description="Older name of `after`")) -> Response:
    validate_key(key)
    body = tracing.trace_forward_json(engine, key, limit=limit, after=after if after is not None else cursor)
    return Response(body, media_type="application/json")


@router.get("/v1/exports/kde.csv", response_class=StreamingResponse,
            responses=media("text/csv") | {404: {"description": "No product is registered under that GTIN"}},
            summary="Key data elements of every event, one CSV row each, streamed (inspectors)")
def export_kde(inspector: InspectorParty, engine: EngineDep,
               product: str | None = Query(None, max_length=200, description="GTIN-14 (empty: any)",
                                           json_schema_extra={"pattern": r"^([0-9]{14})?$"}),
               lot: str | None = Query(None, max_length=20, description="a lot of `product` (requires it; empty: any)",
                                       json_schema_extra={"pattern": f"^({LOT_PATTERN[1:-1]})?$"}),
               start: str | None = date_or_time_query("event date or time, inclusive", "from"),
               end: str | None = date_or_time_query("event date (whole day included) or time, exclusive", "to")):
    flt = export.kde_filter(engine, product, lot, start, end)
    name = "kde" + (f"-{flt.gtin}" if flt.gtin else "") + (f"-{flt.lot}" if flt.lot else "") + ".csv"
    safe_name = "".join(c if c.isalnum() or c in "-._" else "_" for c in name)
    return StreamingResponse(export.kde_csv(engine, flt), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{safe_name}"'})
