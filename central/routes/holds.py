"""Holds (device or admin): points reserved for a payment still pending (`store/holds.py`).

`hold` takes redeem-points' body with `ttlSeconds`; a repeat for the same bill and body
answers the bill's hold again. `confirm` answers as redeem-points does (a repeat: the
same answer), `release` `{released: true}` (a repeat: the same).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from central.auth import Principal, caller
from central.http import json_body, json_object, reply
from central.openapi import contract
from central.schemas import billing as billing_shapes
from central.schemas import holds as shapes
from central.schemas.values import MAX_ID
from central.store import holds
from central.store.card_admin import only_fields
from central.store.db import Unit
from central.store.holds import HoldRequest
from central.store.idempotency import Replay
from pos_loyalty import cardnumber
from pos_loyalty.amounts import parse_money, parse_points
from pos_loyalty.rules.bill import parse_bill_id
from pos_loyalty.rules.holds import parse_ttl

router = APIRouter(prefix="/internal/cards", tags=["holds"])

FIELDS = ("cardNumber", "points", "billId", "billAmount", "ttlSeconds")
HoldId = Annotated[int, Path(alias="holdId", ge=1, le=MAX_ID, description="The hold's id", examples=[1])]


@router.post(
    "/hold",
    **contract(shapes.Held, 404, 409, 422, body=shapes.HoldRequest, body_examples=("hold",), ok_examples=("held",)),
)
def hold(request: Request, principal: Principal = Depends(caller), body: Any = Depends(json_body)) -> Any:
    doc = only_fields(json_object(body), FIELDS)
    asked = HoldRequest(
        card_number=cardnumber.validate(doc.get("cardNumber")),
        points=parse_points(doc.get("points"), "points", minimum=1),
        bill_id=parse_bill_id(doc.get("billId")),
        bill_amount=parse_money(doc.get("billAmount"), "billAmount"),
        ttl_seconds=parse_ttl(doc.get("ttlSeconds")),
    )
    return _run(request, principal, partial(holds.hold, request=asked, by=principal))


@router.post(
    "/holds/{holdId}/confirm",
    **contract(billing_shapes.Redeemed, 400, 404, 409, ok_examples=("confirmed",), ok_description="As redeem-points"),
)
def confirm(hold_id: HoldId, request: Request, principal: Principal = Depends(caller)) -> Any:
    return _run(request, principal, partial(holds.confirm, hold_id=hold_id, by=principal))


@router.post("/holds/{holdId}/release", **contract(shapes.Released, 400, 404, 409, ok_examples=("released",)))
def release(hold_id: HoldId, request: Request, principal: Principal = Depends(caller)) -> Any:
    return _run(request, principal, partial(holds.release, hold_id=hold_id))


def _run(request: Request, principal: Principal, work: Callable[[Unit], dict[str, Any]]) -> Any:
    """One unit of work of the caller's pharmacy; a repeat gets the first answer again."""
    try:
        return reply(request.app.state.store.run(work, write=True, tenant_id=principal.tenant_id))
    except Replay as replay:
        return reply(replay.document, replay.status)
