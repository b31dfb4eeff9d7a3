"""The Reports routes (`central-api.md`, wave 2) against a real service, on both databases:
the figures of seed 002's bill and a redemption, as a head office reads them."""

from __future__ import annotations

from decimal import Decimal as D

from central_data import EARN, REDEEM, SEED_EARN, issue
from central_harness import body
from pos_loyalty.rules.config import SAMPLE_CONFIG_JSON


def _sell(tenant) -> None:
    """CARD001 (200 points opening) referred by CARD002; seed 002's bill 123 earned (20.00,
    and 5.00 for the referrer); 100 points redeemed on bill 124 (10.00 off at 0.10)."""
    issue(tenant, "CARD002")
    issue(tenant, "CARD001", referrer="CARD002", balance="200")
    assert tenant.device.post(EARN, SEED_EARN).status_code == 200
    redeemed = tenant.device.post(REDEEM, {"cardNumber": "CARD001", "points": 100, "billId": 124, "billAmount": 1000})
    assert redeemed.status_code == 200, redeemed.text


def test_the_summary_gives_each_day_and_till_its_points_and_money(tenant):
    _sell(tenant)
    summary = body(tenant.admin.get("/api/v1/reports/summary"))
    assert len(summary["days"]) == 30 and summary["to"] == summary["days"][-1]["date"]
    today = summary["days"][-1]
    expected = {
        "pointsIssued": D("25.00"), "pointsRedeemed": D("100.00"), "pointsReturned": D("0.00"),
        "pointsRefunded": D("0.00"), "pointsExpired": D("0.00"), "pointsAdjusted": D("200.00"),
        "moneyDeducted": D("10.00"), "bills": 2, "redemptionRate": D("400.00"),
    }
    assert {key: today[key] for key in expected} == expected
    assert {key: summary["total"][key] for key in expected} == expected
    assert all(day["bills"] == 0 for day in summary["days"][:-1])
    tills = {till["name"]: till for till in summary["tills"]}
    assert tills["Counter 1"]["pointsIssued"] == D("25.00") and tills["Counter 1"]["moneyDeducted"] == D("10.00")
    assert tills["Head office (admin)"]["pointsAdjusted"] == D("200.00")

    # A reversal takes the bill's points back: they show as returned, the redemption as refunded.
    assert tenant.device.post("/api/v1/internal/cards/reverse-points", {"billId": 124}).status_code == 200
    again = body(tenant.admin.get("/api/v1/reports/summary", params={"from": today["date"], "to": today["date"]}))
    assert len(again["days"]) == 1 and again["total"]["pointsRefunded"] == D("100.00")


def test_liability_top_customers_and_referrals(tenant):
    _sell(tenant)
    liability = body(tenant.admin.get("/api/v1/reports/liability"))
    assert liability["pointsOutstanding"] == D("125.00") and liability["moneyValue"] == D("12.50")
    assert liability["cardsWithPoints"] == 2 and [e["points"] for e in liability["expiring"]] == [0, 0, 0]
    assert tenant.admin.put("/api/v1/card-config", {**SAMPLE_CONFIG_JSON, "pointsExpiryDays": 20}).status_code == 200
    expiring = body(tenant.admin.get("/api/v1/reports/liability"))["expiring"]
    assert [(e["withinDays"], e["points"], e["moneyValue"]) for e in expiring] == [
        (30, D("125.00"), D("12.50")), (60, D("125.00"), D("12.50")), (90, D("125.00"), D("12.50"))
    ]

    top = body(tenant.admin.get("/api/v1/reports/top-customers", params={"limit": 1}))
    assert isinstance(top, list), top
    assert [(c["cardNumber"], c["totalPointsEarned"], c["bills"], c["moneyPaid"]) for c in top] == [
        ("CARD001", D("20.00"), 2, D("1000.00"))
    ]
    referrals = body(tenant.admin.get("/api/v1/reports/referrals"))
    assert (referrals["referrers"], referrals["referredCards"], referrals["referredCardsWithBills"]) == (1, 1, 1)
    assert referrals["referralPoints"] == D("5.00") and referrals["moneyPaidByReferred"] == D("1000.00")
    assert referrals["top"][0]["cardNumber"] == "CARD002"


def test_bad_periods_are_refused_naming_the_field_and_tills_may_not_read_reports(tenant):
    for params, field in (
        ({"from": "2026-02-30"}, "from"), ({"to": "yesterday"}, "to"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "from"), ({"from": "2024-01-01", "to": "2026-01-01"}, "from"),
    ):
        refused = tenant.admin.get("/api/v1/reports/summary", params=params)
        assert refused.status_code == 400 and body(refused)["error"]["field"] == field, params
    assert tenant.device.get("/api/v1/reports/liability").status_code == 403
    assert tenant.anonymous.get("/api/v1/reports/referrals").status_code == 401
