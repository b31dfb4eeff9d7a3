"""Importing cards from CSV at a till (not connected) and exporting them: real replica files."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pos_loyalty import card_csv, cardnumber
from pos_loyalty.card_csv import ImportRefused
from pos_loyalty.opening_balances import OPENING_BALANCE
from pos_loyalty.services import card_import, cards, open_replica
from support import dump_replica

HEADER = "cardNumber;customerName;customerPhone;customerEmail;customerId;points;referrerCardNumber"


def number(serial: int) -> str:
    body = f"40{serial:010d}"
    return body + cardnumber.check_digit(body)


def semicolons(*rows: str) -> bytes:
    """A file as a spreadsheet saves it: BOM, semicolons, CRLF."""
    return ("\ufeff" + "\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8")


GOOD = semicolons(
    f"{number(1)};Asha Customer;+91 98765 43210;asha@example.com;C-1001;1250.50;{number(3)}",
    f"{number(2)};Bina;098765-43211;;C-1002;;",
    f"{number(3)};Chitra Referrer;9876543212;;;75;",
    f";Dev New;9876543213;;;10.05;{number(2)}",
)


def test_a_file_imports_its_cards_with_their_opening_balances_and_referrers(replica, audit):
    done = card_import.import_cards(replica, GOOD, performed_by="manager")
    assert done.to_json() == {"imported": 4, "openingBalances": 3, "openingPoints": Decimal("1335.55"), "numbersGiven": 1}

    asha = cards.find(replica, number(1))
    assert (asha.customer_phone, asha.customer_email, asha.customer_id) == ("+919876543210", "asha@example.com", "C-1001")
    assert asha.points_balance == 125050 and asha.available_points == 125050
    assert (asha.total_points_earned, asha.total_points_redeemed) == (0, 0)  # an opening balance is no purchase
    assert asha.referrer_number == number(3)  # a referrer later in the file
    assert cards.find(replica, number(2)).points_balance == 0
    (dev,) = cards.find_by_phone(replica, "9876543213")
    assert dev.referrer_number == number(2) and dev.points_balance == 1005
    assert dev.card_number.startswith(cardnumber.LOCAL_BLOCK_PREFIX)  # never connected: its own block

    (row,) = cards.history(replica, number(1))
    assert (row["transactionType"], row["points"], row["description"], row["performedBy"]) == (
        "ADJUSTED", Decimal("1250.50"), OPENING_BALANCE, "manager",
    )  # fmt: skip
    assert cards.history(replica, number(2)) == []
    audit(replica.path).check()


def test_each_card_is_queued_for_the_central_service_referrers_first(replica, audit):
    card_import.import_cards(replica, GOOD, performed_by="manager")
    queued = audit(replica.path).outbox()
    assert [kind for _seq, kind, _payload in queued] == ["card.issued"] * 4
    numbers = [payload["cardNumber"] for _seq, _kind, payload in queued]
    assert numbers.index(number(3)) < numbers.index(number(1)) and numbers.index(number(2)) < len(numbers) - 1
    asha = next(payload for _seq, _kind, payload in queued if payload["cardNumber"] == number(1))
    assert asha["openingPoints"] == Decimal("1250.50") and asha["referrerCardNumber"] == number(3)
    bina = next(payload for _seq, _kind, payload in queued if payload["cardNumber"] == number(2))
    assert "openingPoints" not in bina


def test_a_file_with_one_bad_row_changes_nothing_and_names_the_line(replica):
    cards.issue(replica, name="Already Here", phone="9000000001")
    before = dump_replica(replica)
    bad = semicolons(
        f"{number(1)};Asha;9876543210;;;100;",
        f"{number(2)};Bina;98765;;;;",
        f"{number(3)};Chitra;9876543212;;;5;",
    )
    with pytest.raises(ImportRefused) as refused:
        card_import.import_cards(replica, bad, performed_by="manager")
    assert [str(p) for p in refused.value.problems] == ["line 3: customerPhone: '98765' is not a phone number (7 to 15 digits)"]
    assert dump_replica(replica) == before


def test_cards_already_here_are_refused_by_number_phone_and_customer_id(replica):
    here = cards.issue(replica, name="Here", phone="+919876543210", number=number(7), customer_id="C-7")
    closed = cards.issue(replica, name="Closed", phone="9000000009", number=number(9))
    from pos_loyalty.services import card_details

    card_details.update(replica, closed.card_number, performed_by="manager", active=False)
    with pytest.raises(ImportRefused) as refused:
        card_import.import_cards(
            replica,
            semicolons(
                f"{number(7)};Again;9000000001;;;;",
                f"{number(2)};Same Phone;+91 98765 43210;;;;",
                f"{number(3)};Same Customer;9000000003;;C-7;;",
                f"{number(4)};Unknown Referrer;9000000004;;;;{number(5)}",
                f"{number(6)};Closed Referrer;9000000006;;;;{number(9)}",
                f"{number(8)};Good Referrer;9000000008;;;;{here.card_number}",
            ),
            performed_by="manager",
        )
    assert [str(p) for p in refused.value.problems] == [
        f"line 2: cardNumber: card {number(7)} has already been issued",
        f"line 3: customerPhone: phone +919876543210 already has card {number(7)}",
        f"line 4: customerId: customer C-7 already has card {number(7)}",
        f"line 5: referrerCardNumber: no card {number(5)}, neither in the file nor here",
        f"line 6: referrerCardNumber: referrer card {number(9)} is not active",
    ]


def test_a_referrer_may_be_a_card_already_here(replica):
    here = cards.issue(replica, name="Here", phone="9000000001")
    card_import.import_cards(replica, semicolons(f"{number(1)};New;9000000002;;;;{here.card_number}"), performed_by="m")
    assert cards.find(replica, number(1)).referrer_id == here.id


def test_cards_without_a_number_take_the_next_numbers_of_the_tills_block(replica):
    first = cards.issue(replica, name="Issued Before", phone="9000000001")
    done = card_import.import_cards(replica, semicolons(";A;9000000002;;;;", ";B;9000000003;;;;"), performed_by="m")
    after = cards.issue(replica, name="Issued After", phone="9000000004")
    numbers = [first.card_number, *(c.card_number for c in card_import.export_rows(replica)[1:3]), after.card_number]
    serials = [int(n[7:12]) for n in numbers]
    assert done.numbers_given == 2 and serials == [serials[0], serials[0] + 1, serials[0] + 2, serials[0] + 3]
    assert len({n[:7] for n in numbers}) == 1  # one block


def test_an_export_imports_into_another_till_as_the_same_cards(replica, tmp_path):
    card_import.import_cards(replica, GOOD, performed_by="manager")
    exported = card_csv.written(card_import.export_rows(replica)).encode()
    other = open_replica(tmp_path / "other")
    try:
        done = card_import.import_cards(other, exported, performed_by="manager")
        assert done.cards == 4 and done.numbers_given == 0
        assert card_import.export_rows(other) == card_import.export_rows(replica)
    finally:
        other.close()
