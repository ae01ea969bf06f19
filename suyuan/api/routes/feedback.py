"""Reviews and complaints from the scan page: plain HTML form posts carrying the review token.

They go through the same capture path as `POST /v1/events` with
`Bearer rv_...` (`suyuan.trace.events.forms` makes the statement). A refused
post answers a warning page that links back to the item only when the form
named a valid key.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from suyuan.api import links, scanview
from suyuan.api.deps import EngineDep, SettingsDep
from suyuan.api.errors import error_body
from suyuan.api.routes.resolver import templates
from suyuan.codes.gs1 import validate_key
from suyuan.errors import InputError, SuyuanError
from suyuan.trace.events.capture import REVIEW_TOKEN_PREFIX, capture
from suyuan.trace.events.forms import FORM_FIELDS, form_statement

router = APIRouter(tags=["resolver (GS1 Digital Link)"])

_COMMON = {"key": {"type": "string", "format": "gs1-item-key", "description": "the item's key"},
           "token": {"type": "string", "pattern": r"^rv_[A-Za-z0-9_-]{1,100}$",
                     "description": "the review token handed out at delivery"},
           "id": {"type": "string", "format": "uuid", "description": "the form's idempotency id"},
           "lang": {"type": "string", "enum": ["zh", "en"]}}
_FORMS = {
    "review": {"rating": {"type": "string", "enum": ["1", "2", "3", "4", "5"]},
               "text": {"type": "string", "maxLength": 2000}},
    "complain": {"category": {"type": "string", "enum": ["quality", "counterfeit", "damaged", "late", "wrong_item",
                                                         "safety", "other"]},
                 "text": {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": r"\S"}},
}
_PAGE = {"text/html": {"schema": {"type": "string"}}}


def _form(action: str) -> dict:
    """The OpenAPI of one form post: its fields, the redirect, and the warning page of a refusal."""
    schema = {"type": "object", "properties": _COMMON | _FORMS[action],
              "required": ["key", "token", *FORM_FIELDS[action][: 1 if action == "review" else 2]]}
    return {"response_class": Response, "status_code": 303,
            "responses": {303: {"description": "Recorded: back to the item's page with a thank-you",
                                "headers": {"Location": {"schema": {"type": "string"}}}, "content": {}},
                          **{s: {"description": "Refused: a warning page saying why", "content": _PAGE}
                             for s in (400, 401, 403, 404, 409, 410, 422)}},
            "openapi_extra": {"requestBody": {"required": True, "content": {
                "application/x-www-form-urlencoded": {"schema": schema}}}}}


@router.post("/scan/review", summary="Review form post from the scan page (review token in a form field)",
             **_form("review"))
async def review(request: Request, engine: EngineDep, settings: SettingsDep) -> Response:
    return await feedback(request, "review", engine, settings)


@router.post("/scan/complain", summary="Complaint form post from the scan page (review token in a form field)",
             **_form("complain"))
async def complain(request: Request, engine: EngineDep, settings: SettingsDep) -> Response:
    return await feedback(request, "complain", engine, settings)


@router.post("/scan/{action}", include_in_schema=False)
async def feedback(request: Request, action: str, engine: EngineDep, settings: SettingsDep) -> Response:
    try:
        raw = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=20)
    except ValueError:  # more fields than any form has: refused below for its missing token
        raw = {}
    form = {name: (values or [""])[0].strip() for name, values in raw.items()}
    lang = scanview.lang_of(form.get("lang", ""))
    key, token = form.get("key", ""), form.get("token", "")
    try:
        # An unknown action is named first (by form_statement), then a bad token, before any read.
        if action in FORM_FIELDS and not token.startswith(REVIEW_TOKEN_PREFIX):
            raise InputError("Invalid review token: expected the rv_... code issued at delivery.", field="token")
        statement = await run_in_threadpool(form_statement, engine, action, form)
        await run_in_threadpool(capture, engine, settings, statement, None, review_token=token)
    except SuyuanError as exc:
        status, body = error_body(exc)
        t = scanview.TEXT[lang]
        try:
            back = links.page_url(validate_key(key), lang)
        except InputError:
            back = None  # never link to whatever the form claimed
        return templates.TemplateResponse(request, "warning.html", {
            "request": request, "t": t, "lang": lang, "line": t["refused"] + body["detail"],
            "code": "refused", "back_url": back, "other_lang_url": None}, status_code=status)
    return RedirectResponse(links.page_url(key, lang, done=action), status_code=303)
