"""A bill finalized at a till and then sent by the billing system to `earn-points` or
`redeem-points` under the same bill id: its points are already on the central service,
so the second way is refused (409 IDEMPOTENCY_CONFLICT) and writes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from central_harness import body
from pos_loyalty.services import bills, cards
from support import make_bill

BACKENDS = pytest.mark.parametrize("server", ["sqlite", "postgresql"], indirect=True)
D = Decimal


@BACKENDS
def test_a_tills_bill_sent_again_to_earn_or_redeem_is_refused_and_changes_nothing(pharmacy):
    till = pharmacy.open_till("counter-1")
    till.connect(pharmacy.server.base)
    number = cards.issue(till.replica, name="Asha Twice", phone="9000000911").card_number
    bills.finalize(till.replica, number, make_bill((2, "5000.00")), bill_id="TILL-6")  # 250 points
    # The bill sent twice: it earns and redeems at the till.
    bills.finalize(till.replica, number, make_bill((2, "1000.00"), redeem="100"), bill_id="TILL-7")
    till.sync_until_drained()
    before = pharmacy.card(number)
    assert before["totalPointsRedeemed"] == D("100") and before["pointsBalance"] > 0

    earn = pharmacy.admin.post(
        "/api/v1/internal/cards/earn-points",
        {"cardNumber": number, "billId": "TILL-7", "billAmount": D("1000.00"), "items": [{"categoryId": 2, "amount": D("1000.00")}]},
    )
    redeem = pharmacy.admin.post(
        "/api/v1/internal/cards/redeem-points",
        {"cardNumber": number, "billId": "TILL-7", "points": D("1.00")},
    )
    for answer, kind in ((earn, "EARNED"), (redeem, "REDEEMED")):
        assert answer.status_code == 409, answer.text
        problem = body(answer)["error"]
        assert problem["code"] == "IDEMPOTENCY_CONFLICT"
        assert f"already has {kind} points, recorded another way" in problem["message"]
    assert pharmacy.card(number) == before

    # A new bill id earns as usual: the refusal was for that bill alone.
    fresh = pharmacy.admin.post(
        "/api/v1/internal/cards/earn-points",
        {"cardNumber": number, "billId": "ONLINE-8", "billAmount": D("100.00"), "items": [{"categoryId": 2, "amount": D("100.00")}]},
    )
    assert fresh.status_code == 200, fresh.text
    assert body(fresh)["newBalance"] > before["pointsBalance"]
