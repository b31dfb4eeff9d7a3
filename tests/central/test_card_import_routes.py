"""`POST /cards/import` and `GET /cards/export` against a real server, on SQLite and PostgreSQL.

A refused file is checked twice: the answer names every bad row by its line, and the
pharmacy's database is exactly as it was (cards, ledger rows, number blocks, its counter).
"""

from __future__ import annotations

import http.client
from decimal import Decimal

import requests
from sqlalchemy import func, select

from central.store.models import Card, CardBlock, PointTransaction, Tenant
from central.store.tenants import create_tenant
from central_harness import Client, body
from pos_loyalty import cardnumber
from pos_loyalty.opening_balances import OPENING_BALANCE

IMPORT, EXPORT, CARDS = "/api/v1/cards/import", "/api/v1/cards/export", "/api/v1/cards"
HEADER = "cardNumber,customerName,customerPhone,customerEmail,customerId,points,referrerCardNumber"


def number(serial: int) -> str:
    body = f"40{serial:010d}"
    return body + cardnumber.check_digit(body)


def csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def post_file(client: Client, data: bytes) -> requests.Response:
    return client.session.post(client.base + IMPORT, data=data, headers={"Content-Type": "text/csv"}, timeout=60)


def database(tenant) -> tuple:
    def read(unit):
        connection = unit.connection
        return (
            connection.execute(select(Card.__table__).where(Card.tenant_id == tenant.tenant_id).order_by(Card.id)).all(),
            connection.execute(
                select(func.count()).select_from(PointTransaction).where(PointTransaction.tenant_id == tenant.tenant_id)
            ).scalar(),
            connection.execute(select(Tenant.__table__).where(Tenant.id == tenant.tenant_id)).one(),
            connection.execute(select(CardBlock.__table__).where(CardBlock.tenant_id == tenant.tenant_id)).all(),
        )

    return tenant.store.run(read, write=False)


GOOD = (
    "\ufeffcardNumber;customerName;customerPhone;customerEmail;customerId;points;referrerCardNumber\r\n"
    f"{number(1)};Asha Customer;+91 98765 43210;asha@example.com;C-1001;1250.50;{number(3)}\r\n"
    f"{number(2)};Bina;098765-43211;;C-1002;;\r\n"
    f"{number(3)};Chitra Referrer;9876543212;;;75;\r\n"
    f";Dev New;9876543213;;;10.05;{number(2)}\r\n"
).encode()


def test_a_file_imports_every_card_with_its_opening_balance_and_referrer(tenant):
    answer = post_file(tenant.admin, GOOD)
    assert answer.status_code == 200, answer.text
    assert body(answer) == {"imported": 4, "openingBalances": 3, "openingPoints": Decimal("1335.55"), "numbersGiven": 1}

    asha = body(tenant.admin.get(f"{CARDS}/by-number/{number(1)}"))
    assert (asha["customerPhone"], asha["customerId"], asha["pointsBalance"]) == ("+919876543210", "C-1001", Decimal("1250.50"))
    assert asha["referrerCardNumber"] == number(3) and asha["totalPointsEarned"] == Decimal("0.00")
    (row,) = body(tenant.admin.get(f"{CARDS}/{asha['id']}/transactions"))["content"]
    assert (row["transactionType"], row["referenceType"], row["points"], row["description"]) == (
        "ADJUSTED", "MANUAL", Decimal("1250.50"), OPENING_BALANCE,
    )  # fmt: skip
    assert row["performedBy"].startswith("admin:")

    listed = body(tenant.admin.get(CARDS, params={"size": 10}))["content"]
    dev = next(card for card in listed if card["customerName"] == "Dev New")
    assert dev["cardNumber"].startswith(cardnumber.SERVER_BLOCK_PREFIX) and dev["referrerCardNumber"] == number(2)
    assert dev["pointsBalance"] == Decimal("10.05")


def test_imported_cards_reach_the_tills_by_pull(tenant):
    assert post_file(tenant.admin, GOOD).status_code == 200
    pulled = body(tenant.device.get("/api/v1/sync/pull", params={"cursor": "0", "limit": 100}))
    shown = {change["card"]["cardNumber"]: change["card"] for change in pulled["changes"] if change["type"] == "card"}
    assert shown[number(1)]["pointsBalance"] == Decimal("1250.50") and shown[number(1)]["referrerCardNumber"] == number(3)
    assert len(shown) == 4


def test_a_file_with_a_bad_row_imports_nothing_and_names_the_line(tenant):
    before = database(tenant)
    answer = post_file(tenant.admin, csv(f"{number(1)},Asha,9876543210,,,100,", f"{number(2)},Bina,98765,,,-1,"))
    assert answer.status_code == 400
    error = body(answer)["error"]
    assert error["code"] == "INVALID_INPUT" and error["line"] == 3 and error["problemCount"] == 2
    assert error["problems"] == [
        {"line": 3, "field": "customerPhone", "message": "'98765' is not a phone number (7 to 15 digits)"},
        {"line": 3, "field": "points", "message": "points must not be negative (got -1)"},
    ]
    assert "line 3: customerPhone" in error["message"]
    assert database(tenant) == before


def test_cards_the_pharmacy_has_are_refused_by_number_phone_and_customer_id(tenant):
    made = tenant.admin.post(CARDS, {"customerName": "Here", "customerPhone": "9000000001", "cardNumber": number(7), "customerId": "C-7"})
    assert made.status_code == 201, made.text
    before = database(tenant)
    answer = post_file(
        tenant.admin,
        csv(
            f"{number(7)},Again,9000000002,,,,",
            f"{number(2)},Same Phone,9000000001,,,,",
            f"{number(3)},Same Customer,9000000003,,C-7,,",
            f"{number(4)},Unknown Referrer,9000000004,,,,{number(5)}",
            f"{number(5)},Bina,9000000005,,,,",
            f"{number(6)},Bina Again,9000000005,,,,",
        ),
    )
    assert answer.status_code == 400
    assert [(p["line"], p["field"], p["message"]) for p in body(answer)["error"]["problems"]] == [
        (2, "cardNumber", f"card {number(7)} has already been issued"),
        (3, "customerPhone", f"phone 9000000001 already has card {number(7)}"),
        (4, "customerId", f"customer C-7 already has card {number(7)}"),
        (7, "customerPhone", "phone 9000000005 is also on line 6"),
    ]  # line 5's referrer is line 6: a row of the file
    assert database(tenant) == before


def test_another_pharmacys_cards_are_not_this_ones(tenant):
    other = create_tenant(tenant.store, "Other Pharmacy", sample_config=True)
    assert post_file(Client(tenant.server.base, other.admin_token), csv(f"{number(1)},Asha,9876543210,,C-1,5,")).status_code == 200
    answer = post_file(tenant.admin, csv(f"{number(1)},Asha,9876543210,,C-1,5,", f"{number(2)},Bina,9876543211,,,,{number(1)}"))
    assert answer.status_code == 200, answer.text


def test_the_export_has_the_import_columns_and_imports_into_another_pharmacy_the_same(tenant):
    assert post_file(tenant.admin, GOOD).status_code == 200
    exported = tenant.admin.get(EXPORT)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0] == HEADER and len(lines) == 5
    assert f"{number(1)},Asha Customer,+919876543210,asha@example.com,C-1001,1250.50,{number(3)}" in lines

    other = Client(tenant.server.base, create_tenant(tenant.store, "Copy Pharmacy", sample_config=True).admin_token)
    assert body(post_file(other, exported.content))["numbersGiven"] == 0
    assert other.get(EXPORT).text == exported.text


def test_only_an_admin_imports_or_exports(tenant):
    assert post_file(tenant.device, GOOD).status_code == 403
    assert tenant.device.get(EXPORT).status_code == 403
    assert post_file(tenant.anonymous, GOOD).status_code == 401


def test_a_file_over_the_limit_is_413_before_it_is_read(tenant):
    """Its Content-Length says 300 MiB: refused at once, without a byte of it sent."""
    host, port = tenant.server.base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", IMPORT)
    connection.putheader("Authorization", tenant.admin.session.headers["Authorization"])
    connection.putheader("Content-Type", "text/csv")
    connection.putheader("Content-Length", str(300 * 2**20))
    connection.endheaders()
    answer = connection.getresponse()
    assert answer.status == 413
    assert b"PAYLOAD_TOO_LARGE" in answer.read()
    connection.close()


def test_a_file_over_1_mib_is_taken(tenant):
    rows = [f",Customer {i},{9_100_000_000 + i},,,1.00," for i in range(40_000)]
    data = csv(*rows)
    assert len(data) > 2**20
    answer = post_file(tenant.admin, data)
    assert answer.status_code == 200, answer.text[:500]
    assert body(answer)["imported"] == 40_000 and body(answer)["numbersGiven"] == 40_000
