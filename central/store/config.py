"""A tenant's configuration: versioned like the till's, validated by the same core code."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select

from central.store.db import Unit
from central.store.models import CategoryDiscount, CategoryPointConfig, ConfigVersion, TierRow
from pos_loyalty.rules.programme import promotions_of, rewards_of, stored_promotions, stored_rewards
from pos_loyalty.rules.config import (
    CategoryDiscount as Discount,
    CategoryPoints,
    LoyaltyConfig,
    Tier,
    config_to_json,
)


def current(unit: Unit) -> LoyaltyConfig:
    """The tenant's newest configuration; seed 002's defaults (version 0) before any."""
    row_id = unit.connection.execute(
        select(ConfigVersion.id)
        .where(ConfigVersion.tenant_id == unit.tenant)
        .order_by(ConfigVersion.version.desc())
        .limit(1)
    ).scalar()
    return LoyaltyConfig() if row_id is None else _load(unit, row_id)


def at_version(unit: Unit, version: int) -> LoyaltyConfig | None:
    """A tenant's configuration as it was at `version` (cached: a saved version never changes)."""
    key = ("version", unit.tenant, version)
    if key in unit.config_cache:
        return unit.config_cache[key]
    row_id = unit.connection.execute(
        select(ConfigVersion.id).where(
            ConfigVersion.tenant_id == unit.tenant, ConfigVersion.version == version
        )
    ).scalar()
    if row_id is None:
        return None  # not cached: the version may yet be saved
    config = unit.config_cache[key] = _load(unit, row_id)
    return config


def document(unit: Unit, config: LoyaltyConfig | None = None) -> dict[str, Any]:
    """The configuration as `GET /card-config` answers it: seed 002's JSON plus tiers."""
    config = current(unit) if config is None else config
    return {"tenantId": unit.tenant, **config_to_json(config)}


def save(unit: Unit, config: LoyaltyConfig, created_by: str | None) -> LoyaltyConfig:
    """Store `config` as the tenant's next version; returns it with its version number."""
    version = (
        unit.connection.execute(
            select(func.max(ConfigVersion.version)).where(ConfigVersion.tenant_id == unit.tenant)
        ).scalar()
        or 0
    ) + 1
    row_id = unit.connection.execute(
        insert(ConfigVersion)
        .values(
            tenant_id=unit.tenant,
            version=version,
            is_enabled=config.is_enabled,
            points_to_amount_rate=config.points_to_amount_rate,
            max_redemption_percent=config.max_redemption_percent,
            referral_points_percent=config.referral_points_percent,
            min_points_to_redeem=config.min_points_to_redeem,
            offline_grace_seconds=config.offline_grace_seconds,
            offline_redemption_limit_points=config.offline_redemption_limit_points,
            points_expiry_days=config.points_expiry_days,
            time_zone=config.time_zone,
            promotions_json=stored_promotions(config.promotions),
            rewards_json=stored_rewards(config.rewards),
            created_at=unit.now,
            created_by=created_by,
        )
        .returning(ConfigVersion.id)
    ).scalar_one()
    if config.category_points:
        unit.connection.execute(
            insert(CategoryPointConfig),
            [
                {
                    "config_id": row_id,
                    "category_id": c.category_id,
                    "category_name": c.category_name,
                    "point_percentage": c.point_percentage,
                    "is_active": c.is_active,
                    "is_redeemable": c.is_redeemable,
                }
                for c in config.category_points
            ],
        )
    if config.category_discounts:
        unit.connection.execute(
            insert(CategoryDiscount),
            [
                {
                    "config_id": row_id,
                    "category_id": d.category_id,
                    "category_name": d.category_name,
                    "discount_percentage": d.discount_percentage,
                    "is_active": d.is_active,
                }
                for d in config.category_discounts
            ],
        )
    if config.tiers:
        unit.connection.execute(
            insert(TierRow),
            [
                {
                    "config_id": row_id,
                    "position": position,
                    "name": t.name,
                    "min_lifetime_points": t.min_lifetime_points,
                    "earn_multiplier": t.earn_multiplier,
                    "max_redemption_percent": t.max_redemption_percent,
                }
                for position, t in enumerate(config.tiers)
            ],
        )
    unit.config_changed(row_id)
    return _load(unit, row_id)


def _load(unit: Unit, row_id: int) -> LoyaltyConfig:
    cached = unit.config_cache.get(row_id)
    if cached is not None:
        return cached
    connection = unit.connection
    row = connection.execute(select(ConfigVersion).where(ConfigVersion.id == row_id)).one()
    categories = connection.execute(
        select(CategoryPointConfig).where(CategoryPointConfig.config_id == row_id).order_by(CategoryPointConfig.id)
    ).all()
    discounts = connection.execute(
        select(CategoryDiscount).where(CategoryDiscount.config_id == row_id).order_by(CategoryDiscount.id)
    ).all()
    tiers = connection.execute(
        select(TierRow).where(TierRow.config_id == row_id).order_by(TierRow.position)
    ).all()
    config = LoyaltyConfig(
        is_enabled=row.is_enabled,
        points_to_amount_rate=row.points_to_amount_rate,
        max_redemption_percent=row.max_redemption_percent,
        referral_points_percent=row.referral_points_percent,
        min_points_to_redeem=row.min_points_to_redeem,
        category_points=tuple(
            CategoryPoints(c.category_id, c.category_name, c.point_percentage, c.is_active, c.is_redeemable)
            for c in categories
        ),
        category_discounts=tuple(
            Discount(d.category_id, d.category_name, d.discount_percentage, d.is_active) for d in discounts
        ),
        tiers=tuple(
            Tier(t.name, t.min_lifetime_points, t.earn_multiplier, t.max_redemption_percent) for t in tiers
        ),
        offline_grace_seconds=row.offline_grace_seconds,
        offline_redemption_limit_points=row.offline_redemption_limit_points,
        points_expiry_days=row.points_expiry_days,
        time_zone=row.time_zone,
        promotions=promotions_of(row.promotions_json),
        rewards=rewards_of(row.rewards_json),
        version=row.version,
    )
    unit.config_cache[row_id] = config
    return config
