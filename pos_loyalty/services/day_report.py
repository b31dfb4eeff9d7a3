"""The end-of-day report: what this till did on one local day, per cashier, from its replica.

A day is the pharmacy's local date (`configuration.time_zone`, as `rules.programme.local_date`
dates a bill): from its midnight to the next, in UTC as the replica stores times. Every
figure is a sum of rows the till wrote that day, grouped by who did it (`performed_by`), so
it reconciles with the ledger and the bills by construction:

- bills: the `bills` finalized that day (count, bill amounts, money paid, money paid by
  points from each bill's recorded result); bills reversed that day (by who reversed them,
  with what was left of their money after earlier returns); the `bill_returns` made that day
  (count, cash given back);
- points: the `ledger` rows written that day by type: EARNED (points issued on bills),
  REFERRAL_EARNED, REDEEMED (on bills, and for reward products), REVERSED split by sign
  (given back to customers, taken off them), EXPIRED, a manager's ADJUSTED rows (count and
  net), the opening balances of imported cards, TRANSFER rows (cards replaced, merged), and
  the net of them all;
- cards: the `card.issued`, `card.replaced` and `card.merged` changes queued that day (a
  change sent again after a rejection counts once).

Money and points are ints of hundredths; `to_json` gives Decimals. What the report holds and
how it is laid out (`table`) is `pos_loyalty/day_figures.py`, its names here too; the receipt
printer's slip is `pos_loyalty/day_report_lines.py`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from pos_loyalty import jsonio
from pos_loyalty.amounts import parse_money
from pos_loyalty.day_figures import (  # noqa: F401  (the report's names, with the service that makes it)
    ALL_CASHIERS,
    COUNT,
    FIELDS,
    MONEY,
    NOT_RECORDED,
    NOTES,
    POINTS,
    CashierDay,
    DayReport,
    Field,
    Figures,
    Table,
    TableRow,
    bounds,
    day_in_words,
    parse_day,
    plain_figure,
    table,
)
from pos_loyalty.errors import InvalidInput
from pos_loyalty.replica.db import Replica, UnitOfWork
from pos_loyalty.replica.models import Bill, BillReturn, LedgerEntry, OutboxMutation, TillSetting
from pos_loyalty.rules.ledger import (
    ADJUSTED,
    EARNED,
    EXPIRED,
    MANUAL,
    REDEEMED,
    REFERRAL_EARNED,
    REVERSED,
    REWARD,
    TRANSFER,
)
from pos_loyalty.rules.programme import local_date
from pos_loyalty.services import configuration, settings


def today(replica: Replica) -> date:
    """Today in the pharmacy's time zone."""
    with replica.reading() as uow:
        return local_date(uow.now, configuration.current(uow).time_zone)


def report(replica: Replica, on: date | None = None) -> DayReport:
    """The report of local day `on` (default: today so far); a day after today is refused."""
    with replica.reading() as uow:
        time_zone = configuration.current(uow).time_zone
        now_day = local_date(uow.now, time_zone)
        day = now_day if on is None else on
        if day > now_day:
            raise InvalidInput("date", f"{day} is after today ({now_day} in {time_zone}): nothing happened on it yet")
        start, end = bounds(day, time_zone)
        days: dict[str | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        _bills(uow, start, end, days)
        _ledger(uow, start, end, days)
        _cards(uow, start, end, days)
        named = uow.connection.execute(
            select(TillSetting.value).where(TillSetting.key == settings.PHARMACY_NAME)
        ).scalar()
        cashiers = tuple(
            CashierDay(who, Figures(**days[who]))
            for who in sorted(days, key=lambda who: (who is None, (who or "").casefold(), who or ""))
        )
        return DayReport(
            day=day,
            time_zone=time_zone,
            starts_at=start,
            ends_at=end,
            generated_at=uow.now,
            pharmacy=named or settings.DEFAULTS[settings.PHARMACY_NAME],
            cashiers=cashiers,
            total=Figures.added_up(c.figures for c in cashiers),
        )


def _bills(uow: UnitOfWork, start: datetime, end: datetime, days: dict) -> None:
    finalized = select(Bill.performed_by, Bill.bill_amount, Bill.payable, Bill.result_json).where(
        Bill.finalized_at >= start, Bill.finalized_at < end
    )
    for who, amount, payable, result in uow.connection.execute(finalized):
        day = days[who]
        day["bills"] += 1
        day["bill_amount"] += amount
        day["payable"] += payable
        day["amount_deducted"] += _money_of(jsonio.loads(result), "amountDeducted")
    reversed_bills = uow.connection.execute(
        select(Bill.bill_id, Bill.reversed_by, Bill.payable).where(Bill.reversed_at >= start, Bill.reversed_at < end)
    ).all()
    if reversed_bills:
        returned: dict[str, int] = defaultdict(int)  # what their returns had already given back
        for bill_id, answer in uow.connection.execute(
            select(BillReturn.bill_id, BillReturn.answer_json).where(BillReturn.bill_id.in_([b for b, *_ in reversed_bills]))
        ):
            returned[bill_id] += _money_of(jsonio.loads(answer), "cashRefund")
        for bill_id, who, payable in reversed_bills:
            days[who]["bills_reversed"] += 1
            days[who]["reversed_payable"] += payable - returned[bill_id]
    made = select(BillReturn.performed_by, BillReturn.answer_json).where(
        BillReturn.returned_at >= start, BillReturn.returned_at < end
    )
    for who, answer in uow.connection.execute(made):
        days[who]["returns"] += 1
        days[who]["cash_back"] += _money_of(jsonio.loads(answer), "cashRefund")


def _money_of(doc: dict[str, Any], key: str) -> int:
    return parse_money(doc.get(key) or 0, key)


def _ledger(uow: UnitOfWork, start: datetime, end: datetime, days: dict) -> None:
    """The day's rows summed by who wrote them, type, reference, sign and the change that
    carries them (an imported card's opening balance is an ADJUSTED row of its `card.issued`)."""
    row = LedgerEntry
    positive = row.points > 0
    grouped = (
        select(row.performed_by, row.transaction_type, row.reference_type, positive, OutboxMutation.kind,
               func.count(), func.sum(row.points))
        .outerjoin(OutboxMutation, OutboxMutation.device_seq == row.device_seq)
        .where(row.created_at >= start, row.created_at < end)
        .group_by(row.performed_by, row.transaction_type, row.reference_type, positive, OutboxMutation.kind)
    )
    for who, kind, reference, is_positive, carried_by, count, total in uow.connection.execute(grouped):
        day = days[who]
        day["points_net"] += total
        for name, amount in _counted(kind, reference, bool(is_positive), carried_by, count, total):
            day[name] += amount


def _counted(kind: str, reference: str, positive: bool, carried_by: str | None, count: int, total: int):
    """Which figures a group of rows adds to, and by how much."""
    if kind == EARNED:
        return [("points_earned", total)]
    if kind == REFERRAL_EARNED:
        return [("referral_points", total)]
    if kind == REDEEMED:
        return [("reward_points" if reference == REWARD else "points_redeemed", -total)]
    if kind == REVERSED:
        return [("points_given_back", total)] if positive else [("points_taken_off", -total)]
    if kind == EXPIRED:
        return [("points_expired", -total)]
    if kind == ADJUSTED and reference == TRANSFER:
        return [("transfer_rows", count)]
    if kind == ADJUSTED and reference == MANUAL and carried_by == "card.issued":
        return [("opening_points", total)]
    if kind == ADJUSTED:
        return [("adjustments", count), ("adjusted_points", total)]
    return []  # a type this till does not write: still in the net


_CARD_CHANGES = {"card.issued": "cards_issued", "card.replaced": "cards_replaced", "card.merged": "cards_merged"}


def _cards(uow: UnitOfWork, start: datetime, end: datetime, days: dict) -> None:
    change = OutboxMutation
    who = func.json_extract(change.payload, "$.performedBy")
    copies = select(change.resent_as).where(change.resent_as.is_not(None))  # a rejected change sent again
    grouped = (
        select(who, change.kind, func.count())
        .where(
            change.kind.in_(list(_CARD_CHANGES)),
            change.created_at >= start,
            change.created_at < end,
            change.device_seq.not_in(copies),
        )
        .group_by(who, change.kind)
    )
    for performer, kind, count in uow.connection.execute(grouped):
        days[performer if isinstance(performer, str) else None][_CARD_CHANGES[kind]] += count
