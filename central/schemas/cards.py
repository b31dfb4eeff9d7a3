"""Cards: what issuing, editing and linking take, and a card, its ledger and its balance."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from central.schemas.values import (
    Blank,
    CardNumber,
    Closed,
    CustomerId,
    Email,
    Figure,
    Id,
    Page,
    Phone,
    Text,
    absent,
)


class CardIssue(Closed):
    customerName: Text
    customerPhone: Phone
    customerEmail: Email | Blank | None = None
    customerId: CustomerId | Blank | None = None
    cardNumber: CardNumber | Blank | None = Field(
        None, description="A pre-printed card's number; the service's own if left out"
    )
    referrerCardNumber: CardNumber | Blank | None = None


class CardUpdate(Closed):
    """The fields given change; the others keep their value; null clears the email or customerId."""

    customerName: Text = absent()
    customerPhone: Phone = absent()
    customerEmail: Email | Blank | None = None
    customerId: CustomerId | Blank | None = None
    isActive: bool = absent()


class ReferrerLink(Closed):
    """Exactly one of the two."""

    referrerCardId: Id | None = None
    referrerCardNumber: CardNumber | None = None


class CardReplace(Closed):
    newCardNumber: CardNumber | Blank | None = Field(
        None, description="A pre-printed card's number; the service's own if left out"
    )


class CardMerge(Closed):
    otherCardId: Id = Field(description="The card whose points, totals and referrals move to this one")


class Card(Closed):
    id: int
    cardNumber: str
    customerId: str | None
    customerName: str
    customerPhone: str
    customerEmail: str | None
    referrerCardId: int | None
    referrerCardNumber: str | None
    pointsBalance: Figure
    totalPointsEarned: Figure
    totalPointsRedeemed: Figure
    totalReferralPointsEarned: Figure
    isActive: bool
    issuedAt: datetime
    lastTransactionAt: datetime | None
    tier: str | None = Field(description="The tier the card's lifetime points reach; null without tiers")
    replacedByCardId: int | None = Field(description="The card that replaced this one (lost) or that it was merged into")
    replacedByCardNumber: str | None


class CardDetail(Card):
    """A card as the routes of one card answer it: also what it may redeem now and what expires soon."""

    availableBalance: Figure = Field(description="The balance less held and expired-but-unwritten points")
    heldPoints: Figure
    expiringPoints: Figure = Field(description="Points whose lots expire within 30 days")
    nextExpiryAt: datetime | None


class CardPage(Page):
    content: list[Card]


class TotalsMoved(Closed):
    earned: Figure
    redeemed: Figure
    referral: Figure


class Transaction(Closed):
    """One row of the card's ledger (`point_transactions`)."""

    id: int
    cardId: int
    cardNumber: str | None
    transactionType: Literal["EARNED", "REDEEMED", "REFERRAL_EARNED", "EXPIRED", "ADJUSTED", "REVERSED"]
    points: Figure
    balanceAfter: Figure
    referenceType: str
    referenceId: str | None
    billAmount: Figure | None
    categoryId: int | None
    categoryName: str | None
    pointPercentage: Figure | None
    referredCardId: int | None
    referredBillId: str | None
    reversesId: int | None
    description: str | None
    rewardId: str | None = Field(description="A REWARD row: the reward product bought with these points")
    totalsMoved: TotalsMoved | None = Field(description="A TRANSFER row: what it moves of the card's totals")
    performedBy: str | None
    createdAt: datetime


class TransactionPage(Page):
    content: list[Transaction]


class Balance(Closed):
    cardId: int
    cardNumber: str
    pointsBalance: Figure
    totalPointsEarned: Figure
    totalPointsRedeemed: Figure
    totalReferralPointsEarned: Figure
    tier: str | None
