"""Reviews and complaints from the scan page: plain HTML form posts carrying the review token.

They go through the same capture path as `POST /v1/events` with
`Bearer rv_...` (`suyuan.trace.events.forms` makes the statement). A refused
post answers a warning page that links back to the item only when the form
named a valid key.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
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


@router.post("/scan/{action}", summary="Review or complaint form post (review token in a form field)",
             response_class=HTMLResponse)
async def feedback(request: Request, action: str, engine: EngineDep, settings: SettingsDep) -> Response:
    raw = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=20)
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
