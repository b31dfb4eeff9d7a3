"""Cards: find one, read its story, and fix it (adjust, deactivate, replace, merge, anonymise).

Every change goes through the functions the API's Cards routes use (`store/card_admin.py`,
`store/card_lifecycle.py`, `store/ledger.Postings`), in one unit of work, with the signed-in
person as `performed_by`; the history is said in words by `pos_loyalty/history_words`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from central.console import card_search
from central.console.web import Visit, page, redirect, whole
from central.store import card_admin, card_lifecycle, cards, ledger
from central.store import config as configs
from central.store.db import Unit
from central.store.ledger import Postings
from pos_loyalty.amounts import points
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.history_words import describe

router = APIRouter()
HISTORY_PAGE = 25
DONE = {
    "adjusted": "The adjustment is recorded.",
    "deactivated": "The card is deactivated: it no longer earns or redeems.",
    "replaced": "This is the new card; the old card's points, totals and referrals moved to it.",
    "merged": "The other card's points, totals and referrals were added to this card.",
    "anonymised": "The customer's details are erased; the card's history stays.",
}


@router.get("/cards")
@page
def find(visit: Visit, q: str = "") -> Response:
    if not q.strip():
        return visit.render("cards.html", query="", found=None, problem=None)
    try:
        found = visit.read(lambda unit: card_search.search(unit, q))
    except InvalidInput as problem:
        return visit.render("cards.html", query=q, found=None, problem=problem.message, status=400)
    if len(found.cards) == 1 and not found.more:
        return redirect(f"/console/cards/{found.cards[0].id}")
    config = visit.read(configs.current)
    shown = [card.to_json(config) for card in found.cards]
    return visit.render("cards.html", query=found.query, found=shown, more=found.more, problem=None)


@router.get("/cards/{card_id}")
@page
def card(visit: Visit, card_id: int, history: int = 0, done: str = "") -> Response:
    return _card_page(visit, card_id, whole(history, 0, 0, 1_000_000), notice=DONE.get(done))


def _card_page(
    visit: Visit, card_id: int, history: int = 0, *, notice: str | None = None, problem: LoyaltyError | None = None,
    form: str | None = None, status: int = 200,
) -> Response:
    def work(unit: Unit) -> dict[str, Any]:
        found = cards.by_id(unit, card_id)
        config = configs.current(unit)
        rows = card_admin.transactions(unit, found.id, history, HISTORY_PAGE)
        referred = ledger.card_numbers(unit, {row["referredCardId"] for row in rows["content"]})
        for row in rows["content"]:
            row["referredCardNumber"] = referred.get(row["referredCardId"])
            row["words"] = describe(row)
        lifetime = found.lifetime_points
        upcoming = config.next_tier(lifetime)
        return {
            "card": card_admin.card_json(unit, found),
            "rows": rows,
            "tier": config.tier_for(lifetime).name or None,
            "next_tier": upcoming,
            "lifetime": points(lifetime),
            "next_at": points(upcoming.min_lifetime_points) if upcoming else None,
            "to_next": points(upcoming.min_lifetime_points - lifetime) if upcoming else None,
            "other_points": points(
                found.points_balance - found.total_points_earned + found.total_points_redeemed - found.total_referral_points_earned
            ),
            "referrals": len(card_admin.referrals(unit, found.id)),
        }

    shown = visit.read(work)
    return visit.render(
        "card.html", status=status, notice=notice, problem=problem.message if problem else None,
        problem_field=problem.details.get("field") if problem else None, problem_form=form,
        entered=visit.form, history=history, page_size=HISTORY_PAGE, **shown,
    )


def _change(visit: Visit, card_id: int, form: str, move, done: str) -> Response:  # type: ignore[no-untyped-def]
    """One change of the card in one unit of work: back to the card (the one it leaves) with a
    sentence saying it was done, or the card page again saying why not."""

    def work(unit: Unit) -> int:
        postings = Postings(unit)
        left = move(unit, postings)
        postings.flush()
        return left.id

    try:
        left = visit.write(work)
    except LoyaltyError as problem:
        return _card_page(visit, card_id, problem=problem, form=form, status=_status(problem))
    return redirect(f"/console/cards/{left}", done)


def _status(problem: LoyaltyError) -> int:
    from central.http import STATUS

    return STATUS.get(problem.code, 400)


@router.post("/cards/{card_id}/adjust")
@page
def adjust(visit: Visit, card_id: int) -> Response:
    def move(unit: Unit, postings: Postings) -> cards.CardRow:
        locked = cards.by_id(unit, card_id, lock=True)
        return card_admin.adjust(
            unit, postings, locked, visit.form.get("points", "").strip(), visit.form.get("reason"),
            performed_by=visit.session.performed_by,
        )

    return _change(visit, card_id, "adjust", move, "adjusted")


@router.post("/cards/{card_id}/deactivate")
@page
def deactivate(visit: Visit, card_id: int) -> Response:
    return _change(visit, card_id, "deactivate", lambda unit, _postings: card_admin.deactivate(unit, card_id), "deactivated")


@router.post("/cards/{card_id}/replace")
@page
def replace(visit: Visit, card_id: int) -> Response:
    def move(unit: Unit, postings: Postings) -> cards.CardRow:
        old = cards.by_id(unit, card_id, lock=True)
        number = visit.form.get("newCardNumber", "").strip() or None
        return card_lifecycle.replace(unit, postings, old, number, performed_by=visit.session.performed_by)

    return _change(visit, card_id, "replace", move, "replaced")


@router.post("/cards/{card_id}/merge")
@page
def merge(visit: Visit, card_id: int) -> Response:
    def move(unit: Unit, postings: Postings) -> cards.CardRow:
        other = cards.by_number(unit, visit.form.get("otherCardNumber", ""), field="otherCardNumber")
        locked = cards.lock(unit, (card_id, other.id))
        if card_id not in locked:
            raise cards.not_found(card_id)
        return card_lifecycle.merge(unit, postings, locked[card_id], locked[other.id], performed_by=visit.session.performed_by)

    return _change(visit, card_id, "merge", move, "merged")


@router.post("/cards/{card_id}/anonymise")
@page
def anonymise(visit: Visit, card_id: int) -> Response:
    def move(unit: Unit, postings: Postings) -> cards.CardRow:
        if visit.form.get("confirm") != "yes":
            raise InvalidInput("confirm", "Tick the box to confirm: the customer's details cannot be brought back")
        locked = cards.by_id(unit, card_id, lock=True)
        return card_lifecycle.anonymize(unit, postings, locked, performed_by=visit.session.performed_by)

    return _change(visit, card_id, "anonymise", move, "anonymised")
