"""The tenant configuration on the till: current version, import, export, save.

A configuration is saved whole and never edited: each save is a new `config_versions`
row with its categories, discounts and tiers, plus a `config.changed` mutation naming
the fields that changed and their values before (for the central service's per-field
merge). A document that fails validation writes nothing.

An import (`keep_missing`) may be part of a configuration: what it leaves out keeps its
current value, and an empty list removes every category, discount or tier. The answer
names every field that changed, with its value before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica.db import Replica, UnitOfWork
from pos_loyalty.replica.models import (
    CategoryDiscountRow,
    CategoryPointConfig,
    ConfigVersion,
    TierRow,
)
from pos_loyalty.rules.programme import promotions_of, rewards_of, stored_promotions, stored_rewards
from pos_loyalty.rules import config_fields
from pos_loyalty.rules.config import (
    SAMPLE_CONFIG_JSON,
    CategoryDiscount,
    CategoryPoints,
    LoyaltyConfig,
    Tier,
    config_from_json,
    config_to_json,
)
from pos_loyalty.services import outbox

DEFAULT = "default"
LOCAL = "local"
SERVER = "server"  # pulled from the central service


#: The row id of the configuration in use: the newest saved (also read with a card:
#: `card_records`, then given to `saved`).
NEWEST_ID = select(ConfigVersion.id).order_by(ConfigVersion.id.desc()).limit(1)
_NEWEST = NEWEST_ID.add_columns(ConfigVersion.origin)


def current(uow: UnitOfWork) -> LoyaltyConfig:
    """The newest saved configuration (cached by row: a saved version never changes)."""
    return _newest(uow)[0]


def unshared(uow: UnitOfWork) -> LoyaltyConfig | None:
    """The configuration in use, if the central service may not hold it under its version:
    the default of a till never connected, or an edit made here that no pull has replaced
    yet (its version number is this till's own). None when it came from the service."""
    return _newest(uow)[1]


def saved(uow: UnitOfWork, row_id: int | None) -> LoyaltyConfig:
    """`current`, given the newest configuration's row id as read in this unit of work
    (with a card: `card_records.CardRecord.newest_config`), so it is not read again."""
    return LoyaltyConfig() if row_id is None else _loaded(uow, row_id)


def cached(uow: UnitOfWork, row_id: int | None) -> LoyaltyConfig | None:
    """`saved` when it reads nothing (the default, or a configuration loaded before); else None."""
    return LoyaltyConfig() if row_id is None else uow.config_cache.get(row_id)


#: `_NEWEST` as two columns of another statement (a finalize's first: `services.bills`),
#: given back to `of_columns`.
IN_USE = (NEWEST_ID.scalar_subquery(), _NEWEST.with_only_columns(ConfigVersion.origin).scalar_subquery())


def of_columns(uow: UnitOfWork, row_id: int | None, origin: str | None) -> tuple[LoyaltyConfig, LoyaltyConfig | None]:
    """`current` and `unshared`, given the two columns of `IN_USE` read in this unit of work
    (both None: no configuration saved yet, so the default, which no service holds)."""
    config = saved(uow, row_id)
    return config, None if origin == SERVER else config


def _newest(uow: UnitOfWork) -> tuple[LoyaltyConfig, LoyaltyConfig | None]:
    return of_columns(uow, *(uow.connection.execute(_NEWEST).first() or (None, DEFAULT)))


def _loaded(uow: UnitOfWork, row_id: int) -> LoyaltyConfig:
    config = uow.config_cache.get(row_id)
    if config is None:
        row = uow.session.execute(
            select(ConfigVersion)
            .where(ConfigVersion.id == row_id)
            .options(
                selectinload(ConfigVersion.categories),
                selectinload(ConfigVersion.discounts),
                selectinload(ConfigVersion.tiers),
            )
        ).scalar_one()
        config = _from_row(row)
        uow.config_cache[row_id] = config
    return config


def in_use(replica: Replica) -> LoyaltyConfig:
    """The configuration the till works with now (for screens: they open no unit of work)."""
    with replica.reading() as uow:
        return current(uow)


def export(replica: Replica) -> dict[str, Any]:
    with replica.reading() as uow:
        return config_to_json(current(uow))


@dataclass(frozen=True)
class Saved:
    version: int
    changed: bool
    fields: tuple[str, ...] = ()
    #: Each changed field (`config_fields` names: `maxRedemptionPercent`,
    #: `categoryPointConfigs/2`) with its value before and after; None: absent.
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Removed:
    """A category's entry an edit takes away (`removed`): a point setting or a discount."""

    list_name: str  # "categoryPointConfigs" or "categoryDiscounts"
    category_id: int
    category_name: str


def removed(base: LoyaltyConfig, proposed: LoyaltyConfig) -> list[Removed]:
    """The categories' entries in `base` that `proposed` no longer has, points first."""
    kept_points = {c.category_id for c in proposed.category_points}
    kept_discounts = {d.category_id for d in proposed.category_discounts}
    gone = [
        Removed("categoryPointConfigs", c.category_id, c.category_name)
        for c in base.category_points
        if c.category_id not in kept_points
    ]
    gone += [
        Removed("categoryDiscounts", d.category_id, d.category_name)
        for d in base.category_discounts
        if d.category_id not in kept_discounts
    ]
    return gone


def completed(document: object, base: dict[str, Any]) -> object:
    """A partial document made whole with `base`'s values for every field it leaves out."""
    if not isinstance(document, dict):
        return document  # config_from_json says what is wrong with it
    return {**{key: value for key, value in base.items() if key != "version"}, **document}


#: The configuration changed (a pull, another window) since the version an edit started from.
CONFIG_CHANGED = "CONFIG_CHANGED"


def save(
    replica: Replica,
    document: object,
    *,
    performed_by: str | None = None,
    expected_version: int | None = None,
    keep_missing: bool = False,
) -> Saved:
    """Validate `document` as a whole and save it as a new version (a config.changed too).

    `expected_version`: the version the edit started from; if another is current by the
    time the save holds the write lock (a pull landed while the editor was open), nothing
    is saved (CONFIG_CHANGED): saving would silently undo what arrived.
    `keep_missing`: fields the document leaves out keep the current configuration's values
    (an import of part of a configuration), read under the same write lock.
    """
    if not keep_missing:
        proposed = config_from_json(document)  # raises ConfigInvalid before anything is written
    with replica.writing() as uow:
        base = current(uow)
        if expected_version is not None and base.version != expected_version:
            raise LoyaltyError(
                CONFIG_CHANGED,
                f"Version {base.version} arrived from the central service while you were editing version "
                f"{expected_version}. Nothing was saved: close this window and open it again to edit the newest version.",
                currentVersion=base.version,
            )
        base_doc = config_to_json(base)
        if keep_missing:
            proposed = config_from_json(completed(document, base_doc))
        new_doc = config_to_json(proposed)
        before, after = config_fields.diff(base_doc, new_doc)
        if not after:
            return Saved(base.version, changed=False)
        version = _next_version(uow)
        uow.session.add(row_for(proposed, version, LOCAL, uow, performed_by))
        outbox.append(
            uow,
            "config.changed",
            {"baseVersion": base.version, "version": version, "base": before, "changes": after},
            config_version=version,
        )
        uow.commit()
        return Saved(version, changed=True, fields=tuple(after), before=before, after=after)


def ensure_default(replica: Replica) -> None:
    """Give an empty replica seed 002's sample configuration, so a new till works at once."""
    with replica.reading() as uow:
        if uow.session.execute(select(ConfigVersion.id).limit(1)).scalar() is not None:
            return
    with replica.writing() as uow:
        if uow.session.execute(select(ConfigVersion.id).limit(1)).scalar() is not None:
            return
        uow.session.add(row_for(config_from_json(SAMPLE_CONFIG_JSON), 1, DEFAULT, uow, None))
        uow.commit()


def _next_version(uow: UnitOfWork) -> int:
    return (uow.session.execute(select(func.max(ConfigVersion.version))).scalar() or 0) + 1


def _from_row(row: ConfigVersion) -> LoyaltyConfig:
    return LoyaltyConfig(
        is_enabled=row.is_enabled,
        points_to_amount_rate=row.points_to_amount_rate,
        max_redemption_percent=row.max_redemption_percent,
        referral_points_percent=row.referral_points_percent,
        min_points_to_redeem=row.min_points_to_redeem,
        category_points=tuple(
            CategoryPoints(c.category_id, c.category_name, c.point_percentage, c.is_active, c.is_redeemable)
            for c in row.categories
        ),
        category_discounts=tuple(
            CategoryDiscount(d.category_id, d.category_name, d.discount_percentage, d.is_active)
            for d in row.discounts
        ),
        tiers=tuple(
            Tier(t.name, t.min_lifetime_points, t.earn_multiplier, t.max_redemption_percent)
            for t in row.tiers
        ),
        offline_grace_seconds=row.offline_grace_seconds,
        offline_redemption_limit_points=row.offline_redemption_limit_points,
        points_expiry_days=row.points_expiry_days,
        time_zone=row.time_zone,
        promotions=promotions_of(row.promotions_json),
        rewards=rewards_of(row.rewards_json),
        version=row.version,
    )


def row_for(
    config: LoyaltyConfig, version: int, origin: str, uow: UnitOfWork, performed_by: str | None
) -> ConfigVersion:
    """The rows that save `config` as `version` (add them to the unit's session)."""
    return ConfigVersion(
        version=version,
        origin=origin,
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
        created_at=uow.now,
        created_by=performed_by,
        categories=[
            CategoryPointConfig(
                category_id=c.category_id,
                category_name=c.category_name,
                point_percentage=c.point_percentage,
                is_active=c.is_active,
                is_redeemable=c.is_redeemable,
            )
            for c in config.category_points
        ],
        discounts=[
            CategoryDiscountRow(
                category_id=d.category_id,
                category_name=d.category_name,
                discount_percentage=d.discount_percentage,
                is_active=d.is_active,
            )
            for d in config.category_discounts
        ],
        tiers=[
            TierRow(
                position=position,
                name=t.name,
                min_lifetime_points=t.min_lifetime_points,
                earn_multiplier=t.earn_multiplier,
                max_redemption_percent=t.max_redemption_percent,
            )
            for position, t in enumerate(config.tiers)
        ],
    )
