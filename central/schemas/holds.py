"""Holds (`central-api.md`, Holds): points reserved for a pending payment, then confirmed or released."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from central.schemas.values import BillId, CardNumber, Closed, Figure, Money, PositivePoints
from pos_loyalty.rules.holds import DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS


class HoldRequest(Closed):
    """Redeem-points' rules on the card's available balance; the same `billId` and body
    answer the bill's hold again while it holds."""

    cardNumber: CardNumber
    points: PositivePoints
    billId: BillId
    billAmount: Money = Field(description="The bill's money: the maximum-% rule applies to it")
    ttlSeconds: Annotated[int, Field(ge=1, le=MAX_TTL_SECONDS)] | None = Field(
        None, description=f"How long the points are held: {DEFAULT_TTL_SECONDS} seconds unless given"
    )


class Held(Closed):
    holdId: int
    points: Figure
    amountDeducted: Figure = Field(description="The money the points take off the bill once confirmed")
    expiresAt: datetime = Field(description="The hold lapses by itself then: confirm before it")
    availableBalance: Figure = Field(description="What the card may still redeem, with this hold made")


class Released(Closed):
    released: Literal[True]


class PulledHold(Closed):
    """An active hold as a till keeps it: it stops counting at `expiresAt`, pulled again or not."""

    expiresAt: datetime
    points: Figure


def examples() -> dict[str, tuple[str, Any]]:
    return {
        "hold": (
            "50 points of seed 002's CARD001 held for a web order's payment",
            {"cardNumber": "CARD001", "points": 50, "billId": "WEB-1001", "billAmount": 500, "ttlSeconds": 900},
        ),
        "held": (
            "The points held, and what is left to redeem",
            {
                "holdId": 1,
                "points": Decimal("50.00"),
                "amountDeducted": Decimal("5.00"),
                "expiresAt": "2026-01-06T11:17:41.518204Z",
                "availableBalance": Decimal("70.00"),
            },
        ),
        "confirmed": (
            "The hold confirmed: the REDEEMED row redeem-points would have written",
            {
                "billId": "WEB-1001",
                "cardId": 1,
                "cardNumber": "CARD001",
                "pointsRedeemed": Decimal("50.00"),
                "amountDeducted": Decimal("5.00"),
                "newBalance": Decimal("70.00"),
            },
        ),
        "released": ("The points are free again", {"released": True}),
    }
