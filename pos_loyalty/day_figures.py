"""The end-of-day report's figures, and how they are written out: pure, no session, no clock.

`Figures` is one cashier's day (or the whole till's), ints of hundredths; `FIELDS` names each
figure once (its JSON key, its words on a page and on a receipt), so the CLI, the PDF, the
receipt printer and the counter's screen say the same. `table` gives the rows a screen or a
page shows; `pos_loyalty/day_report_lines.py` lays the report out for a receipt printer. The
figures are read from the replica by `pos_loyalty/services/day_report.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pos_loyalty.amounts import money, points
from pos_loyalty.errors import InvalidInput

COUNT, MONEY, POINTS = "count", "money", "points"
BILLS, POINTS_SECTION, CARDS = "Bills", "Points", "Cards"
NOT_RECORDED = "(not recorded)"  # a row written without an operator's name
ALL_CASHIERS = "All cashiers"

NOTES = (
    "Points expire on the central service, which writes the EXPIRED rows; this till holds "
    "none of them, so its report shows 0 expired.",
    "Opening balances are the points of imported cards; cards issued count imported cards too.",
)


@dataclass(frozen=True)
class Field:
    """One figure of the report: its attribute, JSON key, words (and shorter words for a receipt)."""

    name: str
    key: str
    label: str
    short: str
    kind: str
    section: str


FIELDS = (
    Field("bills", "bills", "Bills finalized", "Bills", COUNT, BILLS),
    Field("bill_amount", "billAmount", "Bill amounts (before discounts)", "Bill amounts", MONEY, BILLS),
    Field("payable", "payable", "Money paid", "Money paid", MONEY, BILLS),
    Field("amount_deducted", "amountDeducted", "Money paid by points", "Paid by points", MONEY, BILLS),
    Field("bills_reversed", "billsReversed", "Bills reversed", "Bills reversed", COUNT, BILLS),
    Field("reversed_payable", "reversedPayable", "Money of the bills reversed", "Money reversed", MONEY, BILLS),
    Field("returns", "returns", "Returns", "Returns", COUNT, BILLS),
    Field("cash_back", "cashBack", "Cash given back on returns", "Cash back", MONEY, BILLS),
    Field("points_earned", "pointsEarned", "Points issued on bills", "Points issued", POINTS, POINTS_SECTION),
    Field("referral_points", "referralPoints", "Points issued to referrers", "Referral points", POINTS, POINTS_SECTION),
    Field("points_redeemed", "pointsRedeemed", "Points redeemed on bills", "Points redeemed", POINTS, POINTS_SECTION),
    Field("reward_points", "rewardPoints", "Points paid for reward products", "Reward points", POINTS, POINTS_SECTION),
    Field("points_given_back", "pointsGivenBack", "Points given back (returns, reversals)", "Points given back", POINTS, POINTS_SECTION),
    Field("points_taken_off", "pointsTakenOff", "Points taken off (returns, reversals)", "Points taken off", POINTS, POINTS_SECTION),
    Field("points_expired", "pointsExpired", "Points expired", "Points expired", POINTS, POINTS_SECTION),
    Field("adjustments", "adjustments", "Adjustments by a manager", "Adjustments", COUNT, POINTS_SECTION),
    Field("adjusted_points", "adjustedPoints", "Points adjusted (net)", "Points adjusted", POINTS, POINTS_SECTION),
    Field("opening_points", "openingPoints", "Opening balances of imported cards", "Opening points", POINTS, POINTS_SECTION),
    Field("transfer_rows", "transferRows", "Balances moved (card replaced, merged)", "Balances moved", COUNT, POINTS_SECTION),
    Field("points_net", "pointsNet", "Net change of customers' points", "Net points", POINTS, POINTS_SECTION),
    Field("cards_issued", "cardsIssued", "Cards issued", "Cards issued", COUNT, CARDS),
    Field("cards_replaced", "cardsReplaced", "Cards replaced", "Cards replaced", COUNT, CARDS),
    Field("cards_merged", "cardsMerged", "Cards merged", "Cards merged", COUNT, CARDS),
)


@dataclass(frozen=True)
class Figures:
    """One cashier's day (or the whole till's); money and points in hundredths, signed where
    `FIELDS` says net, else magnitudes."""

    bills: int = 0
    bill_amount: int = 0
    payable: int = 0
    amount_deducted: int = 0
    bills_reversed: int = 0
    reversed_payable: int = 0
    returns: int = 0
    cash_back: int = 0
    points_earned: int = 0
    referral_points: int = 0
    points_redeemed: int = 0
    reward_points: int = 0
    points_given_back: int = 0
    points_taken_off: int = 0
    points_expired: int = 0
    adjustments: int = 0
    adjusted_points: int = 0
    opening_points: int = 0
    transfer_rows: int = 0
    points_net: int = 0
    cards_issued: int = 0
    cards_replaced: int = 0
    cards_merged: int = 0

    @classmethod
    def added_up(cls, many: Iterable[Figures]) -> Figures:
        totals = dict.fromkeys((f.name for f in fields(cls)), 0)
        for figures in many:
            for name in totals:
                totals[name] += getattr(figures, name)
        return cls(**totals)

    def value(self, field: Field) -> int | Decimal:
        """The figure as shown: a count as an int, money and points as Decimals."""
        raw = getattr(self, field.name)
        return raw if field.kind == COUNT else money(raw) if field.kind == MONEY else points(raw)

    def to_json(self) -> dict[str, Any]:
        return {field.key: self.value(field) for field in FIELDS}


@dataclass(frozen=True)
class CashierDay:
    cashier: str | None  # as recorded on the rows (`--operator`, the app's cashier); None: not recorded
    figures: Figures

    @property
    def name(self) -> str:
        return self.cashier if self.cashier is not None else NOT_RECORDED


@dataclass(frozen=True)
class DayReport:
    day: date
    time_zone: str
    starts_at: datetime  # the day's local midnight, naive UTC
    ends_at: datetime  # the next day's
    generated_at: datetime  # naive UTC
    pharmacy: str
    cashiers: tuple[CashierDay, ...]
    total: Figures

    @property
    def complete(self) -> bool:
        """The day was over when the report was made (else it is the day so far)."""
        return self.generated_at >= self.ends_at

    def local(self, moment: datetime) -> datetime:
        """A stored (naive UTC) time in the pharmacy's zone."""
        return moment.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(self.time_zone))

    @property
    def generated_local(self) -> str:
        return f"{self.local(self.generated_at):%Y-%m-%d %H:%M}"

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "timeZone": self.time_zone,
            "from": self.starts_at,
            "to": self.ends_at,
            "generatedAt": self.generated_at,
            "complete": self.complete,
            "pharmacy": self.pharmacy,
            "cashiers": [{"cashier": c.cashier, **c.figures.to_json()} for c in self.cashiers],
            "total": self.total.to_json(),
            "notes": list(NOTES),
        }


# --- the day ---------------------------------------------------------------------------------

#: English names whatever the process's C locale is (Qt sets it from the desktop's): the report's
#: words are English, so are its days and months.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def day_in_words(day: date) -> str:
    """2025-03-14 -> 'Friday 14 March 2025'."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(value: object, field: str = "date") -> date:
    """A day as typed, YYYY-MM-DD; InvalidInput naming `field` otherwise."""
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and _DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise InvalidInput(field, f"{field} must be a day written YYYY-MM-DD, such as 2025-03-14 (not {str(value)[:20]!r})")


def bounds(day: date, time_zone: str) -> tuple[datetime, datetime]:
    """The day's local midnight and the next one's, as naive UTC (the replica's times)."""
    zone = ZoneInfo(time_zone)

    def midnight(of: date) -> datetime:
        return datetime.combine(of, time(0), tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)

    return midnight(day), midnight(day + timedelta(days=1))


# --- shown -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableRow:
    section: str
    label: str
    kind: str
    values: tuple[int | Decimal, ...]  # one per column


@dataclass(frozen=True)
class Table:
    """The report as a screen or a page shows it: a row per figure, a column per cashier, then all."""

    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]


def table(report: DayReport) -> Table:
    columns = (*(c.name for c in report.cashiers), ALL_CASHIERS)
    every = (*(c.figures for c in report.cashiers), report.total)
    rows = tuple(
        TableRow(field.section, field.label, field.kind, tuple(figures.value(field) for figures in every))
        for field in FIELDS
    )
    return Table(columns, rows)


def plain_figure(value: Decimal) -> str:
    """12345.5 -> '12,345.50'."""
    return f"{value:,.2f}"
