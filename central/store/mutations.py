"""Applying a till's mutations on the central service (`sync-protocol.md`).

A `Batch` holds what the new mutations of one or several tills' pushes share: the cards
they touch, locked up front in id order and moved in memory through `Postings`, and the
rows, bills and flags written in bulk by `flush`. The appliers of cards and
configuration are here; those of bills are in `bill_mutations.py`. A mutation that
cannot stand at all (a card this tenant does not have, a malformed payload) raises
`LoyaltyError` and is rejected; every applier checks everything before it changes
anything, so a rejected mutation leaves no trace.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, String, any_, bindparam, or_, select, update

from central.store import card_lifecycle
from central.store import cards as card_store
from central.store import config as configs
from central.store.cards import CardRow
from central.store.db import Unit, bulk_insert
from central.store.flags import (
    CONFIG_CONFLICT,
    DUPLICATE_CUSTOMER,
    OVERDRAFT,
    REFERRER_UNKNOWN,
    Flags,
)
from central.store.ledger import Postings
from central.store.models import Bill, Card, PointTransaction
from pos_loyalty import cardnumber, customer, errors, jsonio
from pos_loyalty.opening_balances import OPENING_BALANCE
from pos_loyalty.amounts import parse_points, points
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.phone import normalize_phone
from pos_loyalty.rules import config_from_json, config_to_json
from pos_loyalty.rules.config_fields import merge
from pos_loyalty.rules.postings import adjustment_asked, adjustment_posting


class Batch:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self.device_id: int | None = None
        self.performed_by = "device"
        self.postings = Postings(unit, find=self.card_by_id)
        self.flags = Flags(unit)
        self.by_number: dict[str, CardRow] = {}
        self.by_id: dict[int, CardRow] = {}
        self.bill_status: dict[str, str] = {}  # billId -> FINALIZED | REVERSED, known so far
        self.phone_cards: dict[str, list[str]] = {}  # phone -> its cards' numbers, known so far
        self.customer_ids: set[str] = set()  # customer ids already holding a card
        self.new_bills: list[dict[str, Any]] = []

    def acting_for(self, device_id: int, device_name: str) -> None:
        """The till whose mutations come next (they may be several tills' in one batch)."""
        self.device_id = device_id
        self.performed_by = f"device:{device_name}"

    # --- before: lock what the batch will touch -----------------------------------

    def prepare(self, mutations: list[Any]) -> None:
        numbers: set[str] = set()
        bill_ids: set[str] = set()
        reversed_ids: set[str] = set()  # bills whose cards the batch must lock too
        for mutation in mutations:
            payload = mutation.payload
            for value in _numbers_named(payload):
                try:
                    numbers.add(cardnumber.validate(value))
                except InvalidInput:
                    pass  # the applier rejects it, naming the field
            if isinstance(payload.get("billId"), (str, int)):
                bill_ids.add(str(payload["billId"]))
                if mutation.kind in ("bill.reversed", "bill.returned"):
                    reversed_ids.add(str(payload["billId"]))
        self._look_up_customers([m.payload for m in mutations if m.kind == "card.issued"])
        if bill_ids:
            for bill_id, status in self.unit.connection.execute(
                select(Bill.bill_id, Bill.status).where(
                    Bill.tenant_id == self.unit.tenant, _among(self.unit, Bill.bill_id, bill_ids, String)
                )
            ):
                self.bill_status[bill_id] = status
        ids: set[int] = set()
        if reversed_ids:
            ids = set(
                self.unit.connection.execute(
                    select(PointTransaction.card_id).distinct().where(
                        PointTransaction.tenant_id == self.unit.tenant,
                        PointTransaction.reference_id.in_(reversed_ids),
                    )
                ).scalars()
            )
        if numbers or ids:  # the cards named and those of the bills taken back: one statement, locked in id order
            locking = (
                card_store.query(self.unit)
                .where(or_(_among(self.unit, Card.card_number, numbers, String), _among(self.unit, Card.id, ids, BigInteger)))
                .order_by(Card.id)
                .with_for_update(of=Card)
            )
            for card in card_store.rows(self.unit, locking):
                self._remember(card)

    def _look_up_customers(self, issued: list[dict[str, Any]]) -> None:
        """The cards already held by the phones and customer ids of the cards being issued."""
        phones, customer_ids = set(), set()
        for payload in issued:
            try:
                phones.add(normalize_phone(payload.get("customerPhone")))
            except InvalidInput:
                pass  # the applier rejects it, naming the field
            if isinstance(payload.get("customerId"), (str, int)):
                customer_ids.add(str(payload["customerId"]).strip())
        if phones:
            for phone, number in self.unit.connection.execute(
                select(Card.customer_phone, Card.card_number)
                .where(Card.tenant_id == self.unit.tenant, Card.customer_phone.in_(sorted(phones)))
                .order_by(Card.id)
            ):
                self.phone_cards.setdefault(phone, []).append(number)
        if customer_ids:
            self.customer_ids |= set(
                self.unit.connection.execute(
                    select(Card.customer_id).where(
                        Card.tenant_id == self.unit.tenant, Card.customer_id.in_(sorted(customer_ids))
                    )
                ).scalars()
            )

    def _remember(self, card: CardRow) -> CardRow:
        self.by_number[card.card_number] = card
        self.by_id[card.id] = card
        return card

    remember = _remember

    def card(self, number: object, field: str = "cardNumber") -> CardRow:
        normalized = cardnumber.validate(number, field)
        if normalized in self.by_number:
            return self.by_number[normalized]
        return self._remember(card_store.by_number(self.unit, normalized, lock=True, field=field))

    def card_by_id(self, card_id: int) -> CardRow:
        return self.by_id.get(card_id) or self._remember(card_store.by_id(self.unit, card_id, lock=True))

    # --- appliers ----------------------------------------------------------------------

    def card_adjusted(self, mutation: Any) -> None:
        payload = mutation.payload
        card = self.card(payload.get("cardNumber"))
        amount, reason = adjustment_asked(payload.get("points"), payload.get("reason"))
        performed_by = customer.text(payload.get("performedBy"), "performedBy", required=False)
        self.postings.post(
            adjustment_posting(card, amount, reason),
            performed_by=performed_by or self.performed_by,
            device_id=self.device_id,
        )
        if card.points_balance < 0:
            self.flags.raise_flag(
                OVERDRAFT, f"Card {card.card_number} is at {points(card.points_balance)} points after an adjustment",
                card_id=card.id, device_id=self.device_id, mutation_id=mutation.mutation_id,
                pointsBalance=points(card.points_balance),
            )

    def card_issued(self, mutation: Any) -> None:
        payload = mutation.payload
        new = card_store.new_card_from_json(payload)
        if new.card_number is None:
            raise InvalidInput("cardNumber", "A card issued at a till carries its number")
        if new.card_number in self.by_number:  # every number this group names was looked up
            raise LoyaltyError(errors.DUPLICATE_CARD, f"Card {new.card_number} has already been issued", field="cardNumber")
        if new.customer_id is not None and new.customer_id in self.customer_ids:
            raise LoyaltyError(errors.DUPLICATE_CARD, f"Customer {new.customer_id} already has a card", field="customerId")
        # A card a till imported (`pos_loyalty/services/card_import.py`) carries its opening balance.
        opening = parse_points(payload["openingPoints"], "openingPoints") if payload.get("openingPoints") is not None else 0
        performed_by = customer.text(payload.get("performedBy"), "performedBy", required=False) if opening else None
        referrer = None
        if new.referrer_card_number:
            try:
                referrer = self.card(new.referrer_card_number, "referrerCardNumber")
            except LoyaltyError as error:
                if error.code != errors.CARD_NOT_FOUND:
                    raise
        card = self._remember(
            card_store.insert_card(
                self.unit, new, referrer=referrer, issued_at=_time(payload.get("issuedAt"), self.unit.now),
                device_id=self.device_id, checked=True,
            )
        )
        if opening:
            self.postings.post(
                adjustment_posting(card, opening, OPENING_BALANCE),
                performed_by=performed_by or self.performed_by,
                device_id=self.device_id,
                created_at=card.issued_at,
            )
        if new.customer_id is not None:
            self.customer_ids.add(new.customer_id)
        same_phone = self.phone_cards.setdefault(new.customer_phone, [])
        same_phone.append(card.card_number)
        if new.referrer_card_number and referrer is None:
            self.flags.raise_flag(
                REFERRER_UNKNOWN, f"Card {card.card_number} names referrer {new.referrer_card_number}, unknown here",
                card_id=card.id, device_id=self.device_id, mutation_id=mutation.mutation_id,
                referrerCardNumber=new.referrer_card_number,
            )
        if len(same_phone) > 1:
            self.flags.raise_flag(
                DUPLICATE_CUSTOMER, f"Phone {new.customer_phone} now has cards {', '.join(same_phone)}",
                card_id=card.id, device_id=self.device_id, mutation_id=mutation.mutation_id,
                customerPhone=new.customer_phone, cardNumbers=list(same_phone),
            )

    def card_updated(self, mutation: Any) -> None:
        payload = mutation.payload
        card = self.card(payload.get("cardNumber"))
        values: dict[str, Any] = {}
        if "customerName" in payload:
            values["customer_name"] = customer.text(payload["customerName"], "customerName", required=True)
        if "customerPhone" in payload:
            values["customer_phone"] = normalize_phone(payload["customerPhone"])
        if "customerEmail" in payload:
            values["customer_email"] = customer.email(payload["customerEmail"])
        if "isActive" in payload:
            if not isinstance(payload["isActive"], bool):
                raise InvalidInput("isActive", "isActive must be true or false")
            values["is_active"] = payload["isActive"]
        if not values:
            raise InvalidInput("(payload)", "A card update changes at least one field")
        self.unit.connection.execute(
            update(Card).where(Card.id == card.id).values(**values, updated_at=self.unit.now)
        )
        for column, value in values.items():
            setattr(card, column, value)
        self.unit.card_changed(card.id)

    def config_changed(self, mutation: Any) -> None:
        payload = mutation.payload
        base, changes = payload.get("base"), payload.get("changes")
        if not isinstance(base, dict) or not isinstance(changes, dict):
            raise InvalidInput("changes", "A configuration change carries its base and changed fields")
        current = configs.current(self.unit)
        merged, conflicts = merge(config_to_json(current), base, changes)
        proposed = config_from_json(merged)
        if proposed != current:
            configs.save(self.unit, proposed, self.performed_by)
        for conflict in conflicts:
            self.flags.raise_flag(
                CONFIG_CONFLICT,
                f"A till changed {conflict['field']} from a configuration the service has since changed; the service's value stands",
                device_id=self.device_id, mutation_id=mutation.mutation_id,
                baseVersion=payload.get("baseVersion"), serverVersion=current.version, **conflict,
            )

    # --- after: write everything ----------------------------------------------------------

    def flush(self) -> None:
        self.postings.flush(with_ids=False)  # a push answers statuses, not rows
        if self.new_bills:
            bulk_insert(self.unit, Bill.__table__, self.new_bills)
            self.new_bills = []
        self.flags.flush()


APPLIERS = {
    "card.adjusted": Batch.card_adjusted,
    "card.issued": Batch.card_issued,
    "card.updated": Batch.card_updated,
    "card.replaced": card_lifecycle.card_replaced,
    "card.merged": card_lifecycle.card_merged,
    "config.changed": Batch.config_changed,
}


def _among(unit: Unit, column: Any, values: set[Any], kind: type) -> Any:
    """`column IN values`; on PostgreSQL as one array (`= ANY`): an IN list is a parameter a
    value, expanded and planned afresh for each count (a push names a few hundred)."""
    if unit.connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, sorted(values), type_=ARRAY(kind())))
    return column.in_(sorted(values))


def _numbers_named(payload: dict[str, Any]) -> list[object]:
    named = [payload.get(key) for key in ("cardNumber", "referrerCardNumber", "newCardNumber", "otherCardNumber")]
    for row in payload.get("ledger") or []:
        if isinstance(row, dict):
            named.append(row.get("cardNumber"))
    return [n for n in named if isinstance(n, str) and n]


def _time(value: object, default: datetime) -> datetime:
    """A till's ISO time (with Z) as naive UTC; the server's time when absent or unreadable."""
    if not isinstance(value, str):
        return default
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return default
    return jsonio.naive_utc(moment) if moment.tzinfo is not None else moment
