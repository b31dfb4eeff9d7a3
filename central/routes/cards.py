"""Cards routes (device or admin): seed 002's Card Management and history routes.

Each route is one unit of work of the caller's tenant (`central/store/card_admin.py` does
the database work), so another pharmacy's card id or number is a 404. A path id that is
not a whole number is a 400 in the error envelope, naming `id`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from central.auth import Principal, caller
from central.http import json_body, json_object, reply
from central.openapi import contract
from central.schemas import cards as shapes
from central.store import card_admin, cards
from central.store.db import Unit

router = APIRouter(prefix="/cards", tags=["cards"])

MAX_PAGE_SIZE = 200
MAX_PAGE = 10_000_000  # keeps page * size well inside a BIGINT offset
CardId = Annotated[int, Path(alias="id", ge=1, le=card_admin.MAX_ID, description="The card's id", examples=[1])]
CardNumber = Annotated[str, Path(alias="cardNumber", description="The card's number", examples=["CARD001"])]
CustomerId = Annotated[str, Path(alias="customerId", description="The billing system's customer id", examples=["1001"])]
PageNumber = Annotated[int, Query(ge=0, le=MAX_PAGE, description="From 0")]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
#: A card found by id, number or customer: 400 for a malformed one, 404 for one not here.
_ONE = (400, 404)
_CARD = {"ok_examples": ("card",)}


def _run(request: Request, principal: Principal, work: Callable[[Unit], Any], *, write: bool, status: int = 200) -> Any:
    """Run `work` in one transaction of the caller's tenant and answer what it returns."""
    store = request.app.state.store
    # A read of several statements (a page and its total) sees one snapshot.
    answer = store.run(work, write=write, tenant_id=principal.tenant_id, snapshot=not write)
    return reply(answer, status)


def _show(find: Callable[[Unit], cards.CardRow]) -> Callable[[Unit], dict[str, Any]]:
    return lambda unit: card_admin.card_json(unit, find(unit))


# Declared before /{id}/... so that a card number such as "balance" is never taken for an id.
@router.get("/by-number/{cardNumber}", **contract(shapes.CardDetail, *_ONE, **_CARD))
def get_by_number(number: CardNumber, request: Request, principal: Principal = Depends(caller)) -> Any:
    return _run(request, principal, _show(lambda unit: cards.by_number(unit, number)), write=False)


@router.get("/by-customer/{customerId}", **contract(shapes.CardDetail, *_ONE, **_CARD))
def get_by_customer(customer_id: CustomerId, request: Request, principal: Principal = Depends(caller)) -> Any:
    return _run(request, principal, _show(lambda unit: card_admin.by_customer(unit, customer_id)), write=False)


@router.get("", **contract(shapes.CardPage, 400))
def list_cards(
    request: Request, page: PageNumber = 0, size: PageSize = 20, principal: Principal = Depends(caller)
) -> Any:
    return _run(request, principal, lambda unit: card_admin.page_of_cards(unit, page, size), write=False)


@router.post(
    "",
    **contract(
        shapes.CardDetail,
        404,
        409,
        422,
        status=201,
        body=shapes.CardIssue,
        body_examples=("issue",),
        ok_description="The new card",
        **_CARD,
    ),
)
def issue_card(request: Request, principal: Principal = Depends(caller), body: Any = Depends(json_body)) -> Any:
    doc = json_object(body)
    issue = _show(lambda unit: card_admin.issue(unit, doc, principal.device_id))
    return _run(request, principal, issue, write=True, status=201)


@router.get("/{id}", **contract(shapes.CardDetail, *_ONE, **_CARD))
def get_card(card_id: CardId, request: Request, principal: Principal = Depends(caller)) -> Any:
    return _run(request, principal, _show(lambda unit: cards.by_id(unit, card_id)), write=False)


@router.put(
    "/{id}", **contract(shapes.CardDetail, *_ONE, 409, body=shapes.CardUpdate, body_examples=("update",), **_CARD)
)
def update_card(
    card_id: CardId, request: Request, principal: Principal = Depends(caller), body: Any = Depends(json_body)
) -> Any:
    doc = json_object(body)
    return _run(request, principal, _show(lambda unit: card_admin.update_card(unit, card_id, doc)), write=True)


@router.delete("/{id}", **contract(shapes.CardDetail, *_ONE, ok_description="The card, now inactive", **_CARD))
def deactivate_card(card_id: CardId, request: Request, principal: Principal = Depends(caller)) -> Any:
    return _run(request, principal, _show(lambda unit: card_admin.deactivate(unit, card_id)), write=True)


@router.post(
    "/{id}/link-referrer",
    **contract(shapes.CardDetail, *_ONE, 409, 422, body=shapes.ReferrerLink, body_examples=("link",), **_CARD),
)
def link_referrer(
    card_id: CardId, request: Request, principal: Principal = Depends(caller), body: Any = Depends(json_body)
) -> Any:
    doc = json_object(body)
    return _run(request, principal, _show(lambda unit: card_admin.link_referrer(unit, card_id, doc)), write=True)


@router.get("/{id}/referrals", **contract(list[shapes.CardDetail], *_ONE))
def list_referrals(card_id: CardId, request: Request, principal: Principal = Depends(caller)) -> Any:
    def work(unit: Unit) -> list[dict[str, Any]]:
        return [card_admin.card_json(unit, card) for card in card_admin.referrals(unit, card_id)]

    return _run(request, principal, work, write=False)


@router.get("/{id}/transactions", **contract(shapes.TransactionPage, *_ONE))
def list_transactions(
    card_id: CardId, request: Request, page: PageNumber = 0, size: PageSize = 20, principal: Principal = Depends(caller)
) -> Any:
    return _run(request, principal, lambda unit: card_admin.transactions(unit, card_id, page, size), write=False)


@router.get("/{id}/balance", **contract(shapes.Balance, *_ONE))
def get_balance(card_id: CardId, request: Request, principal: Principal = Depends(caller)) -> Any:
    return _run(request, principal, lambda unit: card_admin.balance(unit, card_id), write=False)
