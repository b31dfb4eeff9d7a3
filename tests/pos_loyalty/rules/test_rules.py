"""Each rule of spec/loyalty-rules.md on small bills a cashier could ring up."""

from decimal import Decimal

import pytest

from pos_loyalty import errors, jsonio
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.rules import CardState, bill_from_json, config_from_json, quote_bill
from pos_loyalty.rules.config import SAMPLE_CONFIG_JSON

D = Decimal


def config(**changes):
    return config_from_json({**SAMPLE_CONFIG_JSON, **changes})


def card(balance="1000.00", lifetime="0", referrer=False, active=True, allowance=None):
    return CardState(
        card_number="2900001000017",
        is_active=active,
        points_balance=int(D(balance) * 100),
        lifetime_points=int(D(lifetime) * 100),
        has_active_referrer=referrer,
        offline_allowance=None if allowance is None else int(D(allowance) * 100),
    )


def bill(*items, redeem=None, flat=None):
    doc = {"items": [{"categoryId": c, "amount": D(a)} for c, a in items]}
    if redeem is not None:
        doc["redeemPoints"] = D(redeem)
    if flat is not None:
        doc["flatDiscount"] = D(flat)
    return bill_from_json(doc)


def code_of(call):
    with pytest.raises(LoyaltyError) as caught:
        call()
    return caught.value


def test_no_card_gets_no_category_discount_and_earns_nothing_but_keeps_flat_discount():
    quote = quote_bill(config(), None, bill((1, "500.00"), flat="50.00")).to_json()
    assert quote["categoryDiscount"] == D("0.00")
    assert quote["flatDiscount"] == D("50.00")
    assert quote["payable"] == D("450.00")
    assert quote["pointsEarned"] == D("0.00")
    assert quote["maxRedeemablePoints"] == D("0.00")


def test_disabled_programme_gives_plain_bill_and_refuses_redemption():
    disabled = config(isEnabled=False)
    quote = quote_bill(disabled, card(), bill((3, "100.00"))).to_json()
    assert (quote["categoryDiscount"], quote["pointsEarned"]) == (D("0.00"), D("0.00"))
    error = code_of(lambda: quote_bill(disabled, card(), bill((3, "1000.00"), redeem="100")))
    assert error.code == errors.PROGRAM_DISABLED


def test_flat_discount_spread_sums_exactly_with_ties_to_the_earlier_line():
    quote = quote_bill(config(), None, bill((2, "1.00"), (2, "1.00"), (2, "1.00"), flat="0.01"))
    assert [line.flat_discount for line in quote.lines] == [1, 0, 0]
    quote = quote_bill(config(), None, bill((2, "100.00"), (4, "200.00"), flat="10.00"))
    assert [line.flat_discount for line in quote.lines] == [333, 667]


def test_flat_discount_larger_than_bill_after_category_discounts_is_refused():
    # Medicines 100.00 less 5 % member discount = 95.00; 96.00 off is too much.
    error = code_of(lambda: quote_bill(config(), card(), bill((1, "100.00"), flat="96.00")))
    assert error.code == errors.INVALID_INPUT and error.details["field"] == "flatDiscount"
    assert quote_bill(config(), card(), bill((1, "100.00"), flat="95.00")).payable == 0


def test_minimum_points_to_redeem():
    error = code_of(lambda: quote_bill(config(), card(), bill((2, "1000.00"), redeem="99.99")))
    assert error.code == errors.MIN_POINTS_NOT_MET


def test_cannot_redeem_more_than_the_balance():
    error = code_of(lambda: quote_bill(config(), card("150"), bill((2, "1000.00"), redeem="150.01")))
    assert error.code == errors.INSUFFICIENT_POINTS


def test_negative_balance_after_reversal_cannot_redeem():
    error = code_of(lambda: quote_bill(config(), card("-5"), bill((2, "1000.00"), redeem="100")))
    assert error.code == errors.INSUFFICIENT_POINTS
    assert quote_bill(config(), card("-5"), bill((2, "1000.00"))).max_redeemable_points == 0


def test_redemption_over_the_cap_names_the_largest_allowed():
    # 50 % of 95.00 is 47.50 = 475 points at 0.10.
    error = code_of(lambda: quote_bill(config(), card(), bill((2, "95.00"), redeem="476")))
    assert error.code == errors.EXCEEDS_MAX_REDEMPTION
    assert error.details["maxRedeemablePoints"] == D("475.00")
    assert quote_bill(config(), card(), bill((2, "95.00"), redeem="475")).amount_deducted == 4750


def test_max_redeemable_is_zero_below_the_minimum():
    # 50 % of 150.00 = 75.00 = 750 points, but the card holds only 99.
    assert quote_bill(config(), card("99"), bill((2, "150.00"))).max_redeemable_points == 0
    assert quote_bill(config(), card("100"), bill((2, "150.00"))).max_redeemable_points == 10000


def test_points_are_never_earned_on_money_paid_with_points():
    quote = quote_bill(config(), card(), bill((2, "1000.00"), redeem="1000"))
    assert quote.payable == 90000
    assert quote.points_earned == 2700  # 3 % of 900.00, not of 1,000.00


def test_inactive_category_earns_nothing_but_is_known():
    inactive = config(
        categoryPointConfigs=[
            {"categoryId": 1, "categoryName": "Medicines", "pointPercentage": 1, "isActive": False}
        ],
        categoryDiscounts=[],
    )
    quote = quote_bill(inactive, card(), bill((1, "500.00")))
    assert quote.points_earned == 0


def test_unknown_category_is_invalid_input_naming_the_line():
    error = code_of(lambda: quote_bill(config(), card(), bill((2, "10"), (99, "10"))))
    assert error.code == errors.INVALID_INPUT
    assert error.details["field"] == "items[1].categoryId"


def test_tier_multiplier_and_tier_cap():
    tiered = config(
        tiers=[
            {"name": "Bronze", "minLifetimePoints": 0},
            {"name": "Gold", "minLifetimePoints": 500, "earnMultiplier": "1.5", "maxRedemptionPercent": 20},
        ]
    )
    bronze = quote_bill(tiered, card(lifetime="499.99"), bill((2, "1000.00")))
    gold = quote_bill(tiered, card(lifetime="500"), bill((2, "1000.00")))
    assert (bronze.tier.name, bronze.points_earned) == ("Bronze", 3000)
    assert (gold.tier.name, gold.points_earned) == ("Gold", 4500)
    assert gold.max_redeemable_points == 100000  # 20 % of 1,000.00 = 200.00 = 2,000 points > balance
    error = code_of(lambda: quote_bill(tiered, card("5000", lifetime="500"), bill((2, "1000.00"), redeem="2000.10")))
    assert error.code == errors.EXCEEDS_MAX_REDEMPTION


def test_referral_needs_an_active_referrer_and_takes_no_multiplier():
    tiered = config(tiers=[{"name": "Any", "minLifetimePoints": 0, "earnMultiplier": 3}])
    assert quote_bill(tiered, card(referrer=True), bill((2, "999.99"))).referrer_points_earned == 499
    assert quote_bill(tiered, card(referrer=False), bill((2, "999.99"))).referrer_points_earned == 0


def test_quantity_times_unit_price_rounds_half_up():
    priced = bill_from_json({"items": [{"categoryId": 2, "quantity": "1.5", "unitPrice": "0.15"}]})
    assert priced.lines[0].gross == 23  # 0.225 -> 0.23
    priced = bill_from_json({"items": [{"categoryId": 2, "quantity": "3", "unitPrice": "33.33"}]})
    assert priced.lines[0].gross == 9999


def test_a_priced_line_may_say_what_it_comes_to_as_the_tills_own_records_do():
    """The till writes a quantity line with its amount too: that shape must be read back."""
    doc = {"items": [{"categoryId": 3, "quantity": "2", "unitPrice": "125.00", "amount": "250.00"}]}
    assert bill_from_json(doc).lines[0].gross == 25000
    till_line = bill_from_json({"items": [{"categoryId": 3, "quantity": "2", "unitPrice": "125.00"}]})
    assert bill_from_json(jsonio.loads(jsonio.dumps(till_line.to_json()))) == till_line


def test_offline_allowance_caps_redemption():
    error = code_of(lambda: quote_bill(config(), card(allowance="150"), bill((2, "1000.00"), redeem="200")))
    assert error.code == errors.OFFLINE_LIMIT
    assert quote_bill(config(), card(allowance="150"), bill((2, "1000.00"))).max_redeemable_points == 15000


@pytest.mark.parametrize(
    "item, field",
    [
        ({"categoryId": 1, "amount": "-5"}, "items[0].amount"),
        ({"categoryId": 1, "amount": "abc"}, "items[0].amount"),
        ({"categoryId": 1, "amount": "1.005"}, "items[0].amount"),
        ({"categoryId": 1, "amount": 0}, "items[0].amount"),
        ({"categoryId": 1, "amount": 1.5}, "items[0].amount"),
        ({"categoryId": "x", "amount": "1"}, "items[0].categoryId"),
        ({"categoryId": 1}, "items[0].amount"),
        ({"categoryId": 1, "amount": "1", "quantity": 2}, "items[0].unitPrice"),
        ({"categoryId": 1, "amount": "5.00", "quantity": 2, "unitPrice": "2.00"}, "items[0].amount"),
        ({"categoryId": 1, "quantity": "0", "unitPrice": "2"}, "items[0].quantity"),
    ],
)
def test_bad_bill_lines_name_their_field(item, field):
    error = code_of(lambda: bill_from_json({"items": [item]}))
    assert error.code == errors.INVALID_INPUT and error.details["field"] == field


def test_a_bill_needs_items_and_sane_redemption():
    assert code_of(lambda: bill_from_json({"items": []})).details["field"] == "items"
    assert code_of(lambda: bill_from_json({"items": [{"categoryId": 1, "amount": 1}], "redeemPoints": "-1"})).details["field"] == "redeemPoints"
