"""A card's life after issue on the central service: replaced when lost, merged, anonymised.

`central-api.md` (wave 2: Card lifecycle). The routes and a till's `card.replaced` and
`card.merged` mutations call the same functions, inside the caller's unit of work and
with its `Postings`, so a card's points move by one rule wherever the move is made:

- `replace`: a new card for the same customer; `transfer` moves everything to it.
- `merge`: the other card's points, totals and referrals added to the card kept.
- `transfer`: the TRANSFER pair (`rules.postings.transfer_postings`), the referrals and
  earlier successors re-pointed, the old card inactive and naming its successor. What
  reaches the old card later is forwarded by `Postings` (`store/ledger.py`).
- `anonymize`: a customer's request to be forgotten: name, phone, email and customer id
  erased here and in the flags that quote them; the ledger and its sums stay.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from central.store import cards
from central.store.cards import CardRow, NewCard
from central.store.db import Unit
from central.store.flags import resolve_duplicates
from central.store.ledger import Postings
from central.store.models import Card, Flag
from pos_loyalty import cardnumber, errors, jsonio
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.rules.ledger import MANUAL
from pos_loyalty.rules.merge import Links, merged_links
from pos_loyalty.rules.postings import Posting, transfer_postings

#: What an anonymised card is called; its phone is empty (`central-api.md`).
ANONYMISED = "Anonymised"
ERASED = "(erased)"


def replace(
    unit: Unit,
    postings: Postings,
    old: CardRow,
    new_number: object = None,
    *,
    performed_by: str,
    device_id: int | None = None,
) -> CardRow:
    """A new card (`new_number`, or the service's next) for the customer of the lost card `old`
    (locked): its balance, totals, tier, referrer and referrals move to the new card."""
    _refuse_moved(old, "id")
    number = cardnumber.validate(new_number, "newCardNumber") if new_number not in (None, "") else None
    if old.customer_id is not None:  # one card per customer id: it moves with the customer
        unit.connection.execute(update(Card).where(Card.id == old.id).values(customer_id=None))
    referrer = cards.by_id(unit, old.referrer_card_id) if old.referrer_card_id is not None else None
    new = cards.insert_card(
        unit,
        NewCard(
            customer_name=old.customer_name,
            customer_phone=old.customer_phone,
            customer_email=old.customer_email,
            customer_id=old.customer_id,
            card_number=number,
            referrer_card_number=old.referrer_number,
        ),
        referrer=referrer,
        device_id=device_id,
    )
    postings.cards[new.id] = new
    transfer(unit, postings, old, new, why="Card replaced", performed_by=performed_by, device_id=device_id)
    return new


def merge(
    unit: Unit,
    postings: Postings,
    keep: CardRow,
    other: CardRow,
    *,
    performed_by: str,
    device_id: int | None = None,
) -> CardRow:
    """Two cards of one customer made one: `other`'s points, totals and referrals added to
    `keep` (both locked); `other` inactive; the pair's DUPLICATE_CUSTOMER flags resolved."""
    if keep.id == other.id:
        raise InvalidInput("otherCardId", f"Card {keep.card_number} cannot be merged with itself")
    _refuse_moved(keep, "id")
    _refuse_moved(other, "otherCardId")
    links = merged_links(
        keep.id, Links(keep.referrer_card_id, keep.customer_id), other.id, Links(other.referrer_card_id, other.customer_id)
    )
    values: dict[str, Any] = {}
    if links.referrer != keep.referrer_card_id:
        values["referrer_card_id"] = links.referrer
        took = links.referrer == other.referrer_card_id
        keep.referrer_card_id = links.referrer
        keep.referrer_number = other.referrer_number if took else None
        keep.referrer_active = other.referrer_active if took else None
    if links.customer_id != keep.customer_id:
        unit.connection.execute(update(Card).where(Card.id == other.id).values(customer_id=None))
        values["customer_id"] = keep.customer_id = links.customer_id
    if values:
        unit.connection.execute(update(Card).where(Card.id == keep.id).values(**values, updated_at=unit.now))
        unit.card_changed(keep.id)
    transfer(unit, postings, other, keep, why="Cards merged", performed_by=performed_by, device_id=device_id)
    resolve_duplicates(unit, (keep.id, other.id), performed_by)
    return keep


def transfer(
    unit: Unit,
    postings: Postings,
    old: CardRow,
    new: CardRow,
    *,
    why: str,
    performed_by: str,
    device_id: int | None,
) -> None:
    """Everything of `old` moves to `new`: points and totals (the TRANSFER pair), the cards
    it referred, the cards that earlier became it; `old` stops, naming `new`."""
    moved = (old.total_points_earned, old.total_points_redeemed, old.total_referral_points_earned)
    postings.post_all(
        transfer_postings(
            old, new, old.points_balance, moved,
            source_number=old.card_number, target_number=new.card_number, why=why,
        ),
        performed_by=performed_by,
        device_id=device_id,
    )
    for column in (Card.referrer_card_id, Card.replaced_by_card_id):
        following = list(
            unit.connection.execute(
                select(Card.id).where(Card.tenant_id == unit.tenant, column == old.id, Card.id != new.id)
            ).scalars()
        )
        if following:
            unit.connection.execute(
                update(Card).where(Card.id.in_(following)).values({column.key: new.id, "updated_at": unit.now})
            )
            for card_id in following:
                unit.card_changed(card_id)
                known = postings.cards.get(card_id)
                if known is not None and column is Card.replaced_by_card_id:
                    known.replaced_by_card_id, known.replaced_by_number = new.id, new.card_number
    unit.connection.execute(
        update(Card)
        .where(Card.id == old.id)
        .values(is_active=False, replaced_by_card_id=new.id, updated_at=unit.now)
    )
    old.is_active, old.replaced_by_card_id, old.replaced_by_number = False, new.id, new.card_number
    unit.card_changed(old.id)


def anonymize(unit: Unit, postings: Postings, card: CardRow, *, performed_by: str) -> CardRow:
    """Erase the customer of `card` (locked) and of the cards it replaced: name `Anonymised`,
    no phone, email or customer id, the cards inactive. Their rows and figures stay, and a
    row records who did it. The flags that quote the customer's details lose them too."""
    if card.replaced_by_card_id is not None:
        card = postings.card(card.replaced_by_card_id)
    if card.customer_phone == "":
        return card  # already done: the same answer again
    family = [card.id] + list(
        unit.connection.execute(
            select(Card.id).where(Card.tenant_id == unit.tenant, Card.replaced_by_card_id == card.id)
        ).scalars()
    )
    details = list(
        unit.connection.execute(
            select(Card.customer_name, Card.customer_phone, Card.customer_email, Card.customer_id).where(
                Card.id.in_(family)
            )
        ).all()
    )
    quoted = sorted({text for row in details for text in row if text}, key=len, reverse=True)
    phones = sorted({row.customer_phone for row in details if row.customer_phone})
    unit.connection.execute(
        update(Card)
        .where(Card.id.in_(family))
        .values(
            customer_name=ANONYMISED, customer_phone="", customer_email=None, customer_id=None,
            is_active=False, updated_at=unit.now,
        )
    )
    card.customer_name, card.customer_phone, card.customer_email, card.customer_id = ANONYMISED, "", None, None
    card.is_active = False
    for card_id in family:
        unit.card_changed(card_id)
    postings.post(
        Posting(card, "ADJUSTED", 0, MANUAL, description="The customer's details were erased on request"),
        performed_by=performed_by,
        device_id=None,
    )
    _scrub_flags(unit, family, quoted, phones)
    return card


def _scrub_flags(unit: Unit, card_ids: list[int], quoted: list[str], phones: list[str]) -> None:
    """The flags about the cards, or quoting their phone (a DUPLICATE_CUSTOMER flag raised on
    another card of the phone), lose the customer's details."""
    about = Flag.card_id.in_(card_ids)
    for phone in phones:
        about = about | Flag.details_json.contains(phone, autoescape=True)
    found = unit.connection.execute(
        select(Flag.id, Flag.message, Flag.details_json).where(Flag.tenant_id == unit.tenant, about)
    ).all()
    for flag_id, message, details in found:
        for text in quoted:
            needle = jsonio.dumps(text)[1:-1]  # as it appears inside a JSON string
            message, details = message.replace(text, ERASED), details.replace(needle, ERASED)
        unit.connection.execute(update(Flag).where(Flag.id == flag_id).values(message=message, details_json=details))


def _refuse_moved(card: CardRow, field: str) -> None:
    """A replaced or merged card cannot move again (CARD_REPLACED names where it went); an
    anonymised one has no customer left to move."""
    cards.refuse_replaced(card)
    if card.customer_phone == "":
        raise LoyaltyError(
            errors.CARD_INACTIVE, f"Card {card.card_number} was anonymised", field=field, cardNumber=card.card_number
        )


# --- a till's mutations (`sync-protocol.md`, wave 2) ---------------------------------------


def card_replaced(batch: Any, mutation: Any) -> None:
    """`card.replaced` {cardNumber, newCardNumber, performedBy}: a till replaced a lost card."""
    payload = mutation.payload
    old = _current(batch, batch.card(payload.get("cardNumber")))
    new_number = cardnumber.validate(payload.get("newCardNumber"), "newCardNumber")
    if new_number in batch.by_number:  # every number the group names was looked up
        raise LoyaltyError(errors.DUPLICATE_CARD, f"Card {new_number} has already been issued", field="newCardNumber")
    new = replace(
        batch.unit, batch.postings, old, new_number,
        performed_by=_performed_by(batch, payload), device_id=batch.device_id,
    )
    batch.remember(new)


def card_merged(batch: Any, mutation: Any) -> None:
    """`card.merged` {cardNumber, otherCardNumber, performedBy}: a till made two cards one."""
    payload = mutation.payload
    keep = _current(batch, batch.card(payload.get("cardNumber")))
    other = _current(batch, batch.card(payload.get("otherCardNumber"), "otherCardNumber"))
    if keep.id == other.id:
        return  # the two are one card already (merged, or replaced, elsewhere meanwhile)
    merge(batch.unit, batch.postings, keep, other, performed_by=_performed_by(batch, payload), device_id=batch.device_id)


def _current(batch: Any, card: CardRow) -> CardRow:
    """The card a till named, or, when it was replaced or merged elsewhere meanwhile (two
    managers replacing one lost card at two offline tills), the card that took its place:
    the till's move applies to that one, and nothing is refused."""
    while card.replaced_by_card_id is not None:
        card = batch.card_by_id(card.replaced_by_card_id)
    return card


def _performed_by(batch: Any, payload: dict[str, Any]) -> str:
    given = payload.get("performedBy")
    return given.strip()[:255] if isinstance(given, str) and given.strip() else batch.performed_by
