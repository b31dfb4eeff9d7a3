"""The head office's figures (`central-api.md`, wave 2: Reports): read-only, one pharmacy.

- `summary`: per day (the pharmacy's own days, `timeZone`) and per till, the points issued,
  redeemed, taken back and given back by returns and reversals, expired and adjusted, the
  money the points paid for, and the bills. One grouped query of the ledger and one of the
  bills; the money paid by points is each redemption's points at the rate of the
  configuration its bill was priced with, rounded half up per bill as the quote rounds it.
- `liability`: what customers hold, its money value at today's rate, and what of it expires
  within 30, 60 and 90 days (the cards' lots, `rules/expiry.py`, as the daily run reads them).
- `top_customers`, `referrals`, `tiers`: who earns most, what referrals brought, how the
  cards spread over the tier ladder.

Money and points are ints of hundredths here; `*_json` functions give the API's shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, distinct, func, select

from central.store import config as configs
from central.store.db import Unit
from central.store.expiry import lots_of
from central.store.models import Bill, Card, ConfigVersion, Device, PointTransaction
from pos_loyalty.amounts import RATE_PLACES, money, percent, points, round_half_up
from pos_loyalty.day_figures import bounds
from pos_loyalty.errors import InvalidInput
from pos_loyalty.rules.ledger import ADJUSTED, BILL, EARNED, EXPIRED, REDEEMED, REFERRAL_EARNED, REVERSED, TRANSFER

#: The longest summary one request may ask for.
MAX_DAYS = 366
#: The windows of "what expires soon" (`central-api.md`).
EXPIRY_WINDOWS = (30, 60, 90)
HEAD_OFFICE = "Head office (admin)"
_RATE = 10**RATE_PLACES
_PT = PointTransaction


@dataclass
class Figures:
    """One day's or one till's figures, hundredths; magnitudes except `points_adjusted` (net)."""

    points_issued: int = 0  # EARNED and REFERRAL_EARNED
    points_redeemed: int = 0  # REDEEMED (reward products too)
    points_returned: int = 0  # taken back off customers by returns and reversals
    points_refunded: int = 0  # redemptions given back by returns and reversals
    points_expired: int = 0
    points_adjusted: int = 0  # managers' adjustments and opening balances, net
    money_deducted: int = 0  # money the redeemed points paid for
    bills: int = 0

    def add_row(self, kind: str, positive: bool, amount: int) -> None:
        if kind in (EARNED, REFERRAL_EARNED):
            self.points_issued += amount
        elif kind == REDEEMED:
            self.points_redeemed -= amount
        elif kind == REVERSED and positive:
            self.points_refunded += amount
        elif kind == REVERSED:
            self.points_returned -= amount
        elif kind == EXPIRED:
            self.points_expired -= amount
        elif kind == ADJUSTED:
            self.points_adjusted += amount

    def plus(self, other: Figures) -> Figures:
        return Figures(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def to_json(self) -> dict[str, Any]:
        return {
            "pointsIssued": points(self.points_issued),
            "pointsRedeemed": points(self.points_redeemed),
            "pointsReturned": points(self.points_returned),
            "pointsRefunded": points(self.points_refunded),
            "pointsExpired": points(self.points_expired),
            "pointsAdjusted": points(self.points_adjusted),
            "moneyDeducted": money(self.money_deducted),
            "bills": self.bills,
            "redemptionRate": redemption_rate(self),
        }


def redemption_rate(figures: Figures) -> Any:
    """Points redeemed as a percentage of points issued (hundredths of a %), None with none issued."""
    if figures.points_issued <= 0:
        return None
    return percent(round_half_up(figures.points_redeemed * 10_000, figures.points_issued))


# --- summary -----------------------------------------------------------------------------


def period(start: object, end: object, today: date) -> tuple[date, date]:
    """The days asked for (YYYY-MM-DD, both included); the last 30 days to today by default."""
    from pos_loyalty.day_figures import parse_day

    last = parse_day(end, "to") if end not in (None, "") else today
    first = parse_day(start, "from") if start not in (None, "") else last - timedelta(days=29)
    if first > last:
        raise InvalidInput("from", f"from ({first}) is after to ({last})")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput("from", f"A summary covers at most {MAX_DAYS} days; this asks for {(last - first).days + 1}")
    return first, last


def today(unit: Unit) -> date:
    """Today in the pharmacy's time zone."""
    from pos_loyalty.rules.programme import local_date

    return local_date(unit.now, configs.current(unit).time_zone)


@dataclass(frozen=True)
class Summary:
    first: date
    last: date
    time_zone: str
    days: list[tuple[date, Figures]]
    tills: list[tuple[int | None, str, Figures]]
    total: Figures

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "timeZone": self.time_zone,
            "total": self.total.to_json(),
            "days": [{"date": day.isoformat(), **figures.to_json()} for day, figures in self.days],
            "tills": [{"deviceId": device, "name": name, **figures.to_json()} for device, name, figures in self.tills],
        }


def summary(unit: Unit, first: date, last: date) -> Summary:
    zone = configs.current(unit).time_zone
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    ends = [bounds(day, zone)[1] for day in days]
    starts_at = bounds(first, zone)[0]
    by_day = {index: Figures() for index in range(len(days))}
    by_till: dict[int | None, Figures] = {}

    def both(index: int, device: int | None) -> tuple[Figures, Figures]:
        return by_day[index], by_till.setdefault(device, Figures())

    def day_of(column: Any) -> Any:
        return case(*((column < end, index) for index, end in enumerate(ends)), else_=len(ends) - 1)

    in_range = (_PT.tenant_id == unit.tenant, _PT.created_at >= starts_at, _PT.created_at < ends[-1])
    row_day, positive = day_of(_PT.created_at), _PT.points > 0
    rows = unit.connection.execute(
        select(row_day, _PT.device_id, _PT.transaction_type, positive, func.sum(_PT.points))
        .where(*in_range, _PT.reference_type != TRANSFER)
        .group_by(row_day, _PT.device_id, _PT.transaction_type, positive)
    )
    for index, device, kind, is_positive, amount in rows:
        for figures in both(index, device):
            figures.add_row(kind, bool(is_positive), int(amount or 0))
    for index, device, deducted in _money_deducted(unit, in_range, row_day):
        for figures in both(index, device):
            figures.money_deducted += int(deducted or 0)
    bill_day = day_of(Bill.created_at)
    bills = unit.connection.execute(
        select(bill_day, Bill.device_id, func.count())
        .where(Bill.tenant_id == unit.tenant, Bill.created_at >= starts_at, Bill.created_at < ends[-1])
        .group_by(bill_day, Bill.device_id)
    )
    for index, device, count in bills:
        for figures in both(index, device):
            figures.bills += count
    names = dict(unit.connection.execute(select(Device.id, Device.name).where(Device.tenant_id == unit.tenant)).all())
    tills = sorted(
        ((device, names.get(device, HEAD_OFFICE) if device else HEAD_OFFICE, figures) for device, figures in by_till.items()),
        key=lambda till: (till[0] is None, till[1]),
    )
    total = Figures()
    for figures in by_day.values():
        total = total.plus(figures)
    return Summary(first, last, zone, [(days[i], by_day[i]) for i in range(len(days))], tills, total)


def _money_deducted(unit: Unit, in_range: tuple, row_day: Any) -> Any:
    """(day, till, money) of the bills' redemptions: points x the rate of the bill's
    configuration version (today's when the bill names none), rounded half up per row."""
    current_rate = configs.current(unit).points_to_amount_rate
    rate = func.coalesce(ConfigVersion.points_to_amount_rate, current_rate)
    deducted = (-_PT.points * rate + _RATE // 2) // _RATE
    return unit.connection.execute(
        select(row_day, _PT.device_id, func.sum(deducted))
        .select_from(_PT)
        .outerjoin(Bill, and_(Bill.tenant_id == _PT.tenant_id, Bill.bill_id == _PT.reference_id))
        .outerjoin(
            ConfigVersion, and_(ConfigVersion.tenant_id == _PT.tenant_id, ConfigVersion.version == Bill.config_version)
        )
        .where(*in_range, _PT.transaction_type == REDEEMED, _PT.reference_type == BILL)
        .group_by(row_day, _PT.device_id)
    )


# --- liability ---------------------------------------------------------------------------

_HOLDING = (Card.is_active.is_(True), Card.replaced_by_card_id.is_(None))


def liability(unit: Unit) -> dict[str, Any]:
    """Points the pharmacy's active cards hold, their money value at the current rate, and
    what of them expires within 30, 60 and 90 days."""
    config = configs.current(unit)
    mine = (Card.tenant_id == unit.tenant, *_HOLDING)
    held, holders = unit.connection.execute(
        select(func.coalesce(func.sum(Card.points_balance), 0), func.count()).where(*mine, Card.points_balance > 0)
    ).one()
    owed, owing = unit.connection.execute(
        select(func.coalesce(func.sum(Card.points_balance), 0), func.count()).where(*mine, Card.points_balance < 0)
    ).one()
    expiring = dict.fromkeys(EXPIRY_WINDOWS, 0)
    if config.points_expiry_days > 0:
        ids = list(unit.connection.execute(select(Card.id).where(*mine, Card.points_balance > 0).order_by(Card.id)).scalars())
        for start in range(0, len(ids), 1000):
            for lots in lots_of(unit, ids[start : start + 1000], config.points_expiry_days).values():
                for days in EXPIRY_WINDOWS:
                    expiring[days] += lots.expiring(unit.now, timedelta(days=days))

    def value(amount: int) -> Any:
        return money(round_half_up(amount * config.points_to_amount_rate, _RATE))

    return {
        "asOf": unit.now,
        "pointsOutstanding": points(int(held)),
        "moneyValue": value(int(held)),
        "cardsWithPoints": holders,
        "pointsOverdrawn": points(-int(owed)),
        "cardsOverdrawn": owing,
        "pointsExpiryDays": config.points_expiry_days,
        "expiring": [
            {"withinDays": days, "points": points(expiring[days]), "moneyValue": value(expiring[days])}
            for days in EXPIRY_WINDOWS
        ],
    }


# --- customers ---------------------------------------------------------------------------

MAX_LIMIT = 100


def top_customers(unit: Unit, limit: int) -> list[dict[str, Any]]:
    """The cards that earned most (bills' points; referral points not counted), with the
    money their bills paid."""
    config = configs.current(unit)
    found = unit.connection.execute(
        select(Card)
        .where(Card.tenant_id == unit.tenant, Card.replaced_by_card_id.is_(None), Card.total_points_earned > 0)
        .order_by(Card.total_points_earned.desc(), Card.id)
        .limit(limit)
    ).all()
    paid = _paid(unit, Bill.card_id, [card.id for card in found])
    return [
        {
            "cardId": card.id,
            "cardNumber": card.card_number,
            "customerName": card.customer_name,
            "tier": config.tier_for(card.total_points_earned + card.total_referral_points_earned).name or None,
            "totalPointsEarned": points(card.total_points_earned),
            "pointsBalance": points(card.points_balance),
            "bills": paid.get(card.id, (0, 0))[0],
            "moneyPaid": money(paid.get(card.id, (0, 0))[1]),
        }
        for card in found
    ]


def _paid(unit: Unit, key: Any, card_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(bills, money paid) by `key` (a card, or a referrer) of the cards' bills not reversed."""
    if not card_ids:
        return {}
    rows = unit.connection.execute(
        select(key, func.count(), func.coalesce(func.sum(Bill.payable), 0))
        .where(Bill.tenant_id == unit.tenant, Bill.card_id.in_(card_ids), Bill.status != "REVERSED")
        .group_by(key)
    )
    return {row[0]: (row[1], int(row[2])) for row in rows}


def referrals(unit: Unit, limit: int = 10) -> dict[str, Any]:
    """What referring brought: the referrers, the cards they referred, how many of those
    bought and what they paid, and the referral points it cost; the best referrers."""
    referred = Card.referrer_card_id.is_not(None)
    counts = dict(
        unit.connection.execute(
            select(Card.referrer_card_id, func.count())
            .where(Card.tenant_id == unit.tenant, referred)
            .group_by(Card.referrer_card_id)
        ).all()
    )
    bought = unit.connection.execute(
        select(
            Card.referrer_card_id,
            func.count(distinct(Bill.card_id)),
            func.coalesce(func.sum(Bill.payable), 0),
        )
        .join(Bill, and_(Bill.tenant_id == Card.tenant_id, Bill.card_id == Card.id))
        .where(Card.tenant_id == unit.tenant, referred, Bill.status != "REVERSED")
        .group_by(Card.referrer_card_id)
    ).all()
    buyers = {row[0]: (row[1], int(row[2])) for row in bought}
    earned = dict(
        unit.connection.execute(
            select(Card.id, Card.total_referral_points_earned).where(Card.tenant_id == unit.tenant, Card.id.in_(list(counts)))
        ).all()
    ) if counts else {}
    best = sorted(counts, key=lambda card_id: (-earned.get(card_id, 0), -counts[card_id], card_id))[:limit]
    named = dict(
        (row.id, row) for row in unit.connection.execute(
            select(Card.id, Card.card_number, Card.customer_name).where(Card.tenant_id == unit.tenant, Card.id.in_(best))
        )
    ) if best else {}
    return {
        "referrers": len(counts),
        "referredCards": sum(counts.values()),
        "referredCardsWithBills": sum(count for count, _paid in buyers.values()),
        "moneyPaidByReferred": money(sum(paid for _count, paid in buyers.values())),
        "referralPoints": points(sum(earned.values())),
        "top": [
            {
                "cardId": card_id,
                "cardNumber": named[card_id].card_number,
                "customerName": named[card_id].customer_name,
                "referredCards": counts[card_id],
                "referredCardsWithBills": buyers.get(card_id, (0, 0))[0],
                "moneyPaidByReferred": money(buyers.get(card_id, (0, 0))[1]),
                "referralPoints": points(earned.get(card_id, 0)),
            }
            for card_id in best
        ],
    }


def tiers(unit: Unit) -> list[dict[str, Any]]:
    """How many active cards are in each tier of the ladder (lowest first); `[]` with no ladder."""
    ladder = configs.current(unit).tiers
    if not ladder:
        return []
    lifetime = Card.total_points_earned + Card.total_referral_points_earned
    ordered = sorted(ladder, key=lambda tier: tier.min_lifetime_points)
    position = case(
        *((lifetime >= tier.min_lifetime_points, index) for index, tier in reversed(list(enumerate(ordered)))),
        else_=-1,
    )
    counts = dict(
        unit.connection.execute(
            select(position, func.count()).where(Card.tenant_id == unit.tenant, *_HOLDING).group_by(position)
        ).all()
    )
    shown = [{"tier": None, "minLifetimePoints": points(0), "cards": counts[-1]}] if counts.get(-1) else []
    return shown + [
        {"tier": tier.name, "minLifetimePoints": points(tier.min_lifetime_points), "cards": counts.get(index, 0)}
        for index, tier in enumerate(ordered)
    ]
