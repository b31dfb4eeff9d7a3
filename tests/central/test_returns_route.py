"""`POST /internal/cards/return-points` on a real server (SQLite and PostgreSQL): part of a
billing system's bill comes back; returns telescope to the bill to the hundredth; a repeat
answers the first return; what cannot be returned is refused with nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest

from central_data import EARN, REDEEM, REVERSE, error, figures, issue, ledger_holds, written
from central_harness import body

RETURN = "/api/v1/internal/cards/return-points"
D = Decimal


@pytest.fixture
def sold(tenant):
    """Seed 002's bill with a redemption first: Medicines 500.00 and General 500.00, 100 points off."""
    issue(tenant, "REF001")
    issue(tenant, "CARD001", referrer="REF001", balance="400")
    assert tenant.device.post(REDEEM, {"cardNumber": "CARD001", "points": 100, "billId": "B-1", "billAmount": 1000}).status_code == 200
    earn = {
        "cardNumber": "CARD001",
        "billId": "B-1",
        "billAmount": "990.00",
        "items": [{"categoryId": 1, "amount": "495.00"}, {"categoryId": 2, "amount": "495.00"}],
    }
    earned = tenant.device.post(EARN, earn)
    assert earned.status_code == 200, earned.text
    return body(earned)


def test_part_then_the_rest_gives_back_exactly_the_bill(tenant, sold):
    part = tenant.device.post(RETURN, {"billId": "B-1", "returnId": "R-1", "lines": [{"line": 1, "amount": "200.00"}]})
    assert part.status_code == 200, part.text
    first = body(part)
    assert first["cashRefund"] == D("200.00")
    # 50 of the 100 points paid for General (spread by what was paid); 295/495 of them stay: 29.80.
    assert first["pointsRefunded"] == D("20.20")
    assert first["pointsReversed"] == D("6.00")  # General earned 14.85 on 495.00 at 3 %; on 295.00 it is 8.85
    assert [r["transactionType"] for r in first["rows"]] == ["REVERSED"] * len(first["rows"])
    rest = body(tenant.device.post(RETURN, {"billId": "B-1", "returnId": "R-2", "lines": [{"line": 0}, {"line": 1}]}))
    assert first["cashRefund"] + rest["cashRefund"] == D("990.00")
    assert first["pointsRefunded"] + rest["pointsRefunded"] == D("100.00")
    assert first["pointsReversed"] + rest["pointsReversed"] == sold["pointsEarned"]
    assert first["referrerPointsReversed"] + rest["referrerPointsReversed"] == sold["referrerPointsEarned"]
    # Everything is back: both cards as before the bill's earn, and before its redemption.
    customer, referrer = figures(tenant, "CARD001"), figures(tenant, "REF001")
    assert customer[0] == 400_00 and referrer[0] == 0
    ledger_holds(tenant, "CARD001")
    ledger_holds(tenant, "REF001")
    # A reversal now has nothing left to take.
    reversed_now = body(tenant.device.post(REVERSE, {"billId": "B-1"}))
    assert reversed_now["rows"] == []


def test_a_repeat_answers_the_first_return_and_another_body_is_a_conflict(tenant, sold):
    asked = {"billId": "B-1", "returnId": "R-9", "lines": [{"line": 0, "amount": "100"}]}
    first = tenant.device.post(RETURN, asked)
    after = written(tenant)
    again = tenant.device.post(RETURN, {**asked, "lines": [{"line": 0, "amount": "100.00"}]})  # the same, written otherwise
    assert again.status_code == 200 and body(again) == body(first) and written(tenant) == after
    other = tenant.device.post(RETURN, {**asked, "lines": [{"line": 0, "amount": "50"}]})
    assert other.status_code == 409 and error(other)["code"] == "IDEMPOTENCY_CONFLICT"
    assert written(tenant) == after


@pytest.mark.parametrize(
    ("doc", "status", "code", "field"),
    [
        ({"billId": "B-1", "returnId": "R-X", "lines": [{"line": 0, "amount": "495.01"}]}, 422, "RETURN_EXCEEDS_BILL", None),
        ({"billId": "B-1", "returnId": "R-X", "lines": [{"line": 0, "quantity": 1}]}, 400, "INVALID_INPUT", "lines"),
        ({"billId": "B-1", "returnId": "R-X", "lines": [{"line": 7}]}, 400, "INVALID_INPUT", "lines"),
        ({"billId": "B-1", "returnId": "R X", "lines": [{"line": 0}]}, 400, "INVALID_INPUT", "returnId"),
        ({"billId": "B-1", "returnId": "R-X", "lines": []}, 400, "INVALID_INPUT", "lines"),
        ({"billId": "B-1", "returnId": "R-X", "lines": [{"line": 0, "amount": 1, "quantity": 1}]}, 400, "INVALID_INPUT", "lines[0]"),
        ({"billId": "NOPE", "returnId": "R-X", "lines": [{"line": 0}]}, 404, "BILL_NOT_FOUND", None),
        ({"billId": "B-1", "returnId": "R-X", "lines": [{"line": 0}], "extra": 1}, 400, "INVALID_INPUT", "extra"),
    ],
)
def test_what_cannot_be_returned_is_refused_and_nothing_written(tenant, sold, doc, status, code, field):
    before = written(tenant)
    answer = tenant.device.post(RETURN, doc)
    assert answer.status_code == status, answer.text
    assert error(answer)["code"] == code
    if field:
        assert error(answer)["field"].startswith(field)
    assert written(tenant) == before


def test_a_reversed_bill_cannot_come_back_and_a_return_id_is_one_bills(tenant, sold):
    assert tenant.device.post(RETURN, {"billId": "B-1", "returnId": "R-1", "lines": [{"line": 0, "amount": 1}]}).status_code == 200
    issue(tenant, "CARD002")
    other = {"cardNumber": "CARD002", "billId": "B-2", "billAmount": 10, "items": [{"categoryId": 1, "amount": 10}]}
    assert tenant.device.post(EARN, other).status_code == 200
    reused = tenant.device.post(RETURN, {"billId": "B-2", "returnId": "R-1", "lines": [{"line": 0}]})
    assert reused.status_code == 409 and error(reused)["code"] == "IDEMPOTENCY_CONFLICT"
    assert tenant.device.post(REVERSE, {"billId": "B-1"}).status_code == 200
    late = tenant.device.post(RETURN, {"billId": "B-1", "returnId": "R-2", "lines": [{"line": 1}]})
    assert late.status_code == 409 and error(late)["code"] == "ALREADY_REVERSED"
    assert figures(tenant, "CARD001")[0] == 400_00
