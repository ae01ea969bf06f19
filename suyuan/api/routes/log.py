"""The log's static HTTP surface: checkpoint, verifier key, tiles (C2SP tlog-tiles)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from suyuan.api.deps import LedgerDep
from suyuan.api.params import TilePathParam, media
from suyuan.ledger.verify import tiles

router = APIRouter(prefix="/log", tags=["log"])

IMMUTABLE = "public, max-age=31536000, immutable"


@router.get("/checkpoint", response_class=Response, summary="Latest signed checkpoint", responses=media("text/plain"))
def checkpoint(ledger: LedgerDep) -> Response:
    return Response(
        ledger.checkpoint(),
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "public, max-age=1"},
    )


@router.get("/key", response_class=Response, summary="The log's verifier key", responses=media("text/plain"))
def key(ledger: LedgerDep) -> Response:
    return Response(
        ledger.verifier_key + "\n",
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/tile/{path:path}", response_class=Response, summary="Hash or entry tile",
            responses=media("application/octet-stream", binary=True) | {404: {"description": "Beyond the log"}})
def tile(path: TilePathParam, ledger: LedgerDep) -> Response:
    t = tiles.parse_tile_path(path)
    if t.level is None:
        data = ledger.entry_tile(t.index, t.width)
    else:
        data = ledger.hash_tile(t.level, t.index, t.width)
    # A tile's content is fixed by its path (partial tiles name their width),
    # so both full and partial tiles are immutable; full ones are the hot case.
    return Response(data, media_type="application/octet-stream", headers={"Cache-Control": IMMUTABLE})
