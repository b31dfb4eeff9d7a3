"""Cards on the central service: read (always within the caller's tenant), lock, issue, show.

A card whose balance a unit of work will change is read with `lock=True`: `SELECT ... FOR
UPDATE` on PostgreSQL (several cards: in id order, so two requests never deadlock on
each other), nothing more on SQLite where the whole write transaction is exclusive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, insert, literal, null, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from central.store import config as configs
from central.store import webhooks
from central.store.db import Unit
from central.store.models import Card, CardBlock, ConfigVersion, PointHold, PointTransaction, Webhook
from pos_loyalty import cardnumber, customer, errors, jsonio
from pos_loyalty.amounts import points
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.phone import normalize_phone
from pos_loyalty.rules.config import LoyaltyConfig
from pos_loyalty.rules.expiry import Lots
from pos_loyalty.rules.holds import ACTIVE, Hold, available_balance, held_points
from pos_loyalty.rules.quote import CardState

_referrer = aliased(Card, name="referrer")
_successor = aliased(Card, name="successor")


@dataclass
class CardRow:
    """A card as a unit of work read it; `Postings` moves its figures."""

    id: int
    card_number: str
    customer_id: str | None
    customer_name: str
    customer_phone: str
    customer_email: str | None
    referrer_card_id: int | None
    points_balance: int
    total_points_earned: int
    total_points_redeemed: int
    total_referral_points_earned: int
    is_active: bool
    issued_at: datetime
    last_transaction_at: datetime | None
    referrer_number: str | None
    referrer_active: bool | None
    #: The card that replaced this one or that it was merged into (`store/card_lifecycle.py`).
    replaced_by_card_id: int | None = None
    replaced_by_number: str | None = None

    @property
    def lifetime_points(self) -> int:
        return self.total_points_earned + self.total_referral_points_earned

    def state(
        self, *, offline_allowance: int | None = None, lots: Lots | None = None, now: datetime | None = None, held: int = 0
    ) -> CardState:
        """What the shared rules need to know of this card (with its `lots` as of `now`, what
        has expired and what expires next; `held`, the points of its active holds)."""
        expired = expiring = 0
        next_expiry = None
        if lots is not None and now is not None:
            expired, expiring, next_expiry = lots.expired(now), lots.expiring(now), lots.next_expiry(now)
        return CardState(
            card_number=self.card_number,
            is_active=self.is_active,
            points_balance=self.points_balance,
            lifetime_points=self.lifetime_points,
            has_active_referrer=self.referrer_card_id is not None and bool(self.referrer_active),
            offline_allowance=offline_allowance,
            expired_points=expired,
            expiring_points=expiring,
            next_expiry_at=next_expiry,
            held_points=held,
        )

    def to_json(self, config: LoyaltyConfig) -> dict[str, Any]:
        """Seed 002's columns in camelCase, plus the tier and the referrer's number."""
        tier = config.tier_for(self.lifetime_points)
        return {
            "id": self.id,
            "cardNumber": self.card_number,
            "customerId": self.customer_id,
            "customerName": self.customer_name,
            "customerPhone": self.customer_phone,
            "customerEmail": self.customer_email,
            "referrerCardId": self.referrer_card_id,
            "referrerCardNumber": self.referrer_number,
            "pointsBalance": points(self.points_balance),
            "totalPointsEarned": points(self.total_points_earned),
            "totalPointsRedeemed": points(self.total_points_redeemed),
            "totalReferralPointsEarned": points(self.total_referral_points_earned),
            "isActive": self.is_active,
            "issuedAt": self.issued_at,
            "lastTransactionAt": self.last_transaction_at,
            "tier": tier.name or None,
            "replacedByCardId": self.replaced_by_card_id,
            "replacedByCardNumber": self.replaced_by_number,
        }


_COLUMNS = (
    Card.id,
    Card.card_number,
    Card.customer_id,
    Card.customer_name,
    Card.customer_phone,
    Card.customer_email,
    Card.referrer_card_id,
    Card.points_balance,
    Card.total_points_earned,
    Card.total_points_redeemed,
    Card.total_referral_points_earned,
    Card.is_active,
    Card.issued_at,
    Card.last_transaction_at,
    _referrer.card_number.label("referrer_number"),
    _referrer.is_active.label("referrer_active"),
    Card.replaced_by_card_id,
    _successor.card_number.label("replaced_by_number"),
)


def query(unit: Unit) -> Select:
    """Cards of the unit's tenant, with their referrer's number and state."""
    return _ALL.where(Card.tenant_id == unit.tenant)


_ALL = (
    select(*_COLUMNS)
    .outerjoin(_referrer, Card.referrer_card_id == _referrer.id)
    .outerjoin(_successor, Card.replaced_by_card_id == _successor.id)
)
# The lookups of every billing call, built once with their values as parameters: building
# and keying this select of three tables took 0.25 ms a call, running it 20 µs.
_TENANTS = _ALL.where(Card.tenant_id == bindparam("tenant"))
_BY_NUMBER = _TENANTS.where(Card.card_number == bindparam("number"))
_BY_ID = _TENANTS.where(Card.id == bindparam("card"))
# FOR UPDATE OF cards: the referrer row joined alongside is read, not locked.
_LOCKED_BY_NUMBER = _BY_NUMBER.with_for_update(of=Card)
_LOCKED_BY_ID = _BY_ID.with_for_update(of=Card)
_LOCKED_BY_IDS = _TENANTS.where(Card.id.in_(bindparam("cards", expanding=True))).order_by(Card.id).with_for_update(of=Card)
_named = aliased(Card, name="named")
_NAMED = (_named.tenant_id == bindparam("tenant"), _named.card_number == bindparam("number"))
_LOCKED_WITH_REFERRER = (
    _TENANTS.where(Card.id.in_(select(_named.id).where(*_NAMED).union_all(select(_named.referrer_card_id).where(*_NAMED))))
    .order_by(Card.id)
    .with_for_update(of=Card)
)


if [column.key for column in _COLUMNS] != [field.name for field in fields(CardRow)]:
    raise AssertionError("_COLUMNS must list CardRow's fields in order: rows() reads them by position")


def rows(unit: Unit, statement: Select, extra: tuple[str, ...] = (), params: dict[str, Any] | None = None) -> list:
    """The cards a statement selects (with `params`, the values of its parameters); with
    `extra` column names, (card, (extras...)) pairs.

    A card is made from its row by position (a pull reads a million of them; going
    through each row's mapping of names took a quarter of the time).
    """
    width = len(_COLUMNS)
    result = unit.connection.execute(statement, params)
    if not extra:
        return [CardRow(*row[:width]) for row in result]
    return [(CardRow(*row[:width]), tuple(getattr(row, name) for name in extra)) for row in result]


def by_number(unit: Unit, number: object, *, lock: bool = False, field: str = "cardNumber") -> CardRow:
    normalized = cardnumber.validate(number, field)
    found = rows(unit, _LOCKED_BY_NUMBER if lock else _BY_NUMBER, params={"tenant": unit.tenant, "number": normalized})
    if not found:
        raise LoyaltyError(errors.CARD_NOT_FOUND, f"No card {normalized}", cardNumber=normalized)
    return found[0]


def by_id(unit: Unit, card_id: int, *, lock: bool = False) -> CardRow:
    found = rows(unit, _LOCKED_BY_ID if lock else _BY_ID, params={"tenant": unit.tenant, "card": card_id})
    if not found:
        raise not_found(card_id)
    return found[0]


def not_found(card_id: int, **details: Any) -> LoyaltyError:
    return LoyaltyError(errors.CARD_NOT_FOUND, f"No card with id {card_id}", cardId=card_id, **details)


def lock(unit: Unit, card_ids: Iterable[int]) -> dict[int, CardRow]:
    """Lock these cards of the tenant, in id order; the ones that exist, by id."""
    ids = sorted(set(card_ids))
    if not ids:
        return {}
    found = rows(unit, _LOCKED_BY_IDS, params={"tenant": unit.tenant, "cards": ids})
    return {card.id: card for card in found}


def lock_with_referrer(unit: Unit, number: str) -> dict[int, CardRow]:
    """The card numbered `number` and its referrer as it was read, locked in id order in one
    statement (PostgreSQL: one round trip instead of a read and a lock); by id. The caller
    checks that the card's referrer is still the one locked (it may be relinked meanwhile)."""
    found = rows(unit, _LOCKED_WITH_REFERRER, params={"tenant": unit.tenant, "number": cardnumber.validate(number)})
    return {card.id: card for card in found}


def relock(unit: Unit, card: CardRow) -> CardRow:
    """A card this unit of work read and now means to change, locked: read again FOR UPDATE
    on PostgreSQL; on SQLite the card as read, the write transaction being exclusive."""
    if unit.connection.dialect.name == "sqlite":
        return card
    return lock(unit, [card.id])[card.id]


def refuse_replaced(card: CardRow) -> CardRow:
    """A lookup of a card that was replaced or merged answers CARD_REPLACED, naming its successor."""
    if card.replaced_by_card_id is not None:
        raise LoyaltyError(
            errors.CARD_REPLACED,
            f"Card {card.card_number} was replaced by card {card.replaced_by_number}",
            cardId=card.id,
            cardNumber=card.card_number,
            replacedByCardId=card.replaced_by_card_id,
            replacedByCardNumber=card.replaced_by_number,
        )
    return card


def ids_of_numbers(unit: Unit, numbers: Iterable[str]) -> dict[str, tuple[int, int | None]]:
    """(id, referrer id) of each of these card numbers that exists in the tenant."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    result = unit.connection.execute(
        select(Card.card_number, Card.id, Card.referrer_card_id).where(
            Card.tenant_id == unit.tenant, Card.card_number.in_(wanted)
        )
    )
    return {number: (card_id, referrer) for number, card_id, referrer in result}


# --- issuing --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCard:
    customer_name: str
    customer_phone: str
    customer_email: str | None = None
    customer_id: str | None = None
    card_number: str | None = None  # None: the next number of the service's own block
    referrer_card_number: str | None = None


def new_card_from_json(doc: dict[str, Any]) -> NewCard:
    """`POST /cards`'s body (and a till's `card.issued`), every field checked and named."""
    return NewCard(
        customer_name=customer.text(doc.get("customerName"), "customerName", required=True),
        customer_phone=normalize_phone(doc.get("customerPhone")),
        customer_email=customer.email(doc.get("customerEmail")),
        customer_id=customer.text(doc.get("customerId"), "customerId", required=False, limit=64, numbers=True),
        card_number=cardnumber.validate(doc["cardNumber"]) if doc.get("cardNumber") not in (None, "") else None,
        referrer_card_number=cardnumber.validate(doc["referrerCardNumber"], "referrerCardNumber")
        if doc.get("referrerCardNumber") not in (None, "")
        else None,
    )


def insert_card(
    unit: Unit,
    new: NewCard,
    *,
    referrer: CardRow | None,
    issued_at: datetime | None = None,
    device_id: int | None = None,
    checked: bool = False,
) -> CardRow:
    """Insert a card of the tenant; DUPLICATE_CARD if its number or customer id is taken.

    `checked`: the caller has already made sure the number and customer id are free (a
    push checks a whole group at once); the insert then skips its savepoint, and a clash
    with a concurrent request surfaces as the database's IntegrityError.
    """
    number = new.card_number or next_service_number(unit)
    fields = dict(  # both the new row's and the CardRow's
        card_number=number,
        customer_id=new.customer_id,
        customer_name=new.customer_name,
        customer_phone=new.customer_phone,
        customer_email=new.customer_email,
        referrer_card_id=referrer.id if referrer else None,
        points_balance=0,
        total_points_earned=0,
        total_points_redeemed=0,
        total_referral_points_earned=0,
        is_active=True,
        issued_at=issued_at or unit.now,
    )
    statement = (
        insert(Card)
        .values(
            tenant_id=unit.tenant,
            created_at=unit.now,
            updated_at=unit.now,
            issued_by_device_id=device_id,
            change_seq=unit.change_number(),
            **fields,
        )
        .returning(Card.id)
    )
    if checked:
        card_id = unit.connection.execute(statement).scalar_one()
    else:
        try:
            with unit.connection.begin_nested():
                card_id = unit.connection.execute(statement).scalar_one()
        except IntegrityError:
            taken = unit.connection.execute(
                select(Card.card_number).where(Card.tenant_id == unit.tenant, Card.card_number == number)
            ).scalar()
            if taken is not None:
                raise LoyaltyError(errors.DUPLICATE_CARD, f"Card {number} has already been issued", field="cardNumber") from None
            raise LoyaltyError(
                errors.DUPLICATE_CARD, f"Customer {new.customer_id} already has a card", field="customerId"
            ) from None
    unit.card_changed(card_id)
    unit.stamped_cards.add(card_id)
    card = CardRow(
        id=card_id,
        last_transaction_at=None,
        referrer_number=referrer.card_number if referrer else None,
        referrer_active=referrer.is_active if referrer else None,
        **fields,
    )
    webhooks.card_issued(unit, card)
    return card


def next_service_number(unit: Unit) -> str:
    """The next number of the blocks the service keeps for cards issued through the API."""
    from central.store.tenants import allocate_block

    while True:
        block = unit.connection.execute(
            select(CardBlock)
            .where(CardBlock.tenant_id == unit.tenant, CardBlock.device_id.is_(None))
            .where(CardBlock.next_serial < cardnumber.BLOCK_SIZE)
            .order_by(CardBlock.id)
            .limit(1)
            .with_for_update()
        ).first()
        if block is None:
            block = allocate_block(unit, None)
        serial = block.next_serial
        unit.connection.execute(
            CardBlock.__table__.update().where(CardBlock.id == block.id).values(next_serial=serial + 1)
        )
        number = cardnumber.from_block(block.prefix, block.block, serial)
        exists = unit.connection.execute(
            select(Card.id).where(Card.tenant_id == unit.tenant, Card.card_number == number)
        ).first()
        if exists is None:
            return number


# --- what the billing and card routes read of a card, on prebuilt statements (issue 18) ---
#
# The same reads as `config.current`, `expiry.known_state` / `expiry.card_expiry` and
# `webhooks.wanted`, for one card, with statements built once: building and keying a
# select per call cost more than SQLite's work, and on SQLite these run prepared on the
# driver (`Store._connect`). What they work out is the shared rules' (`rules.expiry`,
# `rules.holds`), as there.

_LATEST_CONFIG = (
    select(ConfigVersion.id)
    .where(ConfigVersion.tenant_id == bindparam("tenant"))
    .order_by(ConfigVersion.version.desc())
    .limit(1)
)
_CARD_ROWS = (
    select(
        PointTransaction.card_id,
        PointTransaction.id,
        PointTransaction.transaction_type,
        PointTransaction.points,
        PointTransaction.created_at,
        PointTransaction.reverses_id,
    )
    .where(PointTransaction.tenant_id == bindparam("tenant"), PointTransaction.card_id == bindparam("card"))
    .order_by(PointTransaction.card_id, PointTransaction.id)
)
_CARD_HOLDS = (
    select(PointHold.points, PointHold.expires_at)
    .where(
        PointHold.card_id == bindparam("card"),
        PointHold.tenant_id == bindparam("tenant"),
        PointHold.status == ACTIVE,
        PointHold.expires_at > bindparam("now"),
    )
    .order_by(PointHold.expires_at, PointHold.id)
)
_WEBHOOKS = select(Webhook.id, Webhook.events_json).where(
    Webhook.tenant_id == bindparam("tenant"), Webhook.deleted_at.is_(None)
)


def current_config(unit: Unit) -> LoyaltyConfig:
    """`config.current`: the tenant's newest configuration (a saved one is loaded once)."""
    return _config_of(unit, unit.connection.execute(_LATEST_CONFIG, {"tenant": unit.tenant}).scalar())


def _config_of(unit: Unit, row_id: int | None) -> LoyaltyConfig:
    return LoyaltyConfig() if row_id is None else configs._load(unit, row_id)


def card_lots(unit: Unit, card_id: int, days: int) -> Lots:
    """`expiry.lots_of` of one card."""
    if days <= 0:
        return Lots(days)
    from central.store.expiry import _replayed

    found = unit.connection.execute(_CARD_ROWS, {"tenant": unit.tenant, "card": card_id}).all()
    for _card_id, lots, _row in _replayed(found, days):
        return lots
    return Lots(days)


def card_held(unit: Unit, card_id: int) -> int:
    """`hold_rows.held` of one card: the points its active holds keep now."""
    found = unit.connection.execute(_CARD_HOLDS, {"card": card_id, "tenant": unit.tenant, "now": unit.now})
    return held_points([Hold(amount, expires_at) for amount, expires_at in found], unit.now)


def known_state(unit: Unit, card: CardRow, days: int) -> CardState:
    """`expiry.known_state`: the card as the rules see it, expired lots and held points unavailable."""
    held = card_held(unit, card.id)
    if days <= 0:
        return card.state(held=held)
    return card.state(lots=card_lots(unit, card.id, days), now=unit.now, held=held)


def card_detail(unit: Unit, card: CardRow) -> dict[str, Any]:
    """`card_admin.card_json`: the card as every Cards route answers it, with what it may
    redeem now and what expires soon."""
    config = current_config(unit)
    lots = card_lots(unit, card.id, config.points_expiry_days)
    held = card_held(unit, card.id)
    now = unit.now
    return card.to_json(config) | {
        "availableBalance": points(available_balance(card.points_balance, lots.expired(now), held)),
        "heldPoints": points(held),
        "expiringPoints": points(lots.expiring(now)),
        "nextExpiryAt": lots.next_expiry(now),
    }


def load_webhooks(unit: Unit) -> None:
    """`webhooks.wanted`, read ahead of a `Postings.flush`: the tenant's webhooks by event."""
    if unit.webhooks is not None:
        return
    _keep_webhooks(unit, unit.connection.execute(_WEBHOOKS, {"tenant": unit.tenant}))


def _keep_webhooks(unit: Unit, rows: Iterable[tuple[int, str]]) -> None:
    subscribed: dict[str, list[int]] = {}
    for webhook_id, events in rows:
        for event in jsonio.loads(events):
            subscribed.setdefault(event, []).append(webhook_id)
    unit.webhooks = subscribed


#: What `config_and_webhooks` reads, as (what, id, events) rows of one statement.
_CONFIG, _WEBHOOK, _EXTRA = "config", "webhook", "extra"


def with_config_and_webhooks(extra: Select[Any]) -> Any:
    """One statement reading what `current_config` and `load_webhooks` read, and the ids
    `extra` finds (a SELECT of one id column), for `config_and_webhooks`; build it once, at
    module level: on PostgreSQL a round trip costs the billing routes more than the
    statement does (issue 18)."""
    webhooks = _WEBHOOKS.subquery()
    return union_all(
        select(literal(_CONFIG), _LATEST_CONFIG.scalar_subquery(), null()),
        select(literal(_WEBHOOK), webhooks.c.id, webhooks.c.events_json),
        select(literal(_EXTRA), extra.subquery().c[0], null()),
    )


def config_and_webhooks(unit: Unit, statement: Any, **parameters: Any) -> tuple[LoyaltyConfig, list[int]]:
    """`current_config` and `load_webhooks` with one `statement` of `with_config_and_webhooks`
    (its parameters the tenant and `parameters`), and the ids its `extra` found."""
    config_id, webhooks, found = None, [], []
    for what, row_id, events in unit.connection.execute(statement, {"tenant": unit.tenant, **parameters}):
        if what == _CONFIG:
            config_id = row_id
        elif what == _WEBHOOK:
            webhooks.append((row_id, events))
        else:
            found.append(row_id)
    _keep_webhooks(unit, webhooks)
    return _config_of(unit, config_id), found
