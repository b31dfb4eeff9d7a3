"""Cards routes against a real server (SQLite and PostgreSQL): issue, read, edit, refer, history.

Every refused request is checked twice: the answer (status, code, field) and the database,
which must be exactly as it was (cards, their change numbers, ledger rows, number blocks).
"""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy import func, select

from central.store import cards
from central.store.ledger import CardId, Postings
from pos_loyalty.rules.postings import Posting
from central.store.models import Card, CardBlock, PointTransaction, Tenant
from central.store.tenants import create_tenant
from pos_loyalty.rules.ledger import BILL, EARNED, REDEEMED, REFERRAL, REFERRAL_EARNED
from central_harness import Client, body
from pos_loyalty import cardnumber

CARDS = "/api/v1/cards"
ZERO = Decimal("0.00")
NO_CARD = 999_999_999  # an id no test reaches


def printed(digits: str) -> str:
    """A pre-printed card number: `digits` and their check digit."""
    return digits + cardnumber.check_digit(digits)


def mistyped(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def issue(client: Client, name: str, phone: str, **more) -> dict:
    answer = client.post(CARDS, {"customerName": name, "customerPhone": phone, **more})
    assert answer.status_code == 201, answer.text
    return body(answer)


def database(tenant) -> tuple:
    """Everything of the tenant a Cards route could write, to compare before and after."""

    def read(unit):
        connection = unit.connection
        mine = Card.tenant_id == tenant.tenant_id
        ledger_rows = select(func.count()).select_from(PointTransaction)
        return (
            connection.execute(select(Card.__table__).where(mine).order_by(Card.id)).all(),
            connection.execute(ledger_rows.where(PointTransaction.tenant_id == tenant.tenant_id)).scalar(),
            connection.execute(select(Tenant.__table__).where(Tenant.id == tenant.tenant_id)).one(),
            connection.execute(
                select(CardBlock.__table__).where(CardBlock.tenant_id == tenant.tenant_id).order_by(CardBlock.id)
            ).all(),
        )

    return tenant.store.run(read, write=False)


def column(tenant, card_id: int, wanted):
    """One column of a card as stored (what the API does not show)."""
    read = select(wanted).where(Card.id == card_id)
    return tenant.store.run(lambda unit: unit.connection.execute(read).scalar_one(), write=False)


def change_seq(tenant, card_id: int) -> int:
    return column(tenant, card_id, Card.change_seq)


def refused(answer, status: int, code: str, field: str | None = None) -> dict:
    assert answer.status_code == status, answer.text
    error = body(answer)["error"]
    assert error["code"] == code, error
    if field is not None:
        assert error["field"] == field, error
    return error


def link(card: dict) -> str:
    return f"{CARDS}/{card['id']}/link-referrer"


def post_points(tenant, card_id: int, *entries: tuple) -> None:
    """Ledger rows as the billing routes would write them: (type, hundredths, columns)."""

    def work(unit):
        card = cards.by_id(unit, card_id, lock=True)
        postings = Postings(unit)
        for kind, amount, columns in entries:
            referred = columns.pop("referred_card_id", None)
            posting = Posting(card, kind, amount, referred_card=CardId(referred) if referred else None, **columns)
            postings.post(posting, performed_by="test", device_id=None)
        postings.flush()

    tenant.store.run(work, write=True, tenant_id=tenant.tenant_id)


# --- happy paths -----------------------------------------------------------------------


def test_issued_card_has_a_service_number_and_is_found_every_way(tenant):
    card = issue(tenant.device, " Asha  Rao ", "+91 98765-43210", customerEmail="asha@example.in", customerId=7001)
    assert card["customerName"] == "Asha Rao" and card["customerPhone"] == "+919876543210"
    assert card["customerId"] == "7001" and card["customerEmail"] == "asha@example.in"
    assert card["cardNumber"].startswith("29") and cardnumber.has_valid_check_digit(card["cardNumber"])
    assert len(card["cardNumber"]) == 13 and card["isActive"] is True and card["referrerCardId"] is None
    assert card["pointsBalance"] == card["totalPointsEarned"] == card["totalPointsRedeemed"] == ZERO
    assert b'"pointsBalance":0.00' in tenant.device.get(f"{CARDS}/{card['id']}").content  # a number
    spaced = " ".join([card["cardNumber"][:6], card["cardNumber"][6:]])
    for path in (f"{CARDS}/{card['id']}", f"{CARDS}/by-number/{spaced}", f"{CARDS}/by-customer/7001"):
        answer = tenant.admin.get(path)
        assert answer.status_code == 200 and body(answer) == card, path
    assert change_seq(tenant, card["id"]) > 0  # so pull carries it to every till
    assert column(tenant, card["id"], Card.issued_by_device_id) == tenant.device_id


def test_one_phone_gets_one_card_even_when_tills_ask_at_once(tenant):
    tills = [tenant.new_device(f"Till {n}") for n in range(6)]

    def ask(till: Client):
        return till.post(CARDS, {"customerName": "Same Person", "customerPhone": "9888888888"})

    with ThreadPoolExecutor(len(tills)) as pool:
        statuses = sorted(answer.status_code for answer in pool.map(ask, tills))
    assert statuses == [201] + [409] * (len(tills) - 1)
    assert body(tenant.admin.get(CARDS))["totalElements"] == 1


def test_pre_printed_and_legacy_numbers_and_a_referrer_by_number(tenant):
    referrer = issue(tenant.admin, "Bina", "9000000001", cardNumber="CARD001")
    number = printed("400000000001")
    card = issue(tenant.admin, "Chitra", "9000000002", cardNumber=number, referrerCardNumber="card001")
    assert card["cardNumber"] == number and referrer["cardNumber"] == "CARD001"
    assert card["referrerCardId"] == referrer["id"] and card["referrerCardNumber"] == "CARD001"
    assert body(tenant.admin.get(f"{CARDS}/{referrer['id']}/referrals")) == [card]
    assert body(tenant.admin.get(f"{CARDS}/{card['id']}/referrals")) == []


def test_cards_come_in_pages_in_id_order(tenant):
    issued = [issue(tenant.device, f"Customer {i}", f"90000{i:05d}")["id"] for i in range(25)]
    pages = [body(tenant.admin.get(f"{CARDS}?page={page}&size=10")) for page in range(3)]
    assert [len(p["content"]) for p in pages] == [10, 10, 5]
    for number, page in enumerate(pages):
        assert (page["page"], page["size"], page["totalElements"], page["totalPages"]) == (number, 10, 25, 3)
    assert [c["id"] for p in pages for c in p["content"]] == issued
    first = body(tenant.device.get(CARDS))
    assert (first["size"], len(first["content"]), first["totalPages"]) == (20, 20, 2)
    beyond = body(tenant.admin.get(f"{CARDS}?page=7&size=10"))
    assert beyond["content"] == [] and beyond["totalElements"] == 25
    for query, field in (("size=0", "size"), ("size=201", "size"), ("page=-1", "page"), ("page=two", "page")):
        refused(tenant.admin.get(f"{CARDS}?{query}"), 400, "INVALID_INPUT", field)


def test_update_changes_only_the_fields_given_and_only_when_they_change(tenant):
    card = issue(tenant.admin, "Dev", "9111111111", customerEmail="dev@example.in", customerId="C-1")
    path = f"{CARDS}/{card['id']}"
    before = change_seq(tenant, card["id"])
    updated = body(tenant.device.put(path, {"customerName": "Dev Kumar", "customerPhone": "91111 22222"}))
    assert updated == {**card, "customerName": "Dev Kumar", "customerPhone": "9111122222"}
    assert change_seq(tenant, card["id"]) > before
    cleared = body(tenant.admin.put(path, {"customerEmail": None, "customerId": "C-2", "isActive": False}))
    assert (cleared["customerEmail"], cleared["customerId"], cleared["isActive"]) == (None, "C-2", False)
    assert body(tenant.admin.put(path, {"isActive": True}))["isActive"] is True
    unchanged = database(tenant)
    assert body(tenant.admin.put(path, {"customerName": "Dev Kumar", "isActive": True}))["customerName"] == "Dev Kumar"
    assert database(tenant) == unchanged  # nothing new for the tills to pull


def test_delete_deactivates_and_keeps_the_card(tenant):
    card = issue(tenant.admin, "Esha", "9222222222")
    gone = tenant.device.delete(f"{CARDS}/{card['id']}")
    assert gone.status_code == 200 and body(gone) == {**card, "isActive": False}
    assert body(tenant.admin.get(f"{CARDS}/by-number/{card['cardNumber']}"))["isActive"] is False
    unchanged = database(tenant)
    assert body(tenant.device.delete(f"{CARDS}/{card['id']}"))["isActive"] is False
    assert database(tenant) == unchanged


def test_link_referrer_by_id_or_number(tenant):
    a, b, c = (issue(tenant.admin, name, f"93333333{i:02d}") for i, name in enumerate(("A", "B", "C")))
    linked = tenant.device.post(link(a), {"referrerCardId": b["id"]})
    assert linked.status_code == 200
    assert body(linked) == {**a, "referrerCardId": b["id"], "referrerCardNumber": b["cardNumber"]}
    by_number = body(tenant.admin.post(link(c), {"referrerCardNumber": b["cardNumber"]}))
    assert by_number["referrerCardId"] == b["id"]
    assert [r["id"] for r in body(tenant.admin.get(f"{CARDS}/{b['id']}/referrals"))] == [a["id"], c["id"]]
    # B -> A would be a loop, but B -> C's chain is allowed: referral earns one level only.
    refused(tenant.admin.post(link(b), {"referrerCardId": a["id"]}), 409, "REFERRAL_LOOP")


def test_transactions_newest_first_and_balance_with_exact_figures(tenant):
    tiers = [{"name": "Silver", "minLifetimePoints": 0}, {"name": "Gold", "minLifetimePoints": 20}]
    assert tenant.admin.put("/api/v1/card-config/tiers", tiers).status_code == 200
    referrer = issue(tenant.admin, "Bina", "9444444401")
    card = issue(tenant.admin, "Asha", "9444444402", referrerCardNumber=referrer["cardNumber"])
    # Seed 002's sample bill of 1,000.00: 500.00 of Medicines at 1 %, 500.00 of General at 3 %,
    # then 10.00 points redeemed; the referrer earns 0.5 % of the bill.
    bill = {"reference_type": BILL, "reference_id": "B-123"}
    medicines = {"category_id": 1, "category_name": "Medicines", "point_percentage": 100}
    general = {"category_id": 2, "category_name": "General", "point_percentage": 300}
    post_points(
        tenant,
        card["id"],
        (EARNED, 500, {**bill, "bill_amount": 50000, **medicines}),
        (EARNED, 1500, {**bill, "bill_amount": 50000, **general}),
        (REDEEMED, -1000, {**bill, "bill_amount": 100000}),
    )
    referred = {"referred_card_id": card["id"], "referred_bill_id": "B-123", "bill_amount": 100000}
    post_points(tenant, referrer["id"], (REFERRAL_EARNED, 500, {"reference_type": REFERRAL, **referred}))

    history = f"{CARDS}/{card['id']}/transactions?size=2"
    first, second = (body(tenant.device.get(f"{history}&page={page}")) for page in (0, 1))
    assert (first["totalElements"], first["totalPages"]) == (3, 2)
    assert (len(first["content"]), len(second["content"])) == (2, 1)
    rows = first["content"] + second["content"]
    assert [r["transactionType"] for r in rows] == [REDEEMED, EARNED, EARNED]
    assert [r["points"] for r in rows] == [Decimal("-10.00"), Decimal("15.00"), Decimal("5.00")]
    assert [r["balanceAfter"] for r in rows] == [Decimal("10.00"), Decimal("20.00"), Decimal("5.00")]
    assert rows[2]["billAmount"] == Decimal("500.00") and rows[2]["pointPercentage"] == Decimal("1.00")
    assert {r["cardNumber"] for r in rows} == {card["cardNumber"]} and rows[0]["referenceId"] == "B-123"
    referral = body(tenant.admin.get(f"{CARDS}/{referrer['id']}/transactions"))["content"]
    assert [(r["transactionType"], r["points"], r["referredCardId"]) for r in referral] == [
        (REFERRAL_EARNED, Decimal("5.00"), card["id"])
    ]

    assert body(tenant.admin.get(f"{CARDS}/{card['id']}/balance")) == {
        "cardId": card["id"],
        "cardNumber": card["cardNumber"],
        "pointsBalance": Decimal("10.00"),
        "totalPointsEarned": Decimal("20.00"),
        "totalPointsRedeemed": Decimal("10.00"),
        "totalReferralPointsEarned": ZERO,
        "tier": "Gold",
    }
    theirs = body(tenant.device.get(f"{CARDS}/{referrer['id']}/balance"))
    figures = (theirs["pointsBalance"], theirs["totalReferralPointsEarned"], theirs["tier"])
    assert figures == (Decimal("5.00"), Decimal("5.00"), "Silver")
    assert body(tenant.admin.get(f"{CARDS}/{card['id']}"))["lastTransactionAt"] is not None


# --- refusals ---------------------------------------------------------------------------


def test_every_bad_request_is_refused_and_changes_nothing(tenant):
    number = printed("400000000002")
    b = issue(tenant.admin, "Bina", "9555555501", customerId="CUST-B", cardNumber=number)
    a = issue(tenant.admin, "Asha", "9555555502", customerId="CUST-A", referrerCardNumber=number)
    off = issue(tenant.admin, "Off", "9555555503")
    d = issue(tenant.admin, "Dina", "9555555504")
    assert tenant.admin.delete(f"{CARDS}/{off['id']}").status_code == 200
    new = {"customerName": "New", "customerPhone": "9555555599"}
    unknown_number = printed("291234500001")
    at, nobody, bad = f"{CARDS}/{a['id']}", f"{CARDS}/{NO_CARD}", "INVALID_INPUT"
    cases = [
        ("POST", CARDS, '{"customerName": "New", ', 400, bad, "(body)"),
        ("POST", CARDS, None, 400, bad, "(body)"),
        ("POST", CARDS, [new], 400, bad, "(body)"),
        ("POST", CARDS, {"customerPhone": "9555555599"}, 400, bad, "customerName"),
        ("POST", CARDS, {**new, "customerName": ["New"]}, 400, bad, "customerName"),
        ("POST", CARDS, {**new, "customerPhone": 9555555599}, 400, bad, "customerPhone"),
        ("POST", CARDS, {**new, "customerPhone": "95555-5559x"}, 400, bad, "customerPhone"),
        ("POST", CARDS, {**new, "customerEmail": "new@example"}, 400, bad, "customerEmail"),
        ("POST", CARDS, {**new, "customerEmial": "new@example.in"}, 400, bad, "customerEmial"),
        ("POST", CARDS, {**new, "cardNumber": mistyped(printed("400000000003"))}, 400, bad, "cardNumber"),
        ("POST", CARDS, {**new, "customerPhone": "95555 55501"}, 409, "DUPLICATE_CARD", "customerPhone"),
        ("POST", CARDS, {**new, "cardNumber": number}, 409, "DUPLICATE_CARD", "cardNumber"),
        ("POST", CARDS, {**new, "customerId": "CUST-A"}, 409, "DUPLICATE_CARD", "customerId"),
        ("POST", CARDS, {**new, "referrerCardNumber": unknown_number}, 404, "CARD_NOT_FOUND", "referrerCardNumber"),
        ("POST", CARDS, {**new, "referrerCardNumber": off["cardNumber"]}, 422, "CARD_INACTIVE", "referrerCardNumber"),
        ("PUT", at, {"customerNmae": "Asha R"}, 400, bad, "customerNmae"),
        ("PUT", at, {"pointsBalance": 1000}, 400, bad, "pointsBalance"),
        ("PUT", at, {"customerName": "Asha R", "isActive": "yes"}, 400, bad, "isActive"),
        ("PUT", at, {"customerName": None}, 400, bad, "customerName"),
        ("PUT", at, {"customerPhone": "12"}, 400, bad, "customerPhone"),
        ("PUT", at, {"customerEmail": "asha at home"}, 400, bad, "customerEmail"),
        ("PUT", at, {"customerName": "Asha R", "customerPhone": "9555555501"}, 409, "DUPLICATE_CARD", "customerPhone"),
        ("PUT", at, {"customerName": "Asha R", "customerId": "CUST-B"}, 409, "DUPLICATE_CARD", "customerId"),
        ("PUT", at, "[}", 400, bad, "(body)"),
        ("PUT", nobody, {"customerName": "Nobody"}, 404, "CARD_NOT_FOUND", None),
        ("DELETE", nobody, None, 404, "CARD_NOT_FOUND", None),
        ("DELETE", f"{CARDS}/abc", None, 400, bad, "id"),
        ("GET", f"{CARDS}/abc", None, 400, bad, "id"),
        ("GET", nobody, None, 404, "CARD_NOT_FOUND", None),
        ("GET", f"{CARDS}/by-number/{mistyped(number)}", None, 400, bad, "cardNumber"),
        ("GET", f"{CARDS}/by-number/{unknown_number}", None, 404, "CARD_NOT_FOUND", None),
        ("GET", f"{CARDS}/by-customer/CUST-Z", None, 404, "CARD_NOT_FOUND", None),
        ("GET", f"{nobody}/referrals", None, 404, "CARD_NOT_FOUND", None),
        ("GET", f"{nobody}/transactions", None, 404, "CARD_NOT_FOUND", None),
        ("GET", f"{nobody}/balance", None, 404, "CARD_NOT_FOUND", None),
        ("POST", link(b), {"referrerCardId": b["id"]}, 400, bad, "referrerCardId"),
        ("POST", link(b), {"referrerCardId": str(a["id"])}, 400, bad, "referrerCardId"),
        ("POST", link(b), {}, 400, bad, "referrerCardId"),
        ("POST", link(b), {"referrerCardId": a["id"], "referrerCardNumber": "CARD001"}, 400, bad, "referrerCardId"),
        ("POST", link(b), {"referrerCardId": a["id"], "note": "x"}, 400, bad, "note"),
        ("POST", link(b), {"referrerCardId": NO_CARD}, 404, "CARD_NOT_FOUND", "referrerCardId"),
        ("POST", link(b), {"referrerCardNumber": unknown_number}, 404, "CARD_NOT_FOUND", "referrerCardNumber"),
        ("POST", f"{nobody}/link-referrer", {"referrerCardId": b["id"]}, 404, "CARD_NOT_FOUND", None),
        ("POST", link(b), {"referrerCardId": off["id"]}, 422, "CARD_INACTIVE", "referrerCardId"),
        ("POST", link(off), {"referrerCardId": b["id"]}, 422, "CARD_INACTIVE", "id"),
        ("POST", link(a), {"referrerCardId": d["id"]}, 409, "REFERRER_ALREADY_SET", "referrerCardId"),
        ("POST", link(a), {"referrerCardNumber": b["cardNumber"]}, 409, "REFERRER_ALREADY_SET", "referrerCardNumber"),
        ("POST", link(b), {"referrerCardId": a["id"]}, 409, "REFERRAL_LOOP", "referrerCardId"),
    ]
    before = database(tenant)
    for method, path, sent, status, code, field in cases:
        refused(tenant.admin.request(method, path, sent), status, code, field)
        assert database(tenant) == before, (method, path, sent)


def test_another_pharmacy_cannot_see_or_change_these_cards(tenant, central_server):
    card = issue(tenant.admin, "Asha", "9666666601", customerId="CUST-1")
    mine = issue(tenant.admin, "Bina", "9666666602")
    other = create_tenant(tenant.store, "Other Pharmacy", sample_config=True)
    theirs = Client(central_server.base, other.admin_token)
    stranger = issue(theirs, "Stranger", "9666666601", customerId="CUST-1")  # one card per phone per pharmacy
    before = database(tenant)
    for method, path, sent in (
        ("GET", f"{CARDS}/{card['id']}", None),
        ("GET", f"{CARDS}/by-number/{card['cardNumber']}", None),
        ("GET", f"{CARDS}/by-customer/CUST-1", None),  # theirs: the stranger's card, not ours
        ("PUT", f"{CARDS}/{card['id']}", {"customerName": "Taken Over"}),
        ("DELETE", f"{CARDS}/{card['id']}", None),
        ("POST", link(card), {"referrerCardId": mine["id"]}),
        ("POST", link(stranger), {"referrerCardId": card["id"]}),
        ("POST", link(stranger), {"referrerCardNumber": card["cardNumber"]}),
        ("GET", f"{CARDS}/{card['id']}/referrals", None),
        ("GET", f"{CARDS}/{card['id']}/transactions", None),
        ("GET", f"{CARDS}/{card['id']}/balance", None),
    ):
        answer = theirs.request(method, path, sent)
        if path.endswith("CUST-1"):
            assert body(answer)["id"] == stranger["id"]
        else:
            refused(answer, 404, "CARD_NOT_FOUND")
    assert database(tenant) == before
    listed = body(theirs.get(CARDS))
    assert [c["id"] for c in listed["content"]] == [stranger["id"]] and listed["totalElements"] == 1
    referred = {"customerName": "X", "customerPhone": "9666666609", "referrerCardNumber": card["cardNumber"]}
    refused(theirs.post(CARDS, referred), 404, "CARD_NOT_FOUND", "referrerCardNumber")


def test_cards_need_a_token(tenant):
    assert tenant.anonymous.get(CARDS).status_code == 401
    refused(tenant.anonymous.post(CARDS, {"customerName": "X", "customerPhone": "9777777777"}), 401, "UNAUTHORIZED")
    assert body(tenant.admin.get(CARDS))["totalElements"] == 0
