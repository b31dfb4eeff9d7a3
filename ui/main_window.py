"""The till's window: the checkout screen, every action a shortcut away, the sync state below.

Actions open dialogs from `ui/dialogs/`; manager actions ask for the PIN first. The
window listens to the one change signal and passes it on; it computes nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox

from pos_loyalty.amounts import points
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import parked, settings
from pos_loyalty.services.cards import CardView
from ui import messages, style
from ui.changes import CARDS, CONFIG, SYNC, Changes
from ui.checkout.screen import CheckoutScreen
from ui.customer_display import CustomerDisplay
from ui.dialogs.pin import require_manager
from ui.receipt_printer import ReceiptPrinter
from ui.style import figure
from ui.sync_status import SyncStatus


class MainWindow(QMainWindow):
    def __init__(
        self,
        replica: Replica,
        data_dir: Path,
        operator: str,
        *,
        pharmacy: str = "Pharmacy",
        currency: str = "₹",
        scanners: Any = None,
        printer: Any = None,
    ) -> None:
        super().__init__()
        self.replica, self.data_dir, self.operator = replica, data_dir, operator
        self.pharmacy, self.currency = pharmacy, currency
        style.use(settings.local(replica))  # the pharmacy's locale and time zone, for every figure and time
        self.changes = Changes()
        self.setWindowTitle(f"{pharmacy}: loyalty till")
        self.resize(1024, 768)
        self.checkout = CheckoutScreen(replica, self.changes, operator, currency)
        self.setCentralWidget(self.checkout)
        self.sync_status = SyncStatus(replica)
        self.statusBar().addWidget(self.sync_status)
        self.scanner_state = QLabel(objectName="scannerState")
        self.statusBar().addPermanentWidget(self.scanner_state)
        # ui.receipt_printer.ReceiptPrinter: the thermal printer's state, and slips printed on it
        self.receipt_printer = printer if printer is not None else ReceiptPrinter(None, self)
        self.printer_state = QLabel(objectName="printerState")
        self.statusBar().addPermanentWidget(self.printer_state)
        self.printer_state.hide()  # until a receipt printer set up says how it is
        self.receipt_printer.state.connect(self._printer_state)
        self.statusBar().addPermanentWidget(QLabel(f"Cashier: {operator}   F1: keys"))
        if scanners is not None:  # devices.qt_scanner.Scanners: the wedge and the serial scanner
            scanners.scanned.connect(self.scanned)
            scanners.status.connect(self._scanner_state)
        self.customer_display = CustomerDisplay(pharmacy, self)  # faces the customer; placed by place_customer_display
        self.customer_display_mode: str | None = None  # None: not placed yet (tests, screenshots)
        self.checkout.shown.connect(self.customer_display.show_bill)
        self.checkout.finalized.connect(self.customer_display.thank)  # before the receipt's modal dialog
        QApplication.instance().screenAdded.connect(self._screens_changed)
        QApplication.instance().screenRemoved.connect(self._screens_changed)
        self.checkout.finalized.connect(self.show_receipt)
        self.checkout.issue_card_requested.connect(self.issue_card)
        self.sync_status.problems_requested.connect(self.sync_problems)
        self.changes.changed.connect(self._elsewhere)
        self.shortcuts: list[tuple[str, str]] = []
        self._build_actions()
        self.checkout.scan.setFocus()

    # --- actions ----------------------------------------------------------------------------

    def _build_actions(self) -> None:
        screen = self.checkout
        menus: dict[str, Any] = {name: self.menuBar().addMenu(name) for name in ("&Bill", "&Customer", "&Manager", "&Help")}
        table: list[tuple[str, str, str, Callable[[], None]]] = [
            ("&Bill", "F2", "Next customer: scan a card", lambda: (screen.scan.setFocus(), screen.scan.selectAll())),
            ("&Bill", "F3", "Add a line", screen.entry.start),
            ("&Bill", "F4", "Points to redeem", lambda: (screen.totals.redeem.setFocus(), screen.totals.redeem.selectAll())),
            ("&Bill", "F5", "Redeem the most this bill allows", screen.redeem_max),
            ("&Bill", "F6", "Flat discount", lambda: (screen.totals.flat.setFocus(), screen.totals.flat.selectAll())),
            ("&Bill", "F7", "Add a reward product (bought with points)", self.pick_reward),
            ("&Bill", "F12", "Finalize the bill", screen.finalize),
            ("&Bill", "Ctrl+Return", "Finalize the bill", screen.finalize),
            ("&Bill", "F8", "Park this bill", self.park),
            ("&Bill", "Shift+F8", "Parked bills", self.show_parked),
            ("&Bill", "F9", "Take the card off this bill", screen.drop_card),
            ("&Bill", "Ctrl+Delete", "Cancel this bill", self.cancel_bill),
            ("&Bill", "F10", "Recent bills (return or reverse one)", self.recent_bills),
            ("&Customer", "F11", "The customer's history", self.history),
            ("&Customer", "Ctrl+I", "Issue a card", lambda: self.issue_card("")),
            ("&Customer", "Ctrl+R", "Print the customer's card again", self.reprint_card),
            ("&Customer", "Ctrl+Shift+D", "Customer display: show or hide", self.toggle_customer_display),
            ("&Manager", "Ctrl+J", "Adjust the customer's balance", self.adjust),
            ("&Manager", "Ctrl+L", "Replace a lost card", self.replace_card),
            ("&Manager", "Ctrl+M", "Merge two cards of one customer", self.merge_cards),
            ("&Manager", "Ctrl+K", "Loyalty configuration", self.configure),
            ("&Manager", "Ctrl+Y", "Sync problems (rejected changes)", self.sync_problems),
            ("&Manager", "Ctrl+D", "End of day report (per cashier; Save PDF, Print)", self.day_report),
            ("&Help", "F1", "These keys", self.show_help),
            ("&Help", "Ctrl+Q", "Close the till", self.close),
        ]
        for menu, key, text, handler in table:
            action = QAction(text, self, shortcut=QKeySequence(key))
            action.triggered.connect(lambda _checked=False, run=handler: self._safely(run))
            menus[menu].addAction(action)
            self.addAction(action)
            self.shortcuts.append((key, text))

    def _safely(self, run: Callable[[], None]) -> None:
        try:
            run()
        except Exception as error:  # one sentence for the cashier; a bug's traceback goes to the log
            messages.show(self, error)

    def _manager(self, reason: str) -> bool:
        return require_manager(self.replica, self, reason)

    def scanned(self, code: str) -> None:
        """A code from a scanner: into the open dialog that asks for a card's number
        (`take_scan`, e.g. the new card of a replacement), else to the checkout."""
        dialog = QApplication.activeModalWidget()
        take_scan = getattr(dialog, "take_scan", None)
        if take_scan is not None:
            take_scan(code)
        else:
            self.checkout.scanned(code)

    # --- the bill ---------------------------------------------------------------------------------

    def show_receipt(self, result: dict, card: CardView | None) -> None:
        from ui.dialogs.receipt import ReceiptDialog

        ReceiptDialog(
            result, card.customer_name if card else None, self.pharmacy, self.currency, self.data_dir / "receipts", self,
            promotions=self.checkout.promotion_names(), printer=self.receipt_printer,
        ).exec()
        self.checkout.scan.setFocus()

    def park(self) -> None:
        draft = self.checkout.draft
        if not draft.has_items():
            return
        label = self.checkout.card.customer_name if self.checkout.card else "Walk-in customer"
        parked.park(self.replica, draft.document(), label)
        self.checkout.new_bill()
        self.statusBar().showMessage(f"Bill of {label} parked (Shift+F8 to take it back)", 8000)

    def show_parked(self) -> None:
        from ui.dialogs.parked import ParkedDialog

        dialog = ParkedDialog(self.replica, self, currency=self.currency)
        if dialog.exec() and dialog.chosen is not None:
            if self.checkout.draft.has_items():
                self.park()
            self.checkout.load_draft(dialog.chosen)

    def pick_reward(self) -> None:
        from ui.dialogs.rewards import RewardPicker

        screen = self.checkout
        available = screen.quote["availablePoints"] if screen.quote and screen.card else None
        if available is None and screen.card is not None:
            available = points(screen.card.available_points)
        picker = RewardPicker(screen.config.rewards, figure(available) if available is not None else None, self)
        if picker.exec() and picker.chosen is not None:
            screen.add_reward(*picker.chosen)

    def cancel_bill(self) -> None:
        if self.checkout.draft.has_items():
            answer = QMessageBox.question(self, "Cancel this bill?", "Throw away this bill's lines? Nothing was finalized.")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.checkout.new_bill()

    def recent_bills(self) -> None:
        from ui.dialogs.recent_bills import RecentBillsDialog

        RecentBillsDialog(
            self.replica,
            self.changes,
            self.operator,
            lambda: self._manager("Reversing or returning a bill needs the manager."),
            self,
            pharmacy=self.pharmacy,
            receipts=self.data_dir / "receipts",
            printer=self.receipt_printer,
        ).exec()

    # --- the customer -------------------------------------------------------------------------------

    def history(self) -> None:
        from ui.dialogs.history import HistoryDialog

        card = self.checkout.card
        if card is None:
            self.statusBar().showMessage("Scan the customer's card first", 5000)
            return
        HistoryDialog(self.replica, card, self).exec()

    def issue_card(self, start_from: str) -> None:
        from ui.dialogs.issue_card import IssueCardDialog

        if not self._manager("Issuing a card needs the manager."):
            return
        dialog = IssueCardDialog(self.replica, self.changes, self.operator, self.pharmacy, self.data_dir, start_from, self)
        if dialog.exec() and dialog.issued is not None:
            self.checkout.use_card(dialog.issued)

    def reprint_card(self) -> None:
        from ui.dialogs.issue_card import print_card

        card = self.checkout.card
        if card is None:
            self.statusBar().showMessage("Scan the customer's card first", 5000)
            return
        self.statusBar().showMessage(print_card(card, self.pharmacy, self.data_dir, self), 8000)

    def place_customer_display(self, mode: str | None = None) -> None:
        """Show the customer display as `mode` says (None: the till's setting; by default on a
        second screen when there is one, else not at all)."""
        from ui.customer_display import AUTO, place

        self.customer_display_mode = mode or settings.read(self.replica).get(settings.CUSTOMER_DISPLAY, AUTO)
        said = place(self.customer_display, self, self.customer_display_mode)
        if said:
            self.statusBar().showMessage(said, 8000)

    def toggle_customer_display(self) -> None:
        """Ctrl+Shift+D: the customer display shown if it is hidden, hidden if shown; remembered."""
        from ui.customer_display import OFF, ON

        mode = OFF if self.customer_display.isVisible() else ON
        settings.write(self.replica, **{settings.CUSTOMER_DISPLAY: mode})
        self.place_customer_display(mode)

    def _screens_changed(self, _screen: object = None) -> None:
        """A screen plugged in or out: the customer display goes where it should be now."""
        if self.customer_display_mode is not None:
            QTimer.singleShot(0, self, lambda: self.place_customer_display(self.customer_display_mode))

    # --- the manager -------------------------------------------------------------------------------------

    def adjust(self) -> None:
        from ui.dialogs.adjust import AdjustDialog

        card = self.checkout.card
        if card is None:
            self.statusBar().showMessage("Scan the customer's card first", 5000)
            return
        if self._manager("Adjusting a balance needs the manager.") and AdjustDialog(self.replica, card, self.operator, self).exec():
            self.changes.announce(CARDS)

    def replace_card(self) -> None:
        from ui.dialogs.replace_card import ReplaceCardDialog

        card = self.checkout.card
        if card is None:
            self.statusBar().showMessage("Scan the customer's card first (the card to replace)", 5000)
            return
        if not self._manager("Replacing a lost card needs the manager."):
            return
        dialog = ReplaceCardDialog(self.replica, card, self.operator, self.pharmacy, self.data_dir, self)
        dialog.exec()
        if dialog.replaced is not None:  # done, whether the card was printed or not
            self.checkout.use_card(dialog.replaced)
            self.changes.announce(CARDS)
            self.statusBar().showMessage(f"Card {card.card_number} replaced by card {dialog.replaced.card_number}", 10_000)

    def merge_cards(self) -> None:
        from ui.dialogs.merge_cards import MergeCardsDialog

        card = self.checkout.card
        if card is None:
            self.statusBar().showMessage("Scan the customer's card first (the card to keep)", 5000)
            return
        if not self._manager("Merging two cards needs the manager."):
            return
        dialog = MergeCardsDialog(self.replica, card, self.operator, self)
        if dialog.exec() and dialog.merged is not None:
            self.checkout.use_card(dialog.merged)
            self.changes.announce(CARDS)
            self.statusBar().showMessage(
                f"Card {dialog.other_number} merged into card {dialog.merged.card_number}", 10_000
            )

    def configure(self) -> None:
        from ui.dialogs.config_editor import ConfigEditor

        if not self._manager("The loyalty configuration needs the manager."):
            return
        editor = ConfigEditor(self.replica, self.operator, self)
        if editor.exec():
            self.changes.announce(CONFIG)
            self.statusBar().showMessage(editor.outcome, 10_000)

    def sync_problems(self) -> None:
        from ui.dialogs.sync_problems import SyncProblemsDialog

        if self._manager("Sync problems are for the manager."):
            SyncProblemsDialog(self.replica, self, operator=self.operator).exec()

    def day_report(self) -> None:
        from ui.dialogs.day_report import DayReportDialog

        if self._manager("The end of day report is for the manager."):
            DayReportDialog(self.replica, self.data_dir, self, printer=self.receipt_printer).exec()

    def show_help(self) -> None:
        from ui.dialogs.help import HelpDialog

        HelpDialog(self.shortcuts, self).exec()

    # --- sync ----------------------------------------------------------------------------------------------

    def _scanner_state(self, state: str) -> None:
        self.scanner_state.setText(f"Scanner: {state}")
        self.scanner_state.setToolTip(
            "The serial scanner is read; scan a card." if state == "connected"
            else f"Serial scanner: {state}. The till tries the port every second and carries on when it is back; "
                 "a USB scanner that types works meanwhile."
        )

    def _printer_state(self, text: str, tooltip: str) -> None:
        self.printer_state.setText(text)
        self.printer_state.setToolTip(tooltip)
        self.printer_state.setVisible(True)

    def synced(self) -> None:
        self.changes.announce(SYNC)

    def _elsewhere(self, kind: str) -> None:
        self.sync_status.refresh()
        if kind in (CONFIG, SYNC):  # the locale setting or the time zone may have changed
            style.use(settings.local(self.replica))
        if kind == CONFIG:  # the pharmacy's name and currency sign may have changed
            chosen = settings.read(self.replica)
            self.pharmacy, self.currency = chosen[settings.PHARMACY_NAME], chosen[settings.CURRENCY]
            self.checkout.currency = self.currency
            self.setWindowTitle(f"{self.pharmacy}: loyalty till")
            self.customer_display.set_pharmacy(self.pharmacy)
