"""A sample pharmacy for `pos-loyalty till --demo`: seed 002's configuration with three tiers,
a prescription category points may not pay for, a promotion running today (double points
on Baby Care), two reward products, a few customers (some referred by others) and two
weeks of bills, so a newcomer sees the till working at once. Only an empty replica is filled; nothing here is special-cased
elsewhere: the demo is made with the same services a cashier uses."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from pos_loyalty.replica.db import Replica
from pos_loyalty.replica.models import Bill, Card, ConfigVersion
from pos_loyalty.rules import bill_from_json
from pos_loyalty.rules.config import SAMPLE_CONFIG_JSON
from pos_loyalty.rules.programme import local_date
from pos_loyalty.services import bills, cards, configuration, settings

TIME_ZONE = "Asia/Kolkata"
PRESCRIPTIONS = {"categoryId": 5, "categoryName": "Prescriptions", "pointPercentage": Decimal("1.0"), "isRedeemable": False}
PROMOTION_ID = 1
REWARDS = [
    {"rewardId": "LOTION-100", "name": "Baby lotion 100 ml", "pointsPrice": Decimal("250")},
    {"rewardId": "BP-CHECK", "name": "Blood pressure check", "pointsPrice": Decimal("150")},
]

TIERS = [
    {"name": "Silver", "minLifetimePoints": 0},
    {"name": "Gold", "minLifetimePoints": 500, "earnMultiplier": Decimal("1.25")},
    {"name": "Platinum", "minLifetimePoints": 2000, "earnMultiplier": Decimal("1.5"), "maxRedemptionPercent": 60},
]

#: (name, phone, referred by (index), opening points)
CUSTOMERS = [
    ("Asha Rao", "9845012345", None, "1000"),
    ("Bina Shah", "9845023456", 0, "250"),
    ("Chetan Iyer", "9845034567", 0, "0"),
    ("Divya Menon", "9845045678", None, "2400"),
    ("Farhan Ali", "9845056789", 3, "120"),
    ("Gauri Kulkarni", "9845067890", None, "0"),
]

#: (days ago, customer index or None, [(category, amount)], points to redeem)
BILLS = [
    (13, 0, [(1, "850.00"), (3, "420.00")], None),
    (12, 1, [(2, "230.00")], None),
    (10, 3, [(1, "1200.00"), (4, "640.00")], "200"),
    (9, None, [(2, "99.00")], None),
    (7, 0, [(1, "500.00"), (2, "500.00")], "200"),
    (6, 4, [(3, "1499.00")], None),
    (4, 2, [(1, "310.50"), (2, "75.00")], None),
    (2, 3, [(4, "980.00")], "300"),
    (1, 5, [(1, "2200.00")], None),
    (1, 3, [(5, "1850.00"), (3, "300.00")], None),
]


def is_empty(replica: Replica) -> bool:
    with replica.reading() as uow:
        cards_held = uow.connection.execute(select(func.count()).select_from(Card)).scalar_one()
        bills_held = uow.connection.execute(select(func.count()).select_from(Bill)).scalar_one()
        configs = uow.connection.execute(select(func.count()).select_from(ConfigVersion)).scalar_one()
    return cards_held == 0 and bills_held == 0 and configs <= 1


def fill(replica: Replica, *, now: datetime | None = None) -> bool:
    """Fill an empty replica with the sample pharmacy; False (and nothing done) otherwise."""
    if not is_empty(replica):
        return False
    now = now or replica.clock()
    start = now - timedelta(days=14)
    settings.write(replica, **{settings.PHARMACY_NAME: "Asha Pharmacy (demo)"})
    configuration.save(replica, sample_config(local_date(now, TIME_ZONE)), performed_by="demo")
    numbers: list[str] = []
    for index, (name, phone, referrer, opening) in enumerate(CUSTOMERS):
        at = _as_of(replica, start + timedelta(hours=index))
        try:
            numbers.append(
                cards.issue(at, name=name, phone=phone, referrer=numbers[referrer] if referrer is not None else None, performed_by="demo").card_number
            )
            if Decimal(opening):
                cards.adjust(at, numbers[-1], opening, reason="Welcome points", performed_by="demo")
        finally:
            at.close()
    for serial, (days_ago, customer, items, redeem) in enumerate(BILLS, 1):
        at = _as_of(replica, now - timedelta(days=days_ago, hours=3))
        try:
            request = bill_from_json(
                {"items": [{"categoryId": c, "amount": Decimal(a)} for c, a in items], "redeemPoints": redeem}
            )
            bills.finalize(
                at,
                numbers[customer] if customer is not None else None,
                request,
                bill_id=f"DEMO-{serial:04d}",
                performed_by="demo",
            )
        finally:
            at.close()
    return True


def sample_config(today: date) -> dict:
    """Seed 002's configuration with the demo's tiers, prescriptions, promotion and rewards;
    the promotion runs from a week before `today` to a month after."""
    return {
        **SAMPLE_CONFIG_JSON,
        "tiers": TIERS,
        "timeZone": TIME_ZONE,
        "categoryPointConfigs": [*SAMPLE_CONFIG_JSON["categoryPointConfigs"], PRESCRIPTIONS],
        "promotions": [
            {
                "promotionId": PROMOTION_ID,
                "name": "Double points on Baby Care",
                "startsOn": (today - timedelta(days=7)).isoformat(),
                "endsOn": (today + timedelta(days=30)).isoformat(),
                "categoryIds": [3],
                "multiplier": Decimal("2.00"),
            }
        ],
        "rewards": REWARDS,
    }


def _as_of(replica: Replica, moment: datetime) -> Replica:
    """The same replica file, with a clock that says `moment` (history has dates)."""
    return Replica(replica.path, clock=lambda: moment)
