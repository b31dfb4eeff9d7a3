"""Returns (`loyalty-rules.md`, wave 2) as pure rules, with properties drawn by hypothesis:
any sequence of returns that ends with everything back gives back, in total, exactly what
one reversal would, to the hundredth; no return gives back more than is left; the rows of
the returns and of a later reversal together take back each row of the bill exactly once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_loyalty import errors, jsonio
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.rules import CardState, bill_from_json, config_from_json, quote_bill
from pos_loyalty.rules.config import SAMPLE_CONFIG_JSON
from pos_loyalty.rules.ledger import REVERSED
from pos_loyalty.rules.postings import BillFigures, Posted, bill_postings, reversal_postings
from pos_loyalty.rules.returns import (
    Kept,
    ReturnLineAsk,
    SoldBill,
    parse_return_id,
    parse_return_lines,
    return_figures,
    return_postings,
    take_back,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example, HealthCheck.data_too_large])


def sample_config(**changes):
    return config_from_json(jsonio.loads(jsonio.dumps(SAMPLE_CONFIG_JSON | changes)))


CARD = CardState("2900001000005", True, 1_000_00, 0, has_active_referrer=True)


def sold_bill(items, redeem="0", card=CARD, config=None, bill_id="B-1"):
    """A bill worked out as a till would, with its rows; as the rows a store would hold."""
    config = config or sample_config()
    bill = bill_from_json({"items": items, "redeemPoints": redeem})
    quote = quote_bill(config, card, bill)
    result = jsonio.loads(jsonio.dumps(quote.to_json()))
    postings = bill_postings(BillFigures.of_quote(quote), bill_id, "customer", card.card_number, "referrer")
    rows = [
        Posted(n, p.card, p.transaction_type, p.points, p.reference_type, category_id=p.category_id)
        for n, p in enumerate(postings)
    ]
    return SoldBill.of_result(bill_id, bill, result), quote, rows


def written(rows, postings):
    """`rows` with `postings` appended as rows a store wrote."""
    start = len(rows)
    return rows + [
        Posted(start + n, p.card, p.transaction_type, p.points, p.reference_type, reverses=p.reverses, category_id=p.category_id)
        for n, p in enumerate(postings)
    ]


# --- the spec's worked example, returned line by line --------------------------------------


WORKED = [{"categoryId": 1, "amount": "500.00"}, {"categoryId": 2, "amount": "500.00"}]


def test_returning_the_worked_examples_medicines_gives_back_its_share():
    sold, quote, rows = sold_bill(WORKED, redeem="200")
    kept = Kept.all_of(sold)
    after = take_back(sold, kept, [ReturnLineAsk(0)])
    figures = return_figures(sold, kept, after)
    # Medicines: paid 465.26, earned 4.65; its share of the 200 points is 97.40 (9.74 of 20.00).
    assert figures.cash_refund == 465_26
    assert figures.points_refunded == 97_40
    assert figures.points_reversed == 4_65
    # The referral on what is still paid: round_down(489.74 x 0.5 %) = 2.44, was 4.77.
    assert figures.referrer_points_reversed == 4_77 - 2_44
    rest = return_figures(sold, after, take_back(sold, after, [ReturnLineAsk(1)]))
    assert figures.cash_refund + rest.cash_refund == quote.payable
    assert figures.points_refunded + rest.points_refunded == quote.points_redeemed
    assert figures.points_reversed + rest.points_reversed == quote.points_earned
    assert figures.referrer_points_reversed + rest.referrer_points_reversed == quote.referrer_points_earned


def test_quantities_come_back_and_the_last_unit_takes_what_is_left():
    sold, quote, _rows = sold_bill([{"categoryId": 3, "quantity": "3", "unitPrice": "33.33"}])
    kept = Kept.all_of(sold)
    one = take_back(sold, kept, [ReturnLineAsk(0, quantity=1000)])
    assert one.gross == (99_99 - 33_33,) and one.quantity == (2000,)
    last = take_back(sold, one, [ReturnLineAsk(0, quantity=2000)])
    assert last.gross == (0,) and last.everything_back()
    with pytest.raises(LoyaltyError) as refused:
        take_back(sold, last, [ReturnLineAsk(0, quantity=1)])
    assert refused.value.code == errors.RETURN_EXCEEDS_BILL


def test_asking_for_more_than_is_left_or_the_wrong_kind_is_refused():
    sold, _quote, _rows = sold_bill(WORKED)
    kept = Kept.all_of(sold)
    with pytest.raises(LoyaltyError) as refused:
        take_back(sold, kept, [ReturnLineAsk(0, amount=500_01)])
    assert refused.value.code == errors.RETURN_EXCEEDS_BILL
    with pytest.raises(InvalidInput):
        take_back(sold, kept, [ReturnLineAsk(0, quantity=1000)])
    with pytest.raises(InvalidInput):
        take_back(sold, kept, [ReturnLineAsk(2)])
    twice = [ReturnLineAsk(0, amount=300_00), ReturnLineAsk(0, amount=300_00)]
    with pytest.raises(LoyaltyError):
        take_back(sold, kept, twice)


@pytest.mark.parametrize(
    "doc",
    [[], {}, [{"line": -1}], [{"line": True}], [{"line": 0, "amount": 1, "quantity": 1}], [{"line": 0, "x": 1}],
     [{"line": 0, "amount": "0"}], [{"line": 0, "quantity": "0.0001"}]],
)
def test_bad_return_lines_are_refused(doc):
    with pytest.raises(InvalidInput):
        parse_return_lines(doc)


@pytest.mark.parametrize("value", ["", "a b", "x" * 65, "é", 12, None, "R\n"])
def test_bad_return_ids_are_refused(value):
    with pytest.raises(InvalidInput):
        parse_return_id(value)


# --- properties ------------------------------------------------------------------------------


@st.composite
def bills_and_returns(draw):
    """A bill of amount and quantity lines, redeemed or not, under a drawn configuration,
    and a sequence of returns that brings everything back."""
    referral = draw(st.sampled_from(["0.5", "1.25", "0"]))
    config = sample_config(referralPointsPercent=Decimal(referral))
    items = []
    for _ in range(draw(st.integers(1, 6))):
        category = draw(st.sampled_from([1, 2, 3, 4]))
        if draw(st.booleans()):
            quantity = draw(st.integers(1, 12))
            price = draw(st.integers(1, 50_000))
            items.append({"categoryId": category, "quantity": str(quantity), "unitPrice": str(Decimal(price).scaleb(-2))})
        else:
            items.append({"categoryId": category, "amount": str(Decimal(draw(st.integers(1, 2_000_000))).scaleb(-2))})
    card = CardState("2900001000005", True, draw(st.integers(0, 500_000_00)), 0, has_active_referrer=draw(st.booleans()))
    probe = quote_bill(config, card, bill_from_json({"items": items}))
    best = probe.max_redeemable_points
    redeem = draw(st.sampled_from([0, best, best // 2])) if best else 0
    if redeem and redeem < config.min_points_to_redeem:
        redeem = 0
    sold, quote, rows = sold_bill(items, str(Decimal(redeem).scaleb(-2)), card=card, config=config)
    # Returns: each takes part of some lines, until everything is back.
    plan = []
    kept = Kept.all_of(sold)
    while not kept.everything_back() and len(plan) < 8:
        asks = []
        for index, line in enumerate(sold.lines):
            if not kept.gross[index] or not draw(st.booleans()):
                continue
            if line.quantity is not None:
                left = kept.quantity[index]
                asks.append(ReturnLineAsk(index, quantity=draw(st.integers(1, left)) * 1 if left else None))
            else:
                asks.append(ReturnLineAsk(index, amount=draw(st.integers(1, kept.gross[index]))))
        if asks:
            plan.append(asks)
            kept = take_back(sold, kept, asks)
    plan.append([ReturnLineAsk(i) for i in range(len(sold.lines)) if kept.gross[i]])  # the rest, if any
    return sold, quote, rows, plan


@SETTINGS
@given(bills_and_returns())
def test_returns_ending_with_everything_back_equal_one_reversal(case):
    sold, quote, rows, plan = case
    kept = Kept.all_of(sold)
    totals = [0, 0, 0, 0]
    ledger = list(rows)
    for asks in plan:
        if not asks:
            continue
        after = take_back(sold, kept, asks)
        figures = return_figures(sold, kept, after)
        for part in (figures.cash_refund, figures.points_refunded, figures.points_reversed, figures.referrer_points_reversed):
            assert part >= 0
        totals = [
            totals[0] + figures.cash_refund,
            totals[1] + figures.points_refunded,
            totals[2] + figures.points_reversed,
            totals[3] + figures.referrer_points_reversed,
        ]
        ledger = written(ledger, return_postings(figures, ledger, sold.bill_id, f"R-{len(ledger)}"))
        kept = after
    assert kept.everything_back()
    referral = quote.referrer_points_earned
    assert totals == [quote.payable, quote.points_redeemed, quote.points_earned, referral]
    # Every row of the bill is taken back exactly: a reversal now has nothing left to write.
    assert reversal_postings(ledger, sold.bill_id) == []
    assert sum(row.points for row in ledger) == 0


@SETTINGS
@given(bills_and_returns())
def test_a_reversal_after_some_returns_takes_only_what_is_left(case):
    sold, quote, rows, plan = case
    kept = Kept.all_of(sold)
    ledger = list(rows)
    for asks in plan[:-2]:  # stop before everything is back
        if asks:
            after = take_back(sold, kept, asks)
            ledger = written(ledger, return_postings(return_figures(sold, kept, after), ledger, sold.bill_id, "R"))
            kept = after
    reversal = reversal_postings(ledger, sold.bill_id)
    # The reversal equals the return of everything still kept.
    rest = return_figures(sold, kept, take_back(sold, kept, [ReturnLineAsk(i) for i in range(len(sold.lines)) if kept.gross[i]]))
    by_type = {kind: sum(p.points for p in reversal if p.counts_as == kind) for kind in ("EARNED", "REDEEMED", "REFERRAL_EARNED")}
    assert by_type == {"EARNED": -rest.points_reversed, "REDEEMED": rest.points_refunded, "REFERRAL_EARNED": -rest.referrer_points_reversed}
    assert all(p.transaction_type == REVERSED for p in reversal)
    assert sum(row.points for row in written(ledger, reversal)) == 0


def test_a_returns_record_round_trips():
    sold, _quote, _rows = sold_bill([*WORKED, {"categoryId": 3, "quantity": "2.5", "unitPrice": "10.00"}])
    before = Kept.all_of(sold)
    after = take_back(sold, before, [ReturnLineAsk(2, quantity=1500), ReturnLineAsk(1, amount=1_00)])
    back = after.back_since(before)
    assert Kept.from_json(jsonio.loads(jsonio.dumps(back.to_json()))) == back
    assert before.less(back) == after
