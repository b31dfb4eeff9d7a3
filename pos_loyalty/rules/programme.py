"""The wave 2 parts of a pharmacy's configuration (`loyalty-rules.md`, configuration
additions): its time zone, promotions and reward products; read and written here, applied
by `rules/quote.py`.

- `timeZone`: an IANA name (default `UTC`); a bill's local date is its time in it.
- `promotions[]`: a multiplier on the points of some categories on some days; the best
  active one applies, they do not stack.
- `rewards[]`: products bought with points only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pos_loyalty import jsonio
from pos_loyalty.amounts import MULTIPLIER_PLACES, parse_points, parse_scaled, points, to_decimal
from pos_loyalty.errors import InvalidInput

DEFAULT_TIME_ZONE = "UTC"
MIN_PROMOTION_MULTIPLIER = 100  # x1.00
MAX_PROMOTION_MULTIPLIER = 1000  # x10.00
_REWARD_ID = re.compile(r"[A-Z0-9-]{1,32}")
_TIME_ZONE = re.compile(r"[A-Za-z0-9_+\-/]{1,64}")
MAX_PROMOTION_ID = 2**31 - 1


@dataclass(frozen=True)
class Promotion:
    promotion_id: int
    name: str
    starts_on: date
    ends_on: date
    multiplier: int  # hundredths: 200 = double points
    is_active: bool = True
    days_of_week: tuple[int, ...] | None = None  # 1 = Monday ... 7 = Sunday; None: every day
    category_ids: tuple[int, ...] | None = None  # None or (): every category

    def applies(self, category_id: int, on: date) -> bool:
        return (
            self.is_active
            and self.starts_on <= on <= self.ends_on
            and (not self.days_of_week or on.isoweekday() in self.days_of_week)
            and (not self.category_ids or category_id in self.category_ids)
        )

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "promotionId": self.promotion_id,
            "name": self.name,
            "isActive": self.is_active,
            "startsOn": self.starts_on.isoformat(),
            "endsOn": self.ends_on.isoformat(),
            "multiplier": to_decimal(self.multiplier, MULTIPLIER_PLACES),
        }
        if self.days_of_week:
            doc["daysOfWeek"] = list(self.days_of_week)
        if self.category_ids:
            doc["categoryIds"] = list(self.category_ids)
        return doc


@dataclass(frozen=True)
class Reward:
    reward_id: str
    name: str
    points_price: int  # hundredths of a point, > 0
    is_active: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "rewardId": self.reward_id,
            "name": self.name,
            "pointsPrice": points(self.points_price),
            "isActive": self.is_active,
        }


def best_promotion(promotions: tuple[Promotion, ...], category_id: int, on: date | None) -> Promotion | None:
    """The promotion with the largest multiplier that applies to the category that day (ties:
    the first listed); None when none does, or the bill's date is not known."""
    if on is None:
        return None
    best = None
    for promotion in promotions:
        if promotion.applies(category_id, on) and (best is None or promotion.multiplier > best.multiplier):
            best = promotion
    return best


def local_date(moment: datetime, time_zone: str) -> date:
    """A bill's local date: its time (UTC when it has no zone) in the pharmacy's zone."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(ZoneInfo(time_zone)).date()


# --- reading -----------------------------------------------------------------------------


def parse_time_zone(value: object, field: str = "timeZone") -> str:
    if not isinstance(value, str) or not _TIME_ZONE.fullmatch(value):
        raise InvalidInput(field, f"{field} must be a time zone's name, such as Asia/Kolkata")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(field, f"{field} {value!r} is not a time zone this computer knows (e.g. Asia/Kolkata)") from None
    return value


def parse_promotion(item: dict[str, Any], where: str, known_category: Any) -> Promotion:
    """One promotion; InvalidInput naming its field (`where`.field)."""
    unknown = set(item) - {"promotionId", "name", "isActive", "startsOn", "endsOn", "daysOfWeek", "categoryIds", "multiplier"}
    if unknown:
        raise InvalidInput(f"{where}.{sorted(unknown)[0]}", "is not a field of a promotion (misspelt?)")
    promotion_id = item.get("promotionId")
    if isinstance(promotion_id, bool) or not isinstance(promotion_id, int) or not 0 < promotion_id <= MAX_PROMOTION_ID:
        raise InvalidInput(f"{where}.promotionId", f"must be a whole number from 1 to {MAX_PROMOTION_ID}")
    name = _name(item.get("name"), f"{where}.name")
    starts_on = _date(item.get("startsOn"), f"{where}.startsOn")
    ends_on = _date(item.get("endsOn"), f"{where}.endsOn")
    if ends_on < starts_on:
        raise InvalidInput(f"{where}.endsOn", f"must not be before startsOn ({starts_on.isoformat()})")
    multiplier = parse_scaled(
        item.get("multiplier"),
        field=f"{where}.multiplier",
        places=MULTIPLIER_PLACES,
        minimum=MIN_PROMOTION_MULTIPLIER,
        maximum=MAX_PROMOTION_MULTIPLIER,
        what="a multiplier from 1 to 10",
    )
    active = item.get("isActive", True)
    if not isinstance(active, bool):
        raise InvalidInput(f"{where}.isActive", "must be true or false")
    days = _whole_numbers(item.get("daysOfWeek"), f"{where}.daysOfWeek", 1, 7, "a day of the week (1 = Monday ... 7 = Sunday)")
    categories = _whole_numbers(item.get("categoryIds"), f"{where}.categoryIds", 1, 2**31 - 1, "a category number")
    for index, category in enumerate(categories or ()):
        if not known_category(category):
            raise InvalidInput(f"{where}.categoryIds[{index}]", f"category {category} is not in this configuration")
    return Promotion(promotion_id, name, starts_on, ends_on, multiplier, active, days, categories)


def parse_reward(item: dict[str, Any], where: str) -> Reward:
    unknown = set(item) - {"rewardId", "name", "pointsPrice", "isActive"}
    if unknown:
        raise InvalidInput(f"{where}.{sorted(unknown)[0]}", "is not a field of a reward (misspelt?)")
    reward_id = item.get("rewardId")
    if not isinstance(reward_id, str) or not _REWARD_ID.fullmatch(reward_id):
        raise InvalidInput(f"{where}.rewardId", "must be 1 to 32 of A-Z, 0-9 and '-'")
    name = _name(item.get("name"), f"{where}.name")
    price = parse_points(item.get("pointsPrice"), f"{where}.pointsPrice", minimum=1)
    active = item.get("isActive", True)
    if not isinstance(active, bool):
        raise InvalidInput(f"{where}.isActive", "must be true or false")
    return Reward(reward_id, name, price, active)


def parse_reward_id(value: object, field: str = "rewardId") -> str:
    if isinstance(value, str) and _REWARD_ID.fullmatch(value.strip().upper()):
        return value.strip().upper()
    raise InvalidInput(field, f"{field} must be a reward's code: 1 to 32 of A-Z, 0-9 and '-'")


def _name(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, "must be a non-empty name")
    if len(value.strip()) > 255:
        raise InvalidInput(field, "must be at most 255 characters")
    return value.strip()


def _date(value: object, field: str) -> date:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(field, "must be a date written YYYY-MM-DD")


def _whole_numbers(value: object, field: str, low: int, high: int, what: str) -> tuple[int, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 1000:
        raise InvalidInput(field, "must be a list")
    out = []
    for index, number in enumerate(value):
        if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
            raise InvalidInput(f"{field}[{index}]", f"must be {what}")
        if number in out:
            raise InvalidInput(f"{field}[{index}]", f"{number} is given twice")
        out.append(number)
    return tuple(out) or None


# --- as the stores keep them ------------------------------------------------------------


def stored_promotions(promotions: tuple[Promotion, ...]) -> str:
    """The promotions as a store keeps them (one text column of a configuration version)."""
    return jsonio.dumps([promotion.to_json() for promotion in promotions])


def stored_rewards(rewards: tuple[Reward, ...]) -> str:
    return jsonio.dumps([reward.to_json() for reward in rewards])


def promotions_of(text: str) -> tuple[Promotion, ...]:
    """What `stored_promotions` wrote (checked when it was saved)."""
    return tuple(parse_promotion(doc, f"promotions[{i}]", lambda _category: True) for i, doc in enumerate(jsonio.loads(text)))


def rewards_of(text: str) -> tuple[Reward, ...]:
    return tuple(parse_reward(doc, f"rewards[{i}]") for i, doc in enumerate(jsonio.loads(text)))
