"""Cards routes (device or admin): seed 002's Card Management and history routes.

Each route is one unit of work of the caller's tenant (`central/store/card_admin.py` does
the database work), so another pharmacy's card id or number is a 404. A path id that is
not a whole number is a 400 in the error envelope, naming `id`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from central.auth import Principal, admin, caller
from central.http import json_body, json_object, reply
from central.openapi import contract
from central.schemas import cards as shapes
from central.store import card_admin, card_lifecycle, cards
from central.store.ledger import Postings
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
    return lambda unit: cards.card_detail(unit, find(unit))  # card_admin.card_json, on prebuilt statements


# Declared before /{id}/... so that a card number such as "balance" is never taken for an id.
@router.get("/by-number/{cardNumber}", **contract(shapes.CardDetail, *_ONE, 409, **_CARD))
def get_by_number(number: CardNumber, request: Request, principal: Principal = Depends(caller)) -> Any:
    found = _show(lambda unit: cards.refuse_replaced(cards.by_number(unit, number)))
    return _run(request, principal, found, write=False)


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


# --- a card's life after issue (admin): replaced, merged, anonymised ----------------------

_ADMIN_CARD = {**_CARD, "token": "admin"}


def _lifecycle(request: Request, principal: Principal, move: Callable[[Unit, Postings], cards.CardRow], status: int = 200) -> Any:
    """One change of `store/card_lifecycle.py`, its rows written, the card it leaves answered."""

    def work(unit: Unit) -> dict[str, Any]:
        postings = Postings(unit)
        card = move(unit, postings)
        postings.flush()
        return card_admin.card_json(unit, cards.by_id(unit, card.id))

    return _run(request, principal, work, write=True, status=status)


@router.post(
    "/{id}/replace",
    **contract(
        shapes.CardDetail, *_ONE, 409, 422, status=201, body=shapes.CardReplace, body_examples=("replace",),
        ok_description="The new card, with the old card's customer, points, totals, tier and referrals",
        **_ADMIN_CARD,
    ),
)
def replace_card(
    card_id: CardId, request: Request, principal: Principal = Depends(admin), body: Any = Depends(json_body)
) -> Any:
    doc = card_admin.only_fields(json_object(body), ("newCardNumber",))

    def move(unit: Unit, postings: Postings) -> cards.CardRow:
        old = cards.by_id(unit, card_id, lock=True)
        return card_lifecycle.replace(unit, postings, old, doc.get("newCardNumber"), performed_by=principal.performed_by)

    return _lifecycle(request, principal, move, status=201)


@router.post(
    "/{id}/merge",
    **contract(
        shapes.CardDetail, *_ONE, 409, 422, body=shapes.CardMerge, body_examples=("merge",),
        ok_description="This card, with the other's points, totals and referrals added", **_ADMIN_CARD,
    ),
)
def merge_cards(
    card_id: CardId, request: Request, principal: Principal = Depends(admin), body: Any = Depends(json_body)
) -> Any:
    doc = card_admin.only_fields(json_object(body), ("otherCardId",))
    other_id = card_admin.card_id_field(doc.get("otherCardId"), "otherCardId")

    def move(unit: Unit, postings: Postings) -> cards.CardRow:
        locked = cards.lock(unit, (card_id, other_id))
        if card_id not in locked:
            raise cards.not_found(card_id)
        if other_id not in locked:
            raise cards.not_found(other_id, field="otherCardId")
        return card_lifecycle.merge(
            unit, postings, locked[card_id], locked[other_id], performed_by=principal.performed_by
        )

    return _lifecycle(request, principal, move)


@router.post(
    "/{id}/anonymize",
    **contract(
        shapes.CardDetail, *_ONE, ok_description="The card, its customer erased and the card inactive", **_ADMIN_CARD
    ),
)
def anonymize_card(card_id: CardId, request: Request, principal: Principal = Depends(admin)) -> Any:
    def move(unit: Unit, postings: Postings) -> cards.CardRow:
        card = cards.by_id(unit, card_id, lock=True)
        return card_lifecycle.anonymize(unit, postings, card, performed_by=principal.performed_by)

    return _lifecycle(request, principal, move)
