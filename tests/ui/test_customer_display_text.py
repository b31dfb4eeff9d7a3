"""What the customer display says of a bill (no Qt): the core's own quote, put in words."""

from __future__ import annotations

from decimal import Decimal

from pos_loyalty.rules import bill_from_json
from pos_loyalty.services import bills, cards, configuration
from ui.bill_draft import Line
from ui.checkout.shown import ShownBill
from ui.customer_display_text import MAX_LINES, bill_said, first_name, thanks_said


def shown(replica, number: str | None, items: list[dict], **bill) -> ShownBill:  # type: ignore[no-untyped-def]
    quote = bills.quote(replica, number, bill_from_json({"items": items, **bill})).to_json()
    card = cards.find(replica, number) if number else None
    return ShownBill(card, quote, (), (), "₹", True)


def test_first_names_only():
    assert first_name("Asha Rao") == "Asha"
    assert first_name("  asha  ") == "asha"
    assert first_name("Dr. Asha Rao") == "Dr. Asha" and first_name("Smt Lakshmi Devi") == "Smt Lakshmi"
    assert first_name("Dr.") == "Dr."
    assert first_name("9845012345") == first_name("") == first_name(None) == ""


def test_many_lines_show_the_newest_and_count_the_rest(replica):
    number = cards.issue(replica, name="Asha Rao", phone="9845012345").card_number
    said = bill_said(shown(replica, number, [{"categoryId": 2, "amount": f"{10 + n}.00"} for n in range(MAX_LINES + 3)]))
    assert len(said.lines) == MAX_LINES and said.earlier == "3 earlier lines"
    assert said.lines[-1][1] == "20.00"  # the newest line is last
    assert said.redemption == ""  # no points on the card to pay with


def test_the_most_the_bill_may_take_in_points_is_offered(replica):
    number = cards.issue(replica, name="Asha Rao", phone="9845012345").card_number
    cards.adjust(replica, number, "1000", reason="opening")
    said = bill_said(shown(replica, number, [{"categoryId": 2, "amount": "200.00"}]))
    assert said.redemption == "You may use up to 1,000.00 points"
    said = bill_said(shown(replica, number, [{"categoryId": 2, "amount": "200.00"}], redeemPoints="100", flatDiscount="5"))
    assert said.redemption == "Paying 100.00 points = ₹10.00"
    assert said.totals == [("Bill amount", "200.00"), ("Flat discount", "-5.00"), ("Paid with points", "-10.00")]
    assert said.payable == "₹185.00"


def test_with_the_programme_off_no_points_are_promised(replica):
    number = cards.issue(replica, name="Asha Rao", phone="9845012345").card_number
    configuration.save(replica, {"isEnabled": False}, keep_missing=True)
    bill = shown(replica, number, [{"categoryId": 2, "amount": "100.00"}])
    said = bill_said(ShownBill(bill.card, bill.quote, (), ("Double points on Baby Care today",), "₹", True))
    assert said.earn == "" and said.promotions == []


def test_quantities_are_said_as_rung_up(replica):
    quote = bills.quote(replica, None, bill_from_json({"items": [{"categoryId": 2, "quantity": "3", "unitPrice": "12.50"}]})).to_json()
    said = bill_said(ShownBill(None, quote, (Line(2, None, Decimal("3"), Decimal("12.50")),), (), "₹", True))
    assert said.lines == [("General  3 × 12.50", "37.50", "")]
    assert said.greeting == "Welcome" and said.balance == ""


def test_a_refused_bill_shows_no_figures():
    said = bill_said(ShownBill(None, None, (Line(9, Decimal("10")),), (), "₹", True))
    assert said.payable == "…" and said.lines == [] and said.totals == []


def test_thanks_say_what_was_earned_and_the_balance_now(replica):
    number = cards.issue(replica, name="Asha Rao", phone="9845012345").card_number
    card = cards.find(replica, number)
    done = bills.finalize(replica, number, bill_from_json({"items": [{"categoryId": 2, "amount": "300.00"}]}))
    assert thanks_said(done.result, card) == (
        "Thank you, Asha!", f"You earned {done.result['pointsEarned']} points\nNew balance {done.result['newBalance']} points",
    )
    assert done.result["pointsEarned"] == Decimal("9.00")
    tiny = bills.finalize(replica, number, bill_from_json({"items": [{"categoryId": 2, "amount": "0.10"}]}))
    assert tiny.result["pointsEarned"] == Decimal("0.00")
    assert thanks_said(tiny.result, card) == ("Thank you, Asha!", f"New balance {tiny.result['newBalance']} points")
    assert thanks_said(tiny.result, None) == ("Thank you!", "Please come again")
