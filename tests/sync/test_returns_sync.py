"""Part of a bill comes back at the till (`bill return`), reaches a real central service by
push (`bill.returned`), and the card, its referrer and the ledger agree on both sides; a
reversal after the returns takes only what is left. SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pos_loyalty import errors
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.rules import bill_from_json
from pos_loyalty.rules.returns import ReturnLineAsk
from pos_loyalty.services import bills, cards, returns

BACKENDS = pytest.mark.parametrize("server", ["sqlite", "postgresql"], indirect=True)
D = Decimal
BILL = {
    "items": [
        {"categoryId": 1, "amount": "500.00"},
        {"categoryId": 3, "quantity": "3", "unitPrice": "33.33"},
        {"categoryId": 2, "amount": "500.00"},
    ],
    "redeemPoints": "200",
}


def sold_bill(till, pharmacy):
    referrer = cards.issue(till.replica, name="Bina Referrer", phone="9000000901").card_number
    number = cards.issue(till.replica, name="Asha", phone="9000000902", referrer=referrer).card_number
    cards.adjust(till.replica, number, "1000", reason="opening balance")
    sold = bills.finalize(till.replica, number, bill_from_json(BILL), bill_id="RET-1")
    return number, referrer, sold.result


def both_sides(till, pharmacy, *numbers):
    """Each card's balance and totals, at the till and on the central service."""
    at_till = [cards.find(till.replica, n) for n in numbers]
    central = [pharmacy.card(n) for n in numbers]
    return (
        [(c.points_balance, c.total_points_earned, c.total_points_redeemed, c.total_referral_points_earned) for c in at_till],
        [
            tuple(int(c[k] * 100) for k in ("pointsBalance", "totalPointsEarned", "totalPointsRedeemed", "totalReferralPointsEarned"))
            for c in central
        ],
    )


@BACKENDS
def test_returns_at_the_till_reach_the_central_and_both_sides_agree(pharmacy):
    till = pharmacy.open_till("counter-1")
    till.connect(pharmacy.server.base)
    number, referrer, result = sold_bill(till, pharmacy)
    till.sync_until_drained()

    one = returns.return_lines(till.replica, "RET-1", [ReturnLineAsk(1, quantity=1000)], return_id="R-1")
    assert one["cashRefund"] > 0 and one["pointsRefunded"] > 0
    medicines = returns.return_lines(till.replica, "RET-1", [ReturnLineAsk(0)], return_id="R-2")
    assert returns.return_lines(till.replica, "RET-1", [ReturnLineAsk(0)], return_id="R-2") == medicines  # a repeat
    till.sync_until_drained()
    at_till, central = both_sides(till, pharmacy, number, referrer)
    assert at_till == central
    assert pharmacy.flags("RULES_MISMATCH") == []

    rest = returns.return_lines(
        till.replica, "RET-1", [ReturnLineAsk(1, quantity=2000), ReturnLineAsk(2)], return_id="R-3"
    )
    total = [sum(D(r[k]) for r in (one, medicines, rest)) for k in ("cashRefund", "pointsRefunded", "referrerPointsReversed")]
    assert total == [result["payable"], result["pointsRedeemed"], result["referrerPointsEarned"]]
    points_back = sum(D(r["pointsReversed"]) for r in (one, medicines, rest))
    assert points_back == result["pointsEarned"]
    with pytest.raises(LoyaltyError) as nothing_left:
        returns.return_lines(till.replica, "RET-1", [ReturnLineAsk(2)], return_id="R-4")
    assert nothing_left.value.code == errors.RETURN_EXCEEDS_BILL
    till.sync_until_drained()
    at_till, central = both_sides(till, pharmacy, number, referrer)
    assert at_till == central
    # Everything came back: the card is as before the bill (its opening 1,000 points).
    assert at_till[0][0] == 1000_00 and at_till[1][0] == 0


@BACKENDS
def test_a_reversal_after_a_return_takes_only_what_is_left_on_both_sides(pharmacy):
    till = pharmacy.open_till("counter-1")
    till.connect(pharmacy.server.base)
    number, referrer, _result = sold_bill(till, pharmacy)
    returns.return_lines(till.replica, "RET-1", [ReturnLineAsk(2, amount=12345)], return_id="R-1")
    bills.reverse(till.replica, "RET-1")
    till.sync_until_drained()
    at_till, central = both_sides(till, pharmacy, number, referrer)
    assert at_till == central
    assert at_till[0][0] == 1000_00 and at_till[1][0] == 0
    with pytest.raises(LoyaltyError) as reversed_bill:
        returns.return_lines(till.replica, "RET-1", [ReturnLineAsk(0)])
    assert reversed_bill.value.code == errors.ALREADY_REVERSED
