"""The billing system's calls: calculate, earn-points, redeem-points, reverse-points."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from central.schemas.cards import Transaction
from central.schemas.values import (
    BillId,
    Blank,
    CardNumber,
    CategoryId,
    Closed,
    Figure,
    Id,
    Money,
    Open,
    Points,
    PositiveMoney,
    PositivePoints,
    Quantity,
    ShownMultiplier,
    number,
)
from pos_loyalty.rules.bill import MAX_LINES


class BillItem(Open):
    """A line: the money of one category (`amount`), or `quantity` x `unitPrice` (which
    then may also state the `amount` it comes to)."""

    categoryId: CategoryId
    amount: PositiveMoney | None = None
    quantity: Quantity | None = None
    unitPrice: PositiveMoney | None = None


class CalculateRequest(Closed):
    cardNumber: CardNumber | Blank | None = Field(None, description="Without a card: a quote for a non-member")
    items: list[BillItem] = Field(max_length=MAX_LINES, description="At least one, unless the bill has rewards")
    redeemPoints: Points | None = None
    flatDiscount: Money | None = None
    rewards: list[RewardAsked] | None = Field(None, max_length=MAX_LINES, description="Reward products, paid in points only")


class EarnLine(Closed):
    categoryId: int
    categoryName: str
    amount: Figure
    pointPercentage: Figure
    points: Figure
    multiplier: number("The tier's multiplier x the promotion's", places=4) = Field(description="The tier's x the promotion's")
    promotionId: int | None = Field(description="The promotion that applied (null: none)")


class RewardLine(Closed):
    rewardId: str
    name: str
    quantity: int
    points: Figure


class RewardAsked(Closed):
    rewardId: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,32}$")]
    quantity: Annotated[int, Field(ge=1, le=1000)] = 1


class QuoteLine(Closed):
    categoryId: int
    categoryName: str
    gross: Figure
    categoryDiscount: Figure
    flatDiscount: Figure
    net: Figure
    pointsDiscount: Figure
    paid: Figure
    isRedeemable: bool = Field(description="false: points could not pay for this line (a prescription)")


class Quote(Closed):
    cardNumber: str | None
    programEnabled: bool
    tier: str | None
    earnMultiplier: ShownMultiplier
    availablePoints: Figure = Field(description="What the card may redeem: its balance without lots that have expired")
    expiringPoints: Figure = Field(description="The card's points that expire in the next 30 days")
    nextExpiryAt: datetime | None = Field(description="When the card's next lot expires (null: none)")
    billAmount: Figure
    categoryDiscount: Figure
    flatDiscount: Figure
    netAmount: Figure
    pointsRedeemed: Figure
    amountDeducted: Figure
    payable: Figure
    pointsEarned: Figure
    referrerPointsEarned: Figure
    referralPointsPercent: Figure = Field(description="The percentage the referrer earns at (0: no referral)")
    maxRedeemablePoints: Figure
    earnBreakdown: list[EarnLine]
    rewardPoints: Figure
    rewards: list[RewardLine]
    redeemableNet: Figure = Field(description="The money of the lines points may pay for")
    lines: list[QuoteLine]
    configVersion: int


class PaidItem(Open):
    categoryId: CategoryId
    amount: Money = Field(description="The money paid in this category (0: paid entirely with points)")


class EarnRequest(Closed):
    """Points on a bill the caller has priced: the items add up to `billAmount`."""

    cardNumber: CardNumber
    billId: BillId
    billAmount: Money
    items: list[PaidItem] = Field(min_length=1, max_length=MAX_LINES)


class Earned(Closed):
    billId: str
    cardNumber: str
    pointsEarned: Figure
    newBalance: Figure
    referrerPointsEarned: Figure
    earnBreakdown: list[EarnLine]


class RedeemRequest(Closed):
    """Name the card by `cardNumber` or `cardId`; without `billAmount` no percentage cap applies."""

    cardNumber: CardNumber | Blank | None = None
    cardId: Id | None = None
    points: PositivePoints
    billId: BillId
    billAmount: Money | None = None


class Redeemed(Closed):
    billId: str
    cardId: int
    cardNumber: str
    pointsRedeemed: Figure
    amountDeducted: Figure
    newBalance: Figure


class ReverseRequest(Closed):
    billId: BillId


class Reversed(Closed):
    billId: str
    reversedAt: datetime
    rows: list[Transaction] = Field(description="The REVERSED rows written, one per row of the bill")


ReturnId = Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{1,64}$", description="The return's own id: its idempotency key")]


class ReturnLine(Closed):
    """A line of the bill (0-based) and how much of it comes back: a `quantity` for a line
    sold by quantity, an `amount` otherwise; neither means all that is left of it."""

    line: Annotated[int, Field(ge=0, le=MAX_LINES - 1)]
    quantity: Quantity | None = None
    amount: PositiveMoney | None = None


class ReturnedReward(Closed):
    """A reward product of the bill comes back: `quantity` of it (left out: all that is left)."""

    rewardId: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,32}$")]
    quantity: Annotated[int, Field(ge=1, le=1000)] | None = None


class ReturnRequest(Closed):
    billId: BillId
    returnId: ReturnId
    lines: list[ReturnLine] = Field([], max_length=MAX_LINES, description="At least one, unless rewards come back")
    rewards: list[ReturnedReward] | None = Field(None, max_length=MAX_LINES, description="Reward products that come back")


class Returned(Closed):
    """What the return gave back and took (non-negative magnitudes; the rows carry the signs)."""

    returnId: str
    billId: str
    cashRefund: Figure
    pointsRefunded: Figure
    pointsReversed: Figure
    referrerPointsReversed: Figure
    newBalance: Figure | None
    rows: list[Transaction] = Field(description="The REVERSED rows written, each against the bill's row it takes back from")
