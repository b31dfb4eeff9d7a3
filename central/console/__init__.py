"""The head office console: web pages on the central service at `/console/` (docs/console.md).

Server-rendered (Jinja2) pages with no script, over the same store functions as the API:
sign-in and sessions (`sessions.py`, `staff.py`), the dashboard (`dashboard.py`, charts
drawn as SVG by `charts.py`), cards (`card_search.py`, `card_pages.py`), the configuration
(`config_form.py`), flags and conflicts (`flag_pages.py`), tills and CSV exports
(`till_pages.py`). Mounted by `central/app.py`, out of the API's OpenAPI document.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import FileResponse, Response

from central.console import card_pages, config_form, dashboard, flag_pages, sign_in, till_pages, web
from central.http import not_found

router = APIRouter(prefix="/console", include_in_schema=False)
STATIC = {"console.css": "text/css"}


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        raise not_found("such file")
    return web.secured(FileResponse(web.HERE / "static" / name, media_type=STATIC[name]))


for module in (sign_in, dashboard, card_pages, config_form, flag_pages, till_pages):
    router.include_router(module.router)
