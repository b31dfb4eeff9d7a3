"""A customer's details on a card, changed at the till: name, phone, email, and whether the
card is active (a manager closes a card; a closed card earns nothing, redeems nothing and
its referrer earns nothing through it). One unit of work writes the card and its
`card.updated` mutation, naming only the fields that changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update as sql_update

from pos_loyalty import customer
from pos_loyalty.errors import InvalidInput
from pos_loyalty.phone import normalize_phone
from pos_loyalty.replica.models import Card
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import card_records, configuration, outbox
from pos_loyalty.services.cards import CardView, refuse_taken_phone, view

_UNSET: Any = object()


def update(
    replica: Replica,
    number: object,
    *,
    name: object = _UNSET,
    phone: object = _UNSET,
    email: object = _UNSET,
    active: object = _UNSET,
    performed_by: str | None = None,
) -> CardView:
    """Change what is given; refuses a phone another card holds, and a change of nothing."""
    asked: dict[str, Any] = {}
    if name is not _UNSET:
        asked["customer_name"] = customer.text(name, "customerName", required=True)
    if phone is not _UNSET:
        asked["customer_phone"] = normalize_phone(phone)
    if email is not _UNSET:
        asked["customer_email"] = customer.email(email)
    if active is not _UNSET:
        if not isinstance(active, bool):
            raise InvalidInput("isActive", "isActive must be true or false")
        asked["is_active"] = active
    with replica.writing() as uow:
        card = card_records.load(uow, number)
        changed = {column: value for column, value in asked.items() if getattr(card, column) != value}
        if not changed:
            raise InvalidInput("(card)", f"Card {card.card_number} already has these details: nothing to change")
        if "customer_phone" in changed:
            refuse_taken_phone(uow, changed["customer_phone"], other_than=card.id)
        uow.connection.execute(sql_update(Card).where(Card.id == card.id).values(**changed, updated_at=uow.now))
        for column, value in changed.items():
            setattr(card, column, value)
        config = configuration.current(uow)
        outbox.append(
            uow,
            "card.updated",
            {
                "cardNumber": card.card_number,
                **{_FIELDS[column]: value for column, value in changed.items()},
                "performedBy": performed_by,
                "updatedAt": uow.now,
            },
            config_version=config.version,
        )
        result = view(card, config, uow)
        uow.commit()
        return result


#: Columns of the card and the names `card.updated` (and seed 002's card JSON) gives them.
_FIELDS = {
    "customer_name": "customerName",
    "customer_phone": "customerPhone",
    "customer_email": "customerEmail",
    "is_active": "isActive",
}
