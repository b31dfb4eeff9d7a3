"""A pharmacy's loyalty configuration: seed 002's JSON plus tiers and the offline allowance.

`config_from_json` validates a whole document and either returns a `LoyaltyConfig` or
raises `ConfigInvalid` listing every bad field by its JSON path; nothing is ever
half-accepted. `config_to_json` writes the same shape back (camelCase, exact decimals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, Callable

from pos_loyalty.amounts import (
    MULTIPLIER_PLACES,
    RATE_PLACES,
    parse_percent,
    parse_points,
    parse_scaled,
    percent,
    points,
    to_decimal,
)
from pos_loyalty.errors import ConfigInvalid, InvalidInput
from pos_loyalty.rules.bill import parse_category_id
from pos_loyalty.rules.expiry import MAX_EXPIRY_DAYS
from pos_loyalty.rules.programme import (
    DEFAULT_TIME_ZONE,
    Promotion,
    Reward,
    parse_promotion,
    parse_reward,
    parse_time_zone,
)

#: Seed 002's column defaults, used for fields a document leaves out.
DEFAULT_RATE = 1000  # 0.10 money per point
DEFAULT_MAX_REDEMPTION_PERCENT = 5000  # 50 %
DEFAULT_REFERRAL_PERCENT = 50  # 0.5 %
DEFAULT_MIN_POINTS = 10000  # 100 points
DEFAULT_OFFLINE_GRACE_SECONDS = 24 * 3600
DEFAULT_OFFLINE_LIMIT_POINTS = 50000  # 500 points per card per day while offline

MAX_RATE = 10**6 * 10**RATE_PLACES
MAX_MULTIPLIER = 100 * 10**MULTIPLIER_PLACES
MAX_NAME = 255


@dataclass(frozen=True)
class CategoryPoints:
    category_id: int
    category_name: str
    point_percentage: int  # hundredths of a percent
    is_active: bool = True
    #: False: points may not pay for this category (prescription medicines, by law).
    is_redeemable: bool = True


@dataclass(frozen=True)
class CategoryDiscount:
    category_id: int
    category_name: str
    discount_percentage: int  # hundredths of a percent
    is_active: bool = True


@dataclass(frozen=True)
class Tier:
    name: str
    min_lifetime_points: int  # hundredths of a point
    earn_multiplier: int = 100  # hundredths: 100 = x1
    max_redemption_percent: int | None = None  # replaces the tenant's when set


#: The tier every card has when a configuration defines none.
IMPLICIT_TIER = Tier(name="", min_lifetime_points=0, earn_multiplier=100)


@dataclass(frozen=True)
class LoyaltyConfig:
    is_enabled: bool = False
    points_to_amount_rate: int = DEFAULT_RATE
    max_redemption_percent: int = DEFAULT_MAX_REDEMPTION_PERCENT
    referral_points_percent: int = DEFAULT_REFERRAL_PERCENT
    min_points_to_redeem: int = DEFAULT_MIN_POINTS
    category_points: tuple[CategoryPoints, ...] = ()
    category_discounts: tuple[CategoryDiscount, ...] = ()
    tiers: tuple[Tier, ...] = ()
    offline_grace_seconds: int = DEFAULT_OFFLINE_GRACE_SECONDS
    offline_redemption_limit_points: int = DEFAULT_OFFLINE_LIMIT_POINTS
    #: Days a lot of points lives (`rules/expiry.py`); 0: points never expire.
    points_expiry_days: int = 0
    #: The zone a bill's local date is read in (promotions), and the promotions and reward
    #: products themselves (`rules/programme.py`).
    time_zone: str = DEFAULT_TIME_ZONE
    promotions: tuple[Promotion, ...] = ()
    rewards: tuple[Reward, ...] = ()
    version: int = field(default=0, compare=False)

    @cached_property
    def _points_by_category(self) -> dict[int, CategoryPoints]:
        return {c.category_id: c for c in self.category_points}

    @cached_property
    def _discounts_by_category(self) -> dict[int, CategoryDiscount]:
        return {d.category_id: d for d in self.category_discounts}

    def is_redeemable(self, category_id: int) -> bool:
        """May points pay for this category? (A category known only by its discount may.)"""
        entry = self._points_by_category.get(category_id)
        return entry.is_redeemable if entry else True

    def reward(self, reward_id: str) -> Reward | None:
        return next((r for r in self.rewards if r.reward_id == reward_id), None)

    def knows_category(self, category_id: int) -> bool:
        """A category named by either list is known (an inactive one just earns nothing)."""
        return category_id in self._points_by_category or category_id in self._discounts_by_category

    def category_name(self, category_id: int) -> str:
        entry = self._points_by_category.get(category_id) or self._discounts_by_category.get(
            category_id
        )
        return entry.category_name if entry else f"Category {category_id}"

    def earning_percentage(self, category_id: int) -> int:
        """The category's point percentage, or 0 where it has no active configuration."""
        entry = self._points_by_category.get(category_id)
        return entry.point_percentage if entry and entry.is_active else 0

    def discount_percentage(self, category_id: int) -> int:
        entry = self._discounts_by_category.get(category_id)
        return entry.discount_percentage if entry and entry.is_active else 0

    def tier_for(self, lifetime_points: int) -> Tier:
        """The highest tier whose threshold the card's lifetime points reach."""
        chosen = IMPLICIT_TIER
        for tier in self.tiers:  # validated: ascending thresholds, the first at 0
            if tier.min_lifetime_points <= lifetime_points:
                chosen = tier
        return chosen

    def next_tier(self, lifetime_points: int) -> Tier | None:
        for tier in self.tiers:
            if tier.min_lifetime_points > lifetime_points:
                return tier
        return None


# --- reading a JSON document -------------------------------------------------------

_TOP_LEVEL = {
    "tenantId",
    "version",
    "isEnabled",
    "pointsToAmountRate",
    "maxRedemptionPercent",
    "referralPointsPercent",
    "minPointsToRedeem",
    "categoryPointConfigs",
    "categoryDiscounts",
    "tiers",
    "offlineGraceSeconds",
    "offlineRedemptionLimitPoints",
    "pointsExpiryDays",
    "timeZone",
    "promotions",
    "rewards",
}


class _Problems:
    """Collects (field, message) pairs so one pass reports every bad field."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def check(self, parse: Callable[[], Any], default: Any = None) -> Any:
        try:
            return parse()
        except InvalidInput as error:
            self.items.append((error.field, _without_field(error.message, error.field)))
            return default

    def add(self, field_name: str, message: str) -> None:
        self.items.append((field_name, message))


def _without_field(message: str, field_name: str) -> str:
    prefix = f"{field_name} "
    return message[len(prefix) :] if message.startswith(prefix) else message


def config_from_json(document: object, *, version: int = 0) -> LoyaltyConfig:
    """Validate a whole configuration document; ConfigInvalid names every bad field."""
    problems = _Problems()
    if not isinstance(document, dict):
        raise ConfigInvalid([("(document)", "a configuration must be a JSON object")])
    for key in document:
        if key not in _TOP_LEVEL:
            problems.add(str(key), "is not a configuration field (misspelt?)")

    def get(key: str, parse: Callable[[object, str], int], default: int) -> int:
        if key not in document:
            return default
        return problems.check(lambda: parse(document[key], key), default)

    is_enabled = _parse_bool(problems, document, "isEnabled", False)
    rate = get(
        "pointsToAmountRate",
        lambda v, f: parse_scaled(
            v, field=f, places=RATE_PLACES, minimum=1, maximum=MAX_RATE, what="an amount per point"
        ),
        DEFAULT_RATE,
    )
    max_pct = get("maxRedemptionPercent", parse_percent, DEFAULT_MAX_REDEMPTION_PERCENT)
    referral_pct = get("referralPointsPercent", parse_percent, DEFAULT_REFERRAL_PERCENT)
    min_points = get("minPointsToRedeem", parse_points, DEFAULT_MIN_POINTS)
    grace = get(
        "offlineGraceSeconds",
        lambda v, f: parse_scaled(v, field=f, places=0, maximum=366 * 24 * 3600, what="seconds"),
        DEFAULT_OFFLINE_GRACE_SECONDS,
    )
    offline_limit = get("offlineRedemptionLimitPoints", parse_points, DEFAULT_OFFLINE_LIMIT_POINTS)
    expiry_days = get(
        "pointsExpiryDays",
        lambda v, f: parse_scaled(v, field=f, places=0, maximum=MAX_EXPIRY_DAYS, what="a whole number of days"),
        0,
    )

    category_points = _parse_list(
        problems, document, "categoryPointConfigs", _parse_category_points
    )
    discounts = _parse_list(problems, document, "categoryDiscounts", _parse_discount)
    named = {c.category_id: c.category_name for c in category_points}
    discounts = [
        d if d.category_name else _renamed(d, named.get(d.category_id, f"Category {d.category_id}"))
        for d in discounts
    ]
    tiers = _parse_list(problems, document, "tiers", _parse_tier)
    _check_tiers(problems, tiers, _positions(document.get("tiers"), tiers))
    time_zone = DEFAULT_TIME_ZONE
    if "timeZone" in document:
        time_zone = problems.check(lambda: parse_time_zone(document["timeZone"]), DEFAULT_TIME_ZONE)
    known = {c.category_id for c in category_points} | {d.category_id for d in discounts}
    promotions = _parse_list(
        problems, document, "promotions", lambda p, item, where: p.check(lambda: parse_promotion(item, where, known.__contains__))
    )
    rewards = _parse_list(problems, document, "rewards", lambda p, item, where: p.check(lambda: parse_reward(item, where)))

    if problems.items:
        raise ConfigInvalid(problems.items)
    return LoyaltyConfig(
        is_enabled=is_enabled,
        points_to_amount_rate=rate,
        max_redemption_percent=max_pct,
        referral_points_percent=referral_pct,
        min_points_to_redeem=min_points,
        category_points=tuple(category_points),
        category_discounts=tuple(discounts),
        tiers=tuple(tiers),
        offline_grace_seconds=grace,
        offline_redemption_limit_points=offline_limit,
        points_expiry_days=expiry_days,
        time_zone=time_zone,
        promotions=tuple(promotions),
        rewards=tuple(rewards),
        version=version,
    )


def _renamed(discount: CategoryDiscount, name: str) -> CategoryDiscount:
    return CategoryDiscount(
        discount.category_id, name, discount.discount_percentage, discount.is_active
    )


def _parse_bool(problems: _Problems, doc: dict, key: str, default: bool, prefix: str = "") -> bool:
    if key not in doc:
        return default
    value = doc[key]
    if not isinstance(value, bool):
        problems.add(prefix + key, "must be true or false")
        return default
    return value


def _parse_list(problems: _Problems, doc: dict, key: str, parse_one: Callable) -> list:
    if key not in doc:
        return []
    raw = doc[key]
    if not isinstance(raw, list):
        problems.add(key, "must be a list (an empty list for none)")
        return []
    parsed = []
    seen_ids: set[Any] = set()
    for index, item in enumerate(raw):
        where = f"{key}[{index}]"
        if not isinstance(item, dict):
            problems.add(where, "must be an object")
            continue
        entry = parse_one(problems, item, where)
        if entry is None:
            continue
        identity, what = _identity(entry)
        if identity in seen_ids:
            problems.add(f"{where}.{what}", f"duplicates an earlier entry ({identity})")
            continue
        seen_ids.add(identity)
        parsed.append(entry)
    return parsed


def _check_keys(problems: _Problems, item: dict, where: str, allowed: set[str]) -> None:
    for key in item:
        if key not in allowed:
            problems.add(f"{where}.{key}", "is not a field of this entry (misspelt?)")


def _identity(entry: Any) -> tuple[Any, str]:
    """What makes an entry of a list unique, and the field that says it."""
    for attribute, name in (
        ("category_id", "categoryId"),
        ("promotion_id", "promotionId"),
        ("reward_id", "rewardId"),
        ("name", "name"),
    ):
        if hasattr(entry, attribute):
            return getattr(entry, attribute), name
    return None, "id"


def _parse_category_id(problems: _Problems, item: dict, where: str) -> int | None:
    value = item.get("categoryId")
    try:
        if isinstance(value, str):  # a bill may name a category in digits; a configuration may not
            raise InvalidInput("categoryId", f"categoryId must be a number, not the text {value[:20]!r}")
        return parse_category_id(value, "categoryId")
    except InvalidInput as refused:
        problems.add(f"{where}.categoryId", refused.message.removeprefix("categoryId "))
        return None


def _parse_name(
    problems: _Problems, item: dict, where: str, key: str, *, required: bool
) -> str | None:
    value = item.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.add(f"{where}.{key}", "must be a non-empty name")
        return None
    if len(value.strip()) > MAX_NAME:
        problems.add(f"{where}.{key}", f"must be at most {MAX_NAME} characters")
        return None
    return value.strip()


def _parse_category_points(problems: _Problems, item: dict, where: str) -> CategoryPoints | None:
    _check_keys(
        problems, item, where, {"id", "categoryId", "categoryName", "pointPercentage", "isActive", "isRedeemable"}
    )
    category_id = _parse_category_id(problems, item, where)
    name = _parse_name(problems, item, where, "categoryName", required=True)
    pct = problems.check(
        lambda: parse_percent(item.get("pointPercentage"), f"{where}.pointPercentage")
    )
    active = _parse_bool(problems, item, "isActive", True, prefix=f"{where}.")
    redeemable = _parse_bool(problems, item, "isRedeemable", True, prefix=f"{where}.")
    if category_id is None or name is None or pct is None:
        return None
    return CategoryPoints(category_id, name, pct, active, redeemable)


def _parse_discount(problems: _Problems, item: dict, where: str) -> CategoryDiscount | None:
    _check_keys(
        problems,
        item,
        where,
        {"id", "categoryId", "categoryName", "discountPercentage", "isActive"},
    )
    category_id = _parse_category_id(problems, item, where)
    name = _parse_name(problems, item, where, "categoryName", required=False)
    pct = problems.check(
        lambda: parse_percent(item.get("discountPercentage"), f"{where}.discountPercentage")
    )
    active = _parse_bool(problems, item, "isActive", True, prefix=f"{where}.")
    if category_id is None or name is None or pct is None:
        return None
    return CategoryDiscount(category_id, name, pct, active)


def _parse_tier(problems: _Problems, item: dict, where: str) -> Tier | None:
    _check_keys(
        problems,
        item,
        where,
        {"name", "minLifetimePoints", "earnMultiplier", "maxRedemptionPercent"},
    )
    name = _parse_name(problems, item, where, "name", required=True)
    threshold = problems.check(
        lambda: parse_points(item.get("minLifetimePoints"), f"{where}.minLifetimePoints")
    )
    multiplier = 100
    if "earnMultiplier" in item:
        multiplier = problems.check(
            lambda: parse_scaled(
                item["earnMultiplier"],
                field=f"{where}.earnMultiplier",
                places=MULTIPLIER_PLACES,
                minimum=1,
                maximum=MAX_MULTIPLIER,
                what="a multiplier",
            )
        )
    max_pct = None
    if item.get("maxRedemptionPercent") is not None:
        max_pct = problems.check(
            lambda: parse_percent(item["maxRedemptionPercent"], f"{where}.maxRedemptionPercent")
        )
        if max_pct is None:
            return None
    if name is None or threshold is None or multiplier is None:
        return None
    return Tier(name, threshold, multiplier, max_pct)


def _positions(raw: object, parsed: list[Tier]) -> list[int]:
    """Each parsed tier's row in the document (rows that failed to parse are skipped)."""
    if not isinstance(raw, list) or len(raw) == len(parsed):
        return list(range(len(parsed)))
    names = [t.name for t in parsed]
    rows = [i for i, item in enumerate(raw) if isinstance(item, dict) and isinstance(item.get("name"), str)]
    found = [i for i in rows if raw[i]["name"].strip() in names]
    return found if len(found) == len(parsed) else list(range(len(parsed)))


def _check_tiers(problems: _Problems, tiers: list[Tier], rows: list[int]) -> None:
    if not tiers:
        return
    if tiers[0].min_lifetime_points != 0:
        problems.add(
            f"tiers[{rows[0]}].minLifetimePoints",
            "must be 0: the first tier is where every new card starts",
        )
    for index in range(1, len(tiers)):
        if tiers[index].min_lifetime_points <= tiers[index - 1].min_lifetime_points:
            problems.add(
                f"tiers[{rows[index]}].minLifetimePoints",
                "must be greater than the tier before it (list tiers from lowest to highest)",
            )


# --- writing a JSON document -------------------------------------------------------


def config_to_json(config: LoyaltyConfig) -> dict[str, Any]:
    """The configuration as seed 002's JSON example (plus tiers and the offline allowance)."""
    return {
        "version": config.version,
        "isEnabled": config.is_enabled,
        "pointsToAmountRate": rate_decimal(config.points_to_amount_rate),
        "maxRedemptionPercent": percent(config.max_redemption_percent),
        "referralPointsPercent": percent(config.referral_points_percent),
        "minPointsToRedeem": points(config.min_points_to_redeem),
        "categoryPointConfigs": [
            {
                "categoryId": c.category_id,
                "categoryName": c.category_name,
                "pointPercentage": percent(c.point_percentage),
                "isActive": c.is_active,
                "isRedeemable": c.is_redeemable,
            }
            for c in config.category_points
        ],
        "categoryDiscounts": [
            {
                "categoryId": d.category_id,
                "categoryName": d.category_name,
                "discountPercentage": percent(d.discount_percentage),
                "isActive": d.is_active,
            }
            for d in config.category_discounts
        ],
        "tiers": [tier_to_json(t) for t in config.tiers],
        "offlineGraceSeconds": config.offline_grace_seconds,
        "offlineRedemptionLimitPoints": points(config.offline_redemption_limit_points),
        "pointsExpiryDays": config.points_expiry_days,
        "timeZone": config.time_zone,
        "promotions": [p.to_json() for p in config.promotions],
        "rewards": [r.to_json() for r in config.rewards],
    }


def tier_to_json(tier: Tier) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": tier.name,
        "minLifetimePoints": points(tier.min_lifetime_points),
        "earnMultiplier": to_decimal(tier.earn_multiplier, MULTIPLIER_PLACES),
    }
    if tier.max_redemption_percent is not None:
        doc["maxRedemptionPercent"] = percent(tier.max_redemption_percent)
    return doc


def rate_decimal(rate: int) -> Decimal:
    """The rate with its trailing zeros past two places dropped: 1000 -> 0.10, 25 -> 0.0025."""
    value = to_decimal(rate, RATE_PLACES)
    return value if value != value.quantize(Decimal("0.01")) else value.quantize(Decimal("0.01"))


#: Seed 002's "Configuration Example (Per Pharmacy)": what an empty data dir starts with.
SAMPLE_CONFIG_JSON: dict[str, Any] = {
    "isEnabled": True,
    "pointsToAmountRate": Decimal("0.10"),
    "maxRedemptionPercent": 50,
    "referralPointsPercent": Decimal("0.5"),
    "minPointsToRedeem": 100,
    "categoryPointConfigs": [
        {"categoryId": 1, "categoryName": "Medicines", "pointPercentage": Decimal("1.0")},
        {"categoryId": 2, "categoryName": "General", "pointPercentage": Decimal("3.0")},
        {"categoryId": 3, "categoryName": "Baby Care", "pointPercentage": Decimal("5.0")},
        {"categoryId": 4, "categoryName": "Cosmetics", "pointPercentage": Decimal("2.0")},
    ],
    "categoryDiscounts": [
        {"categoryId": 1, "categoryName": "Medicines", "discountPercentage": Decimal("5.0")},
        {"categoryId": 3, "categoryName": "Baby Care", "discountPercentage": Decimal("10.0")},
    ],
}
