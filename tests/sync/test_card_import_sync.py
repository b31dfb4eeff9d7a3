"""A till that imported a CSV file while never connected pushes its cards, with their opening
balances and referrers, to a real central service (SQLite and PostgreSQL); cards imported
on the central service reach a till by pull. Neither side counts a balance twice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pos_loyalty import cardnumber
from pos_loyalty.opening_balances import OPENING_BALANCE
from pos_loyalty.services import bills, card_import, cards
from support import make_bill

BACKENDS = pytest.mark.parametrize("server", ["sqlite", "postgresql"], indirect=True)
D = Decimal


def number(serial: int) -> str:
    body = f"40{serial:010d}"
    return body + cardnumber.check_digit(body)


FILE = (
    "cardNumber;customerName;customerPhone;customerEmail;customerId;points;referrerCardNumber\r\n"
    f"{number(1)};Asha Customer;+91 98765 43210;;C-1001;1250.50;{number(3)}\r\n"
    f"{number(2)};Bina;098765-43211;;;;\r\n"
    f"{number(3)};Chitra Referrer;9876543212;;;75;\r\n"
    f";Dev New;9876543213;;;10.05;{number(1)}\r\n"
).encode()


@BACKENDS
def test_cards_imported_at_a_till_offline_reach_the_central_service_with_their_balances(pharmacy):
    till = pharmacy.open_till("counter-1")
    done = card_import.import_cards(till.replica, FILE, performed_by="manager")
    (dev,) = cards.find_by_phone(till.replica, "9876543213")
    sold = bills.finalize(till.replica, number(1), make_bill((2, "1000.00")), bill_id="after-import")  # still offline
    earned = sold.result["pointsEarned"]

    till.connect(pharmacy.server.base)
    till.sync_until_drained()
    assert done.cards == 4

    asha = pharmacy.card(number(1))
    assert asha["pointsBalance"] == D("1250.50") + earned and asha["referrerCardNumber"] == number(3)
    assert pharmacy.card(number(3))["pointsBalance"] == D("75.00") + sold.result["referrerPointsEarned"]
    assert pharmacy.card(dev.card_number)["referrerCardNumber"] == number(1)
    assert pharmacy.card(dev.card_number)["pointsBalance"] == D("10.05")
    rows = pharmacy.admin.get(f"/api/v1/cards/{asha['id']}/transactions").json()["content"]
    opening = [row for row in rows if row["transactionType"] == "ADJUSTED"]
    assert [(row["description"], row["performedBy"]) for row in opening] == [(OPENING_BALANCE, "manager")]
    assert pharmacy.flags("REFERRER_UNKNOWN") == []  # referrers were pushed before the cards they referred

    # the till, after its own cards came back by pull: every figure once, not twice
    for card_number, central in ((number(1), asha), (number(3), pharmacy.card(number(3)))):
        assert till.balance(card_number) == central["pointsBalance"]


@BACKENDS
def test_cards_imported_on_the_central_service_reach_a_till_by_pull(pharmacy):
    answer = pharmacy.admin.session.post(
        pharmacy.admin.base + "/api/v1/cards/import", data=FILE, headers={"Content-Type": "text/csv"}, timeout=60
    )
    assert answer.status_code == 200, answer.text
    till = pharmacy.open_till("counter-1")
    till.connect(pharmacy.server.base)
    till.sync_until_drained()
    asha = cards.find(till.replica, number(1))
    assert (asha.points_balance, asha.referrer_number) == (125050, number(3))
    assert len(card_import.export_rows(till.replica)) == 4
    bills.finalize(till.replica, number(1), make_bill((2, "500.00"), redeem="100"), bill_id="at-the-till")
    till.sync_until_drained()
    assert pharmacy.card(number(1))["pointsBalance"] == till.balance(number(1))
