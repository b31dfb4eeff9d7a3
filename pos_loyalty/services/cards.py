"""Cards at the till: issue, find by number or phone, history, a manager's adjustment.

Cards are read into `CardRecord`s by `card_records` (one prebuilt statement each).
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from pos_loyalty import cardnumber, customer, errors
from pos_loyalty.amounts import points
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.phone import looks_like_phone, normalize_phone
from pos_loyalty.replica.db import Replica, UnitOfWork
from pos_loyalty.replica.models import Card, CardNumberBlock, LedgerEntry
from pos_loyalty.rules.config import LoyaltyConfig
from pos_loyalty.rules.holds import available_balance
from pos_loyalty.rules.postings import adjustment_asked, adjustment_posting, refuse_overdraw
from pos_loyalty.services import bill_names, card_records, configuration, expiry, ledger, outbox
from pos_loyalty.services.card_records import CardRecord, load

MAX_HISTORY = 10_000


@dataclass(frozen=True)
class CardView:
    """A card as the till shows it, copied out of the unit of work that read it."""

    id: int
    card_number: str
    customer_id: str | None
    customer_name: str
    customer_phone: str
    customer_email: str | None
    referrer_id: int | None
    referrer_number: str | None
    points_balance: int
    total_points_earned: int
    total_points_redeemed: int
    total_referral_points_earned: int
    is_active: bool
    issued_at: datetime
    last_transaction_at: datetime | None
    tier: str | None
    next_tier: str | None
    points_to_next_tier: int | None
    lifetime_points: int = 0  # what tiers are measured on: earned + referral earned
    next_tier_at: int | None = None  # the lifetime points the next tier starts at
    available_points: int = 0  # what the customer may redeem now (expired lots and held points left out)
    expired_points: int = 0  # of lots that have expired, not yet taken off by the central service
    held_points: int = 0  # held for a payment pending elsewhere, or by a bill parked here
    expiring_points: int = 0  # points expiring in the next 30 days
    next_expiry_at: datetime | None = None
    replaced_by_number: str | None = None  # this card was replaced by (or merged into) that one
    replaced_from: str | None = None  # the number scanned: a card this one replaced

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "cardNumber": self.card_number,
            "customerId": self.customer_id,
            "customerName": self.customer_name,
            "customerPhone": self.customer_phone,
            "customerEmail": self.customer_email,
            "referrerCardId": self.referrer_id,
            "referrerCardNumber": self.referrer_number,
            "pointsBalance": points(self.points_balance),
            "totalPointsEarned": points(self.total_points_earned),
            "totalPointsRedeemed": points(self.total_points_redeemed),
            "totalReferralPointsEarned": points(self.total_referral_points_earned),
            "isActive": self.is_active,
            "issuedAt": self.issued_at,
            "lastTransactionAt": self.last_transaction_at,
            "tier": self.tier,
            "nextTier": self.next_tier,
            "pointsToNextTier": None
            if self.points_to_next_tier is None
            else points(self.points_to_next_tier),
            "availableBalance": points(self.available_points),
            "heldPoints": points(self.held_points),
            "expiringPoints": points(self.expiring_points),
            "nextExpiryAt": self.next_expiry_at,
            "replacedByCardNumber": self.replaced_by_number,
            "adjustedPoints": points(self.adjusted_points),
        }

    @property
    def adjusted_points(self) -> int:
        """What the balance holds beyond earned - redeemed + referrals: managers'
        adjustments, opening balances, expired points, points moved with a card."""
        return (
            self.points_balance
            - self.total_points_earned
            + self.total_points_redeemed
            - self.total_referral_points_earned
        )


def _made(**values: Any) -> CardView:
    """A CardView of every field, without the frozen dataclass's `object.__setattr__` per
    field (3.8 µs of a 40 µs lookup, against 0.5: issue 18); as frozen as any other.
    Every field must be given (tests/pos_loyalty/services/test_cards.py checks `view`'s)."""
    made = object.__new__(CardView)
    made.__dict__.update(values)
    return made


def view(card: CardRecord, config: LoyaltyConfig, uow: UnitOfWork) -> CardView:
    """The card as the till shows it, with what its lots say (read in `uow`)."""
    known = expiry.of_card(uow, card, config)
    lifetime = card.lifetime_points
    tier = config.tier_for(lifetime)
    upcoming = config.next_tier(lifetime)
    return _made(
        id=card.id,
        card_number=card.card_number,
        customer_id=card.customer_id,
        customer_name=card.customer_name,
        customer_phone=card.customer_phone,
        customer_email=card.customer_email,
        referrer_id=card.referrer_id,
        referrer_number=card.referrer_number,
        points_balance=card.points_balance,
        total_points_earned=card.total_points_earned,
        total_points_redeemed=card.total_points_redeemed,
        total_referral_points_earned=card.total_referral_points_earned,
        is_active=card.is_active,
        issued_at=card.issued_at,
        last_transaction_at=card.last_transaction_at,
        tier=tier.name or None,
        next_tier=upcoming.name if upcoming else None,
        points_to_next_tier=upcoming.min_lifetime_points - lifetime if upcoming else None,
        lifetime_points=lifetime,
        next_tier_at=upcoming.min_lifetime_points if upcoming else None,
        available_points=available_balance(card.points_balance, known.expired, known.held),
        expired_points=min(known.expired, max(card.points_balance, 0)),
        held_points=known.held,
        expiring_points=known.expiring,
        next_expiry_at=known.next_expiry_at,
        replaced_by_number=card.replaced_by_number,
        replaced_from=None,
    )


def find(replica: Replica, number: object) -> CardView:
    # Most lookups are the card's one statement, which needs no transaction around it
    # (BEGIN and ROLLBACK cost as much as the SELECT: issue 18). When the card has more to
    # read (pulled holds, expiry lots, a configuration not loaded yet), all of it is read
    # again in one snapshot; after such a lookup (a till whose points expire) the next
    # begins in one.
    if not replica.lookups_read_more:
        with replica.glancing() as uow:
            card = load(uow, number)
            config = configuration.cached(uow, card.newest_config)
            if config is not None and expiry.read_with_card(card, config):
                return view(card, config, uow)
    with replica.reading() as uow:
        card = load(uow, number)
        config = configuration.saved(uow, card.newest_config)
        replica.lookups_read_more = not expiry.read_with_card(card, config)
        return view(card, config, uow)


def find_by_phone(replica: Replica, phone: object) -> list[CardView]:
    """Every card issued to this phone (normally one), newest first; CARD_NOT_FOUND if none.
    A card that was replaced or merged is left out (the card that took its place is there)."""
    normalized = normalize_phone(phone, "phone")
    with replica.reading() as uow:
        found = [card for card in card_records.with_phone(uow, normalized) if card.replaced_by_number is None]
        if not found:
            raise LoyaltyError(errors.CARD_NOT_FOUND, f"No card for phone {normalized}")
        config = configuration.saved(uow, found[0].newest_config)
        return [view(card, config, uow) for card in found]


def issue(
    replica: Replica,
    *,
    name: object,
    phone: object,
    email: object = None,
    referrer: object = None,
    number: object = None,
    customer_id: object = None,
    performed_by: str | None = None,
) -> CardView:
    """Issue a card: a pre-printed `number`, or the next one from this till's block."""
    customer_name = customer.text(name, "customerName", required=True)
    customer_phone = normalize_phone(phone)
    customer_email = customer.email(email)
    customer_key = customer.text(customer_id, "customerId", required=False, limit=64, numbers=True)
    given_number = cardnumber.validate(number) if number not in (None, "") else None
    with replica.writing() as uow:
        session = uow.session
        refuse_taken_phone(uow, customer_phone)
        referrer_card = load(uow, referrer, field="referrer") if referrer not in (None, "") else None
        if referrer_card is not None and not referrer_card.is_active:
            raise LoyaltyError(
                errors.CARD_INACTIVE,
                f"Referrer card {referrer_card.card_number} is not active",
                field="referrer",
            )
        if given_number is not None:
            if _exists(uow, given_number):
                raise LoyaltyError(
                    errors.DUPLICATE_CARD,
                    f"Card {given_number} has already been issued",
                    field="cardNumber",
                )
            card_number = given_number
        else:
            card_number = _next_number(uow)
        new_card(
            uow,
            card_number,
            customer_id=customer_key,
            name=customer_name,
            phone=customer_phone,
            email=customer_email,
            referrer=referrer_card,
        )
        config = configuration.current(uow)
        outbox.append(
            uow,
            "card.issued",
            {
                "cardNumber": card_number,
                "customerId": customer_key,
                "customerName": customer_name,
                "customerPhone": customer_phone,
                "customerEmail": customer_email,
                "referrerCardNumber": referrer_card.card_number if referrer_card else None,
                "issuedAt": uow.now,
                "performedBy": performed_by,
            },
            config_version=config.version,
        )
        session.flush()
        result = view(load(uow, card_number), config, uow)
        uow.commit()
        return result


def new_card(
    uow: UnitOfWork,
    number: str,
    *,
    customer_id: str | None,
    name: str,
    phone: str,
    email: str | None,
    referrer: CardRecord | None,
) -> Card:
    """A new card's row (no points yet), added to the unit of work's session and flushed."""
    card = Card(
        card_number=number,
        customer_id=customer_id,
        customer_name=name,
        customer_phone=phone,
        customer_email=email,
        referrer_id=referrer.id if referrer else None,
        referrer_number=referrer.card_number if referrer else None,
        points_balance=0,
        total_points_earned=0,
        total_points_redeemed=0,
        total_referral_points_earned=0,
        is_active=True,
        issued_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(card)
    uow.session.flush()
    return card


def history(replica: Replica, number: object, *, limit: int = 100) -> list[dict[str, Any]]:
    """A card's ledger rows, newest first."""
    if limit < 1 or limit > MAX_HISTORY:
        raise InvalidInput("limit", f"limit must be between 1 and {MAX_HISTORY}")
    with replica.reading() as uow:
        card = load(uow, number)
        entries = (
            uow.connection.execute(
                select(LedgerEntry)
                .where(LedgerEntry.card_id == card.id)
                .order_by(LedgerEntry.id.desc())
                .limit(limit)
            )
            .mappings()
            .all()
        )
        named = card_records.numbers(
            uow, {card.id} | {e["referred_card_id"] for e in entries if e["referred_card_id"]}
        )
        bills = bill_names.of(uow, [e["reference_id"] for e in entries] + [e["referred_bill_id"] for e in entries])
        return [_with_bill_numbers(ledger.entry_to_json(e, named), bills) for e in entries]


def _with_bill_numbers(row: dict[str, Any], bills: dict[str, bill_names.BillName]) -> dict[str, Any]:
    """A history row with the short numbers of the bills of this till it names (for people:
    `history_words`); a bill of another till has only its id here."""
    for key, said in (("referenceId", "billNumber"), ("referredBillId", "referredBillNumber")):
        bill = bills.get(row[key]) if row[key] else None
        row[said] = bill.number if bill else None
    return row


def adjust(
    replica: Replica,
    number: object,
    amount: object,
    *,
    reason: object,
    performed_by: str | None = None,
) -> CardView:
    """A manager's correction: one ADJUSTED row (never below zero) and its mutation."""
    with replica.writing() as uow:
        result = adjust_in(uow, number, amount, reason=reason, performed_by=performed_by)
        uow.commit()
        return result


def adjust_in(
    uow: UnitOfWork, number: object, amount: object, *, reason: object, performed_by: str | None
) -> CardView:
    """`adjust`, inside the caller's writing unit of work (it commits)."""
    delta, why = adjustment_asked(amount, reason)
    card = load(uow, number)
    card_records.refuse_replaced(card)
    if not card.is_active:
        raise LoyaltyError(errors.CARD_INACTIVE, f"Card {card.card_number} is not active")
    refuse_overdraw(card.points_balance, delta)
    config = configuration.current(uow)
    seq = outbox.reserve(uow)
    (entry,) = ledger.store(uow, [adjustment_posting(card, delta, why)], performed_by=performed_by, device_seq=seq)
    outbox.append(
        uow,
        "card.adjusted",
        {
            "cardNumber": card.card_number,
            "points": points(delta),
            "reason": why,
            "balanceAfter": points(entry["balance_after"]),
            "performedBy": performed_by,
            "adjustedAt": uow.now,
        },
        config_version=config.version,
        device_seq=seq,
    )
    return view(card, config, uow)


def refuse_taken_phone(uow: UnitOfWork, phone: str, *, other_than: int | None = None) -> None:
    """One card per phone at this till: DUPLICATE_CARD naming the card that has it."""
    query = select(Card.card_number).where(Card.customer_phone == phone)
    if other_than is not None:
        query = query.where(Card.id != other_than)
    holder = uow.connection.execute(query.limit(1)).scalar()
    if holder is not None:
        raise LoyaltyError(
            errors.DUPLICATE_CARD, f"Phone {phone} already has card {holder}", field="customerPhone", cardNumber=holder
        )


def _exists(uow: UnitOfWork, number: str) -> bool:
    return uow.session.execute(select(Card.id).where(Card.card_number == number)).first() is not None


def _next_number(uow: UnitOfWork) -> str:
    """The next unused number from this till's blocks (server-given first, else its own)."""
    session = uow.session
    blocks = session.execute(
        select(CardNumberBlock)
        .where(CardNumberBlock.next_serial < cardnumber.BLOCK_SIZE)
        .order_by(CardNumberBlock.origin.desc(), CardNumberBlock.id)  # 'server' before 'local'
    ).scalars()
    for block in blocks:
        while block.next_serial < cardnumber.BLOCK_SIZE:
            number = cardnumber.from_block(block.prefix, block.block, block.next_serial)
            block.next_serial += 1
            if not _exists(uow, number):
                return number
    # No block left: this till takes a random block of its own (never connected, or used up).
    while True:
        block_number = secrets.randbelow(100_000)
        taken = session.execute(
            select(CardNumberBlock.id).where(
                CardNumberBlock.prefix == cardnumber.LOCAL_BLOCK_PREFIX,
                CardNumberBlock.block == block_number,
            )
        ).first()
        if taken is None:
            break
    session.add(
        CardNumberBlock(
            prefix=cardnumber.LOCAL_BLOCK_PREFIX, block=block_number, next_serial=0, origin="local"
        )
    )
    session.flush()
    return _next_number(uow)


next_number = _next_number  # for the other services that issue cards


def lookup(replica: Replica, text: str) -> CardView:
    """The card a cashier scanned or typed: a card number, or the customer's phone.

    A number with a valid check digit is tried as a card first; digits that could be a
    phone are tried as one; the error says which it was taken for.
    """
    raw = (text or "").strip()
    try:
        number = cardnumber.validate(raw)
    except InvalidInput as not_a_number:
        if looks_like_phone(raw):
            try:
                return _active_first(find_by_phone(replica, raw))
            except LoyaltyError:
                phone = normalize_phone(raw, "phone")
                if not_a_number.details.get("reason") == "CHECK_DIGIT" and len(phone.lstrip("+")) >= 12:
                    raise not_a_number from None  # as long as a card number: a mistyped one
                raise LoyaltyError(errors.CARD_NOT_FOUND, f"No card for phone {phone}", phone=phone) from None
        raise
    try:
        return _successor(replica, find(replica, number))
    except LoyaltyError:
        if len(number) >= 13 or not looks_like_phone(raw):  # as long as this system's cards: a card
            raise
    try:
        return _active_first(find_by_phone(replica, raw))
    except LoyaltyError:
        raise LoyaltyError(
            errors.CARD_NOT_FOUND, f"No card and no customer's phone is {number} at this pharmacy", cardNumber=number
        ) from None


def _successor(replica: Replica, card: CardView) -> CardView:
    """A scanned card that was replaced opens the card that took its place (`replaced_from`
    says which was scanned); the old card itself if that one is not here yet."""
    if card.replaced_by_number is None:
        return card
    try:
        found = find(replica, card.replaced_by_number)
    except LoyaltyError:
        return card
    return dataclasses.replace(found, replaced_from=card.card_number)


def _active_first(found: list[CardView]) -> CardView:
    return found[0]  # find_by_phone lists active cards first, then the newest
