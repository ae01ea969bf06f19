"""One place that maps suyuan's typed errors to HTTP statuses and bodies.

Every 4xx body is `{"detail": "<one sentence>", "field": <name or null>}`.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from suyuan.api import contract
from suyuan.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InputError,
    NotFound,
    RuleViolation,
    NotAcceptable,
    SuyuanError,
    TooLarge,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
    VerificationError,
)
from suyuan.ledger.faults import DATABASE_ERRORS, as_suyuan_error
from suyuan.trace.privacy.vault import Erased

logger = logging.getLogger("suyuan")

STATUS = (
    (Unauthorized, 401),
    (Forbidden, 403),
    (RuleViolation, 409),  # a valid request the recorded state does not allow
    (BadRequest, 400),  # an EPCIS document or query that breaks the standard (EPCIS REST binding)
    (TooLarge, 413),
    (NotAcceptable, 406),
    (UnsupportedMediaType, 415),
    (InputError, 422),
    (Erased, 410),  # a NotFound whose data existed and was destroyed for good
    (NotFound, 404),
    (Conflict, 409),
    (VerificationError, 422),
    (Unavailable, 503),  # not ready, or the database is not answering: retry after `Retry-After`
)


def _body(status: int, detail: str, field: str | None = None, rule: str | None = None,
          retry_after: int | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"detail": detail, "field": field}
    if rule is not None:
        body["rule"] = rule
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status == 503:
        headers["Retry-After"] = str(retry_after or 1)
    return JSONResponse(body, status_code=status, headers=headers or None)


def typed_response(exc: SuyuanError) -> JSONResponse:
    """The JSON answer for a typed error (also what the readiness gate answers)."""
    status, body = error_body(exc)
    return _body(status, body["detail"], body["field"], body.get("rule"), getattr(exc, "retry_after", None))


def error_body(exc: SuyuanError) -> tuple[int, dict]:
    """Status and body for a typed error, also used per statement by batch capture."""
    for cls, status in STATUS:
        if isinstance(exc, cls):
            body = {"detail": str(exc), "field": getattr(exc, "field", None)}
            if getattr(exc, "rule", None):
                body["rule"] = exc.rule
            return status, body
    return 500, {"detail": "Internal error.", "field": None}


def _validation_sentence(exc: RequestValidationError) -> tuple[str, str | None]:
    err = exc.errors()[0]
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
    field = ".".join(loc) or None
    kind = err.get("type", "")
    if kind == "json_invalid":
        return "Malformed JSON body: " + str(err.get("ctx", {}).get("error", "cannot parse")) + ".", None
    if kind == "extra_forbidden":
        return f"Unknown field {field!r}: remove it.", field
    if kind == "missing":
        return f"Missing field {field!r}.", field
    msg = err.get("msg", "invalid value").rstrip(".")
    return f"Invalid {field or 'request'}: {msg}.", field


def install(app: FastAPI) -> None:
    @app.exception_handler(SuyuanError)
    async def _suyuan(_: Request, exc: SuyuanError) -> JSONResponse:
        return typed_response(exc)

    async def _database(request: Request, exc: Exception) -> JSONResponse:
        # A safety net: the checks before writing should have answered already.
        logger.warning("database error on %s %s: %s", request.method, request.url.path,
                       str(getattr(exc, "orig", exc)).strip().splitlines()[:1])
        typed = as_suyuan_error(exc)
        readiness = getattr(request.app.state, "readiness", None)
        if isinstance(typed, Unavailable) and readiness is not None:
            readiness.lost()  # the gate answers 503 until the database is back
        return typed_response(typed)

    for cls in DATABASE_ERRORS:
        app.add_exception_handler(cls, _database)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail, field = _validation_sentence(exc)
        return _body(422, detail, field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "Request refused."
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and detail == "Not Found":
            detail = "No such path; see /docs for the API."
        if exc.status_code == 405:  # RFC 9110 §15.5.6: name the methods the path has
            headers["Allow"] = contract.allowed_methods(request)
            detail = f"Method {request.method} not allowed: expected one of {headers['Allow']}."
        return _body(exc.status_code, detail, headers=headers)
