"""Prescriptions, promotions and reward products the same on the till and the central service
(SQLite and PostgreSQL): head office sets them up, the till pulls them, a bill with all three
is quoted alike on both sides, finalized at the till, pushed, and checked by the central
with no difference; the balances agree."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from central_harness import body
from pos_loyalty.rules import bill_from_json
from pos_loyalty.services import bills, cards

BACKENDS = pytest.mark.parametrize("server", ["sqlite", "postgresql"], indirect=True)
D = Decimal


def programme(pharmacy) -> None:
    today = date.today()
    config = body(pharmacy.admin.get("/api/v1/card-config"))
    for entry in config["categoryPointConfigs"]:
        entry["isRedeemable"] = entry["categoryId"] != 1  # Medicines: prescriptions
    pharmacy.configure(
        categoryPointConfigs=config["categoryPointConfigs"],
        timeZone="Asia/Kolkata",
        promotions=[
            {
                "promotionId": 7,
                "name": "Double points on Baby Care",
                "startsOn": (today - timedelta(days=2)).isoformat(),
                "endsOn": (today + timedelta(days=2)).isoformat(),
                "multiplier": 2,
                "categoryIds": [3],
            }
        ],
        rewards=[{"rewardId": "TOTE-BAG", "name": "Tote bag", "pointsPrice": 150}],
    )


BILL = {
    "items": [{"categoryId": 1, "amount": "400.00"}, {"categoryId": 3, "amount": "300.00"}, {"categoryId": 2, "amount": "300.00"}],
    "redeemPoints": "300",
    "rewards": [{"rewardId": "TOTE-BAG", "quantity": 1}],
}


@BACKENDS
def test_a_bill_with_all_three_is_the_same_on_both_sides(pharmacy):
    programme(pharmacy)
    till = pharmacy.open_till("counter-1")
    till.connect(pharmacy.server.base)
    referrer = cards.issue(till.replica, name="Bina", phone="9000000971").card_number
    number = cards.issue(till.replica, name="Asha", phone="9000000972", referrer=referrer).card_number
    cards.adjust(till.replica, number, "1000", reason="opening")
    till.sync_until_drained()

    at_till = bills.quote(till.replica, number, bill_from_json(BILL)).to_json()
    on_central = body(pharmacy.admin.post("/api/v1/internal/cards/calculate", {"cardNumber": number, **BILL}))
    for name in ("netAmount", "redeemableNet", "amountDeducted", "payable", "pointsEarned", "referrerPointsEarned", "rewardPoints", "maxRedeemablePoints"):
        assert at_till[name] == on_central[name], name
    assert at_till["earnBreakdown"] == on_central["earnBreakdown"]
    baby = next(e for e in at_till["earnBreakdown"] if e["categoryId"] == 3)
    assert (baby["promotionId"], baby["multiplier"]) == (7, D("2.00"))
    assert next(line for line in at_till["lines"] if line["categoryId"] == 1)["pointsDiscount"] == 0

    sold = bills.finalize(till.replica, number, bill_from_json(BILL), bill_id="PROG-1").result
    assert sold["rewardPoints"] == D("150.00")
    till.sync_until_drained()
    assert pharmacy.flags("RULES_MISMATCH") == [] and pharmacy.flags("MUTATION_REJECTED") == []
    for card in (number, referrer):
        assert pharmacy.card(card)["pointsBalance"] == D(cards.find(till.replica, card).points_balance) / 100
    rows = body(pharmacy.admin.get(f"/api/v1/cards/{pharmacy.card(number)['id']}/transactions"))["content"]
    assert [(r["referenceType"], r["rewardId"], r["points"]) for r in rows if r["referenceType"] == "REWARD"] == [
        ("REWARD", "TOTE-BAG", D("-150.00"))
    ]


@BACKENDS
def test_a_reward_product_comes_back_at_the_till_and_on_the_central(pharmacy):
    from pos_loyalty.rules.returns import ReturnLineAsk, RewardAsk
    from pos_loyalty.services import returns

    programme(pharmacy)
    till = pharmacy.open_till("counter-1")
    till.connect(pharmacy.server.base)
    number = cards.issue(till.replica, name="Chitra", phone="9000000973").card_number
    cards.adjust(till.replica, number, "1000", reason="opening")
    till.sync_until_drained()
    two = {"items": [{"categoryId": 2, "amount": "200.00"}], "rewards": [{"rewardId": "TOTE-BAG", "quantity": 2}]}
    bills.finalize(till.replica, number, bill_from_json(two), bill_id="PROG-2")
    back = returns.return_lines(till.replica, "PROG-2", [], rewards=[RewardAsk("TOTE-BAG", 1)], return_id="R-TOTE")
    assert (back["pointsRefunded"], back["cashRefund"]) == (D("150.00"), 0)
    rest = returns.return_lines(till.replica, "PROG-2", [ReturnLineAsk(0)], rewards=[RewardAsk("TOTE-BAG")], return_id="R-REST")
    assert rest["pointsRefunded"] == D("150.00") and rest["cashRefund"] == D("200.00")
    till.sync_until_drained()
    assert pharmacy.flags("RULES_MISMATCH") == [] and pharmacy.flags("MUTATION_REJECTED") == []
    assert cards.find(till.replica, number).points_balance == 1000_00
    assert pharmacy.card(number)["pointsBalance"] == D("1000.00")
    online = pharmacy.admin.post(
        "/api/v1/internal/cards/return-points", {"billId": "PROG-2", "returnId": "R-MORE", "rewards": [{"rewardId": "TOTE-BAG"}]}
    )
    assert online.status_code == 422 and body(online)["error"]["code"] == "RETURN_EXCEEDS_BILL"
