"""`POST /cards/import` and `GET /cards/export` (admin): a pharmacy's cards as a CSV file.

The import's body is the file itself (`text/csv`), up to `MAX_IMPORT_BODY` (a million
cards are about 70 MB), read as it arrives and refused (413) past the limit. It is read
and checked off the event loop, then imported in one unit of work
(`central/store/card_import.py`): every row or none, a refusal naming each bad row by its
line. Registered before the cards router, so `export` is never taken for a card's id.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from central.auth import Principal, admin
from central.http import JSONResponse, body_within_limit, reply
from central.openapi import contract
from central.schemas.card_import import CardImport
from central.store import card_import
from pos_loyalty import card_csv
from pos_loyalty.opening_balances import Imported

router = APIRouter(prefix="/cards", tags=["cards"])

#: The methods each path takes; the others are 405 here, not `/cards/{id}`'s answer to an id "export".
_TAKES = {"/import": ("POST",), "/export": ("GET", "HEAD")}
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
#: The largest file an import takes (docs/decisions.md, "Card import and export").
MAX_IMPORT_BODY = 256 * 1024 * 1024
CSV = "text/csv"


@router.post(
    "/import",
    **contract(
        CardImport,
        token="admin",
        body=str,
        body_type=CSV,
        body_examples=("cardsCsv",),
        ok_examples=("cardImport",),
        ok_description="Every row imported (a file with any bad row is refused whole: 400 naming each by its line)",
    ),
)
async def import_cards(request: Request, principal: Principal = Depends(admin)) -> Any:
    data = await body_within_limit(request, MAX_IMPORT_BODY)
    store = request.app.state.store

    def work() -> Imported:
        parsed = card_csv.read(data)
        return store.run(
            lambda unit: card_import.import_cards(unit, parsed, performed_by=principal.performed_by),
            write=True,
            tenant_id=principal.tenant_id,
        )

    done = await run_in_threadpool(work)
    return reply(done.to_json())


@router.get(
    "/export",
    response_class=Response,  # not JSON: FastAPI would add an application/json answer to the document
    **contract(str, token="admin", ok_type=CSV, ok_examples=("cardsCsv",), ok_description="Every card of the pharmacy"),
)
def export_cards(request: Request, principal: Principal = Depends(admin)) -> Any:
    text = request.app.state.store.run(
        lambda unit: card_csv.written(card_import.export_rows(unit)),
        write=False,
        tenant_id=principal.tenant_id,
        snapshot=True,
    )
    return Response(
        text.encode("utf-8"),
        media_type=f"{CSV}; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="cards.csv"'},
    )


def _not_allowed(allowed: str):  # type: ignore[no-untyped-def]
    def refuse() -> JSONResponse:
        message = f"This path takes {allowed} only"
        return JSONResponse({"error": {"code": "METHOD_NOT_ALLOWED", "message": message}}, 405, headers={"Allow": allowed})

    return refuse


for _path, _allowed in _TAKES.items():
    # Every other method: without these a PUT or DELETE of /cards/export would reach
    # `PUT|DELETE /cards/{id}` with the id "export" (400), and a 405 would name that route's
    # methods as this path's (central/http.py, _allowed_methods).
    router.add_api_route(
        _path, _not_allowed(_allowed[0]), methods=[m for m in _METHODS if m not in _allowed], include_in_schema=False
    )
