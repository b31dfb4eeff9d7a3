"""A lost card replaced and two cards merged, at the counter: the real window offscreen, a
real replica, keys as a manager presses them; what the cashier reads, and the replica after."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from counter_keys import answer_dialog, press, ring_up, scan
from pos_loyalty import cardnumber
from pos_loyalty.services import card_lifecycle, cards, manager
from ui.checkout.card_panel import replaced_note
from ui.dialogs import pin
from ui.dialogs.merge_cards import MergeCardsDialog
from ui.dialogs.replace_card import ReplaceCardDialog
from ui.main_window import MainWindow

PREPRINTED = "270000000001" + cardnumber.check_digit("270000000001")  # a pre-printed card, "2" range
MANAGER_PIN = "2468"


@pytest.fixture
def pin_asked(replica):
    """The manager PIN is set and not given yet: the next manager action asks for it."""
    pin.lock()
    manager.set_pin(replica, MANAGER_PIN)
    yield MANAGER_PIN
    pin.lock()


class Dialogs:
    """The next modal dialogs, answered in turn. A step that fails records its error and
    closes its dialog (a test never hangs on an open dialog); `check()` raises it."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []
        self.seen: list[str] = []

    def then(self, step: Callable[[QWidget], None]) -> "Dialogs":
        def respond(dialog: QWidget) -> None:
            self.seen.append(type(dialog).__name__)
            try:
                step(dialog)
            except BaseException as error:  # noqa: BLE001 (re-raised by check())
                self.errors.append(error)
            finally:
                if dialog.isVisible():  # a step always closes its dialog; if it did not, that is a failure
                    if not self.errors:
                        self.errors.append(AssertionError(f"{type(dialog).__name__} was left open"))
                    QDialog.reject(dialog)

        answer_dialog(respond)
        return self

    def check(self) -> None:
        if self.errors:
            raise self.errors[0]


def enter(widget: QWidget) -> None:
    """Enter in a field, as the keyboard gives it (inside the dialog's own event loop)."""
    QTest.keyClick(widget, Qt.Key.Key_Return)


def escape(widget: QWidget) -> None:
    QTest.keyClick(widget, Qt.Key.Key_Escape)


def wait_for(condition: Callable[[], bool], timeout_ms: int = 10_000) -> None:
    """qtbot.waitUntil's job, inside a dialog's exec() (a failure closes the dialog: `Dialogs`)."""
    for _ in range(timeout_ms // 20):
        if condition():
            return
        QTest.qWait(20)
    assert condition(), "timed out"


def give_pin(dialog: QWidget) -> None:
    assert type(dialog).__name__ == "PinDialog"
    dialog.pin.setText(MANAGER_PIN)
    enter(dialog.pin)
    assert not dialog.isVisible(), dialog.problem.text()


# --- (a) scanning an old card ---------------------------------------------------------------


def test_scanning_a_replaced_card_opens_the_new_card_and_says_so(qtbot, window, replica, customer):
    new = card_lifecycle.replace(replica, customer, new_number=PREPRINTED, performed_by="manager").card_number
    panel = window.checkout.card_panel

    scan(qtbot, window, customer)  # the customer still has the old card in their purse
    assert window.checkout.card is not None and window.checkout.card.card_number == new
    assert panel.name.text() == "Asha Rao"
    assert panel.details.text().startswith(f"Card {new}")
    assert panel.balance.text() == "1,000.00 points"
    assert panel.replaced.text() == f"Card {customer} was replaced by card {new}; opening it"
    assert panel.replaced.isVisibleTo(panel) and not panel.problem.isVisibleTo(panel)

    ring_up(qtbot, window, "2", "100")  # the note stays while the card is on the bill
    assert panel.replaced.text() == replaced_note(customer, new)
    assert window.checkout.draft.card_number == new and window.checkout.quote is not None

    press(window, "F9")  # the card off the bill: the note goes with it
    assert panel.replaced.text() == "" and not panel.replaced.isVisibleTo(panel)

    scan(qtbot, window, new)  # the new card scanned: nothing to say about replacing
    assert window.checkout.card.card_number == new and not panel.replaced.isVisibleTo(panel)


def test_a_card_replaced_at_another_till_not_synced_yet_says_what_to_do(qtbot, window, replica, customer):
    elsewhere = "290000100005"
    elsewhere += cardnumber.check_digit(elsewhere)
    with replica.writing() as uow:  # as a pull leaves it: the old card stopped, its successor not here yet
        uow.connection.exec_driver_sql(
            f"UPDATE cards SET is_active = 0, replaced_by_number = '{elsewhere}' WHERE card_number = '{customer}'"
        )
        uow.commit()
    scan(qtbot, window, customer)
    panel = window.checkout.card_panel
    assert panel.problem.text() == (
        f"Card {customer} was replaced by card {elsewhere}, which this till has not received yet: "
        f"sync, or scan card {elsewhere}"
    )
    assert not panel.issue.isVisibleTo(panel)  # no "Issue a card" for a customer who has one
    assert window.checkout.card is None


# --- (b) replacing a lost card: Ctrl+L ---------------------------------------------------------


def test_ctrl_l_replaces_the_card_with_a_preprinted_one(qtbot, window, replica, customer, pin_asked):
    scan(qtbot, window, customer)
    said: dict[str, str] = {}

    def replace(dialog: QWidget) -> None:
        assert isinstance(dialog, ReplaceCardDialog)
        said["old"] = dialog.old_card.text()
        said["warning"] = dialog.warning.text()
        assert dialog.number.hasFocus()
        QApplication.focusWidget().insert(PREPRINTED)  # typed (a scanner goes through take_scan)
        enter(dialog.number)  # Enter = OK
        wait_for(lambda: dialog.replaced is not None or dialog.problem.isVisible())
        assert dialog.replaced is not None, dialog.problem.text()
        said["summary"] = dialog.summary.text()
        assert not dialog.preview.pixmap().isNull()
        enter(dialog.done_button)  # Done

    dialogs = Dialogs().then(give_pin).then(replace)
    press(window, "Ctrl+L")
    dialogs.check()
    assert dialogs.seen == ["PinDialog", "ReplaceCardDialog"]

    assert said["old"] == f"Card {customer}: Asha Rao, phone ••••••2345, 1,000.00 points"
    assert said["warning"].startswith(f"Everything on card {customer} (its 1,000.00 points")
    assert said["warning"].endswith(f"moves to the new card; card {customer} stops working.")
    assert said["summary"] == f"Card {PREPRINTED} replaces card {customer}: 1,000.00 points"

    screen = window.checkout
    assert screen.card.card_number == PREPRINTED and screen.draft.card_number == PREPRINTED
    assert screen.card_panel.details.text().startswith(f"Card {PREPRINTED}")
    assert screen.card_panel.balance.text() == "1,000.00 points"
    assert window.statusBar().currentMessage() == f"Card {customer} replaced by card {PREPRINTED}"
    old, new = cards.find(replica, customer), cards.find(replica, PREPRINTED)
    assert not old.is_active and old.replaced_by_number == PREPRINTED and old.points_balance == 0
    assert new.is_active and new.points_balance == 100000 and new.referrer_number == old.referrer_number


def test_a_taken_number_is_said_in_the_dialog_and_changes_nothing(qtbot, window, replica, customer, manager_unlocked):
    taken = cards.find_by_phone(replica, "9000000001")[0].card_number  # Bina's card
    scan(qtbot, window, customer)
    said: dict[str, object] = {}

    def refused(dialog: QWidget) -> None:
        dialog.number.insert(taken)
        enter(dialog.number)
        wait_for(lambda: dialog.problem.isVisible())
        said["problem"] = dialog.problem.text()
        said["open"] = dialog.isVisible() and dialog.stack.currentIndex() == 0
        said["focus"] = dialog.number.hasFocus()
        escape(dialog.number)

    dialogs = Dialogs().then(refused)
    press(window, "Ctrl+L")
    dialogs.check()
    assert said == {"problem": f"Card {taken} has already been issued", "open": True, "focus": True}
    card = cards.find(replica, customer)
    assert card.is_active and card.replaced_by_number is None and card.points_balance == 100000
    assert window.checkout.card.card_number == customer


def test_replacing_with_the_tills_next_number_and_a_scanned_number(qtbot, window, replica, customer, manager_unlocked, data_dir):
    scan(qtbot, window, customer)
    said: dict[str, object] = {}

    def scanned_then_cleared(dialog: QWidget) -> None:
        window.scanned(PREPRINTED)  # a scanner, while the dialog is open: into its field
        said["scanned"] = dialog.number.text()
        assert window.checkout.card.card_number == customer  # not opened behind the dialog
        dialog.number.clear()  # the manager changes their mind: the till's next number
        enter(dialog.number)
        wait_for(lambda: dialog.replaced is not None or dialog.problem.isVisible())
        assert dialog.replaced is not None, dialog.problem.text()
        said["new"] = dialog.replaced.card_number
        if not QPrinterInfo.availablePrinters():
            dialog.print_button.click()
            said["printed"] = dialog.note.text()
        escape(dialog.done_button)  # Esc after the card was replaced closes as Done

    dialogs = Dialogs().then(scanned_then_cleared)
    press(window, "Ctrl+L")
    dialogs.check()
    new = str(said["new"])
    assert said["scanned"] == PREPRINTED
    assert new != PREPRINTED and new.startswith(cardnumber.LOCAL_BLOCK_PREFIX) and len(new) == 13
    if "printed" in said:
        assert said["printed"] == f"Saved the card as {data_dir / 'cards' / f'{new}.pdf'} (no printer here)"
        assert (data_dir / "cards" / f"{new}.pdf").read_bytes().startswith(b"%PDF")
    assert window.checkout.card.card_number == new
    assert cards.find(replica, customer).replaced_by_number == new


def test_replace_and_merge_need_a_card_and_the_manager(qtbot, window, replica, customer, pin_asked):
    press(window, "Ctrl+L")
    assert window.statusBar().currentMessage() == "Scan the customer's card first (the card to replace)"
    press(window, "Ctrl+M")
    assert window.statusBar().currentMessage() == "Scan the customer's card first (the card to keep)"

    scan(qtbot, window, customer)

    def wrong_pin(dialog: QWidget) -> None:
        assert type(dialog).__name__ == "PinDialog"
        dialog.pin.setText("0000")
        enter(dialog.pin)
        escape(dialog.pin)

    dialogs = Dialogs().then(wrong_pin)
    press(window, "Ctrl+L")
    dialogs.check()
    assert dialogs.seen == ["PinDialog"]  # no PIN, no replace dialog
    assert cards.find(replica, customer).replaced_by_number is None
    keys = dict(window.shortcuts)
    assert keys["Ctrl+L"] == "Replace a lost card" and keys["Ctrl+M"] == "Merge two cards of one customer"


# --- (c) merging two cards: Ctrl+M ------------------------------------------------------------------


def test_ctrl_m_merges_the_other_card_into_the_card_on_the_bill(qtbot, window, replica, customer, manager_unlocked):
    other = cards.issue(replica, name="Asha R", phone="9845099999").card_number  # the same customer's second card
    cards.adjust(replica, other, "250", reason="opening")
    scan(qtbot, window, customer)
    said: dict[str, object] = {}

    def merge(dialog: QWidget) -> None:
        assert isinstance(dialog, MergeCardsDialog)
        said["kept"] = dialog.kept.text()
        said["before"] = dialog.preview.text()
        # Not a whole number yet: no preview. (Seven digits: twelve would be a whole UPC-A
        # number one time in ten, as the till's block of numbers is drawn at random.)
        dialog.other.insert(other[:7])
        said["partial"] = dialog.preview.text()
        dialog.other.insert(other[7:])
        said["preview"] = dialog.preview.text()
        said["warning"] = dialog.warning.text()
        enter(dialog.other)  # Enter = OK
        wait_for(lambda: not dialog.isVisible() or dialog.problem.isVisible())
        said["problem"] = dialog.problem.text()

    dialogs = Dialogs().then(merge)
    press(window, "Ctrl+M")
    dialogs.check()
    assert said["kept"] == f"Card {customer}: Asha Rao, phone ••••••2345, 1,000.00 points"
    assert said["before"] == said["partial"] == "Scan the customer's other card, or type its whole number."
    assert said["preview"] == (
        f"Card {other}: Asha R, phone ••••••9999, 250.00 points.\nAfter the merge card {customer} has 1,250.00 points."
    )
    assert said["warning"].endswith(f"moves to card {customer}; card {other} stops working.")
    assert said["problem"] == ""

    screen = window.checkout
    assert screen.card.card_number == customer and screen.card_panel.balance.text() == "1,250.00 points"
    assert window.statusBar().currentMessage() == f"Card {other} merged into card {customer}"
    kept, merged = cards.find(replica, customer), cards.find(replica, other)
    assert kept.points_balance == 125000 and kept.is_active
    assert merged.replaced_by_number == customer and not merged.is_active and merged.points_balance == 0


def test_a_refused_merge_is_said_in_the_dialog(qtbot, window, replica, customer, manager_unlocked):
    other = cards.issue(replica, name="Asha R", phone="9845099999").card_number
    card_lifecycle.replace(replica, other, performed_by="manager")  # that card is gone already
    scan(qtbot, window, customer)
    said: dict[str, object] = {}

    def refused(dialog: QWidget) -> None:
        window.scanned(customer)  # the card on the bill itself, scanned
        said["itself"] = dialog.preview.text()
        dialog.other.setText(other)
        said["replaced"] = dialog.preview.text()
        enter(dialog.other)
        wait_for(lambda: dialog.problem.isVisible())
        said["problem"] = dialog.problem.text()
        said["open"] = dialog.isVisible()
        escape(dialog.other)

    dialogs = Dialogs().then(refused)
    press(window, "Ctrl+M")
    dialogs.check()
    assert said["itself"] == f"Card {customer} is the card on the bill: scan the customer's other card."
    assert said["replaced"].startswith(f"Card {other} was already replaced by (or merged into) card ")
    assert said["problem"].startswith(f"Card {other} was replaced by card ") and said["open"] is True
    assert cards.find(replica, customer).points_balance == 100000


# --- (d) the history in words ------------------------------------------------------------------------


def test_the_history_says_the_card_was_replaced_and_by_whom(qtbot, window, replica, customer):
    new = card_lifecycle.replace(replica, customer, new_number=PREPRINTED, performed_by="manager-2").card_number
    scan(qtbot, window, customer)
    assert window.checkout.card.card_number == new
    rows: list[list[str]] = []

    def read(dialog: QWidget) -> None:
        wait_for(lambda: dialog.table.rowCount() > 0)
        table = dialog.table
        rows.extend([table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount()))
        dialog.accept()

    dialogs = Dialogs().then(read)
    press(window, "F11")
    dialogs.check()
    assert [row[1] for row in rows] == [f"Card replaced: moved from card {customer} (by manager-2)"]
    assert rows[0][2] == "1,000.00" and rows[0][3] == "1,000.00"

    from ui.dialogs.history import HistoryDialog

    dialog = HistoryDialog(replica, cards.find(replica, customer), window)  # the old card's own history
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=10_000)
    assert [dialog.table.item(r, 1).text() for r in range(2)] == [
        f"Card replaced: moved to card {new} (by manager-2)",
        "Adjusted by +1,000.00 points: opening",
    ]


def test_a_usb_scanner_types_the_other_card_into_the_merge_dialog(qtbot, replica, data_dir, customer, manager_unlocked):
    from devices.qt_scanner import Scanners

    scanners = Scanners(None)  # the keyboard-wedge filter on the whole app
    window = MainWindow(replica, data_dir, "cashier-1", pharmacy="Test Pharmacy", scanners=scanners)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    other = cards.issue(replica, name="Asha R", phone="9845099999").card_number
    window.checkout.scanned(customer)
    said: dict[str, str] = {}

    def scanned_in(dialog: QWidget) -> None:
        for char in other:  # the scanner's fast keys, then Enter: a scan, not typing
            QTest.keyClick(dialog.other, char)
        QTest.keyClick(dialog.other, Qt.Key.Key_Return)
        said["field"] = dialog.other.text()
        said["preview"] = dialog.preview.text()
        said["behind"] = window.checkout.card.card_number
        escape(dialog.other)  # the scanner's Enter confirmed nothing: the manager cancels

    try:
        dialogs = Dialogs().then(scanned_in)
        press(window, "Ctrl+M")
        dialogs.check()
    finally:
        scanners.stop()
    assert said["field"] == other and said["preview"].startswith(f"Card {other}: Asha R")
    assert said["behind"] == customer  # the checkout behind the dialog did not open the scanned card
    assert cards.find(replica, other).replaced_by_number is None
