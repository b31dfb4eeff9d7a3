"""The end-of-day report: a day of bills, returns, reversals, adjustments and cards made through
the real services on a real replica, and every figure reconciled, per cashier, with the ledger's
rows and the bills' results; what happened on the days around it (in the pharmacy's time zone,
not UTC's) is left out."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import pytest

from pos_loyalty.day_report_lines import day_report_slip
from pos_loyalty.errors import InvalidInput
from pos_loyalty.receipt_lines import PlainFormats
from pos_loyalty.replica.db import Replica
from pos_loyalty.rules import bill_from_json
from pos_loyalty.rules.programme import local_date
from pos_loyalty.rules.returns import ReturnLineAsk
from pos_loyalty.services import bills, card_import, card_lifecycle, cards, configuration, day_report, rejections, replication, returns

D = Decimal
DAY = date(2025, 3, 14)
KOLKATA = "Asia/Kolkata"  # UTC+05:30: the day runs 2025-03-13 18:30 to 2025-03-14 18:30 UTC


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Till:
    """The replica with a clock the test sets before each action."""

    def __init__(self, path) -> None:  # type: ignore[no-untyped-def]
        self.now = utc("2025-03-01 09:00")
        self.replica = Replica(path, clock=lambda: self.now)

    def at(self, moment: str) -> Replica:
        self.now = utc(moment)
        return self.replica


@pytest.fixture
def till(replica):  # type: ignore[no-untyped-def]
    configuration.save(
        replica,
        {"timeZone": KOLKATA, "rewards": [{"rewardId": "BP-CHECK", "name": "Blood pressure check", "pointsPrice": D("150")}]},
        keep_missing=True,
    )
    made = Till(replica.path)
    yield made
    made.replica.close()


def bill(*items: tuple[int, str], redeem: str | None = None, rewards: tuple = ()):  # type: ignore[no-untyped-def]
    doc: dict = {"items": [{"categoryId": c, "amount": D(a)} for c, a in items]}
    if redeem:
        doc["redeemPoints"] = D(redeem)
    if rewards:
        doc["rewards"] = [{"rewardId": r, "quantity": q} for r, q in rewards]
    return bill_from_json(doc)


def hundredths(value) -> int:  # type: ignore[no-untyped-def]
    return int(D(value) * 100)


def the_day(till: Till) -> dict[str, dict[str, int]]:
    """Make the day through the services; what each action answered, summed per cashier, for
    the day of 2025-03-14 in Kolkata."""
    seen: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def finalized(who: str, result: dict, *, counted: bool = True) -> None:
        if not counted:
            return
        mine = seen[who]
        mine["bills"] += 1
        mine["bill_amount"] += hundredths(result["billAmount"])
        mine["payable"] += hundredths(result["payable"])
        mine["amount_deducted"] += hundredths(result["amountDeducted"])
        mine["points_earned"] += hundredths(result["pointsEarned"])
        mine["points_redeemed"] += hundredths(result["pointsRedeemed"])
        mine["reward_points"] += hundredths(result["rewardPoints"])
        if result["referrerPointsEarned"]:
            seen[who]["referral_points"] += hundredths(result["referrerPointsEarned"])

    def returned(who: str, answer: dict) -> None:
        mine = seen[who]
        mine["returns"] += 1
        mine["cash_back"] += hundredths(answer["cashRefund"])
        mine["points_given_back"] += hundredths(answer["pointsRefunded"])
        mine["points_taken_off"] += hundredths(answer["pointsReversed"]) + hundredths(answer["referrerPointsReversed"])

    # The day before (Kolkata): cards, an opening adjustment, a bill at 23:30 local.
    bina = cards.issue(till.at("2025-03-13 06:00"), name="Bina", phone="9000000001", performed_by="manager")
    asha = cards.issue(till.at("2025-03-13 06:05"), name="Asha", phone="9000000002", referrer=bina.card_number, performed_by="manager")
    cards.adjust(till.at("2025-03-13 06:10"), asha.card_number, "1000", reason="welcome", performed_by="manager")
    late = bills.finalize(till.at("2025-03-13 18:00"), asha.card_number, bill((1, "400.00")), performed_by="asha").result

    # The day, from 00:15 local (still the 13th in UTC).
    early = bills.finalize(
        till.at("2025-03-13 18:45"), asha.card_number, bill((1, "500.00"), (3, "300.00"), redeem="200"), performed_by="asha"
    ).result
    finalized("asha", early)
    ravis = bills.finalize(till.at("2025-03-14 05:00"), asha.card_number, bill((2, "640.00"), (4, "200.00")), performed_by="ravi").result
    finalized("ravi", ravis)
    finalized("asha", bills.finalize(till.at("2025-03-14 06:00"), None, bill((1, "99.50")), performed_by="asha").result)
    returned("ravi", returns.return_lines(till.at("2025-03-14 07:00"), ravis["billId"], [ReturnLineAsk(0, amount=32000)], performed_by="ravi"))
    reversal = bills.reverse(till.at("2025-03-14 08:00"), late["billId"], performed_by="manager")
    seen["manager"]["bills_reversed"] += 1
    seen["manager"]["reversed_payable"] += hundredths(late["payable"])
    for row in reversal["rows"]:
        key = "points_given_back" if row["points"] > 0 else "points_taken_off"
        seen["manager"][key] += abs(hundredths(row["points"]))
    cards.adjust(till.at("2025-03-14 09:00"), asha.card_number, "-50", reason="double scan", performed_by="manager")
    cards.adjust(till.at("2025-03-14 09:01"), bina.card_number, "25", reason="goodwill", performed_by="manager")
    seen["manager"]["adjustments"] += 2
    seen["manager"]["adjusted_points"] += -5000 + 2500
    chetan = cards.issue(till.at("2025-03-14 09:30"), name="Chetan", phone="9000000003", performed_by="asha")
    seen["asha"]["cards_issued"] += 1
    card_lifecycle.replace(till.at("2025-03-14 10:00"), chetan.card_number, performed_by="manager")
    seen["manager"]["cards_replaced"] += 1
    other = cards.issue(till.at("2025-03-14 10:20"), name="Asha R", phone="9000000004", performed_by="manager")
    cards.adjust(till.at("2025-03-14 10:21"), other.card_number, "10", reason="found", performed_by="manager")
    card_lifecycle.merge(till.at("2025-03-14 10:30"), asha.card_number, other.card_number, performed_by="manager")
    seen["manager"]["cards_issued"] += 1
    seen["manager"]["cards_merged"] += 1
    seen["manager"]["adjustments"] += 1
    seen["manager"]["adjusted_points"] += 1000
    seen["manager"]["transfer_rows"] += 4  # a pair each for the replacement and the merge
    reward = bills.finalize(
        till.at("2025-03-14 11:00"), asha.card_number, bill((3, "250.00"), rewards=(("BP-CHECK", 1),)), performed_by="ravi"
    ).result
    finalized("ravi", reward)
    returned("asha", returns.return_lines(till.at("2025-03-14 12:00"), early["billId"], [ReturnLineAsk(1)], performed_by="asha"))
    csv = b"customerName,customerPhone,points\nDivya,9000000005,120.50\nFarhan,9000000006,0\n"
    card_import.import_cards(till.at("2025-03-14 13:00"), csv, performed_by="manager")
    seen["manager"]["cards_issued"] += 2
    seen["manager"]["opening_points"] += 12050
    # A card issued offline and rejected by the central service, sent again by the manager: one card.
    gauri = cards.issue(till.at("2025-03-14 14:00"), name="Gauri", phone="9000000007", performed_by="asha")
    seen["asha"]["cards_issued"] += 1
    seq = _seq_of(till.replica, gauri.card_number)
    replication.record_push(till.at("2025-03-14 14:05"), [{"deviceSeq": seq, "status": "rejected", "error": {"code": "X", "message": "no"}}], 0)
    rejections.resend(till.at("2025-03-14 14:10"), seq, note="upgraded", performed_by="manager")

    # The next day, from 00:10 local (still the 14th in UTC).
    bills.finalize(till.at("2025-03-14 18:40"), asha.card_number, bill((1, "700.00")), performed_by="ravi")
    cards.issue(till.at("2025-03-14 18:41"), name="Hari", phone="9000000008", performed_by="ravi")
    return seen


def _seq_of(replica: Replica, number: str) -> int:
    connection = sqlite3.connect(replica.path)
    try:
        (seq,) = connection.execute(
            "SELECT device_seq FROM outbox WHERE kind = 'card.issued' AND json_extract(payload, '$.cardNumber') = ?", (number,)
        ).fetchone()
        return seq
    finally:
        connection.close()


def ledger_of_the_day(replica: Replica) -> dict[str | None, list[tuple]]:
    """Every ledger row whose local date is the day, by who wrote it, read with plain sqlite3."""
    connection = sqlite3.connect(replica.path)
    try:
        rows = connection.execute("SELECT performed_by, transaction_type, reference_type, points, created_at FROM ledger").fetchall()
    finally:
        connection.close()
    mine: dict[str | None, list[tuple]] = defaultdict(list)
    for who, kind, reference, amount, at in rows:
        if local_date(datetime.fromisoformat(at), KOLKATA) == DAY:
            mine[who].append((kind, reference, amount))
    return mine


def test_every_figure_of_the_day_reconciles_per_cashier_with_the_ledger_and_the_bills(till):
    seen = the_day(till)
    report = day_report.report(till.at("2025-03-15 03:00"), DAY)
    assert report.complete and report.time_zone == KOLKATA
    assert (report.starts_at, report.ends_at) == (utc("2025-03-13 18:30"), utc("2025-03-14 18:30"))
    by_name = {c.cashier: c.figures for c in report.cashiers}
    assert list(by_name) == ["asha", "manager", "ravi"]

    for who, expected in seen.items():
        figures = by_name[who]
        for name, value in expected.items():
            assert getattr(figures, name) == value, (who, name)

    rows = ledger_of_the_day(till.replica)
    assert set(rows) == set(by_name)
    for who, figures in by_name.items():
        mine = rows[who]
        assert figures.points_net == sum(amount for *_kind, amount in mine)
        assert figures.points_earned == sum(a for k, _r, a in mine if k == "EARNED")
        assert figures.points_redeemed + figures.reward_points == -sum(a for k, _r, a in mine if k == "REDEEMED")
        assert figures.transfer_rows == sum(1 for _k, r, _a in mine if r == "TRANSFER")
        # The net is every movement said once; transfers move points between cards and net nothing.
        assert figures.points_net == (
            figures.points_earned + figures.referral_points - figures.points_redeemed - figures.reward_points
            + figures.points_given_back - figures.points_taken_off - figures.points_expired
            + figures.adjusted_points + figures.opening_points
        )
        for name in ("bills_reversed", "returns", "cards_replaced", "cards_merged", "cards_issued", "bills"):
            assert getattr(figures, name) == seen[who].get(name, 0), (who, name)

    # The ravi bill's referral: Bina earned on it, counted for the cashier who sold it.
    assert by_name["ravi"].referral_points > 0 and by_name["asha"].referral_points > 0
    assert by_name["asha"].amount_deducted == 2000  # 200 points at 0.10
    for field in day_report.FIELDS:
        assert getattr(report.total, field.name) == sum(getattr(f, field.name) for f in by_name.values())
    assert report.total.points_expired == 0


def test_the_days_around_it_count_what_happened_on_them(till):
    the_day(till)
    before = day_report.report(till.at("2025-03-15 03:00"), date(2025, 3, 13))
    (asha,) = [c.figures for c in before.cashiers if c.cashier == "asha"]
    assert asha.bills == 1 and asha.payable == 40000 - 2000  # the 23:30 bill, its member discount off
    after = day_report.report(till.at("2025-03-15 03:00"), date(2025, 3, 15))
    assert [(c.cashier, c.figures.bills, c.figures.cards_issued) for c in after.cashiers] == [("ravi", 1, 1)]
    assert not day_report.report(till.at("2025-03-15 03:00"), date(2025, 3, 12)).cashiers


def test_today_is_the_pharmacys_today_and_a_later_day_is_refused(till):
    replica = till.at("2025-03-14 19:00")  # 00:30 on the 15th in Kolkata
    assert day_report.today(replica) == date(2025, 3, 15)
    so_far = day_report.report(replica)
    assert so_far.day == date(2025, 3, 15) and not so_far.complete
    with pytest.raises(InvalidInput) as refused:
        day_report.report(replica, date(2025, 3, 16))
    assert refused.value.field == "date"


@pytest.mark.parametrize("typed", ["2025-3-14", "14/03/2025", "2025-02-30", "", None, "２０２５-03-14", "yesterday"])
def test_a_day_is_typed_yyyy_mm_dd(typed):
    with pytest.raises(InvalidInput) as refused:
        day_report.parse_day(typed)
    assert refused.value.field == "date" and "YYYY-MM-DD" in refused.value.message
    assert day_report.parse_day(" 2025-03-14 ") == DAY
    assert day_report.day_in_words(DAY) == "Friday 14 March 2025"


def test_the_json_has_decimals_and_the_receipt_lines_fit_the_printer(till):
    the_day(till)
    report = day_report.report(till.at("2025-03-15 03:00"), DAY)
    doc = report.to_json()
    assert doc["date"] == "2025-03-14" and doc["timeZone"] == KOLKATA
    assert isinstance(doc["total"]["payable"], Decimal) and isinstance(doc["total"]["bills"], int)
    assert doc["total"]["payable"] == sum(c["payable"] for c in doc["cashiers"])
    for width in (32, 42):
        lines = day_report_slip(report, width=width).lines
        assert all(len(line) <= width for line in lines)
        assert f"{doc['total']['payable']:,.2f}" in "\n".join(lines)
        assert "Cashier: manager" in lines

    class Rupees(PlainFormats):
        def number(self, value: object) -> str:
            return f"Rs {value}"

    lines = day_report_slip(report, 42, Rupees()).lines
    assert any(line.endswith(f"Rs {doc['total']['payable']}") and line.lstrip().startswith("Money paid") for line in lines)


def test_an_empty_day_is_all_zeros(till):
    report = day_report.report(till.at("2025-03-14 12:00"), DAY)
    assert report.cashiers == () and report.total == day_report.Figures()
    shown = day_report.table(report)
    assert shown.columns == (day_report.ALL_CASHIERS,)
    assert len(shown.rows) == len(day_report.FIELDS)


def test_each_figure_is_named_once_with_words_that_fit_a_receipt():
    from dataclasses import fields

    assert [f.name for f in day_report.FIELDS] == [f.name for f in fields(day_report.Figures)]
    assert len({f.key for f in day_report.FIELDS}) == len(day_report.FIELDS)
    assert all(len(f.short) <= 17 for f in day_report.FIELDS)  # a 32-character line keeps 14 for the figure
