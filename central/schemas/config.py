"""The configuration: seed 002's JSON plus tiers, the offline allowance and expiry."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field

from central.schemas.values import (
    CategoryId,
    Closed,
    Figure,
    Multiplier,
    Percent,
    Points,
    PositivePoints,
    Rate,
    ShownMultiplier,
    ShownRate,
    Text,
    absent,
    defaulted,
    number,
)
from pos_loyalty.rules.expiry import MAX_EXPIRY_DAYS


class CategoryPointConfig(Closed):
    categoryId: CategoryId
    categoryName: Text
    pointPercentage: Percent
    isActive: bool = True
    isRedeemable: bool = Field(True, description="false: points may not pay for it (prescription medicines)")
    id: Any = Field(None, description="Ignored (a category is addressed by categoryId)")


class CategoryDiscount(Closed):
    categoryId: CategoryId
    categoryName: Text | None = Field(None, description="The category's name from categoryPointConfigs if left out")
    discountPercentage: Percent
    isActive: bool = True
    id: Any = Field(None, description="Ignored (a category is addressed by categoryId)")


class Tier(Closed):
    name: Text
    minLifetimePoints: Points
    earnMultiplier: defaulted(Multiplier, Decimal(1)) = absent()
    maxRedemptionPercent: Percent | None = Field(None, description="Replaces the pharmacy's cap for this tier")


DateText = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="YYYY-MM-DD")]
RewardId = Annotated[str, Field(pattern=r"^[A-Z0-9-]{1,32}$", description="1 to 32 of A-Z, 0-9 and '-'")]
PromotionMultiplier = number("A multiplier from 1 to 10, at most 2 decimals", places=2, minimum=1, maximum=10)


class Promotion(Closed):
    """More points on some categories on some days; the best one applies, they do not stack."""

    promotionId: Annotated[int, Field(ge=1, le=2**31 - 1)]
    name: Text
    isActive: bool = True
    startsOn: DateText
    endsOn: DateText = Field(description="Inclusive, not before startsOn")
    daysOfWeek: list[Annotated[int, Field(ge=1, le=7)]] | None = Field(None, description="1 = Monday ... 7 = Sunday; absent: every day")
    categoryIds: list[CategoryId] | None = Field(None, description="Absent or empty: every category; each must be known")
    multiplier: PromotionMultiplier


class Reward(Closed):
    """A product bought with points only."""

    rewardId: RewardId
    name: Text
    pointsPrice: PositivePoints
    isActive: bool = True


class ConfigInput(Closed):
    """Seed 002's configuration JSON plus tiers and the offline allowance; a field left out
    takes seed 002's default. The first tier starts at 0 points, each next one higher."""

    tenantId: Any = Field(None, description="Ignored: the token says which pharmacy")
    version: Any = Field(None, description="Ignored: the service numbers versions")
    isEnabled: bool = False
    pointsToAmountRate: defaulted(Rate, Decimal("0.10")) = absent()
    maxRedemptionPercent: defaulted(Percent, Decimal(50)) = absent()
    referralPointsPercent: defaulted(Percent, Decimal("0.5")) = absent()
    minPointsToRedeem: defaulted(Points, Decimal(100)) = absent()
    categoryPointConfigs: list[CategoryPointConfig] = []
    categoryDiscounts: list[CategoryDiscount] = []
    tiers: list[Tier] = []
    offlineGraceSeconds: int = Field(24 * 3600, ge=0, le=366 * 24 * 3600)
    offlineRedemptionLimitPoints: defaulted(Points, Decimal(500)) = absent()
    pointsExpiryDays: int = Field(0, ge=0, le=MAX_EXPIRY_DAYS, description="Days a lot of points lives; 0: never")
    timeZone: str = Field("UTC", max_length=64, description="An IANA name (Asia/Kolkata): a bill's local date is read in it")
    promotions: list[Promotion] = []
    rewards: list[Reward] = []


class CategoryPointConfigShown(Closed):
    categoryId: int
    categoryName: str
    pointPercentage: Figure
    isActive: bool
    isRedeemable: bool


class CategoryDiscountShown(Closed):
    categoryId: int
    categoryName: str
    discountPercentage: Figure
    isActive: bool


class TierShown(Closed):
    name: str
    minLifetimePoints: Figure
    earnMultiplier: ShownMultiplier
    maxRedemptionPercent: Figure | None = None


class PromotionShown(Closed):
    promotionId: int
    name: str
    isActive: bool
    startsOn: str
    endsOn: str
    daysOfWeek: list[int] | None = None
    categoryIds: list[int] | None = None
    multiplier: ShownMultiplier


class RewardShown(Closed):
    rewardId: str
    name: str
    pointsPrice: Figure
    isActive: bool


class Config(Closed):
    """A pharmacy's configuration, as its newest version stands."""

    tenantId: int
    version: int
    isEnabled: bool
    pointsToAmountRate: ShownRate
    maxRedemptionPercent: Figure
    referralPointsPercent: Figure
    minPointsToRedeem: Figure
    categoryPointConfigs: list[CategoryPointConfigShown]
    categoryDiscounts: list[CategoryDiscountShown]
    tiers: list[TierShown]
    offlineGraceSeconds: int
    offlineRedemptionLimitPoints: Figure
    pointsExpiryDays: int
    timeZone: str
    promotions: list[PromotionShown]
    rewards: list[RewardShown]
