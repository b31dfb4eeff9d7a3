"""A card's life on a real central service (SQLite and PostgreSQL): a lost card replaced, two
cards of one customer merged, a customer anonymised on request (`central-api.md`, wave 2:
Card lifecycle). Points, totals, tier and referrals move through a TRANSFER pair; nothing is
lost or doubled, and the books still add up."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from central.store.models import Flag
from central_data import EARN, REVERSE, card, error, figures, issue, rows
from central_harness import body
from pos_loyalty import cardnumber
from pos_loyalty.rules.ledger import totals_moved

CARDS = "/api/v1/cards"
D = Decimal


def books_hold(tenant, number: str) -> None:
    """The card's balance and each total are the sums of its rows."""
    found = card(tenant, number)
    mine = rows(tenant, card_id=found.id)
    by_id = {row.id: row for row in rows(tenant)}
    sums = [0, 0, 0, 0]
    for row in mine:
        moved = None if row.moved_earned is None else (row.moved_earned, row.moved_redeemed, row.moved_referral)
        reversing = by_id[row.reverses_id].transaction_type if row.reverses_id else None
        for index, amount in enumerate((row.points, *totals_moved(row.transaction_type, row.points, reversing=reversing, moved=moved))):
            sums[index] += amount
    assert tuple(sums) == figures(tenant, number)


def earn(tenant, number: str, bill_id: str, amount: str = "1000.00") -> dict:
    answer = tenant.device.post(EARN, {"cardNumber": number, "billId": bill_id, "billAmount": amount, "items": [{"categoryId": 1, "amount": amount}]})
    assert answer.status_code == 200, answer.text
    return body(answer)


def test_a_lost_card_is_replaced_with_everything_it_had(tenant):
    issue(tenant, "REF001")
    referrer = card(tenant, "REF001")
    old = issue(tenant, "CARD001", referrer="REF001", balance="50")
    issue(tenant, "CARD002", referrer="CARD001")
    earn(tenant, "CARD001", "B-1")
    before = figures(tenant, "CARD001")
    new_number = cardnumber.from_block("29", 1, 42)

    answer = tenant.admin.post(f"{CARDS}/{old.id}/replace", {"newCardNumber": new_number})
    assert answer.status_code == 201, answer.text
    new = body(answer)
    assert new["cardNumber"] == new_number and new["customerName"] == "Customer CARD001"
    assert (new["pointsBalance"], new["totalPointsEarned"]) == (D(before[0]) / 100, D(before[1]) / 100)
    assert new["referrerCardNumber"] == "REF001" and new["referrerCardId"] == referrer.id
    assert figures(tenant, "CARD001") == (0, 0, 0, 0)
    # The old card answers with the new number; the card it referred now names the new one.
    looked_up = tenant.device.get(f"{CARDS}/by-number/CARD001")
    assert looked_up.status_code == 409
    assert error(looked_up)["code"] == "CARD_REPLACED" and error(looked_up)["replacedByCardNumber"] == new_number
    assert body(tenant.admin.get(f"{CARDS}/{old.id}"))["replacedByCardNumber"] == new_number
    assert card(tenant, "CARD002").referrer_number == new_number
    pair = rows(tenant, reference_type="TRANSFER")
    assert [(row.transaction_type, row.points) for row in pair] == [("ADJUSTED", -before[0]), ("ADJUSTED", before[0])]
    assert all(row.performed_by for row in pair)
    for number in ("CARD001", new_number):
        books_hold(tenant, number)
    # Billing on the old number is refused, naming the new one; a second replace too.
    refused = tenant.device.post(EARN, {"cardNumber": "CARD001", "billId": "B-2", "billAmount": 10, "items": [{"categoryId": 1, "amount": 10}]})
    assert refused.status_code == 409 and error(refused)["replacedByCardNumber"] == new_number
    again = tenant.admin.post(f"{CARDS}/{old.id}/replace", {})
    assert again.status_code == 409 and error(again)["code"] == "CARD_REPLACED"


def test_a_bill_of_the_old_card_taken_back_later_is_forwarded_to_the_new_one(tenant):
    old = issue(tenant, "CARD001")
    earn(tenant, "CARD001", "B-1")
    new = body(tenant.admin.post(f"{CARDS}/{old.id}/replace", {}))
    reversed_bill = tenant.device.post(REVERSE, {"billId": "B-1"})
    assert reversed_bill.status_code == 200, reversed_bill.text
    assert figures(tenant, "CARD001")[0] == 0
    assert figures(tenant, new["cardNumber"]) == (0, 0, 0, 0)
    books_hold(tenant, "CARD001")
    books_hold(tenant, new["cardNumber"])


def test_two_cards_of_one_customer_merge_and_their_duplicate_flag_is_resolved(tenant):
    keep = issue(tenant, "CARD001", balance="10")
    other = issue(tenant, "CARD002", balance="25.50")
    issue(tenant, "CARD003", referrer="CARD002")
    earn(tenant, "CARD002", "B-1", "200.00")

    def flag(unit):
        unit.connection.execute(
            Flag.__table__.insert().values(
                tenant_id=tenant.tenant_id, kind="DUPLICATE_CUSTOMER", card_id=other.id, message="Phone has two cards",
                details_json="{}", created_at=unit.now,
            )
        )

    tenant.store.run(flag, write=True, tenant_id=tenant.tenant_id)
    other_before = figures(tenant, "CARD002")
    answer = tenant.admin.post(f"{CARDS}/{keep.id}/merge", {"otherCardId": other.id})
    assert answer.status_code == 200, answer.text
    kept = body(answer)
    assert kept["pointsBalance"] == D("10.00") + D(other_before[0]) / 100
    assert kept["totalPointsEarned"] == D(other_before[1]) / 100
    assert figures(tenant, "CARD002") == (0, 0, 0, 0)
    assert card(tenant, "CARD003").referrer_number == "CARD001"
    flags = body(tenant.admin.get("/api/v1/flags?kind=DUPLICATE_CUSTOMER"))["content"]
    assert flags and all(f["resolvedAt"] is not None for f in flags)
    books_hold(tenant, "CARD001")
    books_hold(tenant, "CARD002")
    itself = tenant.admin.post(f"{CARDS}/{keep.id}/merge", {"otherCardId": keep.id})
    assert itself.status_code == 400 and error(itself)["field"] == "otherCardId"
    merged_again = tenant.admin.post(f"{CARDS}/{keep.id}/merge", {"otherCardId": other.id})
    assert merged_again.status_code == 409 and error(merged_again)["code"] == "CARD_REPLACED"


def test_lifecycle_routes_need_an_admin_and_name_bad_input(tenant):
    made = issue(tenant, "CARD001")
    assert tenant.device.post(f"{CARDS}/{made.id}/replace", {}).status_code == 403
    assert tenant.anonymous.post(f"{CARDS}/{made.id}/anonymize").status_code == 401
    bad = tenant.admin.post(f"{CARDS}/{made.id}/replace", {"newCardNumber": "29000000000"})
    assert bad.status_code == 400 and error(bad)["field"] == "newCardNumber"
    unknown = tenant.admin.post(f"{CARDS}/{made.id}/replace", {"newNumber": "x"})
    assert unknown.status_code == 400 and error(unknown)["field"] == "newNumber"
    taken = tenant.admin.post(f"{CARDS}/{made.id}/replace", {"newCardNumber": "CARD001"})
    assert taken.status_code == 409 and error(taken)["code"] == "DUPLICATE_CARD"
    assert figures(tenant, "CARD001") == (0, 0, 0, 0) and card(tenant, "CARD001").is_active
    missing = tenant.admin.post(f"{CARDS}/{made.id}/merge", {"otherCardId": 10**9})
    assert missing.status_code == 404 and error(missing)["code"] == "CARD_NOT_FOUND"


def test_an_anonymised_customer_is_erased_and_the_books_stay(tenant):
    made = issue(tenant, "CARD001", balance="75")
    phone = card(tenant, "CARD001").customer_phone

    def flag(unit):
        unit.connection.execute(
            Flag.__table__.insert().values(
                tenant_id=tenant.tenant_id, kind="DUPLICATE_CUSTOMER", card_id=None,
                message=f"Phone {phone} now has cards X, Y", details_json=f'{{"customerPhone": "{phone}"}}',
                created_at=unit.now,
            )
        )

    tenant.store.run(flag, write=True, tenant_id=tenant.tenant_id)
    answer = tenant.admin.post(f"{CARDS}/{made.id}/anonymize")
    assert answer.status_code == 200, answer.text
    shown = body(answer)
    assert (shown["customerName"], shown["customerPhone"], shown["customerEmail"], shown["customerId"]) == ("Anonymised", "", None, None)
    assert shown["isActive"] is False and shown["pointsBalance"] == D("75.00")
    messages = tenant.store.run(
        lambda unit: unit.connection.execute(select(Flag.message, Flag.details_json).where(Flag.tenant_id == tenant.tenant_id)).all(),
        write=False,
    )
    assert messages and not any(phone in message or phone in details for message, details in messages)
    history = body(tenant.admin.get(f"{CARDS}/{made.id}/transactions"))["content"]
    assert history[0]["description"].startswith("The customer's details were erased") and history[0]["performedBy"]
    assert tenant.admin.post(f"{CARDS}/{made.id}/anonymize").status_code == 200  # a repeat: the same
    assert tenant.admin.post(f"{CARDS}/{made.id}/replace", {}).status_code == 422
