"""Applying a till's mutations on the central service (`sync-protocol.md`).

What the till recorded is what the customer saw, so a `bill.finalized` is applied as
the till wrote it: its ledger rows, on the server's own balances. The service recomputes
the bill with the configuration version the till named and flags a difference
(RULES_MISMATCH); a redemption that leaves a card below zero is applied and flagged
(OVERDRAFT). A mutation that cannot stand at all (a card this tenant does not have, a
malformed payload) raises `LoyaltyError` and is rejected; every applier checks
everything before it changes anything, so a rejected mutation leaves no trace.

One `Batch` applies the new mutations of one or several tills' pushes, in order. The cards they touch are locked up
front (in id order) and moved in memory through `Postings`; rows, figures, bills and
flags are written in bulk by `flush`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select, update

from central.store import cards as card_store
from central.store import config as configs
from central.store.cards import CardRow
from central.store.db import Unit, bulk_insert
from central.store.flags import (
    CONFIG_CONFLICT,
    DUPLICATE_CUSTOMER,
    OVERDRAFT,
    REFERRER_UNKNOWN,
    RULES_MISMATCH,
    Flags,
)
from central.store.ledger import BILL, MANUAL, REFERRAL, REVERSED, Postings
from central.store.models import Bill, Card, PointTransaction
from pos_loyalty import cardnumber, customer, errors, jsonio
from pos_loyalty.amounts import MAX_FIGURE, POINTS_PLACES, parse_money, parse_percent, parse_points, points
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.phone import normalize_phone
from pos_loyalty.rules import bill_from_json, config_from_json, config_to_json, quote_bill
from pos_loyalty.rules.config_fields import merge
from pos_loyalty.rules.quote import CardState

_SIGNED = -MAX_FIGURE * 10**POINTS_PLACES
_BILL_ROW_TYPES = {"EARNED", "REDEEMED", "REFERRAL_EARNED"}
#: The figures of a bill the service recomputes and compares with the till's.
COMPARED = (
    "billAmount",
    "categoryDiscount",
    "flatDiscount",
    "netAmount",
    "pointsRedeemed",
    "amountDeducted",
    "payable",
    "pointsEarned",
    "referrerPointsEarned",
)


class Batch:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self.device_id: int | None = None
        self.performed_by = "device"
        self.postings = Postings(unit)
        self.flags = Flags(unit)
        self.by_number: dict[str, CardRow] = {}
        self.by_id: dict[int, CardRow] = {}
        self.bill_status: dict[str, str] = {}  # billId -> FINALIZED | REVERSED, known so far
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
                if mutation.kind == "bill.reversed":
                    reversed_ids.add(str(payload["billId"]))
        known = card_store.ids_of_numbers(self.unit, numbers)
        ids = {card_id for card_id, _referrer in known.values()}
        if bill_ids:
            for bill_id, status in self.unit.connection.execute(
                select(Bill.bill_id, Bill.status).where(Bill.tenant_id == self.unit.tenant, Bill.bill_id.in_(bill_ids))
            ):
                self.bill_status[bill_id] = status
        if reversed_ids:
            ids |= set(
                self.unit.connection.execute(
                    select(PointTransaction.card_id).distinct().where(
                        PointTransaction.tenant_id == self.unit.tenant,
                        PointTransaction.reference_id.in_(reversed_ids),
                    )
                ).scalars()
            )
        for card in card_store.lock(self.unit, ids).values():
            self._remember(card)

    def _remember(self, card: CardRow) -> CardRow:
        self.by_number[card.card_number] = card
        self.by_id[card.id] = card
        return card

    def card(self, number: object, field: str = "cardNumber") -> CardRow:
        normalized = cardnumber.validate(number, field)
        if normalized in self.by_number:
            return self.by_number[normalized]
        return self._remember(card_store.by_number(self.unit, normalized, lock=True, field=field))

    def card_by_id(self, card_id: int) -> CardRow:
        return self.by_id.get(card_id) or self._remember(card_store.by_id(self.unit, card_id, lock=True))

    # --- appliers ----------------------------------------------------------------------

    def apply(self, mutation: Any) -> None:
        applier = _APPLIERS.get(mutation.kind)
        if applier is None:
            raise InvalidInput("kind", f"Unknown mutation kind {mutation.kind!r}")
        applier(self, mutation)

    def bill_finalized(self, mutation: Any) -> None:
        payload = mutation.payload
        bill_id = _bill_id(payload.get("billId"))
        if bill_id in self.bill_status:
            raise LoyaltyError(errors.IDEMPOTENCY_CONFLICT, f"Bill {bill_id} is already recorded", billId=bill_id)
        bill = bill_from_json(payload)
        card = self.card(payload["cardNumber"]) if payload.get("cardNumber") else None
        result = payload.get("result")
        if not isinstance(result, dict):
            raise InvalidInput("result", "A finalized bill carries the result the customer saw")
        rows = [self._bill_row(row, index, card) for index, row in enumerate(_list(payload, "ledger"))]
        lifetime_before = card.lifetime_points if card else 0
        when = _time(payload.get("finalizedAt"), self.unit.now)

        for row, target in rows:
            if target is None:  # the till's referrer is unknown here: keep the rest, flag it
                self.flags.raise_flag(
                    REFERRER_UNKNOWN,
                    f"Bill {bill_id} credited referrer card {row['cardNumber']}, which this service does not know",
                    bill_id=bill_id, device_id=self.device_id, mutation_id=mutation.mutation_id,
                    referrerCardNumber=row["cardNumber"], points=row["points"],
                )
                continue
            self.postings.post(
                target,
                row["type"],
                row["amount"],
                reference_type=REFERRAL if row["type"] == "REFERRAL_EARNED" else BILL,
                reference_id=bill_id,
                bill_amount=row["bill_amount"],
                category_id=row["category_id"],
                category_name=row["category_name"],
                point_percentage=row["point_percentage"],
                referred_card_id=card.id if row["type"] == "REFERRAL_EARNED" and card else None,
                referred_bill_id=bill_id if row["type"] == "REFERRAL_EARNED" else None,
                description=row["description"],
                performed_by=row["performed_by"] or payload.get("performedBy") or self.performed_by,
                device_id=self.device_id,
                created_at=when,
            )
        if card is not None and card.points_balance < 0 and bill.redeem_points:
            self.flags.raise_flag(
                OVERDRAFT,
                f"Card {card.card_number} is at {points(card.points_balance)} points after bill {bill_id}",
                card_id=card.id, bill_id=bill_id, device_id=self.device_id, mutation_id=mutation.mutation_id,
                pointsBalance=points(card.points_balance), pointsRedeemed=points(bill.redeem_points),
            )
        self._compare(mutation, bill_id, bill, card, result, lifetime_before)
        self.bill_status[bill_id] = "FINALIZED"
        self.new_bills.append(
            {
                "tenant_id": self.unit.tenant,
                "bill_id": bill_id,
                "card_id": card.id if card else None,
                "device_id": self.device_id,
                "status": "FINALIZED",
                "config_version": mutation.config_version,
                "payable": _money_or_none(result.get("payable")),
                "result_json": jsonio.dumps(result),
                "created_at": when,
                "reversed_at": None,
            }
        )

    def _bill_row(self, row: Any, index: int, card: CardRow | None) -> tuple[dict[str, Any], CardRow | None]:
        where = f"ledger[{index}]"
        if not isinstance(row, dict):
            raise InvalidInput(where, f"{where} must be an object")
        kind = row.get("transactionType")
        if kind not in _BILL_ROW_TYPES:
            raise InvalidInput(f"{where}.transactionType", f"{where} has no bill transaction type ({kind!r})")
        amount = parse_points(row.get("points"), f"{where}.points", minimum=_SIGNED)
        if (amount < 0) != (kind == "REDEEMED") or amount == 0:
            raise InvalidInput(f"{where}.points", f"{where}: {kind} points have the wrong sign ({amount / 100})")
        number = cardnumber.validate(row.get("cardNumber"), f"{where}.cardNumber")
        if kind == "REFERRAL_EARNED":
            target = self.by_number.get(number)
            if target is None:
                try:
                    target = self.card(number, f"{where}.cardNumber")
                except LoyaltyError as error:
                    if error.code != errors.CARD_NOT_FOUND:
                        raise
        else:
            if card is None or number != card.card_number:
                raise InvalidInput(f"{where}.cardNumber", f"{where} is not on the bill's card")
            target = card
        return (
            {
                "type": kind,
                "amount": amount,
                "cardNumber": number,
                "points": points(amount),
                "bill_amount": _money_or_none(row.get("billAmount"), f"{where}.billAmount"),
                "category_id": row.get("categoryId") if isinstance(row.get("categoryId"), int) else None,
                "category_name": customer.text(row.get("categoryName"), f"{where}.categoryName", required=False),
                "point_percentage": None
                if row.get("pointPercentage") is None
                else parse_percent(row["pointPercentage"], f"{where}.pointPercentage"),
                "description": customer.text(row.get("description"), f"{where}.description", required=False, limit=500),
                "performed_by": customer.text(row.get("performedBy"), f"{where}.performedBy", required=False),
            },
            target,
        )

    def _compare(
        self, mutation: Any, bill_id: str, bill: Any, card: CardRow | None, result: dict, lifetime: int
    ) -> None:
        """Recompute with the till's configuration version; flag what differs."""
        config = configs.at_version(self.unit, mutation.config_version) if mutation.config_version else None
        problem: dict[str, Any] = {}
        if config is None:
            problem = {"reason": f"configuration version {mutation.config_version} is unknown here"}
        else:
            state = None
            if card is not None:
                available = result.get("availablePoints", 0)
                state = CardState(
                    card_number=card.card_number,
                    is_active=card.is_active,
                    points_balance=parse_points(available, "result.availablePoints"),
                    lifetime_points=lifetime,
                    has_active_referrer=card.referrer_card_id is not None and bool(card.referrer_active),
                )
            try:
                recomputed = quote_bill(config, state, bill).to_json()
            except LoyaltyError as error:
                problem = {"reason": error.message, "code": error.code}
            else:
                differing = {
                    name: {"till": result.get(name), "service": recomputed[name]}
                    for name in COMPARED
                    if _decimal(result.get(name)) != recomputed[name]
                }
                if differing:
                    problem = {"differences": differing}
        if problem:
            self.flags.raise_flag(
                RULES_MISMATCH,
                f"Bill {bill_id} from the till does not match the rules of configuration {mutation.config_version}",
                card_id=card.id if card else None, bill_id=bill_id, device_id=self.device_id,
                mutation_id=mutation.mutation_id, configVersion=mutation.config_version, **problem,
            )

    def bill_reversed(self, mutation: Any) -> None:
        bill_id = _bill_id(mutation.payload.get("billId"))
        status = self.bill_status.get(bill_id)
        if status is None:
            raise LoyaltyError(errors.BILL_NOT_FOUND, f"No bill {bill_id} here", billId=bill_id)
        if status == "REVERSED":
            raise LoyaltyError(errors.ALREADY_REVERSED, f"Bill {bill_id} was already reversed", billId=bill_id)
        self.flush()  # rows of a bill finalized earlier in this batch must be in the table
        originals = self.unit.connection.execute(
            select(PointTransaction)
            .where(
                PointTransaction.tenant_id == self.unit.tenant,
                PointTransaction.reference_id == bill_id,
                PointTransaction.transaction_type != REVERSED,
            )
            .order_by(PointTransaction.id)
        ).all()
        performed_by = customer.text(mutation.payload.get("performedBy"), "performedBy", required=False)
        for original in originals:
            self.postings.post(
                self.card_by_id(original.card_id),
                REVERSED,
                -original.points,
                reference_type=BILL,
                counts_as=original.transaction_type,
                reverses_id=original.id,
                reference_id=bill_id,
                category_id=original.category_id,
                category_name=original.category_name,
                referred_card_id=original.referred_card_id,
                referred_bill_id=original.referred_bill_id,
                description=f"Reversal of bill {bill_id}",
                performed_by=performed_by or self.performed_by,
                device_id=self.device_id,
            )
        self.unit.connection.execute(
            update(Bill)
            .where(Bill.tenant_id == self.unit.tenant, Bill.bill_id == bill_id)
            .values(status="REVERSED", reversed_at=self.unit.now)
        )
        self.bill_status[bill_id] = "REVERSED"

    def card_adjusted(self, mutation: Any) -> None:
        payload = mutation.payload
        card = self.card(payload.get("cardNumber"))
        amount = parse_points(payload.get("points"), "points", minimum=_SIGNED)
        if amount == 0:
            raise InvalidInput("points", "An adjustment of zero points changes nothing")
        reason = customer.text(payload.get("reason"), "reason", required=True, limit=500)
        self.postings.post(
            card, "ADJUSTED", amount, reference_type=MANUAL, description=reason,
            performed_by=customer.text(payload.get("performedBy"), "performedBy", required=False) or self.performed_by,
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
        if new.card_number in self.by_number or card_store.ids_of_numbers(self.unit, [new.card_number]):
            raise LoyaltyError(errors.DUPLICATE_CARD, f"Card {new.card_number} has already been issued", field="cardNumber")
        referrer = None
        if new.referrer_card_number:
            try:
                referrer = self.card(new.referrer_card_number, "referrerCardNumber")
            except LoyaltyError as error:
                if error.code != errors.CARD_NOT_FOUND:
                    raise
        same_phone = self.unit.connection.execute(
            select(Card.card_number).where(Card.tenant_id == self.unit.tenant, Card.customer_phone == new.customer_phone)
        ).scalars().all()
        card = self._remember(
            card_store.insert_card(
                self.unit, new, referrer_id=referrer.id if referrer else None,
                issued_at=_time(payload.get("issuedAt"), self.unit.now), device_id=self.device_id,
            )
        )
        if new.referrer_card_number and referrer is None:
            self.flags.raise_flag(
                REFERRER_UNKNOWN, f"Card {card.card_number} names referrer {new.referrer_card_number}, unknown here",
                card_id=card.id, device_id=self.device_id, mutation_id=mutation.mutation_id,
                referrerCardNumber=new.referrer_card_number,
            )
        if same_phone:
            self.flags.raise_flag(
                DUPLICATE_CUSTOMER, f"Phone {new.customer_phone} now has cards {', '.join([*same_phone, card.card_number])}",
                card_id=card.id, device_id=self.device_id, mutation_id=mutation.mutation_id,
                customerPhone=new.customer_phone, cardNumbers=[*same_phone, card.card_number],
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


_APPLIERS = {
    "bill.finalized": Batch.bill_finalized,
    "bill.reversed": Batch.bill_reversed,
    "card.adjusted": Batch.card_adjusted,
    "card.issued": Batch.card_issued,
    "card.updated": Batch.card_updated,
    "config.changed": Batch.config_changed,
}
KINDS = frozenset(_APPLIERS)


def _numbers_named(payload: dict[str, Any]) -> list[object]:
    named = [payload.get("cardNumber"), payload.get("referrerCardNumber")]
    for row in payload.get("ledger") or []:
        if isinstance(row, dict):
            named.append(row.get("cardNumber"))
    return [n for n in named if isinstance(n, str) and n]


def _bill_id(value: object) -> str:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not 1 <= len(text) <= 64:
        raise InvalidInput("billId", "A bill id of 1 to 64 characters is needed")
    return text


def _list(payload: dict[str, Any], key: str) -> list[Any]:
    value = payload.get(key) or []
    if not isinstance(value, list):
        raise InvalidInput(key, f"{key} must be a list")
    return value


def _money_or_none(value: object, field: str = "payable") -> int | None:
    return None if value is None else parse_money(value, field, minimum=-MAX_FIGURE * 100)


def _decimal(value: object) -> object:
    from decimal import Decimal

    return Decimal(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else value


def _time(value: object, default: datetime) -> datetime:
    """A till's ISO time (with Z) as naive UTC; the server's time when absent or unreadable."""
    if not isinstance(value, str):
        return default
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return default
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment
