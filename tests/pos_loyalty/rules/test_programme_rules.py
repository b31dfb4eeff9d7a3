"""Prescriptions, promotions and reward products (`loyalty-rules.md`, wave 2) in the one rules
function, each figure checked against exact arithmetic (fractions), and a property test
that the figures hold for any bill, day and configuration hypothesis draws."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_loyalty import errors, jsonio
from pos_loyalty.errors import ConfigInvalid, LoyaltyError
from pos_loyalty.rules import CardState, bill_from_json, config_from_json, config_to_json, quote_bill
from pos_loyalty.rules.config import SAMPLE_CONFIG_JSON
from pos_loyalty.rules.postings import BillFigures, bill_postings
from pos_loyalty.rules.programme import local_date

D = Decimal
CARD = CardState("2900001000005", True, 1000_00, 0, has_active_referrer=True)
MONDAY = date(2026, 12, 7)
PROMOTIONS = [
    {"promotionId": 1, "name": "Double Baby Care", "startsOn": "2026-12-01", "endsOn": "2026-12-31", "multiplier": 2, "categoryIds": [3]},
    {"promotionId": 2, "name": "Monday x1.5", "startsOn": "2026-12-01", "endsOn": "2026-12-31", "multiplier": "1.5", "daysOfWeek": [1]},
    {"promotionId": 3, "name": "Switched off", "startsOn": "2026-01-01", "endsOn": "2026-12-31", "multiplier": 10, "isActive": False},
]
REWARDS = [
    {"rewardId": "TOTE-BAG", "name": "Tote bag", "pointsPrice": 150},
    {"rewardId": "OLD-MUG", "name": "Mug", "pointsPrice": 80, "isActive": False},
]


def pharmacy(**changes):
    doc = jsonio.loads(jsonio.dumps(SAMPLE_CONFIG_JSON))
    for entry in doc["categoryPointConfigs"]:
        if entry["categoryId"] == 1:
            entry["isRedeemable"] = False  # Medicines: prescriptions, points may not pay
    doc |= {"timeZone": "Asia/Kolkata", "promotions": PROMOTIONS, "rewards": REWARDS} | changes
    return config_from_json(jsonio.loads(jsonio.dumps(doc)))


def bill(items, **more):
    return bill_from_json({"items": [{"categoryId": c, "amount": D(a)} for c, a in items], **more})


def test_the_configuration_keeps_its_additions_and_names_bad_rows():
    config = pharmacy()
    again = config_from_json(jsonio.loads(jsonio.dumps(config_to_json(config))))
    assert again == config and again.time_zone == "Asia/Kolkata"
    bad = jsonio.loads(jsonio.dumps(config_to_json(config)))
    bad["promotions"][1]["endsOn"] = "2026-11-30"
    bad["rewards"][0]["pointsPrice"] = 0
    bad["timeZone"] = "Asia/Nowhere"
    bad["categoryPointConfigs"][0]["isRedeemable"] = "no"
    with pytest.raises(ConfigInvalid) as refused:
        config_from_json(bad)
    fields = {field for field, _message in refused.value.problems}
    assert fields == {"promotions[1].endsOn", "rewards[0].pointsPrice", "timeZone", "categoryPointConfigs[0].isRedeemable"}


def test_points_never_pay_for_a_prescription_line():
    # Medicines (Rx) 500.00 and General 500.00, the worked example's bill with Medicines made Rx.
    quote = quote_bill(pharmacy(promotions=[]), CARD, bill([(1, "500.00"), (2, "500.00")], redeemPoints=200))
    assert quote.redeemable_net == 500_00
    medicines, general = quote.lines
    assert (medicines.points_discount, medicines.is_redeemable) == (0, False)
    assert general.points_discount == 20_00  # the whole 20.00 on the one line points may pay for
    rx_only = quote_bill(pharmacy(promotions=[]), CARD, bill([(1, "500.00")]))
    assert rx_only.max_redeemable_points == 0
    with pytest.raises(LoyaltyError) as refused:
        quote_bill(pharmacy(promotions=[]), CARD, bill([(1, "500.00")], redeemPoints=100))
    assert refused.value.code == errors.EXCEEDS_MAX_REDEMPTION
    # The cap is the smaller of 50 % of the bill and the redeemable money: 975.00 x 50 % > 500.00.
    mixed = quote_bill(pharmacy(promotions=[]), CARD, bill([(1, "1000.00"), (2, "100.00")]))
    assert mixed.max_redeemable_points == 1000_00  # 100.00 of General at 0.10 a point, capped by the balance


def test_the_best_promotion_of_the_day_applies_and_is_named():
    on_monday = quote_bill(pharmacy(), CARD, bill([(3, "100.00"), (2, "100.00")]), MONDAY)
    baby, general = on_monday.earn_breakdown
    assert (baby.promotion_id, baby.multiplier, baby.points) == (1, 20000, 9_00)  # 5 % x 2 of 90.00 (after 10 % off)
    assert (general.promotion_id, general.multiplier, general.points) == (2, 15000, 4_50)  # 3 % x 1.5
    tuesday = quote_bill(pharmacy(), CARD, bill([(2, "100.00")]), date(2026, 12, 8))
    assert (tuesday.earn_breakdown[0].promotion_id, tuesday.earn_breakdown[0].points) == (None, 3_00)
    no_day = quote_bill(pharmacy(), CARD, bill([(3, "100.00")]))
    assert no_day.earn_breakdown[0].promotion_id is None
    # The referral has no multiplier.
    assert on_monday.referrer_points_earned == math.floor(Fraction(on_monday.payable) * Fraction(5, 1000))


def test_a_bills_local_date_is_read_in_the_pharmacys_zone():
    late = datetime(2026, 12, 6, 19, 0)  # 19:00 UTC on Sunday is 00:30 on Monday in Kolkata
    assert local_date(late, "Asia/Kolkata") == MONDAY and local_date(late, "UTC") == date(2026, 12, 6)


def test_rewards_are_points_only_and_each_its_own_row():
    config = pharmacy(promotions=[])
    quote = quote_bill(config, CARD, bill([(2, "100.00")], rewards=[{"rewardId": "tote-bag", "quantity": 2}]))
    assert quote.reward_points == 300_00 and quote.net_amount == 100_00 and quote.payable == 100_00
    assert [r.to_json()["points"] for r in quote.rewards] == [D("300.00")]
    assert quote.max_redeemable_points == 50_00 * 10  # 50 % of 100.00 = 50.00 = 500 points, of 700 left
    rows = bill_postings(BillFigures.of_quote(quote), "B-1", "card", CARD.card_number, None)
    reward_rows = [r for r in rows if r.reference_type == "REWARD"]
    assert [(r.transaction_type, r.points, r.reward_id) for r in reward_rows] == [("REDEEMED", -300_00, "TOTE-BAG")]
    only_rewards = quote_bill(config, CARD, bill_from_json({"rewards": [{"rewardId": "TOTE-BAG"}]}))
    assert only_rewards.reward_points == 150_00 and only_rewards.lines == ()
    for asked, code in (
        ({"rewards": [{"rewardId": "OLD-MUG"}]}, errors.REWARD_UNAVAILABLE),
        ({"rewards": [{"rewardId": "NOPE"}]}, errors.REWARD_UNAVAILABLE),
        ({"rewards": [{"rewardId": "TOTE-BAG", "quantity": 7}]}, errors.INSUFFICIENT_POINTS),
        ({"rewards": [{"rewardId": "TOTE-BAG", "quantity": 4}], "redeemPoints": 500, "items": [{"categoryId": 2, "amount": 1000}]}, errors.INSUFFICIENT_POINTS),
    ):
        with pytest.raises(LoyaltyError) as refused:
            quote_bill(config, CARD, bill_from_json(asked))
        assert refused.value.code == code, asked
    with pytest.raises(LoyaltyError) as no_card:
        quote_bill(config, None, bill_from_json({"rewards": [{"rewardId": "TOTE-BAG"}]}))
    assert no_card.value.code == errors.CARD_REQUIRED
    offline = CardState(CARD.card_number, True, 1000_00, 0, offline_allowance=100_00)
    with pytest.raises(LoyaltyError) as limited:
        quote_bill(config, offline, bill_from_json({"rewards": [{"rewardId": "TOTE-BAG"}]}))
    assert limited.value.code == errors.OFFLINE_LIMIT


# --- properties -------------------------------------------------------------------------------


@st.composite
def days_and_bills(draw):
    promotions = []
    for promotion_id in range(1, draw(st.integers(0, 4)) + 1):
        start = draw(st.integers(1, 28))
        promotions.append(
            {
                "promotionId": promotion_id,
                "name": f"Promotion {promotion_id}",
                "startsOn": f"2026-12-{start:02d}",
                "endsOn": f"2026-12-{draw(st.integers(start, 31)):02d}",
                "multiplier": D(draw(st.integers(100, 1000))).scaleb(-2),
                **({"daysOfWeek": draw(st.lists(st.integers(1, 7), min_size=1, max_size=3, unique=True))} if draw(st.booleans()) else {}),
                **({"categoryIds": draw(st.lists(st.integers(1, 4), min_size=1, max_size=2, unique=True))} if draw(st.booleans()) else {}),
                "isActive": draw(st.booleans()),
            }
        )
    rx = draw(st.sets(st.integers(1, 4), max_size=3))
    doc = jsonio.loads(jsonio.dumps(SAMPLE_CONFIG_JSON))
    for entry in doc["categoryPointConfigs"]:
        entry["isRedeemable"] = entry["categoryId"] not in rx
    config = config_from_json(jsonio.loads(jsonio.dumps(doc | {"promotions": promotions})))
    items = [(draw(st.integers(1, 4)), D(draw(st.integers(1, 500_000))).scaleb(-2)) for _ in range(draw(st.integers(1, 6)))]
    day = date(2026, 12, draw(st.integers(1, 31)))
    return config, items, day


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days_and_bills())
def test_every_figure_is_the_formula_exactly(case):
    config, items, day = case
    probe = quote_bill(config, CARD, bill(items), day)
    redeem = probe.max_redeemable_points
    quote = quote_bill(config, CARD, bill(items, redeemPoints=D(redeem).scaleb(-2)), day) if redeem >= config.min_points_to_redeem else probe
    # Points pay only for redeemable lines, and never more than their money.
    for line in quote.lines:
        if not config.is_redeemable(line.category_id):
            assert line.points_discount == 0
    assert quote.amount_deducted <= quote.redeemable_net
    # Each category's points: paid x % x (the best promotion of the day), rounded down once.
    for entry in quote.earn_breakdown:
        applying = [
            p for p in config.promotions
            if p.is_active and p.starts_on <= day <= p.ends_on
            and (not p.days_of_week or day.isoweekday() in p.days_of_week)
            and (not p.category_ids or entry.category_id in p.category_ids)
        ]
        best = max((p.multiplier for p in applying), default=100)
        exact = Fraction(entry.amount) * Fraction(config.earning_percentage(entry.category_id), 10_000) * Fraction(best, 100)
        assert entry.points == math.floor(exact)
        assert entry.multiplier == 100 * best
