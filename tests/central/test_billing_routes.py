"""The billing routes (`/internal/cards/...`) against a real server, on SQLite and PostgreSQL.

Seed 002's own request bodies, the spec's worked example, idempotent replays, reversal,
every kind of bad input (with nothing written), and many tills on one card at once.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import update

from central.store.models import Card
from central.store.tenants import create_tenant
from central_data import (
    SEED_OTHER_EARN,
    CALCULATE,
    EARN,
    REDEEM,
    REVERSE,
    SEED_EARN,
    card,
    change_config,
    error,
    figures,
    issue,
    ledger_holds,
    own,
    rows,
    written,
)
from central_harness import Client, body

# --- seed 002's flows and the worked example ------------------------------------------------


def test_seed_earn_flow_with_its_exact_body(tenant):
    issue(tenant, "REF001")
    issue(tenant, "CARD001", referrer="REF001")
    answer = tenant.device.post(EARN, SEED_EARN)
    assert answer.status_code == 200, answer.text
    assert b'"pointsEarned":20.00' in answer.content and b'"referrerPointsEarned":5.00' in answer.content
    earned = body(answer)
    assert earned["newBalance"] == Decimal("20.00") and earned["billId"] == "123"
    assert [(e["categoryName"], e["points"]) for e in earned["earnBreakdown"]] == [
        ("Medicines", Decimal("5.00")),
        ("General", Decimal("15.00")),
    ]
    posted = rows(tenant, reference_id="123")
    assert [(r.transaction_type, r.points, r.bill_amount, r.category_id, r.reference_type) for r in posted] == [
        ("EARNED", 500, 50000, 1, "BILL"),
        ("EARNED", 1500, 50000, 2, "BILL"),
        ("REFERRAL_EARNED", 500, 100000, None, "REFERRAL"),
    ]
    assert {(r.performed_by, r.device_id) for r in posted} == {("device:Counter 1", tenant.device_id)}
    customer, referrer = card(tenant, "CARD001"), card(tenant, "REF001")
    assert posted[2].card_id == referrer.id and posted[2].referred_card_id == customer.id
    assert figures(tenant, "CARD001") == (2000, 2000, 0, 0)
    assert figures(tenant, "REF001") == (500, 0, 0, 500)


def test_seed_redeem_flow_with_its_exact_body(tenant):
    customer = issue(tenant, "CARD001", balance="300")
    seed_body = f'{{"cardId": {customer.id}, "points": 50, "billId": 123}}'
    refused = tenant.device.post(REDEEM, seed_body)  # the sample configuration's minimum is 100
    assert refused.status_code == 422 and error(refused)["code"] == "MIN_POINTS_NOT_MET"
    change_config(tenant, minPointsToRedeem=50)
    answer = tenant.device.post(REDEEM, seed_body)
    assert answer.status_code == 200, answer.text
    assert b'"amountDeducted":5.00' in answer.content and body(answer)["newBalance"] == Decimal("250.00")
    (row,) = rows(tenant, transaction_type="REDEEMED")
    assert (row.points, row.balance_after, row.reference_id, row.bill_amount) == (-5000, 25000, "123", None)
    assert figures(tenant, "CARD001") == (25000, 0, 5000, 0)


def test_the_worked_example_quoted_then_redeemed_and_earned(tenant):
    issue(tenant, "REFB01")
    issue(tenant, "CARDA1", referrer="REFB01", balance="1000")
    before = written(tenant)
    items = [{"categoryId": 1, "amount": 500}, {"categoryId": 2, "amount": "500.00"}]
    bill = {"cardNumber": "CARDA1", "items": items, "redeemPoints": 200}
    quote = body(tenant.device.post(CALCULATE, bill))
    assert [quote[f] for f in ("netAmount", "amountDeducted", "payable")] == [975, 20, 955]
    assert (quote["pointsEarned"], quote["referrerPointsEarned"]) == (Decimal("19.34"), Decimal("4.77"))
    assert quote["maxRedeemablePoints"] == Decimal("1000.00")
    assert [e["amount"] for e in quote["earnBreakdown"]] == [Decimal("465.26"), Decimal("489.74")]
    assert body(tenant.admin.post(CALCULATE, bill)) == quote  # an admin token quotes too
    priced = {"items": [{"categoryId": 1, "quantity": "2.5", "unitPrice": 200}, {"categoryId": 2, "amount": 500}]}
    assert body(tenant.device.post(CALCULATE, priced))["payable"] == 1000  # no card: no discount
    assert written(tenant) == before  # quoting writes nothing

    redeem = {"cardNumber": "CARDA1", "points": 200, "billId": "B-1", "billAmount": "975.00"}
    assert body(tenant.device.post(REDEEM, redeem))["amountDeducted"] == Decimal("20.00")
    paid = [{"categoryId": e["categoryId"], "amount": e["amount"]} for e in quote["earnBreakdown"]]
    earn = {"cardNumber": "CARDA1", "billId": "B-1", "billAmount": "955.00", "items": paid}
    earned = body(tenant.device.post(EARN, earn))
    assert (earned["pointsEarned"], earned["referrerPointsEarned"]) == (Decimal("19.34"), Decimal("4.77"))
    assert earned["newBalance"] == Decimal("819.34") and card(tenant, "REFB01").points_balance == 477


# --- idempotency ------------------------------------------------------------------------------


def test_a_repeat_returns_the_first_answer_and_a_different_body_is_a_conflict(tenant):
    issue(tenant, "REF001")
    issue(tenant, "CARD001", referrer="REF001", balance="500")
    first = tenant.device.post(EARN, SEED_EARN)
    after_first = written(tenant)
    same = tenant.device.post(EARN, SEED_EARN.replace("1000", '"1000.00"'))  # the same figures, written otherwise
    assert same.status_code == 200 and same.content == first.content
    assert same.headers["Idempotent-Replayed"] == "true" and written(tenant) == after_first
    different = tenant.device.post(EARN, SEED_OTHER_EARN)
    assert different.status_code == 409 and error(different)["code"] == "IDEMPOTENCY_CONFLICT"
    assert written(tenant) == after_first

    redeem = {"cardNumber": "CARD001", "points": 100, "billId": 123, "billAmount": 1000}
    redeemed = tenant.device.post(REDEEM, redeem)
    assert redeemed.status_code == 200 and tenant.device.post(REDEEM, redeem).content == redeemed.content
    conflict = tenant.device.post(REDEEM, {**redeem, "points": 150})
    assert conflict.status_code == 409 and error(conflict)["code"] == "IDEMPOTENCY_CONFLICT"
    assert len(rows(tenant, transaction_type="REDEEMED")) == 1
    assert tenant.device.post(EARN, SEED_EARN.replace("123", "777")).status_code == 200
    not_theirs = tenant.device.post(REDEEM, {**redeem, "cardNumber": "REF001", "billId": 777})
    assert not_theirs.status_code == 409 and "one card" in error(not_theirs)["message"]


def test_the_idempotency_key_header_means_the_same_request(tenant):
    issue(tenant, "CARD001")
    key = {"Idempotency-Key": "till-7-sale-42"}
    first = tenant.device.post(EARN, SEED_EARN, headers=dict(key))
    assert first.status_code == 200
    before = written(tenant)
    assert tenant.device.post(EARN, SEED_EARN, headers=dict(key)).content == first.content
    reused = tenant.device.post(EARN, SEED_EARN.replace("123", "124"), headers=dict(key))  # another bill
    assert reused.status_code == 409 and error(reused)["code"] == "IDEMPOTENCY_CONFLICT"
    other = create_tenant(tenant.store, "Another Pharmacy", sample_config=True)
    issue(tenant, "CARD001", tenant_id=other.tenant_id)
    theirs = Client(tenant.server.base, other.admin_token).post(EARN, SEED_EARN, headers=dict(key))
    assert theirs.status_code == 200  # keys are per pharmacy
    bad = tenant.device.post(EARN, SEED_EARN.replace("123", "125"), headers={"Idempotency-Key": "x" * 201})
    assert bad.status_code == 400 and error(bad)["field"] == "Idempotency-Key"
    assert written(tenant) == before


def test_identical_requests_at_once_apply_once(tenant):
    issue(tenant, "REF001")
    issue(tenant, "CARD001", referrer="REF001", balance="1000")
    start = threading.Barrier(8)

    def send(path, doc):
        client = own(tenant.device)
        start.wait()
        return client.post(path, doc)

    redeem = {"cardNumber": "CARD001", "points": 300, "billId": 123, "billAmount": 1000}
    for path, doc in ((EARN, SEED_EARN), (REDEEM, redeem)):
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: send(path, doc), range(8)))
        assert {a.status_code for a in answers} == {200} and len({a.content for a in answers}) == 1
    kinds = Counter(r.transaction_type for r in rows(tenant, reference_id="123"))
    assert kinds == {"EARNED": 2, "REFERRAL_EARNED": 1, "REDEEMED": 1}
    assert card(tenant, "CARD001").points_balance == 100000 + 2000 - 30000
    ledger_holds(tenant, "CARD001")


# --- reversal ---------------------------------------------------------------------------------


def test_reverse_restores_the_balances_and_totals_of_card_and_referrer(tenant):
    issue(tenant, "REF001", balance="10")
    issue(tenant, "CARD001", referrer="REF001", balance="400")
    before = figures(tenant, "CARD001"), figures(tenant, "REF001")
    redeem = {"cardNumber": "CARD001", "points": 100, "billId": 123, "billAmount": 1000}
    assert tenant.device.post(REDEEM, redeem).status_code == 200
    assert tenant.admin.post(EARN, SEED_EARN).status_code == 200
    answer = tenant.admin.post(REVERSE, {"billId": 123})
    assert answer.status_code == 200, answer.text
    reversal = body(answer)["rows"]
    assert [(r["transactionType"], r["points"], r["referenceType"], r["cardNumber"]) for r in reversal] == [
        ("REVERSED", Decimal("100.00"), "BILL", "CARD001"),
        ("REVERSED", Decimal("-5.00"), "BILL", "CARD001"),
        ("REVERSED", Decimal("-15.00"), "BILL", "CARD001"),
        ("REVERSED", Decimal("-5.00"), "REFERRAL", "REF001"),
    ]
    originals = [r.id for r in rows(tenant, reference_id="123") if r.transaction_type != "REVERSED"]
    assert [r["reversesId"] for r in reversal] == originals
    assert all(r["performedBy"].startswith("admin:") for r in reversal)
    assert (figures(tenant, "CARD001"), figures(tenant, "REF001")) == before
    ledger_holds(tenant, "CARD001")
    settled = written(tenant)
    assert tenant.device.post(REVERSE, {"billId": "123"}).content == answer.content  # the same answer
    again = tenant.device.post(EARN, SEED_OTHER_EARN)  # bill 123's earn was another
    assert again.status_code == 409 and error(again)["code"] == "IDEMPOTENCY_CONFLICT"
    assert written(tenant) == settled

    tenant.device.post(REDEEM, {**redeem, "billId": 124})
    tenant.device.post(REVERSE, {"billId": 124})
    settled = written(tenant)
    late = tenant.device.post(EARN, SEED_EARN.replace("123", "124"))
    assert late.status_code == 409 and error(late)["code"] == "ALREADY_REVERSED"
    unknown = tenant.device.post(REVERSE, {"billId": "no-such-bill"})
    assert unknown.status_code == 404 and error(unknown)["code"] == "BILL_NOT_FOUND"
    assert written(tenant) == settled


# --- bad input: the right status and code, and nothing written ----------------------------------


def _earn(**changes):  # a good body with `changes` (None leaves a field out)
    doc = {"cardNumber": "CARD001", "billId": 9, "billAmount": 500, "items": [{"categoryId": 1, "amount": 500}]}
    return {key: value for key, value in {**doc, **changes}.items() if value is not None}


def _redeem(**changes):
    doc = {"cardNumber": "CARD001", "points": 150, "billId": 9, "billAmount": 1000}
    return {key: value for key, value in {**doc, **changes}.items() if value is not None}


def _item(category=1, amount=5):
    return _earn(billAmount=amount, items=[{"categoryId": category, "amount": amount}])


def _quote(number=None, category=1, amount=5, **more):
    return {"cardNumber": number, "items": [{"categoryId": category, "amount": amount}], **more}


BAD = {  # name: (route, body, status, code, field)
    "malformed JSON": (EARN, '{"cardNumber": "CARD001", "billId": ', 400, "INVALID_INPUT", "(body)"),
    "not an object": (EARN, "[1, 2]", 400, "INVALID_INPUT", "(body)"),
    "amount as text": (EARN, _earn(billAmount="lots"), 400, "INVALID_INPUT", "billAmount"),
    "items not a list": (EARN, _earn(items={"categoryId": 1}), 400, "INVALID_INPUT", "items"),
    "no items": (EARN, _earn(items=[]), 400, "INVALID_INPUT", "items"),
    "category as text": (EARN, _item(category="one"), 400, "INVALID_INPUT", "items[0].categoryId"),
    "card number a number": (EARN, _earn(cardNumber=1), 400, "INVALID_INPUT", "cardNumber"),
    "bill id true": (EARN, _earn(billId=True), 400, "INVALID_INPUT", "billId"),
    "bill id a fraction": (EARN, _earn(billId=Decimal("1.5")), 400, "INVALID_INPUT", "billId"),
    "bill id too long": (EARN, _earn(billId="5" * 65), 400, "INVALID_INPUT", "billId"),
    "three decimals": (EARN, _earn(billAmount=Decimal("10.005")), 400, "INVALID_INPUT", "billAmount"),
    "item three decimals": (
        EARN,
        _earn(items=[{"categoryId": 1, "amount": Decimal("10.005")}]),
        400,
        "INVALID_INPUT",
        "items[0].amount",
    ),
    "negative amount": (EARN, _earn(items=[{"categoryId": 1, "amount": -5}]), 400, "INVALID_INPUT", "items[0].amount"),
    "negative bill": (EARN, _earn(billAmount=-1), 400, "INVALID_INPUT", "billAmount"),
    "unknown category": (EARN, _item(category=99), 400, "INVALID_INPUT", "items[0].categoryId"),
    "missing card": (EARN, _earn(cardNumber=None), 400, "INVALID_INPUT", "cardNumber"),
    "missing bill": (EARN, _earn(billId=None), 400, "INVALID_INPUT", "billId"),
    "missing bill amount": (EARN, _earn(billAmount=None), 400, "INVALID_INPUT", "billAmount"),
    "misspelt field": (EARN, _earn(billAmmount=5), 400, "INVALID_INPUT", "billAmmount"),
    "wrong check digit": (EARN, _earn(cardNumber="2900000000002"), 400, "INVALID_INPUT", "cardNumber"),
    "unknown card": (EARN, _earn(cardNumber="NOCARD"), 404, "CARD_NOT_FOUND", None),
    "inactive card": (EARN, _earn(cardNumber="SLEEPY1"), 422, "CARD_INACTIVE", None),
    "another tenant's card": (EARN, _earn(cardNumber="THEIRS1"), 404, "CARD_NOT_FOUND", None),
    "redeem points as text": (REDEEM, _redeem(points="all"), 400, "INVALID_INPUT", "points"),
    "redeem three decimals": (REDEEM, _redeem(points=Decimal("100.005")), 400, "INVALID_INPUT", "points"),
    "redeem negative": (REDEEM, _redeem(points=-150), 400, "INVALID_INPUT", "points"),
    "redeem zero": (REDEEM, _redeem(points=0), 400, "INVALID_INPUT", "points"),
    "redeem no card": (REDEEM, _redeem(cardNumber=None), 400, "INVALID_INPUT", "cardNumber"),
    "redeem bad card id": (REDEEM, _redeem(cardNumber=None, cardId="x"), 400, "INVALID_INPUT", "cardId"),
    "redeem too few points": (REDEEM, _redeem(points=50), 422, "MIN_POINTS_NOT_MET", None),
    "redeem over balance": (REDEEM, _redeem(points=2500, billAmount=10**5), 422, "INSUFFICIENT_POINTS", None),
    "redeem over the cap": (REDEEM, _redeem(points=600, billAmount=100), 422, "EXCEEDS_MAX_REDEMPTION", None),
    "redeem inactive card": (REDEEM, _redeem(cardNumber="SLEEPY1"), 422, "CARD_INACTIVE", None),
    "redeem their card": (REDEEM, _redeem(cardNumber="THEIRS1"), 404, "CARD_NOT_FOUND", None),
    "reverse no bill id": (REVERSE, {}, 400, "INVALID_INPUT", "billId"),
    "quote unknown category": (CALCULATE, _quote(category=99), 400, "INVALID_INPUT", "items[0].categoryId"),
    "quote inactive card": (CALCULATE, _quote("SLEEPY1"), 422, "CARD_INACTIVE", None),
    "quote unknown card": (CALCULATE, _quote("NOCARD"), 404, "CARD_NOT_FOUND", None),
    "quote over the cap": (CALCULATE, _quote("CARD001", 2, 10, redeemPoints=100), 422, "EXCEEDS_MAX_REDEMPTION", None),
}


@pytest.fixture
def shop(tenant):
    """CARD001 with 2,000.00 points (referred by REF001), an inactive card, another pharmacy's card."""
    issue(tenant, "REF001")
    issue(tenant, "CARD001", referrer="REF001", balance="2000")
    sleepy = issue(tenant, "SLEEPY1", balance="500")
    deactivate = update(Card).where(Card.id == sleepy.id).values(is_active=False)
    tenant.store.run(lambda unit: unit.connection.execute(deactivate), write=True)
    other = create_tenant(tenant.store, "Elsewhere Pharmacy", sample_config=True)
    tenant.their_card_id = issue(tenant, "THEIRS1", balance="500", tenant_id=other.tenant_id).id
    return tenant


@pytest.mark.parametrize(("path", "doc", "status", "code", "field"), list(BAD.values()), ids=list(BAD))
def test_bad_input_is_refused_with_its_code_and_writes_nothing(shop, path, doc, status, code, field):
    before = written(shop)
    answer = shop.device.post(path, doc)
    assert (answer.status_code, error(answer)["code"]) == (status, code), answer.text
    if field is not None:
        assert error(answer)["field"] == field
    assert written(shop) == before


def test_refusals_that_need_a_setting_or_a_token(shop):
    before = written(shop)
    by_their_id = shop.device.post(REDEEM, {"cardId": shop.their_card_id, "points": 150, "billId": 9})
    assert by_their_id.status_code == 404 and error(by_their_id)["code"] == "CARD_NOT_FOUND"
    assert shop.anonymous.post(EARN, SEED_EARN).status_code == 401
    shop.admin.post("/api/v1/card-config/disable")
    disabled = shop.device.post(REDEEM, _redeem())
    assert disabled.status_code == 422 and error(disabled)["code"] == "PROGRAM_DISABLED"
    assert written(shop) == before
    nothing = body(shop.device.post(EARN, _earn()))  # programme off: the bill earns nothing
    assert (nothing["pointsEarned"], nothing["referrerPointsEarned"]) == (0, 0)
    assert len(rows(shop)) == before[0]
    change_config(shop, isEnabled=True, maxRedemptionPercent=0)
    before = written(shop)
    no_cap_given = shop.device.post(REDEEM, _redeem(billId=10, billAmount=None))
    assert no_cap_given.status_code == 422 and error(no_cap_given)["code"] == "EXCEEDS_MAX_REDEMPTION"
    assert written(shop) == before


# --- many tills on one card ---------------------------------------------------------------------


def test_many_tills_earning_and_redeeming_on_one_card_lose_nothing(tenant):
    issue(tenant, "REF001")
    issue(tenant, "CARD001", referrer="REF001", balance="100")
    change_config(tenant, minPointsToRedeem=1)
    threads, per_thread = 16, 25

    def till(number: int) -> list[tuple[int, dict]]:
        chance = random.Random(number)
        client = tenant.new_device(f"Till {number}") if number % 2 else own(tenant.admin)
        done = []
        for sale in range(per_thread):
            bill = {"cardNumber": "CARD001", "billId": f"T{number}-{sale}"}
            if chance.random() < 0.5:
                amount = chance.randint(1, 500)
                items = [{"categoryId": 2, "amount": amount}]
                answer = client.post(EARN, {**bill, "billAmount": amount, "items": items})
            else:
                answer = client.post(REDEEM, {**bill, "points": chance.randint(1, 40)})
            done.append((answer.status_code, body(answer)))
        return done

    with ThreadPoolExecutor(threads) as pool:
        outcomes = [outcome for batch in pool.map(till, range(threads)) for outcome in batch]
    assert {status for status, _doc in outcomes} <= {200, 422}
    assert {doc["error"]["code"] for status, doc in outcomes if status == 422} <= {"INSUFFICIENT_POINTS"}
    answered = [doc for status, doc in outcomes if status == 200]
    earned = sum(doc.get("pointsEarned", 0) for doc in answered)
    spent = sum(doc.get("pointsRedeemed", 0) for doc in answered)
    balance, total_earned, total_redeemed, _referral = figures(tenant, "CARD001")
    assert (balance, total_earned, total_redeemed) == (10000 + 100 * (earned - spent), 100 * earned, 100 * spent)
    ledger_holds(tenant, "CARD001")
    ledger_holds(tenant, "REF001")
