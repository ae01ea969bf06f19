"""Label sheets over HTTP: `GET /v1/batches/{key}/labels.pdf` for the batch's producer.

The same A4 sheets as `suyuan labels --out x.pdf` (`suyuan.codes.labels`):
one label per item with its QR code (a Digital Link URI on
`settings.resolver_url`), the full GS1 HRI, the product name and the origin,
in the embedded label font. Only the party that registered the batch's
product may print them: a sheet of valid serialised codes is exactly what a
counterfeiter wants.
"""

from __future__ import annotations

import tempfile
from typing import Iterator

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from suyuan.api.deps import CurrentParty, EngineDep, SettingsDep
from suyuan.api.params import BatchKey, media
from suyuan.codes import labels
from suyuan.codes.gs1 import split_key
from suyuan.trace.goods.labels import batch_labels
from suyuan.trace.goods.registry import MAX_SERIALISE

router = APIRouter(tags=["labels"])

PREFIX, SUFFIX = "/v1/batches/", "/labels.pdf"
_CHUNK = 64 * 1024
_SPOOL = 8 * 1024 * 1024  # sheets of a few hundred labels stay in memory; larger ones spill to disk


def _stream(spool) -> Iterator[bytes]:  # noqa: ANN001
    try:
        spool.seek(0)
        while chunk := spool.read(_CHUNK):
            yield chunk
    finally:
        spool.close()


@router.get(PREFIX + "{key:path}" + SUFFIX, response_class=StreamingResponse,
            summary="A4 label sheets (PDF) of a batch's items, for the producer that registered the product",
            responses=media("application/pdf", binary=True))
def batch_labels_pdf(key: BatchKey, request: Request, party: CurrentParty, engine: EngineDep, settings: SettingsDep,
                     limit: int = Query(MAX_SERIALISE, ge=1, le=MAX_SERIALISE,
                                        description="at most this many labels, first by item key")):
    # The decoded path would turn %2F inside a lot into a separator; the raw one keeps the key.
    # A key sent as one encoded segment (01%2F...%2F10%2FLOT1) has no raw separator: keep the decoded one.
    raw = request.scope.get("raw_path", b"").decode("ascii", "replace")
    if raw.startswith(PREFIX) and raw.endswith(SUFFIX) and "/" in raw[len(PREFIX):-len(SUFFIX)]:
        key = raw[len(PREFIX):-len(SUFFIX)]
    items = batch_labels(engine, key, party=party.id, limit=limit, field="key")
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)
    try:
        labels.write_pdf(items, spool, settings.resolver_url)
        size = spool.tell()
    except BaseException:
        spool.close()
        raise
    parts = split_key(key)
    name = "".join(c if c.isalnum() or c in "-._" else "_" for c in f"labels-{parts['01']}-{parts['10']}.pdf")
    return StreamingResponse(_stream(spool), media_type="application/pdf",
                             headers={"Content-Disposition": f'attachment; filename="{name}"',
                                      "Content-Length": str(size), "Cache-Control": "no-store"})
