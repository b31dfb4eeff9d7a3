"""Reports (admin): the head office's figures (`central/store/reports.py`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from central.schemas.values import Closed, Figure, Money, Percent, Points


class Figures(Closed):
    pointsIssued: Points = Field(description="Earned on bills and by referrers")
    pointsRedeemed: Points = Field(description="Spent on bills and on reward products")
    pointsReturned: Points = Field(description="Taken back off customers because goods came back or bills were reversed")
    pointsRefunded: Points = Field(description="Redeemed points given back by returns and reversals")
    pointsExpired: Points
    pointsAdjusted: Figure = Field(description="Managers' adjustments and opening balances, net (may be below 0)")
    moneyDeducted: Money = Field(description="Money the redeemed points paid for")
    bills: int
    redemptionRate: Percent | None = Field(description="pointsRedeemed as a % of pointsIssued; null with none issued")


class Day(Figures):
    date: str = Field(description="YYYY-MM-DD, in the pharmacy's time zone")


class Till(Figures):
    deviceId: int | None = Field(description="null: rows written by the head office (an admin token)")
    name: str


class Summary(Closed):
    from_: str = Field(alias="from", description="The first day, YYYY-MM-DD")
    to: str = Field(description="The last day, YYYY-MM-DD (included)")
    timeZone: str
    total: Figures
    days: list[Day] = Field(description="Every day of the period, in order")
    tills: list[Till] = Field(description="Each till (and the head office) with figures in the period")


class Expiring(Closed):
    withinDays: int
    points: Points
    moneyValue: Money


class Liability(Closed):
    asOf: datetime
    pointsOutstanding: Points = Field(description="What the active cards hold")
    moneyValue: Money = Field(description="Their value at the current points-to-money rate")
    cardsWithPoints: int
    pointsOverdrawn: Points = Field(description="What overdrawn cards owe (below zero after offline redemptions)")
    cardsOverdrawn: int
    pointsExpiryDays: int = Field(description="0: points never expire")
    expiring: list[Expiring] = Field(description="What expires within 30, 60 and 90 days")


class TopCustomer(Closed):
    cardId: int
    cardNumber: str
    customerName: str
    tier: str | None
    totalPointsEarned: Points
    pointsBalance: Figure
    bills: int
    moneyPaid: Money = Field(description="What the card's bills paid (reversed bills left out)")


class Referrer(Closed):
    cardId: int
    cardNumber: str
    customerName: str
    referredCards: int
    referredCardsWithBills: int
    moneyPaidByReferred: Money
    referralPoints: Points


class Referrals(Closed):
    referrers: int
    referredCards: int
    referredCardsWithBills: int = Field(description="Referred cards with at least one bill")
    moneyPaidByReferred: Money
    referralPoints: Points = Field(description="Points the referrers earned")
    top: list[Referrer] = Field(description="The referrers who earned most, at most 10")
