"""Cards as the back office and a billing system keep them: issue, edit, deactivate, refer, list.

The database side of the Cards routes of `central-api.md`. Every function works inside
one unit of work of the caller's tenant (`unit.tenant`), so another pharmacy's card is
simply not found. Input is checked by the same core parsers the till uses
(`pos_loyalty.customer`, `phone`, `cardnumber`), which name the bad field; a refused
request raises before anything is written, and `Store.run` rolls back whatever was.
Every change to a card calls `unit.card_changed`, so tills learn of it through pull.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from central.store import cards, expiry, ledger
from central.store import config as configs
from central.store.cards import CardRow
from central.store.db import Unit, advisory_lock
from central.store.models import Card, PointTransaction
from pos_loyalty import cardnumber, customer, errors
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.phone import normalize_phone
from pos_loyalty.rules.postings import adjustment_asked, adjustment_posting, refuse_overdraw

#: What `POST /cards` takes (central-api.md); anything else is refused, not ignored.
ISSUE_FIELDS = ("customerName", "customerPhone", "customerEmail", "customerId", "cardNumber", "referrerCardNumber")
#: What `PUT /cards/{id}` may change; the referrer has its own route, points their ledger.
EDITABLE_FIELDS = ("customerName", "customerPhone", "customerEmail", "customerId", "isActive")
LINK_FIELDS = ("referrerCardId", "referrerCardNumber")
#: Fields of a card's JSON that exist but are not changed by PUT, with where to change them.
_READ_ONLY = {
    "id": "a card's id never changes",
    "cardNumber": "a card's number never changes; issue a new card instead",
    "referrerCardId": "link a referrer with POST /cards/{id}/link-referrer",
    "referrerCardNumber": "link a referrer with POST /cards/{id}/link-referrer",
    "pointsBalance": "points move only through bills and the ledger",
    "totalPointsEarned": "points move only through bills and the ledger",
    "totalPointsRedeemed": "points move only through bills and the ledger",
    "totalReferralPointsEarned": "points move only through bills and the ledger",
    "issuedAt": "the service keeps it",
    "lastTransactionAt": "the service keeps it",
    "tier": "it follows from the card's lifetime points",
}
MAX_ID = 2**63 - 1


# --- reading ----------------------------------------------------------------------------


def card_json(unit: Unit, card: CardRow) -> dict[str, Any]:
    """A card as every Cards route answers it: seed 002's columns in camelCase, its tier, and
    what it may redeem now and what expires soon (`store/expiry.py`)."""
    return card.to_json(configs.current(unit)) | expiry.card_expiry(unit, card)


def page_of_cards(unit: Unit, page: int, size: int) -> dict[str, Any]:
    """One page of the tenant's cards in id order (the order they were issued here)."""
    total = unit.connection.execute(
        select(func.count()).select_from(Card).where(Card.tenant_id == unit.tenant)
    ).scalar_one()
    found = cards.rows(unit, cards.query(unit).order_by(Card.id).offset(page * size).limit(size))
    config = configs.current(unit)
    return paged([card.to_json(config) for card in found], page, size, total)


def paged(content: list[Any], page: int, size: int, total: int) -> dict[str, Any]:
    return {"content": content, "page": page, "size": size, "totalElements": total, "totalPages": -(-total // size)}


def by_customer(unit: Unit, customer_id: str) -> CardRow:
    """The card of the billing system's customer id (one per customer per tenant)."""
    key = customer.text(customer_id, "customerId", required=True, limit=64)
    found = cards.rows(unit, cards.query(unit).where(Card.customer_id == key))
    if not found:
        raise LoyaltyError(errors.CARD_NOT_FOUND, f"No card for customer {key}", customerId=key)
    return found[0]


def referrals(unit: Unit, card_id: int) -> list[CardRow]:
    """The cards this card referred, in id order; CARD_NOT_FOUND if the card is not here."""
    card = cards.by_id(unit, card_id)
    return cards.rows(unit, cards.query(unit).where(Card.referrer_card_id == card.id).order_by(Card.id))


def transactions(unit: Unit, card_id: int, page: int, size: int) -> dict[str, Any]:
    """One page of a card's ledger rows, newest first."""
    card = cards.by_id(unit, card_id)
    mine = (PointTransaction.tenant_id == unit.tenant, PointTransaction.card_id == card.id)
    total = unit.connection.execute(select(func.count()).select_from(PointTransaction).where(*mine)).scalar_one()
    found = unit.connection.execute(
        select(PointTransaction.__table__)
        .where(*mine)
        .order_by(PointTransaction.id.desc())
        .offset(page * size)
        .limit(size)
    ).all()
    numbers = ledger.card_numbers(unit, {card.id} | {row.referred_card_id for row in found})
    return paged([ledger.row_json(row, numbers) for row in found], page, size, total)


def balance(unit: Unit, card_id: int) -> dict[str, Any]:
    """A card's figures and tier, without the customer's details."""
    shown = card_json(unit, cards.by_id(unit, card_id))
    keys = ("cardNumber", "pointsBalance", "totalPointsEarned", "totalPointsRedeemed", "totalReferralPointsEarned", "tier")
    return {"cardId": shown["id"], **{key: shown[key] for key in keys}}


# --- issuing and editing ----------------------------------------------------------------


def issue(unit: Unit, doc: dict[str, Any], device_id: int | None) -> CardRow:
    """`POST /cards`: a new card for a customer; one card per phone in the pharmacy, as at the till."""
    _refuse_unknown(doc, ISSUE_FIELDS)
    new = cards.new_card_from_json(doc)
    _refuse_taken_phone(unit, new.customer_phone)
    referrer = None
    if new.referrer_card_number is not None:
        referrer = _referrer(unit, "referrerCardNumber", new.referrer_card_number)
        _refuse_inactive(referrer, "referrerCardNumber", "Referrer card")
    return cards.insert_card(unit, new, referrer=referrer, device_id=device_id)


def update_card(unit: Unit, card_id: int, doc: dict[str, Any]) -> CardRow:
    """`PUT /cards/{id}`: change the fields given; fields left out keep their value."""
    _refuse_unknown(doc, EDITABLE_FIELDS)
    wanted = _edits(doc)
    card = cards.by_id(unit, card_id, lock=True)
    changes = {column: value for column, value in wanted.items() if getattr(card, column) != value}
    if "customer_phone" in changes:
        _refuse_taken_phone(unit, changes["customer_phone"], other_than=card.id)
    if not changes:
        return card
    try:
        with unit.connection.begin_nested():
            _write(unit, card.id, **changes)
    except IntegrityError:  # the only unique column PUT changes is customer_id
        raise LoyaltyError(
            errors.DUPLICATE_CARD, f"Customer {changes.get('customer_id')} already has a card", field="customerId"
        ) from None
    return cards.by_id(unit, card.id)


def deactivate(unit: Unit, card_id: int) -> CardRow:
    """`DELETE /cards/{id}`: the card stops earning and redeeming; its rows and figures stay."""
    card = cards.by_id(unit, card_id, lock=True)
    if not card.is_active:
        return card
    _write(unit, card.id, is_active=False)
    return cards.by_id(unit, card.id)


def link_referrer(unit: Unit, card_id: int, doc: dict[str, Any]) -> CardRow:
    """Record who referred this card's customer, once; referral earns one level only."""
    _refuse_unknown(doc, LINK_FIELDS)
    field, wanted = _referrer_request(doc)
    card = cards.by_id(unit, card_id)
    referrer_id = _referrer(unit, field, wanted).id
    if referrer_id == card.id:
        raise InvalidInput(field, f"Card {card.card_number} cannot refer itself")
    # Both rows locked, in id order: two links made at once (A to B and B to A) queue here.
    locked = cards.lock(unit, (card.id, referrer_id))
    card, referrer = locked[card.id], locked[referrer_id]
    _refuse_inactive(card, "id", "Card")
    _refuse_inactive(referrer, field, "Referrer card")
    if card.referrer_card_id is not None:
        raise LoyaltyError(
            errors.REFERRER_ALREADY_SET,
            f"Card {card.card_number} was already referred by card {card.referrer_number}",
            field=field,
            referrerCardId=card.referrer_card_id,
            referrerCardNumber=card.referrer_number,
        )
    if referrer.referrer_card_id == card.id:
        raise LoyaltyError(
            errors.REFERRAL_LOOP,
            f"Card {referrer.card_number} was itself referred by card {card.card_number}",
            field=field,
        )
    _write(unit, card.id, referrer_card_id=referrer.id)
    return cards.by_id(unit, card.id)


# --- the checks -------------------------------------------------------------------------


def only_fields(doc: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    """`doc`, after refusing any field not in `allowed` (`_refuse_unknown`)."""
    _refuse_unknown(doc, allowed)
    return doc


def card_id_field(value: object, field: str) -> int:
    """A card id given in a body: a whole number from 1."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise InvalidInput(field, f"{field} must be a card id (a whole number from 1)")
    return value


def _refuse_unknown(doc: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """A misspelt field would otherwise be silently ignored (as for the configuration)."""
    for field in doc:
        if field not in allowed:
            why = _READ_ONLY.get(field, f"it is not one of {', '.join(allowed)}")
            raise InvalidInput(field, f"{field} cannot be given here: {why}")


def _edits(doc: dict[str, Any]) -> dict[str, Any]:
    """The columns `doc` sets, each value checked as on issue; None clears an optional one."""
    parsers = {
        "customerName": ("customer_name", lambda v: customer.text(v, "customerName", required=True)),
        "customerPhone": ("customer_phone", normalize_phone),
        "customerEmail": ("customer_email", customer.email),
        "customerId": ("customer_id", lambda v: customer.text(v, "customerId", required=False, limit=64, numbers=True)),
        "isActive": ("is_active", _flag),
    }
    return {parsers[field][0]: parsers[field][1](value) for field, value in doc.items()}


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput("isActive", "isActive must be true or false")
    return value


def _refuse_taken_phone(unit: Unit, phone: str, *, other_than: int | None = None) -> None:
    """DUPLICATE_CARD if another card of the tenant (active or not) has this phone."""
    _hold_phone(unit, phone)
    holder = select(Card.card_number).where(Card.tenant_id == unit.tenant, Card.customer_phone == phone)
    if other_than is not None:
        holder = holder.where(Card.id != other_than)
    taken = unit.connection.execute(holder.order_by(Card.id).limit(1)).scalar()
    if taken is not None:
        raise LoyaltyError(
            errors.DUPLICATE_CARD, f"Phone {phone} already has card {taken}", field="customerPhone", cardNumber=taken
        )


def _hold_phone(unit: Unit, phone: str) -> None:
    """On PostgreSQL, make two requests giving the same phone a card wait for each other.

    There is no unique index on phones (two offline tills may each issue one; see
    docs/decisions.md), so the check above is serialised with a transaction-scoped
    advisory lock instead. SQLite needs nothing: its write transactions are exclusive.
    """
    advisory_lock(unit, f"card-phone:{unit.tenant}:{phone}")


def _referrer_request(doc: dict[str, Any]) -> tuple[str, int | str]:
    """(field, value) of link-referrer's body: a referrer card id or number, exactly one."""
    given = [field for field in LINK_FIELDS if doc.get(field) is not None]
    if len(given) != 1:
        raise InvalidInput("referrerCardId", "Give either referrerCardId or referrerCardNumber (one of them)")
    field = given[0]
    if field == "referrerCardNumber":
        return field, cardnumber.validate(doc[field], field)
    value = doc[field]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise InvalidInput(field, "referrerCardId must be a card id (a whole number from 1)")
    return field, value


def _referrer(unit: Unit, field: str, wanted: int | str) -> CardRow:
    """The referrer card by id or number within the tenant; CARD_NOT_FOUND naming `field`."""
    column = Card.id if field == "referrerCardId" else Card.card_number
    found = cards.rows(unit, cards.query(unit).where(column == wanted))
    if not found:
        raise LoyaltyError(errors.CARD_NOT_FOUND, f"No referrer card {wanted}", field=field)
    return found[0]


def _refuse_inactive(card: CardRow, field: str, what: str) -> None:
    if not card.is_active:
        raise LoyaltyError(errors.CARD_INACTIVE, f"{what} {card.card_number} is not active", field=field)


def _write(unit: Unit, card_id: int, **columns: Any) -> None:
    unit.connection.execute(
        update(Card).where(Card.tenant_id == unit.tenant, Card.id == card_id).values(**columns, updated_at=unit.now)
    )
    unit.card_changed(card_id)


# --- a manager's adjustment (the head office console) ------------------------------------


def adjust(unit: Unit, postings: ledger.Postings, card: CardRow, amount: object, reason: object, *, performed_by: str) -> CardRow:
    """A manager's correction of `card` (locked): one ADJUSTED row with the reason, by the
    till's own rules (`rules.postings.adjustment_asked`, `refuse_overdraw`): not zero, a
    reason, the card in use, and never below zero."""
    delta, why = adjustment_asked(amount, reason)
    cards.refuse_replaced(card)
    _refuse_inactive(card, "id", "Card")
    refuse_overdraw(card.points_balance, delta)
    postings.post(adjustment_posting(card, delta, why), performed_by=performed_by, device_id=None)
    return card
