"""Operations: liveness, readiness and metrics, for load balancers, orchestrators and Prometheus (public)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from suyuan.api.errors import typed_response
from suyuan.api.metrics import CONTENT_TYPE
from suyuan.errors import Unavailable

router = APIRouter(tags=["operations"])

UNAVAILABLE = {503: {"description": "Not ready; retry after `Retry-After` seconds",
                     "headers": {"Retry-After": {"schema": {"type": "integer"}}}}}


class Health(BaseModel):
    status: str = Field(description="`ok`: the process is up and serving HTTP")


class LogState(BaseModel):
    queued: int = Field(description="Entries recorded and waiting for the sequencer")
    oldest_queued_seconds: float = Field(description="How long the oldest of them has waited; 0 when none")
    checkpoint_size: int | None = Field(description="Tree size of the latest signed checkpoint")
    max_lag_seconds: float = Field(description="The bound on `oldest_queued_seconds` (SUYUAN_READY_MAX_LAG_SECONDS)")


class Ready(BaseModel):
    status: str = Field(description="`ready`")
    schema_revision: str = Field(description="The database's schema revision, the migrations' head")
    log: LogState


@router.get("/healthz", response_model=Health, summary="Liveness: the process is up (answers without the database)")
async def healthz():
    return {"status": "ok"}


@router.get("/readyz", response_model=Ready, responses=UNAVAILABLE,
            summary="Readiness: the database answers, the schema is current, the sequencer is not behind")
def readyz(request: Request):
    readiness = getattr(request.app.state, "readiness", None)
    if readiness is None:
        return typed_response(Unavailable("Not ready: the server is starting; retry in 1 s."))
    problem = readiness.problem()
    if problem is not None:
        return typed_response(problem)
    lag, problem = readiness.lag()
    if problem is not None:
        return typed_response(problem)
    return {"status": "ready", "schema_revision": readiness.head,
            "log": {"queued": lag.queued, "oldest_queued_seconds": round(lag.oldest_age_seconds, 3),
                    "checkpoint_size": lag.checkpoint_size, "max_lag_seconds": readiness.max_lag_seconds}}


@router.get("/metrics", response_class=Response, summary="Prometheus metrics (text exposition format)",
            responses={200: {"description": "Prometheus text exposition format 0.0.4",
                             "content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE)
