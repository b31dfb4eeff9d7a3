"""Signing in and out of the console (`sessions.py` says how sessions work)."""

from __future__ import annotations

import math
import secrets

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from central.console import sessions, web
from pos_loyalty.errors import LoyaltyError

router = APIRouter()
failures = sessions.Failures()


def _next(value: object) -> str:
    """Where to go after signing in: a console page, never another site."""
    text = value if isinstance(value, str) else ""
    if text.startswith(sessions.PATH + "/") and not text.startswith("//") and "\\" not in text:
        return text
    return sessions.PATH + "/"


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=sessions.PATH, httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )


def _form(request: Request, next_page: str, message: str | None = None, status: int = 200, login: str = "") -> Response:
    nonce = secrets.token_urlsafe(24)
    response = web.templates.TemplateResponse(
        request, "sign_in.html", {"next": next_page, "nonce": nonce, "message": message, "login": login}, status_code=status
    )
    _cookie(response, request, sessions.SIGN_IN_COOKIE, nonce, 3600)
    return web.secured(response)


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "") -> Response:
    return _form(request, _next(next))


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    fields = {key: values[-1] for key, values in (await web.read_form(request)).items()}
    next_page = _next(fields.get("next"))
    login, password, token = fields.get("login", "").strip(), fields.get("password", ""), fields.get("token", "").strip()
    if not web.same_site(request) or not sessions.same(request.cookies.get(sessions.SIGN_IN_COOKIE), fields.get("nonce")):
        return _form(request, next_page, "This sign-in form has expired; please try again.", 403, login)
    if not (token or (login and password)):
        return _form(request, next_page, "Give your login and password, or the pharmacy's admin token.", 400, login)
    keys = (
        (f"who:{token[:12] or login.lower()}", sessions.MAX_FAILURES),
        (f"from:{request.client.host if request.client else '?'}", sessions.MAX_ADDRESS_FAILURES),
    )
    wait = failures.wait(*keys)
    if wait:
        minutes = math.ceil(wait / 60)
        return _form(request, next_page, f"Too many failed sign-ins; try again in {minutes} minute(s).", 429, login)
    try:
        session, value = await run_in_threadpool(
            sessions.sign_in, request.app.state.store, login=login, password=password, token=token
        )
    except LoyaltyError as refused:
        failures.failed(*keys)
        return _form(request, next_page, refused.message, 401, login)
    response = RedirectResponse(next_page, status_code=303)
    _cookie(response, request, sessions.COOKIE, value, int(sessions.LIFETIME.total_seconds()))
    response.delete_cookie(sessions.SIGN_IN_COOKIE, path=sessions.PATH)
    return web.secured(response)


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    """Ends the session: a form with its CSRF token (another site cannot sign a manager out)."""
    fields = {key: values[-1] for key, values in (await web.read_form(request)).items()}
    store = request.app.state.store
    value = request.cookies.get(sessions.COOKIE)
    session = await run_in_threadpool(sessions.current, store, value)
    if session is not None:
        if not (web.same_site(request) and sessions.same(session.csrf, fields.get("csrf"))):
            return web.secured(RedirectResponse(sessions.PATH + "/", status_code=303))
        await run_in_threadpool(sessions.end, store, value)
    response = RedirectResponse(sessions.PATH + "/sign-in", status_code=303)
    response.delete_cookie(sessions.COOKIE, path=sessions.PATH)
    return web.secured(response)
