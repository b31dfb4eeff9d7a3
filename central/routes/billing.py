"""The billing system's routes (device or admin): seed 002's `/internal/cards/...`.

`calculate` quotes a bill and writes nothing. `earn-points`, `redeem-points` and
`reverse-points` each run in one unit of work that first claims the request's
idempotency scopes (`store/idempotency.py`): a repeat of the same request gets the first
answer again and writes nothing, a different request for the same bill and operation
(or the same `Idempotency-Key`) is `409 IDEMPOTENCY_CONFLICT`.

Bodies are checked here, each bad field named; an unknown top-level field is refused, so
a misspelt `billAmount` cannot silently switch off the redemption cap.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from central.auth import Principal, caller
from central.http import json_body, json_object, reply
from central.openapi import contract
from central.schemas import billing as shapes
from central.store import billing, idempotency, returns
from central.store.billing import EarnRequest, RedeemRequest
from central.store.db import Unit
from pos_loyalty import cardnumber
from pos_loyalty.amounts import parse_money, parse_points
from pos_loyalty.errors import InvalidInput
from pos_loyalty.rules import bill_from_json
from pos_loyalty.rules.bill import MAX_LINES, parse_bill_id, parse_category_id

router = APIRouter(prefix="/internal/cards", tags=["billing"])

REPLAYED_HEADER = "Idempotent-Replayed"


@router.post(
    "/calculate",
    **contract(
        shapes.Quote, 404, 409, 422, body=shapes.CalculateRequest, body_examples=("calculate",), ok_description="The quote"
    ),
)
def calculate(
    request: Request, principal: Principal = Depends(caller), body: Any = Depends(json_body)
) -> Any:
    doc = _fields(body, "cardNumber", "items", "redeemPoints", "flatDiscount", "rewards")
    number = None if doc.get("cardNumber") in (None, "") else cardnumber.validate(doc["cardNumber"])
    bill = bill_from_json(doc)
    return reply(
        request.app.state.store.run(
            lambda unit: billing.quote(unit, number, bill), write=False, tenant_id=principal.tenant_id
        )
    )


@router.post(
    "/earn-points",
    **contract(
        shapes.Earned,
        404,
        409,
        422,
        body=shapes.EarnRequest,
        body_examples=("seedEarn",),
        ok_examples=("earned",),
        idempotent=True,
    ),
)
def earn_points(
    request: Request, principal: Principal = Depends(caller), body: Any = Depends(json_body)
) -> Any:
    doc = _fields(body, "cardNumber", "billId", "billAmount", "items")
    earn = EarnRequest(
        card_number=cardnumber.validate(doc.get("cardNumber")),
        bill_id=parse_bill_id(doc.get("billId")),
        bill_amount=parse_money(doc.get("billAmount"), "billAmount"),
        items=_paid_items(doc.get("items")),
    )
    work = partial(billing.earn, request=earn, by=principal)
    return _once(request, principal, "earn", earn.bill_id, billing.canonical(earn), work)


@router.post(
    "/redeem-points",
    **contract(
        shapes.Redeemed,
        404,
        409,
        422,
        body=shapes.RedeemRequest,
        body_examples=("seedRedeem",),
        ok_examples=("redeemed",),
        idempotent=True,
    ),
)
def redeem_points(
    request: Request, principal: Principal = Depends(caller), body: Any = Depends(json_body)
) -> Any:
    doc = _fields(body, "cardNumber", "cardId", "points", "billId", "billAmount")
    has_number, has_id = doc.get("cardNumber") not in (None, ""), doc.get("cardId") is not None
    if not (has_number or has_id):
        raise InvalidInput("cardNumber", "Name the card: cardNumber or cardId")
    redeem = RedeemRequest(
        bill_id=parse_bill_id(doc.get("billId")),
        points=parse_points(doc.get("points"), "points", minimum=1),
        card_number=cardnumber.validate(doc["cardNumber"]) if has_number else None,
        card_id=_card_id(doc["cardId"]) if has_id else None,
        bill_amount=None if doc.get("billAmount") is None else parse_money(doc["billAmount"], "billAmount"),
    )
    work = partial(billing.redeem, request=redeem, by=principal)
    return _once(request, principal, "redeem", redeem.bill_id, billing.canonical(redeem), work)


@router.post(
    "/reverse-points",
    **contract(shapes.Reversed, 404, 409, body=shapes.ReverseRequest, body_examples=("reverse",), idempotent=True),
)
def reverse_points(
    request: Request, principal: Principal = Depends(caller), body: Any = Depends(json_body)
) -> Any:
    bill_id = parse_bill_id(_fields(body, "billId").get("billId"))
    work = partial(billing.reverse, bill_id=bill_id, by=principal)
    return _once(request, principal, "reverse", bill_id, {"billId": bill_id}, work)


@router.post(
    "/return-points",
    **contract(shapes.Returned, 404, 409, 422, body=shapes.ReturnRequest, body_examples=("return",)),
)
def return_points(
    request: Request, principal: Principal = Depends(caller), body: Any = Depends(json_body)
) -> Any:
    """Part of a bill comes back (`loyalty-rules.md`, Returns): for a till's bill and for a
    billing system's. The same `returnId` with the same lines answers the first return."""
    asked = returns.parse_request(_fields(body, "billId", "returnId", "lines", "rewards"))
    performed_by = principal.performed_by

    def work(unit: Unit) -> dict[str, Any]:
        return returns.return_points(unit, asked, performed_by, principal.device_id)

    return reply(request.app.state.store.run(work, write=True, tenant_id=principal.tenant_id))


def _once(
    request: Request,
    principal: Principal,
    operation: str,
    bill_id: str,
    canonical: dict[str, Any],
    work: Callable[[Unit], dict[str, Any]],
) -> Response:
    """Run `work` once per request: claim its scopes, do it, store the answer, commit."""
    key = idempotency.key_from_header(request.headers.get(idempotency.HEADER))
    asked = idempotency.Claim.of(operation, bill_id, key, canonical)

    def unit_of_work(unit: Unit) -> dict[str, Any]:
        idempotency.claim(unit, asked)
        answer = work(unit)
        idempotency.record(unit, asked, answer)
        return answer

    try:
        return reply(request.app.state.store.run(unit_of_work, write=True, tenant_id=principal.tenant_id))
    except idempotency.Replay as replay:
        again = reply(replay.document, replay.status)
        again.headers[REPLAYED_HEADER] = "true"
        return again


# --- request bodies -------------------------------------------------------------------


def _fields(body: Any, *allowed: str) -> dict[str, Any]:
    doc = json_object(body)
    for name in doc:
        if name not in allowed:
            raise InvalidInput(name, f"Unknown field {name!r}; this request takes {', '.join(allowed)}")
    return doc


def _card_id(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput("cardId", f"cardId must be a card's id (a whole number), not {value!r}")
    return value


def _paid_items(value: object) -> tuple[tuple[int, int], ...]:
    """`[{categoryId, amount}]`, each amount the money paid in that category (0 allowed:
    a category paid entirely with points)."""
    if not isinstance(value, list) or not value:
        raise InvalidInput("items", "items must list the money paid per category: [{categoryId, amount}]")
    if len(value) > MAX_LINES:
        raise InvalidInput("items", f"A bill may have at most {MAX_LINES} items")
    paid = []
    for index, item in enumerate(value):
        where = f"items[{index}]"
        if not isinstance(item, dict):
            raise InvalidInput(where, f"{where} must be an object with categoryId and amount")
        category_id = parse_category_id(item.get("categoryId"), f"{where}.categoryId")
        paid.append((category_id, parse_money(item.get("amount"), f"{where}.amount")))
    return tuple(paid)
