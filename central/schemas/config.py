"""The configuration: seed 002's JSON plus tiers, the offline allowance and expiry."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field

from central.schemas.values import (
    CategoryId,
    Closed,
    Figure,
    Multiplier,
    Percent,
    Points,
    Rate,
    ShownMultiplier,
    ShownRate,
    Text,
    absent,
    defaulted,
)
from pos_loyalty.rules.expiry import MAX_EXPIRY_DAYS


class CategoryPointConfig(Closed):
    categoryId: CategoryId
    categoryName: Text
    pointPercentage: Percent
    isActive: bool = True
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


class CategoryPointConfigShown(Closed):
    categoryId: int
    categoryName: str
    pointPercentage: Figure
    isActive: bool


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
