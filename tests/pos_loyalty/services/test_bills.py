"""Finalizing and reversing bills through the services, on a real replica file."""

from decimal import Decimal

import pytest

from support import dump_replica, make_bill
from pos_loyalty import errors, jsonio
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.services import bills, cards

D = Decimal


def outbox_rows(replica):
    import sqlite3

    with sqlite3.connect(replica.path) as connection:
        return connection.execute("SELECT device_seq, kind, payload, status FROM outbox ORDER BY device_seq").fetchall()


def test_worked_example_through_the_till(replica, referred_pair):
    card_a, card_b = referred_pair
    done = bills.finalize(replica, card_a, make_bill((1, "500.00"), (2, "500.00"), redeem="200"), bill_id="B-1")
    assert done.result["payable"] == D("955.00")
    assert done.result["newBalance"] == D("819.34")
    assert cards.find(replica, card_a).points_balance == 81934
    assert cards.find(replica, card_b).points_balance == 477
    assert cards.find(replica, card_b).total_referral_points_earned == 477
    history = cards.history(replica, card_a)
    assert [(row["transactionType"], row["points"], row["balanceAfter"]) for row in history[:3]] == [
        ("EARNED", D("14.69"), D("819.34")),
        ("EARNED", D("4.65"), D("804.65")),
        ("REDEEMED", D("-200.00"), D("800.00")),
    ]
    assert history[0]["categoryName"] == "General" and history[0]["pointPercentage"] == D("3.00")


def test_the_rows_stored_together_are_handed_back_with_their_own_ids(replica, referred_pair):
    """The ledger's rows of one action go to SQLite in one call and their ids are worked out
    from the last one: each row handed back (an adjustment's answer shows its id; a bill's
    rows are read by id when reversed) must be the row of that id in the file."""
    import sqlite3

    from pos_loyalty.rules.postings import adjustment_posting
    from pos_loyalty.services import card_records, ledger, outbox

    card_a, card_b = referred_pair
    bills.finalize(replica, card_a, make_bill((1, "500.00"), redeem="100"), bill_id="B-rows")  # rows before
    with replica.writing() as uow:
        a, b = card_records.load(uow, card_a), card_records.load(uow, card_b)
        postings = [adjustment_posting(a, 500, "one"), adjustment_posting(b, 300, "two"), adjustment_posting(a, -200, "three")]
        seq = outbox.append(uow, "card.adjusted", {"test": True}, config_version=1)  # the rows' mutation
        stored = ledger.store(uow, postings, performed_by="test", device_seq=seq)
        uow.commit()
    with sqlite3.connect(replica.path) as connection:
        written = {
            row_id: (card_id, description, points, balance)
            for row_id, card_id, description, points, balance in connection.execute(
                "SELECT id, card_id, description, points, balance_after FROM ledger WHERE device_seq = ?", (seq,)
            )
        }
    assert len(stored) == len(written) == 3
    assert [written[entry["id"]] for entry in stored] == [
        (entry["card_id"], entry["description"], entry["points"], entry["balance_after"]) for entry in stored
    ]
    assert [written[entry["id"]][1] for entry in stored] == ["one", "two", "three"]


def test_finalize_writes_its_outbox_mutation_with_the_whole_bill(replica, referred_pair):
    card_a, card_b = referred_pair
    before = len(outbox_rows(replica))
    bills.finalize(replica, card_a, make_bill((1, "500.00"), (2, "500.00"), redeem="200"), bill_id="B-2")
    rows = outbox_rows(replica)
    assert len(rows) == before + 1
    seq, kind, payload, status = rows[-1]
    assert (seq, kind, status) == (before + 1, "bill.finalized", "PENDING")
    body = jsonio.loads(payload)
    assert body["billId"] == "B-2" and body["cardNumber"] == card_a
    assert body["redeemPoints"] == D("200.00")
    assert [item["amount"] for item in body["items"]] == [D("500.00"), D("500.00")]
    assert [(r["cardNumber"], r["transactionType"], r["points"]) for r in body["ledger"]] == [
        (card_a, "REDEEMED", D("-200.00")),
        (card_a, "EARNED", D("4.65")),
        (card_a, "EARNED", D("14.69")),
        (card_b, "REFERRAL_EARNED", D("4.77")),
    ]
    assert body["result"]["payable"] == D("955.00")


def test_finalizing_the_same_bill_again_returns_the_first_result_and_writes_nothing(replica, referred_pair):
    card_a, _ = referred_pair
    bill = make_bill((3, "120.00"), redeem="100")
    first = bills.finalize(replica, card_a, bill, bill_id="SAME")
    snapshot = dump_replica(replica)
    again = bills.finalize(replica, card_a, bill, bill_id="SAME")
    assert again.replayed and not first.replayed
    assert again.result == first.result
    assert dump_replica(replica) == snapshot


def test_same_bill_id_with_a_different_bill_is_a_conflict(replica, referred_pair):
    card_a, _ = referred_pair
    bills.finalize(replica, card_a, make_bill((3, "120.00")), bill_id="X1")
    snapshot = dump_replica(replica)
    with pytest.raises(LoyaltyError) as caught:
        bills.finalize(replica, card_a, make_bill((3, "121.00")), bill_id="X1")
    assert caught.value.code == errors.IDEMPOTENCY_CONFLICT
    assert dump_replica(replica) == snapshot


def test_a_bill_without_a_card_is_kept_and_queued(replica):
    done = bills.finalize(replica, None, make_bill((1, "100.00"), flat="10.00"))
    assert done.result["payable"] == D("90.00") and done.result["newBalance"] is None
    assert outbox_rows(replica)[-1][1] == "bill.finalized"
    assert bills.recent(replica)[0]["billId"] == done.result["billId"]


def test_reverse_restores_both_cards_and_is_done_once(replica, referred_pair):
    card_a, card_b = referred_pair
    before_a, before_b = cards.find(replica, card_a), cards.find(replica, card_b)
    bills.finalize(replica, card_a, make_bill((1, "500.00"), (2, "500.00"), redeem="200"), bill_id="R1")
    reversal = bills.reverse(replica, "R1")
    assert [row["transactionType"] for row in reversal["rows"]] == ["REVERSED"] * 4
    after_a, after_b = cards.find(replica, card_a), cards.find(replica, card_b)
    for before, after in ((before_a, after_a), (before_b, after_b)):
        assert after.points_balance == before.points_balance
        assert after.total_points_earned == before.total_points_earned
        assert after.total_points_redeemed == before.total_points_redeemed
        assert after.total_referral_points_earned == before.total_referral_points_earned
    assert outbox_rows(replica)[-1][1] == "bill.reversed"
    assert bills.recent(replica)[0]["status"] == "REVERSED"
    snapshot = dump_replica(replica)
    with pytest.raises(LoyaltyError) as caught:
        bills.reverse(replica, "R1")
    assert caught.value.code == errors.ALREADY_REVERSED
    assert dump_replica(replica) == snapshot


def test_reversal_can_take_a_balance_below_zero_and_then_the_card_cannot_redeem(replica):
    card = cards.issue(replica, name="Spender", phone="9000000100").card_number
    bills.finalize(replica, card, make_bill((3, "10000.00")), bill_id="BIG")  # 9,000.00 after discount: earns 450.00
    bills.finalize(replica, card, make_bill((2, "2000.00"), redeem="450"), bill_id="SPEND")
    bills.reverse(replica, "BIG")
    view = cards.find(replica, card)
    assert view.points_balance < 0
    with pytest.raises(LoyaltyError) as caught:
        bills.quote(replica, card, make_bill((2, "2000.00"), redeem="100"))
    assert caught.value.code == errors.INSUFFICIENT_POINTS


def test_quote_writes_nothing(replica, referred_pair):
    card_a, _ = referred_pair
    snapshot = dump_replica(replica)
    quote = bills.quote(replica, card_a, make_bill((1, "500.00"), (2, "500.00"), redeem="200"))
    assert quote.payable == 95500
    assert dump_replica(replica) == snapshot
