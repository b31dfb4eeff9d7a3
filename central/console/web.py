"""What every console page shares: its session, the form it posted, rendering, safety headers.

A page is a plain function `handler(visit, **params)` wrapped by `page`, which

- finds the signed-in session (else redirects to the sign-in page, coming back after);
- on POST, reads the form (at most `MAX_FORM` bytes, `application/x-www-form-urlencoded`),
  refuses one from another site (`Origin`) or without this session's CSRF token;
- runs the handler on a worker thread, and turns a refusal (`LoyaltyError`) into the page
  `error.html` with the sentence a manager understands, never a traceback;
- adds the headers of every page: no caching, no framing, a Content-Security-Policy that
  allows nothing but this site's own stylesheet (the pages carry no script at all).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from central.console import sessions
from central.console.sessions import Session
from central.http import body_within_limit
from central.store import config as configs
from central.store.db import Store, Unit
from pos_loyalty.errors import LoyaltyError

log = logging.getLogger("central.console")
HERE = Path(__file__).parent
MAX_FORM = 256 * 1024
templates = Jinja2Templates(directory=str(HERE / "templates"))
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
}


def figure(value: Any) -> str:
    """A point or money figure as a person reads it: 12,345.50."""
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


def listed(value: Any) -> str:
    """A flag's detail as text: a list as its items, separated by commas."""
    if isinstance(value, (list, tuple)):
        return ", ".join(listed(item) for item in value)
    return "" if value is None else str(value)


templates.env.filters["figure"] = figure
templates.env.filters["listed"] = listed


@dataclass
class Visit:
    """One request to a console page: who, what they posted, the pharmacy's clock."""

    request: Request
    session: Session
    form: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    time_zone: str = "UTC"

    @property
    def store(self) -> Store:
        return self.request.app.state.store

    def read(self, work: Callable[[Unit], Any]) -> Any:
        return self.store.run(work, write=False, snapshot=True, tenant_id=self.session.tenant_id)

    def write(self, work: Callable[[Unit], Any]) -> Any:
        return self.store.run(work, write=True, tenant_id=self.session.tenant_id)

    def when(self, moment: datetime | None) -> str:
        """A stored (naive UTC) time in the pharmacy's zone, to the minute."""
        if moment is None:
            return ""
        return f"{moment.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(self.time_zone)):%Y-%m-%d %H:%M}"

    def render(self, name: str, status: int = 200, **context: Any) -> Response:
        context |= {"session": self.session, "csrf": self.session.csrf, "when": self.when, "path": self.request.url.path}
        return templates.TemplateResponse(self.request, name, context, status_code=status)


def page(handler: Callable[..., Response]) -> Callable[..., Any]:
    """A console page (see the module's words); FastAPI sees the handler's own parameters."""
    wanted = [p for name, p in inspect.signature(handler).parameters.items() if name != "visit"]

    @functools.wraps(handler)
    async def wrapper(request: Request, **params: Any) -> Response:
        store = request.app.state.store
        session = await run_in_threadpool(sessions.current, store, request.cookies.get(sessions.COOKIE))
        if session is None:
            back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return secured(RedirectResponse(f"{sessions.PATH}/sign-in?next={quote(back)}", status_code=303))
        visit = Visit(request, session)
        if request.method == "POST":
            visit.lists = await read_form(request)
            visit.form = {key: values[-1] for key, values in visit.lists.items()}
            if not same_site(request) or not sessions.same(session.csrf, visit.form.get("csrf")):
                return secured(error(visit, sessions.form_expired(), 403))
        return secured(await run_in_threadpool(_answer, handler, visit, params))

    wrapper.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request), *wanted]
    )
    del wrapper.__wrapped__  # FastAPI would read the handler's own signature through it
    return wrapper


def _answer(handler: Callable[..., Response], visit: Visit, params: dict[str, Any]) -> Response:
    try:
        visit.time_zone = visit.read(lambda unit: configs.current(unit).time_zone)
        return handler(visit, **params)
    except LoyaltyError as refused:
        return error(visit, refused, _status(refused))


def _status(refused: LoyaltyError) -> int:
    from central.http import STATUS

    return getattr(refused, "status", None) or STATUS.get(refused.code, 400)


def error(visit: Visit, refused: LoyaltyError, status: int) -> Response:
    return visit.render("error.html", status=status, message=refused.message, code=refused.code)


async def read_form(request: Request) -> dict[str, list[str]]:
    """The posted form's fields (each a list of what was sent under that name)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await body_within_limit(request, MAX_FORM)
    if kind != "application/x-www-form-urlencoded":
        return {}
    try:
        return parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=2000)
    except (UnicodeDecodeError, ValueError):
        return {}


def same_site(request: Request) -> bool:
    """A POST from this site: no Origin (an older browser), or one naming this host."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def secured(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def redirect(to: str, done: str | None = None) -> Response:
    """After a change, back to a page (Post/Redirect/Get); `done` names the sentence it shows."""
    return RedirectResponse(to + (("&" if "?" in to else "?") + f"done={done}" if done else ""), status_code=303)


def whole(value: object, default: int, low: int, high: int) -> int:
    """A page number or a size from the query, kept within bounds."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return default
    return min(max(number, low), high)
