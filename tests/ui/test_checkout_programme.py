"""Promotions, prescriptions and reward products at the counter (issue 14): what the cashier
sees on the checkout and the receipt, driven with keys on a real window and replica."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from counter_keys import shown_window
from PySide6.QtCore import Qt

from pos_loyalty.rules.programme import local_date
from pos_loyalty.services import bills, cards, configuration, demo, parked
from ui.checkout.bill_notes import NOT_REDEEMABLE_NOTE
from counter_keys import answer_dialog, press, ring_up, scan
from ui.main_window import MainWindow
from ui.receipt_text import receipt_text

NOTE = 5  # the lines table's last column


@pytest.fixture
def programme(replica):
    """The demo pharmacy's configuration: Prescriptions (5) points may not pay for, double
    points on Baby Care (3) running today, rewards LOTION-100 (250) and BP-CHECK (150)."""
    configuration.save(replica, demo.sample_config(local_date(replica.clock(), demo.TIME_ZONE)))
    return configuration.in_use(replica)


@pytest.fixture
def window(qtbot, replica, data_dir: Path, programme) -> MainWindow:
    return shown_window(qtbot, replica, data_dir)


def card_with(replica, phone: str, opening: str) -> str:
    number = cards.issue(replica, name="Asha Rao", phone=phone).card_number
    if Decimal(opening):
        cards.adjust(replica, number, opening, reason="opening")
    return number


@pytest.fixture
def customer(replica, programme) -> str:
    return card_with(replica, "9845012345", "1000")










def cell(window: MainWindow, row: int, column: int) -> str:
    return window.checkout.lines.item(row, column).text()


def test_the_promotion_running_today_is_named_on_the_bill_and_its_line(qtbot, window, customer):
    scan(qtbot, window, customer)
    ring_up(qtbot, window, "3", "100.00")
    ring_up(qtbot, window, "1", "100.00")
    assert window.checkout.totals.promotion.text() == "Double points on Baby Care today"
    assert cell(window, 0, NOTE) == "Double points on Baby Care" and cell(window, 1, NOTE) == ""
    # Baby Care: 90.00 paid x 5 % x2 = 9.00; Medicines 95.00 x 1 % = 0.95 (the core's figures)
    assert window.checkout.totals.earned.text().startswith("Earns 9.95 points")


def test_a_walk_in_earns_nothing_so_no_promotion_is_said(qtbot, window, programme):
    ring_up(qtbot, window, "3", "100.00")
    assert window.checkout.totals.promotion.text() == ""
    assert cell(window, 0, NOTE) == ""


def test_a_prescription_line_says_points_cannot_pay_for_it(qtbot, window, customer):
    scan(qtbot, window, customer)
    ring_up(qtbot, window, "presc", "400.00")
    ring_up(qtbot, window, "2", "100.00")
    assert cell(window, 0, NOTE) == NOT_REDEEMABLE_NOTE == "prescription: points cannot pay for it"
    assert cell(window, 1, NOTE) == ""
    press(window, "F5")  # the most: only General's 100.00 may be paid with points
    assert window.checkout.totals.redeem.text() == "1000.00"
    assert window.checkout.quote["lines"][0]["pointsDiscount"] == Decimal("0.00")
    assert cell(window, 0, 4) == "400.00"  # the prescription is paid in full


def test_a_reward_typed_where_the_card_goes_is_added_with_its_points_price(qtbot, window, customer):
    scan(qtbot, window, customer)
    scan(qtbot, window, "lotion-100")
    assert cell(window, 0, 0) == "Reward: Baby lotion 100 ml (LOTION-100)"
    assert cell(window, 0, 1) == "1 × 250.00 pts" and cell(window, 0, NOTE) == "250.00 points"
    scan(qtbot, window, "LOTION-100")  # again: two of it
    assert window.checkout.lines.rowCount() == 1 and cell(window, 0, NOTE) == "500.00 points"
    assert window.checkout.totals.reward_points.text() == "500.00 points"
    assert window.checkout.card.card_number == customer  # still the customer's bill
    assert window.checkout.totals.finalize.isEnabled()  # a bill of reward products only


def test_a_reward_is_picked_from_the_list_with_f7(qtbot, window, customer):
    assert ("F7", "Add a reward product (bought with points)") in window.shortcuts
    scan(qtbot, window, customer)

    def pick(dialog) -> None:  # type: ignore[no-untyped-def]
        assert dialog.table.item(1, 2).text() == "150.00 points"
        qtbot.keyClicks(dialog.filter, "blood")
        assert dialog.table.rowCount() == 1
        dialog.quantity.setValue(2)
        qtbot.keyClick(dialog.filter, Qt.Key.Key_Return)

    answer_dialog(pick)
    press(window, "F7")
    assert cell(window, 0, 0) == "Reward: Blood pressure check (BP-CHECK)"
    assert cell(window, 0, 1) == "2 × 150.00 pts"
    assert window.checkout.totals.reward_points.text() == "300.00 points"


def test_too_few_points_for_a_reward_are_said_at_once_and_the_bill_is_kept(qtbot, window, replica, programme):
    poor = card_with(replica, "9845099999", "100")
    scan(qtbot, window, poor)
    ring_up(qtbot, window, "2", "50.00")
    scan(qtbot, window, "LOTION-100")
    totals = window.checkout.totals
    assert totals.rewards_problem.text() == "The reward products cost 250.00 points; the card has only 100.00"
    assert not totals.finalize.isEnabled()
    assert totals.payable.text() == "₹50.00"  # the lines' money is still shown
    assert cell(window, 1, NOTE) == "not on the bill yet"
    window.checkout.lines.setFocus()
    window.checkout.lines.setCurrentCell(1, 0)
    qtbot.keyClick(window.checkout.lines, Qt.Key.Key_Delete)  # the reward comes off; the line stays
    assert window.checkout.draft.rewards == [] and len(window.checkout.draft.lines) == 1
    assert totals.rewards_problem.text() == "" and totals.finalize.isEnabled()


def test_a_reward_and_a_redemption_together_over_the_balance_name_the_redemption(qtbot, window, customer):
    scan(qtbot, window, customer)
    ring_up(qtbot, window, "2", "2000.00")
    scan(qtbot, window, "LOTION-100")
    window.checkout.totals.redeem.setFocus()
    qtbot.keyClicks(window.checkout.totals.redeem, "900")
    assert "250.00 of them go to reward products" in window.checkout.totals.redeem_problem.text()
    assert window.checkout.totals.rewards_problem.text() == ""
    assert not window.checkout.totals.finalize.isEnabled()


def test_a_reward_without_a_card_asks_for_the_card(qtbot, window, customer):
    ring_up(qtbot, window, "2", "50.00")
    scan(qtbot, window, "BP-CHECK")
    assert window.checkout.totals.rewards_problem.text() == "Reward products are bought with points: scan the customer's card first"
    assert not window.checkout.totals.finalize.isEnabled()
    scan(qtbot, window, customer)
    assert window.checkout.totals.rewards_problem.text() == ""
    assert window.checkout.totals.finalize.isEnabled()


def test_rewards_survive_park_and_resume_and_a_withdrawn_one_is_said(qtbot, window, replica, customer):
    scan(qtbot, window, customer)
    scan(qtbot, window, "LOTION-100")
    press(window, "F8")  # a bill of a reward only is parked too
    assert window.checkout.draft.rewards == [] and [p.label for p in parked.parked(replica)] == ["Asha Rao"]
    document = configuration.export(replica)
    document["rewards"][0]["isActive"] = False  # the manager withdraws it meanwhile
    configuration.save(replica, document)
    answer_dialog(lambda dialog: dialog.resume())
    press(window, "Shift+F8")
    assert window.checkout.draft.rewards == [["LOTION-100", 1]]
    assert window.checkout.totals.rewards_problem.text() == "There is no reward product LOTION-100 at this pharmacy now"
    assert not window.checkout.totals.finalize.isEnabled()


def test_the_receipt_lists_rewards_with_their_points_and_the_promotion(qtbot, window, replica, customer):
    scan(qtbot, window, customer)
    ring_up(qtbot, window, "3", "100.00")
    scan(qtbot, window, "LOTION-100")
    seen: list[str] = []

    def read_then_close(receipt) -> None:  # type: ignore[no-untyped-def]
        seen.append(receipt.text)
        receipt.accept()

    answer_dialog(read_then_close)
    press(window, "F12")
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    text = seen[0]
    assert "Reward products (paid with points)" in text
    assert "1 x Baby lotion 100 ml" in text and "250.00 pts" in text
    assert "  incl. Double points on Baby Care" in text
    assert "Points for reward products" in text and "-250.00" in text
    assert cards.find(replica, customer).points_balance == 100_000 - 25_000 + 900  # 1000 - 250 + 9.00 earned


def test_a_receipt_names_a_promotion_no_longer_configured_by_its_number(replica, customer):
    result = bills.finalize(replica, customer, demo_bill()).result
    assert "  incl. Promotion 1" in receipt_text(result, "Asha Rao", "Test Pharmacy", "₹", {})


def test_a_configuration_changed_just_before_finalizing_is_said(qtbot, window, replica, customer):
    scan(qtbot, window, customer)
    ring_up(qtbot, window, "3", "100.00")
    document = configuration.export(replica)
    document["promotions"][0]["multiplier"] = Decimal("3.00")
    configuration.save(replica, document)  # a pull the screen has not heard of yet
    results: list[dict] = []
    window.checkout.finalized.connect(lambda result, _card: results.append(result))
    answer_dialog(lambda receipt: receipt.accept())
    press(window, "F12")
    qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    assert results[0]["pointsEarned"] == Decimal("13.50")  # x3: the configuration as it was at finalize
    assert "the receipt's figures are the ones that count" in window.checkout.notice.text()


def demo_bill():
    from support import make_bill

    return make_bill((3, "100.00"))
