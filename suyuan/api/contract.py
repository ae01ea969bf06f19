"""The OpenAPI is the contract: every operation documents each status it can answer, and that answer's body.

A route declares its request body, its 2xx models and the refusals only it
makes (e.g. 410 for an erased person). The refusals decided in shared places
are documented here, once, from what each operation declares: the readiness
gate (503 with `Retry-After`, every route but the operations endpoints), the
body limit (413, every method with a body), validation (422 in suyuan's error
body, not FastAPI's default), the credentials (401/403 where the operation
takes an `Authorization` header), a path naming something (404) and a write
the recorded state refuses (409 with `rule`). Every error status then gets
the error body of `suyuan.api.errors` unless the route documented another.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount, compile_path

ERROR_REF = "#/components/schemas/ErrorBody"
WRITES = ("post", "put", "patch", "delete")
SHARED = {
    "401": "Missing or unknown credentials",
    "403": "The credentials do not allow this",
    "404": "Nothing by that name",
    "409": "The recorded state does not allow this; `rule` names the rule",
    "413": "Request body too large",
    "422": "Invalid request: the one sentence says which field and why",
    "503": "Not ready (starting, database away, schema behind); retry after `Retry-After` seconds",
}
HEADERS = {
    "401": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
    "503": {"Retry-After": {"required": True, "schema": {"type": "string", "pattern": r"^\d+$"},
                            "description": "seconds to wait before retrying"}},
}


class ErrorBody(BaseModel):
    """Every 4xx and 5xx body (`suyuan.api.errors`)."""

    detail: str = Field(description="What was wrong and how to fix it, in one sentence")
    field: str | None = Field(description="The request field at fault, when there is one")
    rule: str | None = Field(default=None, description="With 409: the rule the request would break")


def shared_statuses(path: str, method: str, operation: dict[str, Any], open_paths: tuple[str, ...] = ()) -> list[str]:
    """The statuses the shared places can answer for this operation (`open_paths` pass the readiness gate)."""
    params = operation.get("parameters", [])
    authenticated = any(p["in"] == "header" and p["name"].lower() == "authorization" for p in params)
    statuses = []
    if path not in open_paths:
        statuses.append("503")
    if "requestBody" in operation:
        statuses.append("400")  # a body that is not UTF-8 JSON
    if params or "requestBody" in operation:
        statuses.append("422")
    if authenticated:
        statuses += ["401", "403"]
    writes = method in WRITES
    if any(p["in"] == "path" for p in params) or (writes and authenticated):  # a write names parties, goods
        statuses.append("404")
    if writes:
        statuses.append("413")
        if authenticated:
            statuses.append("409")
    return statuses


def _error_response(status: str, response: dict[str, Any]) -> dict[str, Any]:
    if response.get("description") in (None, "Validation Error"):
        response["description"] = SHARED.get(status, "Refused")
    content = response.get("content") or {}
    json_schema = content.get("application/json", {}).get("schema", {})
    if not content or ("application/json" in content and (
            not json_schema or json_schema.get("$ref", "").endswith("/HTTPValidationError"))):
        content["application/json"] = {"schema": {"$ref": ERROR_REF}}
    response["content"] = content
    if status in HEADERS:
        response["headers"] = HEADERS[status] | response.get("headers", {})
    return response


def complete(schema: dict[str, Any], open_paths: tuple[str, ...] = ()) -> dict[str, Any]:
    """Add the shared refusals to every operation of an OpenAPI document, in place, and return it."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = ErrorBody.model_json_schema()
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in shared_statuses(path, method, operation, open_paths):
                responses.setdefault(status, {})
            for status, response in responses.items():
                if status[0] in "45":
                    _error_response(status, response)
            operation["responses"] = dict(sorted(responses.items()))
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install(app: FastAPI, open_paths: tuple[str, ...]) -> None:
    """Serve the completed document at /openapi.json (built once, on first request)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(build(), open_paths)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _routes(app: Any) -> list[tuple[str, set[str]]]:
    """(path, methods) of every route, included routers' too (FastAPI 0.16x keeps them nested)."""
    try:
        from fastapi.routing import iter_route_contexts
        flat = list(iter_route_contexts(app.router.routes))
    except ImportError:  # older FastAPI: the routes are flat already
        flat = list(app.router.routes)
    out = []
    for route in flat:
        path = getattr(route, "path", None)
        if path is None:
            continue
        if isinstance(getattr(route, "original_route", route), Mount) or isinstance(route, Mount):
            out.append((path.rstrip("/") + "/{rest:path}", {"GET", "HEAD"}))  # static files
        else:
            out.append((path, set(getattr(route, "methods", None) or ())))
    return out


def _path_routes(request: Request) -> list[tuple[str, set[str]]]:
    """The routes whose path matches the request's, whatever their methods; literal paths alone if any."""
    found = [(path, methods) for path, methods in _routes(request.app)
             if compile_path(path)[0].match(request.url.path)]
    literal = [(path, methods) for path, methods in found if "{" not in path]
    return literal or found


def allowed_methods(request: Request) -> str:
    """The `Allow` header for a 405: the methods the routes of this path declare.

    Starlette names the methods of the first route whose path matches; with
    `{key:path}` routes and the EPCIS discovery several routes match one path,
    and a literal path (`/v1/goods/batches`) is more specific than a pattern.
    """
    methods: set[str] = set()
    for _, declared in _path_routes(request):
        methods |= declared
    return ", ".join(sorted(methods))


def refuse_if_literal_path(request: Request) -> None:
    """405 when a `{key:path}` route caught a literal path another method owns (GET /v1/goods/batches)."""
    if any(request.method not in methods for path, methods in _path_routes(request) if "{" not in path):
        raise StarletteHTTPException(405)
