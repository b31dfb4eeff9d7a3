"""Expiry (`loyalty-rules.md`, wave 2) as pure rules: lots, soonest-expiry-first draws, debts,
and EXPIRED rows; properties drawn by hypothesis over random ledgers."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pos_loyalty.rules.expiry import Entry, Lots
from pos_loyalty.rules.ledger import ADJUSTED, EARNED, EXPIRED, REDEEMED, REFERRAL_EARNED, REVERSED

START = datetime(2026, 1, 1, 9, 0)
DAY = timedelta(days=1)


def entry(n, kind, points, day, reverses=None):
    return Entry(n, kind, points, START + day * DAY, reverses)


def test_a_lot_expires_n_days_after_its_row_and_a_second_run_finds_nothing():
    rows = [entry(1, EARNED, 100_00, 0), entry(2, EARNED, 50_00, 10)]
    lots = Lots.of(rows, days=30)
    assert lots.expired(START + 29 * DAY) == 0
    assert lots.expired(START + 30 * DAY) == 100_00
    assert lots.next_expiry(START) == START + 30 * DAY
    assert lots.expiring(START + 5 * DAY) == 100_00  # within 30 days
    assert lots.expiring(START) == 100_00  # the second expires on day 40, beyond 30 days
    run = START + 30 * DAY
    after = Lots.of([*rows, entry(3, EXPIRED, -lots.expired(run), 30)], days=30)
    assert after.expired(run) == 0
    assert after.available(50_00, run) == 50_00
    assert after.next_expiry(run) == START + 40 * DAY


def test_redemptions_draw_the_soonest_expiry_first_and_never_an_expired_lot():
    rows = [entry(1, EARNED, 100_00, 0), entry(2, ADJUSTED, 100_00, 20), entry(3, REDEEMED, -120_00, 25)]
    lots = Lots.of(rows, days=30)
    assert [lot.left for lot in lots.lots] == [0, 80_00]
    # On day 35 the first lot has expired: a redemption then draws the second.
    late = Lots.of([rows[0], rows[1], entry(3, REDEEMED, -50_00, 35)], days=30)
    assert [lot.left for lot in late.lots] == [100_00, 50_00]
    assert late.expired(START + 35 * DAY) == 100_00
    # A till that knows the first lot expired offers only the rest.
    assert late.available(150_00, START + 35 * DAY) == 50_00


def test_taking_back_earned_points_draws_that_rows_lot_first_and_a_refund_keeps_its_clock():
    rows = [
        entry(1, EARNED, 100_00, 0),
        entry(2, EARNED, 40_00, 5),
        entry(3, REDEEMED, -30_00, 6),
        entry(4, REVERSED, -40_00, 7, reverses=2),  # the second bill came back
        entry(5, REVERSED, 30_00, 20, reverses=3),  # the redemption given back
    ]
    lots = Lots.of(rows, days=30)
    assert [(lot.row, lot.left) for lot in lots.lots] == [(1, 70_00), (2, 0), (5, 30_00)]
    assert lots.lots[2].expires_at == START + 36 * DAY  # 30 days after the redemption, not the refund


def test_a_debt_is_repaid_by_the_next_lots_first():
    rows = [entry(1, EARNED, 10_00, 0), entry(2, REVERSED, -30_00, 1, reverses=9), entry(3, REFERRAL_EARNED, 25_00, 2)]
    lots = Lots.of(rows, days=30)
    assert lots.debt == 0 and [lot.left for lot in lots.lots] == [0, 5_00]


def test_no_expiry_days_means_nothing_expires():
    lots = Lots.of([entry(1, EARNED, 100_00, 0)], days=0)
    far = START + 10_000 * DAY
    assert (lots.expired(far), lots.expiring(far), lots.next_expiry(far), lots.available(100_00, far)) == (0, 0, None, 100_00)


# --- properties ---------------------------------------------------------------------------


@st.composite
def ledgers(draw):
    """A card's rows over a year, as the tills and the service write them, with expiry runs."""
    days = draw(st.sampled_from([1, 7, 30, 365]))
    rows: list[Entry] = []
    balance = 0
    day = 0
    for n in range(1, draw(st.integers(1, 40)) + 1):
        day += draw(st.integers(0, 20))
        at = START + day * DAY
        kind = draw(st.sampled_from([EARNED, EARNED, REFERRAL_EARNED, ADJUSTED, REDEEMED, REVERSED, EXPIRED]))
        if kind == EXPIRED:
            due = Lots.of(rows, days).expired(at)
            if due:
                rows.append(Entry(n, EXPIRED, -due, at))
                balance -= due
            continue
        if kind == REDEEMED:
            available = Lots.of(rows, days).available(balance, at)
            if available <= 0:
                continue
            points = -draw(st.integers(1, available))
        elif kind == REVERSED:
            earlier = [r for r in rows if r.transaction_type in (EARNED, REDEEMED)]
            if not earlier:
                continue
            target = draw(st.sampled_from(earlier))
            points = -target.points
            rows.append(Entry(n, REVERSED, points, at, target.row))
            balance += points
            continue
        elif kind == ADJUSTED:
            points = draw(st.integers(-50_00, 200_00).filter(bool))
        else:
            points = draw(st.integers(1, 500_00))
        rows.append(Entry(n, kind, points, at))
        balance += points
    return days, rows, START + (day + draw(st.integers(0, 400))) * DAY


@settings(max_examples=400, deadline=None)
@given(ledgers())
def test_lots_hold_the_balance_and_no_point_goes_to_a_lot_twice(case):
    days, rows, now = case
    lots = Lots.of(rows, days)
    balance = sum(r.points for r in rows)
    for lot in lots.lots:
        assert 0 <= lot.left <= lot.points
    assert sum(lot.left for lot in lots.lots) - lots.debt == balance
    assert lots.debt == 0 or not lots.open_lots()
    if balance > 0:
        assert sum(lot.left for lot in lots.lots) == balance
    # Expiring now and then once more at the same time writes nothing the second time.
    due = lots.expired(now)
    assert 0 <= due <= max(balance, 0)
    after = Lots.of([*rows, Entry("run", EXPIRED, -due, now)], days)
    assert after.expired(now) == 0
    assert after.available(balance - due, now) == max(balance - due, 0)
    # Nothing the till offers has expired.
    assert lots.available(balance, now) == max(balance - due, 0)


@settings(max_examples=200, deadline=None)
@given(ledgers())
def test_a_redemption_never_draws_an_expired_lot_while_a_live_one_is_open(case):
    days, rows, _now = case
    replayed = Lots(days)
    times = {}
    for row in rows:
        times[row.row] = row.at
        live_before = {lot.row: lot.left for lot in replayed.lots if lot.left and lot.expires_at > row.at}
        expired_before = {lot.row: lot.left for lot in replayed.lots if lot.left and lot.expires_at <= row.at}
        replayed.add(row, times)
        if row.transaction_type == REDEEMED and sum(live_before.values()) >= -row.points:
            for lot in replayed.lots:
                if lot.row in expired_before:
                    assert lot.left == expired_before[lot.row]
