"""The worked example of spec/loyalty-rules.md must come out exactly, figure by figure."""

from decimal import Decimal

from pos_loyalty.rules import CardState, bill_from_json, config_from_json, quote_bill
from pos_loyalty.rules.config import SAMPLE_CONFIG_JSON

D = Decimal


def worked_example_quote():
    config = config_from_json(SAMPLE_CONFIG_JSON)
    card_a = CardState(
        card_number="A", is_active=True, points_balance=100000, lifetime_points=0,
        has_active_referrer=True,
    )
    bill = bill_from_json(
        {
            "items": [{"categoryId": 1, "amount": D("500.00")}, {"categoryId": 2, "amount": D("500.00")}],
            "redeemPoints": 200,
        }
    )
    return quote_bill(config, card_a, bill).to_json()


def test_category_discount_and_net_amount():
    quote = worked_example_quote()
    assert quote["categoryDiscount"] == D("25.00")
    assert [line["net"] for line in quote["lines"]] == [D("475.00"), D("500.00")]
    assert quote["netAmount"] == D("975.00")


def test_redemption_spread_by_largest_remainder():
    quote = worked_example_quote()
    assert quote["amountDeducted"] == D("20.00")
    assert [line["pointsDiscount"] for line in quote["lines"]] == [D("9.74"), D("10.26")]
    assert [line["paid"] for line in quote["lines"]] == [D("465.26"), D("489.74")]
    assert quote["payable"] == D("955.00")


def test_earning_per_category_rounded_down():
    quote = worked_example_quote()
    assert [(e["categoryName"], e["points"]) for e in quote["earnBreakdown"]] == [
        ("Medicines", D("4.65")),
        ("General", D("14.69")),
    ]
    assert quote["pointsEarned"] == D("19.34")


def test_referrer_earns_on_payable():
    assert worked_example_quote()["referrerPointsEarned"] == D("4.77")


def test_cap_is_half_the_net_amount():
    # max 487.50 at 0.10 a point = 4,875 points, but A holds only 1,000.
    assert worked_example_quote()["maxRedeemablePoints"] == D("1000.00")
