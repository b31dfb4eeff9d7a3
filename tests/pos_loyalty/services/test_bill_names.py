"""Every bill finalized at a till gets a short number ("T1-000123"), given in the finalize
transaction, never twice, kept across restarts and restores; people see bills by it."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from pos_loyalty import errors
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.history_words import describe
from pos_loyalty.services import backup, bill_names, bills, cards, open_replica, rejections, settings
from pos_loyalty.services.central_link import DEVICE_NAME
from support import make_bill


@pytest.fixture
def asha(replica) -> str:
    number = cards.issue(replica, name="Asha Rao", phone="9845012345").card_number
    cards.adjust(replica, number, "1000", reason="opening")
    return number


def numbers(replica) -> list[str]:
    return [row["billNumber"] for row in reversed(bills.recent(replica))]


def test_bills_are_numbered_one_after_another_and_a_repeat_keeps_its_number(replica, asha):
    first = bills.finalize(replica, asha, make_bill((1, "1234.50")), bill_id="B-1")
    second = bills.finalize(replica, None, make_bill((2, "10.00")))
    assert (first.result["billNumber"], second.result["billNumber"]) == ("T1-000001", "T1-000002")
    again = bills.finalize(replica, asha, make_bill((1, "1234.50")), bill_id="B-1")
    assert again.replayed and again.result == first.result  # the same bill, the same number
    assert numbers(replica) == ["T1-000001", "T1-000002"]


def test_a_sale_that_fails_gives_its_number_back_and_none_is_used_twice(replica, asha):
    bills.finalize(replica, asha, make_bill((2, "100.00")))
    with pytest.raises(LoyaltyError) as refused:
        bills.finalize(replica, asha, make_bill((2, "100.00"), redeem="999999"))
    assert refused.value.code in (errors.INSUFFICIENT_POINTS, errors.EXCEEDS_MAX_REDEMPTION)
    bills.finalize(replica, asha, make_bill((2, "100.00")))
    assert numbers(replica) == ["T1-000001", "T1-000002"]  # no gap: the refused bill wrote nothing


def test_the_count_carries_on_after_the_till_restarts(data_dir, replica, asha):
    bills.finalize(replica, asha, make_bill((2, "100.00")))
    replica.close()
    reopened = open_replica(data_dir)
    assert bills.finalize(reopened, asha, make_bill((2, "100.00"))).result["billNumber"] == "T1-000002"
    reopened.close()


def test_the_prefix_comes_from_the_device_name_or_the_tills_setting(replica, asha):
    settings.write(replica, **{DEVICE_NAME: "Counter 2"})  # as joining the central service leaves it
    assert bills.finalize(replica, asha, make_bill((2, "1.00"))).result["billNumber"] == "T2-000001"
    assert bill_names.set_prefix(replica, " c3 ") == "C3"
    assert bills.finalize(replica, asha, make_bill((2, "1.00"))).result["billNumber"] == "C3-000002"
    assert numbers(replica) == ["T2-000001", "C3-000002"]  # a bill keeps the number it was given
    assert bill_names.next_number(replica) == "C3-000003"


def test_a_bill_is_found_by_its_short_number_or_its_id(replica, asha):
    sold = bills.finalize(replica, asha, make_bill((1, "1234.50")))
    bill_id = sold.result["billId"]
    for typed in ("T1-000001", "t1-1", bill_id):
        found = bill_names.find(replica, typed)
        assert (found.bill_id, found.number, found.customer) == (bill_id, "T1-000001", "Asha Rao")
    local, currency = bill_names.shown(replica)
    assert found.said(local, currency) == f"T1-000001, Asha Rao, ₹{sold.result['payable']:,}"
    with pytest.raises(LoyaltyError, match="No bill T1-000002 at this till") as missing:
        bill_names.find(replica, "T1-2")
    assert missing.value.code == errors.BILL_NOT_FOUND
    with pytest.raises(LoyaltyError) as missing:
        bill_names.find(replica, "NO-SUCH-BILL")
    assert missing.value.code == errors.BILL_NOT_FOUND


def test_a_bill_whose_id_looks_like_a_number_is_found_by_its_id_first(replica, asha):
    bills.finalize(replica, asha, make_bill((2, "1.00")))  # T1-000001
    odd = bills.finalize(replica, asha, make_bill((2, "2.00")), bill_id="T1-000001")  # T1-000002
    assert bill_names.find(replica, "T1-000001").bill_id == "T1-000001" == odd.result["billId"]
    assert odd.result["billNumber"] == "T1-000002"


def test_history_and_the_reversal_name_the_bill_by_its_number(replica, asha):
    sold = bills.finalize(replica, asha, make_bill((1, "500.00")), bill_id="81624eb9-4c2e-4a55-9f3e-0c8a1f2d3e4b")
    bills.reverse(replica, sold.result["billId"])
    said = [describe(row) for row in cards.history(replica, asha)]
    assert all(sold.result["billId"] not in sentence for sentence in said), said
    assert said[0] == f"Took back {sold.result['pointsEarned']} points of bill T1-000001: the bill was reversed"
    assert "Earned" in said[1] and said[1].endswith("bill T1-000001")
    with pytest.raises(LoyaltyError, match="Bill T1-000001 was already reversed"):
        bills.reverse(replica, sold.result["billId"])


def test_the_central_service_gets_the_bill_by_its_id_only(replica, asha):
    """The short number is the till's name for people; the wire keeps the bill's id."""
    bills.finalize(replica, asha, make_bill((1, "500.00")))
    with closing(sqlite3.connect(replica.path)) as db:
        (payload,) = db.execute("SELECT payload FROM outbox WHERE kind = 'bill.finalized'").fetchone()
    assert "billNumber" not in payload and "T1-000001" not in payload


def test_a_rejected_bill_is_said_by_its_number(replica, asha):
    bills.finalize(replica, asha, make_bill((1, "500.00")), bill_id="B-77")
    with closing(sqlite3.connect(replica.path)) as db, db:
        db.execute("UPDATE outbox SET status = 'REJECTED', error_code = 'X', error_message = 'no' WHERE kind = 'bill.finalized'")
    [waiting] = rejections.waiting(replica)
    assert waiting["what"].startswith(f"Bill T1-000001, card {asha}") and waiting["billNumber"] == "T1-000001"


def test_a_restore_never_gives_a_number_twice(replica, asha, data_dir, tmp_path):
    """Bills dropped by a restore may be on receipts already: their numbers are not given again."""
    bills.finalize(replica, asha, make_bill((2, "100.00")))
    saved = backup.backup(replica, tmp_path / "saved.sqlite3")
    bills.finalize(replica, asha, make_bill((2, "200.00")))  # T1-000002, not in the backup
    backup.restore(data_dir, saved.path, discard_newer=True)
    assert numbers(replica) == ["T1-000001"]
    assert bills.finalize(replica, asha, make_bill((2, "50.00"))).result["billNumber"] == "T1-000003"


def test_bill_show_has_the_result_its_customer_state_and_returns(replica, asha):
    from pos_loyalty.services import returns

    sold = bills.finalize(replica, asha, make_bill((1, "300.00"), (2, "200.00")))
    found = returns.returnable(replica, sold.result["billId"])
    returns.return_lines(replica, sold.result["billId"], returns.asks_from_text(found, [(1, "")]))
    shown = bills.show(replica, "T1-000001")
    assert (shown["billNumber"], shown["customerName"], shown["status"]) == ("T1-000001", "Asha Rao", bills.FINALIZED)
    assert shown["payable"] == sold.result["payable"] and len(shown["returns"]) == 1


def test_a_return_of_a_line_the_bill_has_not_names_the_bill_and_counts_as_its_reader_does(replica, asha):
    from pos_loyalty.errors import InvalidInput
    from pos_loyalty.services import returns

    sold = bills.finalize(replica, asha, make_bill((1, "300.00"), (2, "200.00")))
    found = returns.returnable(replica, sold.result["billId"])
    assert found.number == "T1-000001"
    with pytest.raises(InvalidInput) as on_screen:  # the return screen counts lines from 1
        returns.asks_from_text(found, [(2, "")], first=1)
    assert on_screen.value.message.endswith("Bill T1-000001 has no line 3 (its lines are 1 to 2)")
    with pytest.raises(InvalidInput) as by_command:  # the command line, as the API, from 0
        returns.asks_from_text(found, [(5, "")])
    assert by_command.value.message.endswith("Bill T1-000001 has no line 5 (its lines are 0 to 1)")
