"""A lost card replaced and two cards of one customer merged, at the till (a manager's action).

The same moves as the central service's (`central/store/card_lifecycle.py`), by the same
rule (`rules.postings.transfer_postings`), in one writing unit of work that also queues
the `card.replaced` or `card.merged` mutation: the till shows the result at once, offline
too, and the central service makes the same move with the figures it holds when the
mutation arrives (points other tills posted meanwhile move as well, or are forwarded).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from pos_loyalty import cardnumber, errors
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.replica.db import Replica, UnitOfWork
from pos_loyalty.replica.models import Card
from pos_loyalty.rules.merge import Links, merged_links
from pos_loyalty.rules.postings import transfer_postings
from pos_loyalty.services import card_records, cards, configuration, ledger, outbox
from pos_loyalty.services.card_records import CardRecord, load
from pos_loyalty.services.cards import CardView


def replace(
    replica: Replica, number: object, *, new_number: object = None, performed_by: str | None = None
) -> CardView:
    """A new card (a pre-printed `new_number`, or the next of this till's block) for the
    customer of the lost card `number`: everything the old card had moves to it."""
    given = cardnumber.validate(new_number, "newCardNumber") if new_number not in (None, "") else None
    with replica.writing() as uow:
        old = load(uow, number)
        _refuse_moved(old, "cardNumber")
        if given is not None and card_records.find(uow, given) is not None:
            raise LoyaltyError(errors.DUPLICATE_CARD, f"Card {given} has already been issued", field="newCardNumber")
        if old.customer_id is not None:  # one card per customer id: it moves with the customer
            uow.connection.execute(update(Card).where(Card.id == old.id).values(customer_id=None))
        referrer = card_records.load_by_id(uow, old.referrer_id) if old.referrer_id is not None else None
        made = cards.new_card(
            uow,
            given or cards.next_number(uow),
            customer_id=old.customer_id,
            name=old.customer_name,
            phone=old.customer_phone,
            email=old.customer_email,
            referrer=referrer,
        )
        new = load(uow, made.card_number)
        seq = _transfer(uow, old, new, why="Card replaced", performed_by=performed_by)
        payload = {"cardNumber": old.card_number, "newCardNumber": new.card_number, "performedBy": performed_by, "replacedAt": uow.now}
        return _queued(uow, "card.replaced", payload, seq, new.card_number)


def merge(replica: Replica, keep: object, other: object, *, performed_by: str | None = None) -> CardView:
    """Two cards of one customer made one: `other`'s points, totals and referrals added to
    `keep`; `other` stops, naming `keep`."""
    with replica.writing() as uow:
        kept = load(uow, keep, field="keep")
        merged = load(uow, other, field="other")
        if kept.id == merged.id:
            raise InvalidInput("other", f"Card {kept.card_number} cannot be merged with itself")
        _refuse_moved(kept, "keep")
        _refuse_moved(merged, "other")
        links = merged_links(
            kept.id, Links(kept.referrer_id, kept.customer_id), merged.id, Links(merged.referrer_id, merged.customer_id)
        )
        values: dict[str, Any] = {}
        if links.referrer != kept.referrer_id:
            took = links.referrer == merged.referrer_id
            values |= {"referrer_id": links.referrer, "referrer_number": merged.referrer_number if took else None}
        if links.customer_id != kept.customer_id:
            uow.connection.execute(update(Card).where(Card.id == merged.id).values(customer_id=None))
            values["customer_id"] = links.customer_id
        if values:
            uow.connection.execute(update(Card).where(Card.id == kept.id).values(**values, updated_at=uow.now))
            kept = load(uow, kept.card_number)
        seq = _transfer(uow, merged, kept, why="Cards merged", performed_by=performed_by)
        payload = {"cardNumber": kept.card_number, "otherCardNumber": merged.card_number, "performedBy": performed_by, "mergedAt": uow.now}
        return _queued(uow, "card.merged", payload, seq, kept.card_number)


def balance_after_merge(keep: CardView, other: CardView) -> int:
    """What the kept card holds after a merge: the whole balance of the other moves to it."""
    return keep.points_balance + other.points_balance


def _transfer(uow: UnitOfWork, old: CardRecord, new: CardRecord, *, why: str, performed_by: str | None) -> int:
    """Everything of `old` moves to `new` (the TRANSFER pair, the cards it referred, the
    cards that earlier became it); `old` stops, naming `new`. The mutation's deviceSeq."""
    seq = outbox.reserve(uow)
    moved = (old.total_points_earned, old.total_points_redeemed, old.total_referral_points_earned)
    postings = transfer_postings(
        old, new, old.points_balance, moved, source_number=old.card_number, target_number=new.card_number, why=why
    )
    ledger.store(uow, postings, performed_by=performed_by, device_seq=seq)
    uow.connection.execute(
        update(Card)
        .where(Card.referrer_id == old.id, Card.id != new.id)
        .values(referrer_id=new.id, referrer_number=new.card_number, updated_at=uow.now)
    )
    uow.connection.execute(
        update(Card).where(Card.replaced_by_number == old.card_number).values(replaced_by_number=new.card_number)
    )
    uow.connection.execute(
        update(Card)
        .where(Card.id == old.id)
        .values(is_active=False, replaced_by_number=new.card_number, updated_at=uow.now)
    )
    return seq


def _queued(uow: UnitOfWork, kind: str, payload: dict[str, Any], seq: int, shown: str) -> CardView:
    config = configuration.current(uow)
    outbox.append(uow, kind, payload, config_version=config.version, device_seq=seq)
    result = cards.view(load(uow, shown), config, uow)
    uow.commit()
    return result


def _refuse_moved(card: CardRecord, field: str) -> None:
    """A replaced or merged card cannot move again; an anonymised one has no customer left."""
    card_records.refuse_replaced(card)
    if card.customer_phone == "":
        raise LoyaltyError(errors.CARD_INACTIVE, f"Card {card.card_number} was anonymised", field=field)
