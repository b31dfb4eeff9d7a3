"""Holds on a real central service (SQLite and PostgreSQL): points reserved for a web shop's
pending payment, confirmed into the REDEEMED row redeem-points would write, released, or
lapsed by themselves; idempotent by billId; many clients holding on one card at once never
reserve more than it has; held points shown on the card and carried to tills by pull."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from central.store.models import PointHold
from central.store.tenants import create_tenant
from central_data import CALCULATE, REDEEM, REVERSE, error, issue, ledger_holds, own, rows
from central_harness import Client, body, pull_all

HOLD = "/api/v1/internal/cards/hold"
D = Decimal


def confirm_path(hold_id) -> str:
    return f"/api/v1/internal/cards/holds/{hold_id}/confirm"


def release_path(hold_id) -> str:
    return f"/api/v1/internal/cards/holds/{hold_id}/release"


def hold_body(number: str, points, bill: str, amount=1000, **more) -> dict:
    return {"cardNumber": number, "points": points, "billId": bill, "billAmount": amount, **more}


def shown(tenant, number: str) -> dict:
    answer = tenant.admin.get(f"/api/v1/cards/by-number/{number}")
    assert answer.status_code == 200, answer.text
    return body(answer)


def held_rows(tenant) -> int:
    statement = select(func.count()).select_from(PointHold).where(PointHold.tenant_id == tenant.tenant_id)
    return tenant.store.run(lambda unit: unit.connection.execute(statement).scalar_one(), write=False)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


# --- hold, confirm, release -------------------------------------------------------------------


def test_held_points_cannot_be_spent_and_confirming_writes_redeem_points_row(tenant):
    issue(tenant, "WEB001", balance="500")
    before = datetime.utcnow()
    answer = tenant.device.post(HOLD, hold_body("WEB001", 300, "ORDER-1"))
    assert answer.status_code == 200, answer.text
    held = body(answer)
    assert (held["points"], held["amountDeducted"], held["availableBalance"]) == (D("300.00"), D("30.00"), D("200.00"))
    assert before + timedelta(seconds=899) <= utc(answer.json()["expiresAt"]) <= datetime.utcnow() + timedelta(seconds=901)
    card = shown(tenant, "WEB001")
    assert (card["pointsBalance"], card["heldPoints"], card["availableBalance"]) == (D("500.00"), D("300.00"), D("200.00"))
    assert rows(tenant, reference_id="ORDER-1") == []  # a hold writes no ledger row

    # Nobody else may spend the held points: not redeem-points, not a quote.
    refused = tenant.device.post(REDEEM, {"cardNumber": "WEB001", "points": 300, "billId": "COUNTER-9"})
    assert refused.status_code == 422 and error(refused)["code"] == "INSUFFICIENT_POINTS"
    quote = body(tenant.device.post(CALCULATE, {"cardNumber": "WEB001", "items": [{"categoryId": 1, "amount": 1000}]}))
    assert quote["availablePoints"] == D("200.00") and quote["maxRedeemablePoints"] == D("200.00")

    confirmed = tenant.device.post(confirm_path(held["holdId"]))
    assert confirmed.status_code == 200, confirmed.text
    assert body(confirmed) == {
        "billId": "ORDER-1",
        "cardId": card["id"],
        "cardNumber": "WEB001",
        "pointsRedeemed": D("300.00"),
        "amountDeducted": D("30.00"),
        "newBalance": D("200.00"),
    }
    assert [(r.transaction_type, r.points, r.bill_amount, r.reference_type) for r in rows(tenant, reference_id="ORDER-1")] == [
        ("REDEEMED", -300_00, 1000_00, "BILL")
    ]
    card = shown(tenant, "WEB001")
    assert (card["pointsBalance"], card["heldPoints"], card["availableBalance"]) == (D("200.00"), D("0.00"), D("200.00"))
    assert card["totalPointsRedeemed"] == D("300.00")
    ledger_holds(tenant, "WEB001")

    again = tenant.device.post(confirm_path(held["holdId"]))
    assert again.status_code == 200 and body(again) == body(confirmed)
    assert len(rows(tenant, reference_id="ORDER-1")) == 1
    too_late = tenant.device.post(release_path(held["holdId"]))
    assert too_late.status_code == 409 and error(too_late)["code"] == "HOLD_CONFIRMED"
    # The confirmed hold's bill is a bill like redeem-points' own: reversing gives the points back.
    reversed_ = tenant.device.post(REVERSE, {"billId": "ORDER-1"})
    assert reversed_.status_code == 200, reversed_.text
    assert shown(tenant, "WEB001")["pointsBalance"] == D("500.00")


def test_a_released_hold_frees_its_points_and_its_bill_may_be_held_again(tenant):
    issue(tenant, "WEB002", balance="500")
    first = body(tenant.admin.post(HOLD, hold_body("WEB002", 400, "ORDER-2")))
    assert shown(tenant, "WEB002")["availableBalance"] == D("100.00")
    released = tenant.admin.post(release_path(first["holdId"]))
    assert released.status_code == 200 and body(released) == {"released": True}
    repeat = tenant.admin.post(release_path(first["holdId"]))
    assert repeat.status_code == 200 and body(repeat) == {"released": True}
    card = shown(tenant, "WEB002")
    assert (card["heldPoints"], card["availableBalance"]) == (D("0.00"), D("500.00"))
    late = tenant.admin.post(confirm_path(first["holdId"]))
    assert late.status_code == 409 and error(late)["code"] == "HOLD_RELEASED"
    assert rows(tenant, reference_id="ORDER-2") == []

    # The customer pays again for the same order: a new hold, which confirms.
    second = body(tenant.admin.post(HOLD, hold_body("WEB002", 400, "ORDER-2")))
    assert second["holdId"] != first["holdId"] and second["availableBalance"] == D("100.00")
    assert tenant.admin.post(confirm_path(second["holdId"])).status_code == 200
    assert shown(tenant, "WEB002")["pointsBalance"] == D("100.00")


def test_a_hold_lapses_by_itself_at_expires_at(tenant):
    issue(tenant, "WEB003", balance="500")
    held = body(tenant.device.post(HOLD, hold_body("WEB003", 500, "ORDER-3", ttlSeconds=1)))
    assert shown(tenant, "WEB003")["availableBalance"] == D("0.00")
    time.sleep(1.2)  # nothing runs in between: the hold counts no more once its time has come
    card = shown(tenant, "WEB003")
    assert (card["heldPoints"], card["availableBalance"]) == (D("0.00"), D("500.00"))
    late = tenant.device.post(confirm_path(held["holdId"]))
    assert late.status_code == 409 and error(late)["code"] == "HOLD_EXPIRED"
    assert "lapsed" in error(late)["message"]
    assert rows(tenant, reference_id="ORDER-3") == []
    spent = tenant.device.post(REDEEM, {"cardNumber": "WEB003", "points": 500, "billId": "COUNTER-3"})
    assert spent.status_code == 200, spent.text
    # Releasing a lapsed hold is harmless, and its bill can be held again.
    assert body(tenant.device.post(release_path(held["holdId"]))) == {"released": True}


def test_a_hold_is_idempotent_by_bill_id(tenant):
    issue(tenant, "WEB004", balance="1000")
    first = tenant.device.post(HOLD, hold_body("WEB004", 200, "ORDER-4"))
    again = tenant.device.post(HOLD, '{"cardNumber": "WEB004", "points": 200.00, "billId": "ORDER-4", "billAmount": 1000.00}')
    assert again.status_code == 200 and body(again) == body(first)
    assert held_rows(tenant) == 1 and shown(tenant, "WEB004")["heldPoints"] == D("200.00")
    other = tenant.device.post(HOLD, hold_body("WEB004", 300, "ORDER-4"))
    assert other.status_code == 409 and error(other)["code"] == "IDEMPOTENCY_CONFLICT"
    assert error(other)["holdId"] == body(first)["holdId"]
    # Confirmed, the same request still answers the hold; a redemption on the bill is refused.
    assert tenant.device.post(confirm_path(body(first)["holdId"])).status_code == 200
    assert body(tenant.device.post(HOLD, hold_body("WEB004", 200, "ORDER-4"))) == body(first)
    twice = tenant.device.post(REDEEM, {"cardNumber": "WEB004", "points": 200, "billId": "ORDER-4"})
    assert twice.status_code == 409 and error(twice)["code"] == "IDEMPOTENCY_CONFLICT"
    assert held_rows(tenant) == 1 and shown(tenant, "WEB004")["pointsBalance"] == D("800.00")


def test_the_redemption_rules_apply_to_the_available_balance(tenant):
    issue(tenant, "WEB005", balance="700")
    issue(tenant, "WEB006", balance="700")
    refused = {
        "MIN_POINTS_NOT_MET": hold_body("WEB005", 50, "R-1"),
        "EXCEEDS_MAX_REDEMPTION": hold_body("WEB005", 600, "R-2", amount=100),  # 50% of 100.00 is 500 points
    }
    for code, request in refused.items():
        answer = tenant.device.post(HOLD, request)
        assert answer.status_code == 422 and error(answer)["code"] == code, answer.text
    assert tenant.device.post(HOLD, hold_body("WEB005", 400, "R-3")).status_code == 200
    beyond = tenant.device.post(HOLD, hold_body("WEB005", 400, "R-4"))
    assert beyond.status_code == 422 and error(beyond)["code"] == "INSUFFICIENT_POINTS"
    assert "300.00" in error(beyond)["message"]
    # A bill has one card: another card's hold on it is refused.
    clash = tenant.device.post(HOLD, hold_body("WEB006", 200, "R-3"))
    assert clash.status_code == 409 and error(clash)["code"] == "IDEMPOTENCY_CONFLICT"
    assert tenant.admin.delete("/api/v1/cards/" + str(shown(tenant, "WEB006")["id"])).status_code == 200
    inactive = tenant.device.post(HOLD, hold_body("WEB006", 200, "R-5"))
    assert inactive.status_code == 422 and error(inactive)["code"] == "CARD_INACTIVE"
    missing = tenant.device.post(HOLD, hold_body("NOSUCH01", 200, "R-6"))
    assert missing.status_code == 404 and error(missing)["code"] == "CARD_NOT_FOUND"
    assert held_rows(tenant) == 1


def test_bad_input_is_named_and_writes_nothing(tenant):
    issue(tenant, "WEB007", balance="500")
    bad = [
        ("ttlSeconds", hold_body("WEB007", 100, "B-1", ttlSeconds=0)),
        ("ttlSeconds", hold_body("WEB007", 100, "B-1", ttlSeconds=86_401)),
        ("ttlSeconds", hold_body("WEB007", 100, "B-1", ttlSeconds="soon")),
        ("points", hold_body("WEB007", 0, "B-1")),
        ("billAmount", hold_body("WEB007", 100, "B-1", amount=-5)),
        ("billId", hold_body("WEB007", 100, "bad bill id")),
        ("pointz", {**hold_body("WEB007", 100, "B-1"), "pointz": 100}),
    ]
    for field, request in bad:
        answer = tenant.device.post(HOLD, request)
        assert answer.status_code == 400, answer.text
        assert (error(answer)["code"], error(answer)["field"]) == ("INVALID_INPUT", field)
    without_amount = {key: value for key, value in hold_body("WEB007", 100, "B-1").items() if key != "billAmount"}
    assert error(tenant.device.post(HOLD, without_amount))["field"] == "billAmount"
    for path in (confirm_path("x"), confirm_path(0), release_path(99_999_999)):
        answer = tenant.device.post(path)
        assert answer.status_code in (400, 404), answer.text
    assert error(tenant.device.post(confirm_path(99_999_999)))["code"] == "HOLD_NOT_FOUND"
    assert held_rows(tenant) == 0


def test_another_pharmacy_never_sees_a_hold(tenant):
    issue(tenant, "WEB008", balance="500")
    held = body(tenant.device.post(HOLD, hold_body("WEB008", 100, "ORDER-8")))
    other = create_tenant(tenant.store, "Another Pharmacy", sample_config=True)
    stranger = Client(tenant.server.base, other.admin_token)
    for path in (confirm_path(held["holdId"]), release_path(held["holdId"])):
        answer = stranger.post(path)
        assert answer.status_code == 404 and error(answer)["code"] == "HOLD_NOT_FOUND"
    assert stranger.post(HOLD, hold_body("WEB008", 100, "ORDER-8")).status_code == 404
    assert shown(tenant, "WEB008")["heldPoints"] == D("100.00")


# --- many clients at once ------------------------------------------------------------------


def test_many_clients_holding_on_one_card_at_once_never_reserve_more_than_it_has(tenant):
    issue(tenant, "WEB009", balance="1000")
    start = threading.Barrier(24)

    def attempt(index: int) -> tuple[int, dict]:
        client = own(tenant.device)
        start.wait()
        answer = client.post(HOLD, hold_body("WEB009", 100, f"RUSH-{index}"))
        return answer.status_code, body(answer)

    with ThreadPoolExecutor(24) as pool:
        outcomes = list(pool.map(attempt, range(24)))
    made = [answer for status, answer in outcomes if status == 200]
    assert len(made) == 10, outcomes
    assert {answer["error"]["code"] for status, answer in outcomes if status != 200} == {"INSUFFICIENT_POINTS"}
    assert sorted(answer["availableBalance"] for answer in made) == [D(100 * n) for n in range(10)]
    card = shown(tenant, "WEB009")
    assert (card["heldPoints"], card["availableBalance"]) == (D("1000.00"), D("0.00"))

    # The same bill held by many clients at once is one hold.
    issue(tenant, "WEB010", balance="1000")
    same = threading.Barrier(12)

    def repeat(_index: int) -> dict:
        client = own(tenant.admin)
        same.wait()
        return body(client.post(HOLD, hold_body("WEB010", 300, "ONE-ORDER")))

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(repeat, range(12)))
    assert len({answer["holdId"] for answer in answers}) == 1
    assert shown(tenant, "WEB010")["heldPoints"] == D("300.00")

    # Confirming them all at once spends exactly what was held.
    def settle(answer: dict) -> int:
        return own(tenant.device).post(confirm_path(answer["holdId"])).status_code

    with ThreadPoolExecutor(10) as pool:
        assert set(pool.map(settle, made + made)) == {200}
    card = shown(tenant, "WEB009")
    assert (card["pointsBalance"], card["heldPoints"], card["totalPointsRedeemed"]) == (D("0.00"), D("0.00"), D("1000.00"))
    ledger_holds(tenant, "WEB009")


# --- tills learn held points by pull ---------------------------------------------------------


def test_pull_carries_each_cards_held_points_and_when_they_lapse(tenant):
    issue(tenant, "WEB011", balance="500")
    _changes, cursor, _pages = pull_all(tenant.device)
    held = body(tenant.admin.post(HOLD, hold_body("WEB011", 200, "ORDER-11", ttlSeconds=600)))
    changes, cursor, _pages = pull_all(tenant.device, cursor)
    [pulled] = [change["card"] for change in changes if change["type"] == "card"]
    assert pulled["cardNumber"] == "WEB011" and pulled["heldPoints"] == D("200.00")
    assert pulled["holds"] == [{"expiresAt": held["expiresAt"], "points": D("200.00")}]
    assert tenant.admin.post(release_path(held["holdId"])).status_code == 200
    changes, _cursor, _pages = pull_all(tenant.device, cursor)
    [pulled] = [change["card"] for change in changes if change["type"] == "card"]
    assert (pulled["heldPoints"], pulled["holds"]) == (D("0.00"), [])
