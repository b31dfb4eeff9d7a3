"""The till's SQLite replica as typed SQLAlchemy 2.0 models.

Money and points columns are INTEGER hundredths (see `pos_loyalty/amounts.py`); SQLite
has no exact decimal type and a REAL would be a float. Times are naive UTC.
The schema itself is made by the alembic migrations in `migrations/versions/`; a test
checks these models and the migrated schema agree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, MetaData, String, Text, UniqueConstraint, true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ConfigVersion(Base):
    """One saved configuration; rows are never changed, a save adds a new version."""

    __tablename__ = "config_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(index=True)
    origin: Mapped[str] = mapped_column(String(16))  # default | local | server
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

    categories: Mapped[list[CategoryPointConfig]] = relationship(
        order_by="CategoryPointConfig.id", cascade="all, delete-orphan"
    )
    discounts: Mapped[list[CategoryDiscountRow]] = relationship(
        order_by="CategoryDiscountRow.id", cascade="all, delete-orphan"
    )
    tiers: Mapped[list[TierRow]] = relationship(
        order_by="TierRow.position", cascade="all, delete-orphan"
    )


class CategoryPointConfig(Base):
    __tablename__ = "category_point_configs"
    __table_args__ = (UniqueConstraint("config_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("config_versions.id"))
    category_id: Mapped[int]
    category_name: Mapped[str] = mapped_column(String(255))
    point_percentage: Mapped[int]
    is_active: Mapped[bool]
    is_redeemable: Mapped[bool] = mapped_column(default=True, server_default=true())


class CategoryDiscountRow(Base):
    __tablename__ = "category_discounts"
    __table_args__ = (UniqueConstraint("config_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("config_versions.id"))
    category_id: Mapped[int]
    category_name: Mapped[str] = mapped_column(String(255))
    discount_percentage: Mapped[int]
    is_active: Mapped[bool]


class TierRow(Base):
    __tablename__ = "tiers"
    __table_args__ = (UniqueConstraint("config_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("config_versions.id"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(255))
    min_lifetime_points: Mapped[int]
    earn_multiplier: Mapped[int]
    max_redemption_percent: Mapped[int | None]


class Card(Base):
    """A customer's card as this till knows it (balance includes its own unsynced rows)."""

    __tablename__ = "cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[str | None] = mapped_column(String(64))
    customer_name: Mapped[str] = mapped_column(String(255))
    # Not unique in the schema: two tills offline may each issue the phone a card, and both
    # cards must still arrive here by pull. Issuing at this till checks it (DUPLICATE_CARD).
    customer_phone: Mapped[str] = mapped_column(String(20), index=True)
    customer_email: Mapped[str | None] = mapped_column(String(255))
    referrer_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    points_balance: Mapped[int] = mapped_column(default=0)
    total_points_earned: Mapped[int] = mapped_column(default=0)
    total_points_redeemed: Mapped[int] = mapped_column(default=0)
    total_referral_points_earned: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    issued_at: Mapped[datetime]
    last_transaction_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    #: The referrer's number, also while the referrer's own card has not arrived yet.
    referrer_number: Mapped[str | None] = mapped_column(String(32))
    #: The card as the central service last reported it, and the `appliedSeq` of that
    #: report: the figures above are these plus this till's rows with a later deviceSeq.
    server_id: Mapped[int | None]
    synced_balance: Mapped[int] = mapped_column(default=0, server_default="0")
    synced_earned: Mapped[int] = mapped_column(default=0, server_default="0")
    synced_redeemed: Mapped[int] = mapped_column(default=0, server_default="0")
    synced_referral: Mapped[int] = mapped_column(default=0, server_default="0")
    synced_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The number of the card that replaced this one (a lost card) or that it was merged into.
    replaced_by_number: Mapped[str | None] = mapped_column(String(32))

    referrer: Mapped[Card | None] = relationship(remote_side=[id])

    @property
    def lifetime_points(self) -> int:
        """What tiers are measured on: points earned on purchases and by referrals."""
        return self.total_points_earned + self.total_referral_points_earned


class LedgerEntry(Base):
    """One movement of points; append-only. A card's balance is the sum of its rows."""

    __tablename__ = "ledger"
    __table_args__ = (
        Index("ix_ledger_card_id_id", "card_id", "id"),
        Index("ix_ledger_reference_type_reference_id", "reference_type", "reference_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    transaction_type: Mapped[str] = mapped_column(String(20))
    points: Mapped[int]
    balance_after: Mapped[int]
    reference_type: Mapped[str] = mapped_column(String(20))  # BILL | MANUAL | REFERRAL
    reference_id: Mapped[str | None] = mapped_column(String(64))
    bill_amount: Mapped[int | None]
    category_id: Mapped[int | None]
    category_name: Mapped[str | None] = mapped_column(String(255))
    point_percentage: Mapped[int | None]
    referred_card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    referred_bill_id: Mapped[str | None] = mapped_column(String(64))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger.id"))
    description: Mapped[str | None] = mapped_column(String(500))
    reward_id: Mapped[str | None] = mapped_column(String(32))  # a REWARD row's reward product
    #: A TRANSFER row: what it moves of the card's totals (`rules/ledger.totals_moved`).
    moved_earned: Mapped[int | None]
    moved_redeemed: Mapped[int | None]
    moved_referral: Mapped[int | None]
    performed_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    # The mutation that carries this row to the central service; checked at commit, since
    # a unit of work posts the rows before it writes the mutation that lists them.
    device_seq: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.device_seq", deferrable=True, initially="DEFERRED"), index=True
    )


class Bill(Base):
    """A finalized bill: the result the customer saw, kept to answer a repeat exactly."""

    __tablename__ = "bills"

    bill_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # FINALIZED | REVERSED
    config_version: Mapped[int]
    request_hash: Mapped[str] = mapped_column(String(64))
    result_json: Mapped[str] = mapped_column(Text)
    bill_amount: Mapped[int]
    payable: Mapped[int]
    points_earned: Mapped[int]
    points_redeemed: Mapped[int]
    performed_by: Mapped[str | None] = mapped_column(String(255))
    finalized_at: Mapped[datetime] = mapped_column(index=True)
    reversed_at: Mapped[datetime | None]
    reversed_by: Mapped[str | None] = mapped_column(String(255))
    #: The bill as rung up (`BillRequest.to_json`), for its returns; None before 0006.
    bill_json: Mapped[str | None] = mapped_column(Text)
    #: Its short number at this till, "T1-000123" (`bill_numbers.py`): given when it was
    #: finalized, from `SyncState.next_bill_number`; the prefix as it was then.
    number: Mapped[int] = mapped_column(unique=True)
    number_prefix: Mapped[str] = mapped_column(String(8))


class CardLot(Base):
    """An open lot of a card's points as the central service last sent it (`services/expiry.py`)."""

    __tablename__ = "card_lots"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    expires_at: Mapped[datetime]
    points: Mapped[int]  # hundredths still in the lot


class CardHold(Base):
    """Points held on a card for a payment pending elsewhere (a web shop), as the central
    service last sent them: kept from the customer until `expires_at` (`services/expiry.py`)."""

    __tablename__ = "card_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    expires_at: Mapped[datetime]
    points: Mapped[int]  # hundredths


class BillReturn(Base):
    """Part of a bill that came back: what came back of each line, and what the customer got."""

    __tablename__ = "bill_returns"

    return_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bill_id: Mapped[str] = mapped_column(ForeignKey("bills.bill_id"), index=True)
    request_json: Mapped[str] = mapped_column(Text)  # the lines asked for, as the rules read them
    back_json: Mapped[str] = mapped_column(Text)  # `Kept` of what came back, line by line
    answer_json: Mapped[str] = mapped_column(Text)
    performed_by: Mapped[str | None] = mapped_column(String(255))
    returned_at: Mapped[datetime]


class OutboxMutation(Base):
    """A change the central service must learn, written in the same transaction as it."""

    __tablename__ = "outbox"

    device_seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    mutation_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    config_version: Mapped[int]
    created_at: Mapped[datetime]
    #: PENDING | APPLIED | REJECTED | RESOLVED (a rejected change a manager dealt with)
    status: Mapped[str] = mapped_column(String(16), index=True)
    acked_at: Mapped[datetime | None]
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    #: A rejected change dealt with: RESENT (queued again as `resent_as`) or SETTLED.
    resolution: Mapped[str | None] = mapped_column(String(16))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(255))
    resolved_at: Mapped[datetime | None]
    resent_as: Mapped[int | None]


class SyncState(Base):
    """One row: the till's sequence counter and where it stands with the central service."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    next_device_seq: Mapped[int]
    last_applied_seq: Mapped[int]
    pull_cursor: Mapped[str]
    last_push_at: Mapped[datetime | None]
    last_pull_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    #: The last time a push or a pull went through: what "offline for a while" is measured from.
    last_success_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Set when the daemon stopped and will not retry by itself (a refused token).
    stopped_reason: Mapped[str | None] = mapped_column(Text)
    #: The next bill's short number (`bill_numbers.py`): taken in the finalize transaction.
    next_bill_number: Mapped[int] = mapped_column(default=1, server_default="1")


class TillSetting(Base):
    """The till's own settings: device name, central address, scanner port and the like."""

    __tablename__ = "till_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class CardNumberBlock(Base):
    """A range of card numbers this till may issue on its own (see `cardnumber.py`)."""

    __tablename__ = "card_number_blocks"
    __table_args__ = (UniqueConstraint("prefix", "block"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(2))
    block: Mapped[int]
    next_serial: Mapped[int]
    origin: Mapped[str] = mapped_column(String(16))  # local | server


class ParkedBill(Base):
    """A bill put aside before it was finalized (the customer went back for something)."""

    __tablename__ = "parked_bills"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(255))
    document: Mapped[str] = mapped_column(Text)  # the bill request as JSON, with its card
    created_at: Mapped[datetime]
    #: The card whose points the bill redeems, and how many: held at this till while it is parked.
    card_number: Mapped[str | None] = mapped_column(String(32), index=True)
    held_points: Mapped[int] = mapped_column(default=0, server_default="0")
