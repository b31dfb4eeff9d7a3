"""The central service's database: every pharmacy (tenant) of the chain, on SQLite or PostgreSQL.

Seed 002's tables made multi-tenant, plus what the sync protocol needs. Money and points
are BIGINT hundredths, as on the till (`pos_loyalty/amounts.py`): never a float, and the
same integers the shared rules compute with. Every row that belongs to a pharmacy carries
`tenant_id`, and every query the service makes filters on it.

The busiest tables (cards, point_transactions, bills, sync_mutations, flags,
idempotency_records) carry `tenant_id` without a foreign key: tenants are never deleted,
every write takes its tenant from the caller's token, and on PostgreSQL a foreign key
would make every insert share-lock the one tenant row that each write transaction also
updates (its change counter), which turns into MultiXact bookkeeping under load.

`change_seq` on cards and configuration versions orders the pull feed: each write
transaction takes the next number of its tenant's counter (`tenants.change_seq`) just
before it commits, so numbers are handed out in commit order (see `store/changes.py`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint, func, true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pos_loyalty.replica.models import NAMING_CONVENTION

#: BIGINT on PostgreSQL; on SQLite an INTEGER PRIMARY KEY (its rowid, auto-numbered).
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {int: BigInteger}


class Tenant(Base):
    """One pharmacy."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    #: Random per tenant and database: a cursor from another database is refused (410).
    epoch: Mapped[str] = mapped_column(String(32))
    change_seq: Mapped[int] = mapped_column(default=0)
    next_card_block: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class Device(Base):
    """A till or a billing integration; keeps the per-till sequence of the sync protocol."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    last_applied_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    last_push_at: Mapped[datetime | None]
    last_pull_at: Mapped[datetime | None]
    #: What the till says of itself on every push and pull (migration 0006; `routes/sync.py`,
    #: `till_report`): its app's version (`User-Agent: pos-loyalty/VERSION`), and how many of
    #: its mutations it still had queued (`X-Pending-Mutations`). NULL until it first says.
    app_version: Mapped[str | None] = mapped_column(String(32))
    pending_mutations: Mapped[int | None] = mapped_column(Integer)


class ApiToken(Base):
    """A bearer token, stored as its SHA-256: admin (managers) or device (one till)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # admin | device
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    name: Mapped[str] = mapped_column(String(255))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class CardBlock(Base):
    """A range of 100,000 card numbers one till may issue offline (`pos_loyalty/cardnumber.py`)."""

    __tablename__ = "card_blocks"
    __table_args__ = (UniqueConstraint("tenant_id", "prefix", "block"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(2))
    block: Mapped[int] = mapped_column(Integer)
    #: The next serial the service itself will use (blocks of the service, device_id NULL).
    next_serial: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class ConfigVersion(Base):
    """One saved configuration of a tenant; a change is a new version, rows never change."""

    __tablename__ = "config_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    version: Mapped[int]
    is_enabled: Mapped[bool]
    points_to_amount_rate: Mapped[int]
    max_redemption_percent: Mapped[int]
    referral_points_percent: Mapped[int]
    min_points_to_redeem: Mapped[int]
    offline_grace_seconds: Mapped[int]
    offline_redemption_limit_points: Mapped[int]
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(255))
    points_expiry_days: Mapped[int] = mapped_column(default=0, server_default="0")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    promotions_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    rewards_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    change_seq: Mapped[int] = mapped_column(default=0)


class CategoryPointConfig(Base):
    __tablename__ = "category_point_configs"
    __table_args__ = (UniqueConstraint("config_id", "category_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("config_versions.id"))
    category_id: Mapped[int]
    category_name: Mapped[str] = mapped_column(String(255))
    point_percentage: Mapped[int]
    is_active: Mapped[bool]
    is_redeemable: Mapped[bool] = mapped_column(default=True, server_default=true())


class CategoryDiscount(Base):
    __tablename__ = "category_discounts"
    __table_args__ = (UniqueConstraint("config_id", "category_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("config_versions.id"))
    category_id: Mapped[int]
    category_name: Mapped[str] = mapped_column(String(255))
    discount_percentage: Mapped[int]
    is_active: Mapped[bool]


class TierRow(Base):
    __tablename__ = "tiers"
    __table_args__ = (UniqueConstraint("config_id", "position"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("config_versions.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    min_lifetime_points: Mapped[int]
    earn_multiplier: Mapped[int]
    max_redemption_percent: Mapped[int | None]


class Card(Base):
    """Seed 002's `loyalty_cards`, per tenant."""

    __tablename__ = "cards"
    __table_args__ = (
        UniqueConstraint("tenant_id", "card_number"),
        UniqueConstraint("tenant_id", "customer_id"),
        Index("ix_cards_tenant_id_customer_phone", "tenant_id", "customer_phone"),
        Index("ix_cards_tenant_id_change_seq_id", "tenant_id", "change_seq", "id"),
        Index("ix_cards_referrer_card_id", "referrer_card_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Id)
    card_number: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    customer_name: Mapped[str] = mapped_column(String(255))
    customer_phone: Mapped[str] = mapped_column(String(20))
    customer_email: Mapped[str | None] = mapped_column(String(255))
    referrer_card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    points_balance: Mapped[int] = mapped_column(default=0)
    total_points_earned: Mapped[int] = mapped_column(default=0)
    total_points_redeemed: Mapped[int] = mapped_column(default=0)
    total_referral_points_earned: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    issued_at: Mapped[datetime]
    last_transaction_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    issued_by_device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    change_seq: Mapped[int] = mapped_column(default=0)
    #: The card that replaced this one (a lost card) or that it was merged into.
    replaced_by_card_id: Mapped[int | None] = mapped_column(Id, ForeignKey("cards.id"))


class PointTransaction(Base):
    """Seed 002's `point_transactions`: append-only; a card's balance is the sum of its rows."""

    __tablename__ = "point_transactions"
    __table_args__ = (
        Index("ix_point_transactions_card_id_id", "card_id", "id"),
        Index("ix_point_transactions_tenant_id_reference_id", "tenant_id", "reference_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Id)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    transaction_type: Mapped[str] = mapped_column(String(20))
    points: Mapped[int]
    balance_after: Mapped[int]
    reference_type: Mapped[str] = mapped_column(String(20))
    reference_id: Mapped[str | None] = mapped_column(String(64))
    bill_amount: Mapped[int | None]
    category_id: Mapped[int | None]
    category_name: Mapped[str | None] = mapped_column(String(255))
    point_percentage: Mapped[int | None]
    referred_card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    referred_bill_id: Mapped[str | None] = mapped_column(String(64))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("point_transactions.id"))
    description: Mapped[str | None] = mapped_column(String(500))
    reward_id: Mapped[str | None] = mapped_column(String(32))  # a REWARD row's reward product
    #: A TRANSFER row: what it moves of the card's totals (`rules/ledger.totals_moved`).
    moved_earned: Mapped[int | None]
    moved_redeemed: Mapped[int | None]
    moved_referral: Mapped[int | None]
    performed_by: Mapped[str | None] = mapped_column(String(255))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    created_at: Mapped[datetime]


class Bill(Base):
    """A bill the service knows: finalized at a till (pushed) or earned/redeemed by API."""

    __tablename__ = "bills"
    __table_args__ = (UniqueConstraint("tenant_id", "bill_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Id)
    bill_id: Mapped[str] = mapped_column(String(64))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    status: Mapped[str] = mapped_column(String(16))  # FINALIZED | REVERSED
    config_version: Mapped[int | None]
    payable: Mapped[int | None]
    result_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    reversed_at: Mapped[datetime | None]
    #: What a return needs of the bill (`store/returns.py`): its items, and for a billing
    #: system's earn the multiplier and referral percentage it earned at.
    bill_json: Mapped[str | None] = mapped_column(Text)


class BillReturn(Base):
    """Part of a bill that came back: what came back of each line, and the first answer."""

    __tablename__ = "bill_returns"
    __table_args__ = (UniqueConstraint("tenant_id", "return_id"), Index("ix_bill_returns_bill", "tenant_id", "bill_id"))

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Id)
    bill_id: Mapped[str] = mapped_column(String(64))
    return_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    request_json: Mapped[str] = mapped_column(Text)  # the request as the rules read it (idempotency)
    back_json: Mapped[str] = mapped_column(Text)  # `Kept` of what came back, line by line
    answer_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class IdempotencyRecord(Base):
    """The first answer to an idempotent request: (tenant, billId, operation) or a key."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("tenant_id", "scope"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Id)
    scope: Mapped[str] = mapped_column(String(255))  # "earn:B123", "key:<Idempotency-Key>"
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class SyncMutation(Base):
    """What became of each mutation a till pushed: answered again for a duplicate."""

    __tablename__ = "sync_mutations"
    __table_args__ = (UniqueConstraint("device_id", "device_seq"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Id)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    device_seq: Mapped[int]
    mutation_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # applied | rejected
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime]


class Flag(Base):
    """Something applied that a person should look at: OVERDRAFT, RULES_MISMATCH, ..."""

    __tablename__ = "flags"
    __table_args__ = (Index("ix_flags_tenant_id_id", "tenant_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(String(32))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    bill_id: Mapped[str | None] = mapped_column(String(64))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    mutation_id: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    details_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(255))


# --- the head office console (`central/console/`, migration 0004) ------------------------


class StaffAccount(Base):
    """A named person who signs in to the console for one pharmacy; made from the command
    line (`pos-loyalty central staff add`). The password is kept as its argon2id hash."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    #: What the person types to sign in: unique in the database, so the sign-in page
    #: needs no pharmacy number.
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]


class ConsoleSession(Base):
    """A signed-in console: the cookie's SHA-256, whose it is, its CSRF token and its clock."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    #: Signed in as a staff account, or with the pharmacy's admin token (one of the two).
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    #: Who the rows it writes name (`performed_by`): "staff:asha", "admin:Pharmacy 1 admin".
    performed_by: Mapped[str] = mapped_column(String(255))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class FlagResolution(Base):
    """How a person dealt with a flag: the action taken and their note (`flags.resolved_*`
    say when and who)."""

    __tablename__ = "flag_resolutions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Id)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id"), unique=True)
    action: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    resolved_by: Mapped[str] = mapped_column(String(255))
    resolved_at: Mapped[datetime]


#: The summary report reads a pharmacy's rows and bills by time (`store/reports.py`).
Index("ix_point_transactions_tenant_id_created_at", PointTransaction.tenant_id, PointTransaction.created_at)
Index("ix_bills_tenant_id_created_at", Bill.tenant_id, Bill.created_at)
#: The console's card search (`central/console/card_search.py`): any part of a name through
#: trigrams (pg_trgm, case-folded ILIKE); the start of a card number and the end of a phone
#: through two PostgreSQL-only expression indexes (SQLite has no reverse()). On SQLite the
#: name's is a plain index and the search scans: one pharmacy's cards.
Index(
    "ix_cards_search_name",
    Card.customer_name,
    postgresql_using="gin",
    postgresql_ops={"customer_name": "gin_trgm_ops"},
)
NUMBER_START = func.lower(Card.card_number)
PHONE_END = func.reverse(Card.customer_phone)
Index(
    "ix_cards_number_start",
    Card.tenant_id,
    NUMBER_START.label("number_start"),
    postgresql_ops={"number_start": "text_pattern_ops"},
).ddl_if(dialect="postgresql")
Index(
    "ix_cards_phone_end",
    Card.tenant_id,
    PHONE_END.label("phone_end"),
    postgresql_ops={"phone_end": "text_pattern_ops"},
).ddl_if(dialect="postgresql")


# --- holds and webhooks (migration 0005) ----------------------------------------------


class PointHold(Base):
    """Points held on a card for a payment still pending (seed 004; `store/holds.py`): no ledger
    row until it is confirmed; active until confirmed, released, or `expires_at` comes."""

    __tablename__ = "point_holds"
    __table_args__ = (
        Index("ix_point_holds_tenant_id_bill_id", "tenant_id", "bill_id"),
        Index("ix_point_holds_card_id_status_expires_at", "card_id", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Id)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    bill_id: Mapped[str] = mapped_column(String(64))
    points: Mapped[int]
    amount_deducted: Mapped[int]
    bill_amount: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))  # ACTIVE | CONFIRMED | RELEASED (rules/holds.py)
    expires_at: Mapped[datetime]
    request_hash: Mapped[str] = mapped_column(String(64))  # a repeat of the same hold gets its answer
    answer_json: Mapped[str] = mapped_column(Text)
    confirmed_json: Mapped[str | None] = mapped_column(Text)  # the confirm's answer, for a repeat
    performed_by: Mapped[str | None] = mapped_column(String(255))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]  # confirmed or released


class Webhook(Base):
    """A pharmacy's receiver of events (`store/webhooks.py`): its URL, the events it wants, its secret."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events_json: Mapped[str] = mapped_column(Text)
    #: Signs every delivery (HMAC-SHA256); kept as given, since signing needs it, never shown.
    secret: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(255))
    deleted_at: Mapped[datetime | None]


class WebhookEvent(Base):
    """The outbox: an event some webhook wants, written in the transaction of what caused it,
    its body (signed and sent as it is) fixed then."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("tenant_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Id)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    card_id: Mapped[int | None] = mapped_column(Id)
    occurred_at: Mapped[datetime]
    body: Mapped[str] = mapped_column(Text)
    #: An event that must be sent only once whichever run finds it (points.expiring).
    dedupe_key: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]


class WebhookDelivery(Base):
    """One event to one webhook: its attempts so far and what became of it (the delivery log)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_status_webhook_id_id", "status", "webhook_id", "id"),
        Index("ix_webhook_deliveries_webhook_id_id", "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id"))
    event_row_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id"), index=True)
    #: Deliveries of one card go in order: a later one waits while an earlier one is pending.
    card_id: Mapped[int | None] = mapped_column(Id)
    status: Mapped[str] = mapped_column(String(16))  # PENDING | DELIVERED | FAILED | CANCELLED
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
