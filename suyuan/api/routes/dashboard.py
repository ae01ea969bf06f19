"""The inspector dashboard (`/inspect`): HTML, for an inspector's or an admin's API key.

The key is given once in a login form and kept in a cookie that scripts
cannot read (`HttpOnly`), sent only over HTTPS (`Secure`; browsers treat
`localhost` as secure too) and only by this site's own pages (`SameSite=Strict`),
for `/inspect` alone. Any other party's key is refused (403), a missing or
unknown one answers the login form (401). Charts are server-rendered SVG.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from suyuan.api.charts import line_chart
from suyuan.api.deps import EngineDep, SettingsDep
from suyuan.api.routes.resolver import templates
from suyuan.errors import Forbidden, Unauthorized
from suyuan.trace.credit.dashboard import dashboard
from suyuan.trace.parties.auth import identify, require_roles
from suyuan.trace.parties.registry import PartyView

_HTML = {"text/html": {"schema": {"type": "string"}}}
router = APIRouter(tags=["inspector dashboard"], responses={
    401: {"description": "No or an unknown key: the login form", "content": _HTML},
    403: {"description": "Not an inspector's or an admin's key: the login form", "content": _HTML}})
_SEE_OTHER = {303: {"description": "To the dashboard", "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": {}}}
_LOGIN_FORM = {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "properties": {"api_key": {"type": "string", "description": "an inspector's or an admin's key"}},
    "required": ["api_key"]}}}}}
COOKIE = "suyuan_inspect"
PATH = "/inspect"
MAX_AGE = 8 * 3600


def _inspector(engine, key: str | None) -> PartyView:  # noqa: ANN001
    caller = identify(engine, f"Bearer {key}" if key else None)
    if caller.party is None:
        raise Unauthorized("Missing credentials: log in with an inspector's or an admin's API key.")
    return require_roles(caller.party, "inspector", "admin")


def _login(request: Request, message: str | None, status: int) -> Response:
    return templates.TemplateResponse(request, "inspect_login.html", {"request": request, "message": message},
                                      status_code=status)


@router.get(PATH, response_class=HTMLResponse, summary="Inspector dashboard (inspector or admin)")
async def show(request: Request, engine: EngineDep, settings: SettingsDep) -> Response:
    try:
        party = await run_in_threadpool(_inspector, engine, request.cookies.get(COOKIE))
    except Unauthorized as exc:
        return _login(request, str(exc) if request.cookies.get(COOKIE) else None, 401)
    except Forbidden as exc:
        return _login(request, str(exc), 403)
    data = await run_in_threadpool(dashboard, engine, settings)
    findings = data["findings"]
    charts = {"by_type": line_chart("Findings by type, per week", findings["weeks"], findings["by_type"]),
              "by_region": line_chart("Findings by province, per week", findings["weeks"], findings["by_region"])}
    return templates.TemplateResponse(request, "inspect.html", {"request": request, "party": party, "data": data,
                                                                "charts": charts},
                                      headers={"Cache-Control": "no-store"})


@router.post(PATH + "/login", response_class=Response, status_code=303, responses=_SEE_OTHER,
             openapi_extra=_LOGIN_FORM,
             summary="Log in to the dashboard with an API key (a form post: api_key)")
async def login(request: Request, engine: EngineDep) -> Response:
    try:
        raw = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=5)
    except ValueError:  # more fields than a login form has: no key among them
        raw = {}
    key = (raw.get("api_key") or [""])[0].strip()
    try:
        await run_in_threadpool(_inspector, engine, key)
    except Unauthorized as exc:
        return _login(request, str(exc), 401)
    except Forbidden as exc:
        return _login(request, str(exc), 403)
    response = RedirectResponse(PATH, status_code=303)
    response.set_cookie(COOKIE, key, max_age=MAX_AGE, path=PATH, secure=True, httponly=True, samesite="strict")
    return response


@router.post(PATH + "/logout", status_code=303, response_class=Response, responses=_SEE_OTHER,
             summary="Log out of the dashboard")
async def logout() -> Response:
    response = RedirectResponse(PATH, status_code=303)
    response.delete_cookie(COOKIE, path=PATH, secure=True, httponly=True, samesite="strict")
    return response
