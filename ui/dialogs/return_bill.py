"""Part of a bill comes back: pick the lines and how much of each, see the cash to give
back and the points going back and coming off, confirm (the manager's PIN), print or save
the return slip."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pos_loyalty.amounts import MONEY_PLACES, QUANTITY_PLACES, to_decimal
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica.db import Replica
from pos_loyalty.errors import InvalidInput
from pos_loyalty.receipt_lines import return_slip
from pos_loyalty.rules.returns import ReturnFigures, ReturnLineAsk, RewardAsk
from pos_loyalty.services import bill_names, returns, settings
from ui import messages
from ui import style
from ui.changes import BILL, Changes
from ui.dialogs.receipt import SlipDialog
from ui.receipt_printer import ReceiptPrinter
from ui.receipt_text import return_slip_text
from ui.style import figure, keyed_button

COLUMNS = ("Line", "Category", "Sold", "Left", "Return")
RETURN = 4


class ReturnDialog(QDialog):
    """The lines of one bill; type in the Return column what comes back (a quantity for a
    line sold by quantity, an amount otherwise), or press Ctrl+A for all that is left."""

    def __init__(
        self,
        replica: Replica,
        bill_id: str,
        changes: Changes,
        operator: str,
        manager_ok: Callable[[], bool],
        pharmacy: str,
        receipts: Path,
        parent: QWidget | None = None,
        *,
        printer: ReceiptPrinter | None = None,
    ) -> None:
        super().__init__(parent)
        self.replica, self.bill_id, self.changes = replica, bill_id, changes
        self.operator, self.manager_ok, self.pharmacy, self.receipts = operator, manager_ok, pharmacy, receipts
        self.printer = printer
        self.found = returns.returnable(replica, bill_id)
        self.named = bill_names.named(replica, [bill_id]).get(bill_id)
        self.currency = settings.read(replica)[settings.CURRENCY]
        self.said = self.named.said(style.local(), self.currency) if self.named else bill_id
        self.setWindowTitle(f"Return part of bill {self.said}")
        self.resize(760, 520)
        self.lines = len(self.found.sold.lines)  # then one row per reward product of the bill
        self.table = QTableWidget(self.lines + len(self.found.sold.rewards), len(COLUMNS), objectName="returnLines")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        triggers = QAbstractItemView.EditTrigger
        self.table.setEditTriggers(triggers.AnyKeyPressed | triggers.DoubleClicked | triggers.EditKeyPressed)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        rows = [(str(row + 1), self.found.names[row], self._sold(row), self._left(row), "") for row in range(self.lines)]
        rows += [
            ("", f"Reward {reward_id} ({figure(to_decimal(each, 2))} points each)", str(quantity), str(kept), "")
            for (reward_id, quantity, each), kept in zip(self.found.sold.rewards, self.found.kept.rewards)
        ]
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column != RETURN:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if column >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.itemChanged.connect(lambda _item: self.refresh())
        self.cash = QLabel(style.money(0, self.currency), objectName="cashBack")
        self.points_back = QLabel("0.00", objectName="pointsBack")
        self.points_off = QLabel("0.00", objectName="pointsOff")
        self.referrer_off = QLabel("0.00", objectName="referrerOff")
        figures = QFormLayout()
        figures.addRow("Cash to give back", self.cash)
        figures.addRow("Points going back to the card", self.points_back)
        figures.addRow("Points coming off the card", self.points_off)
        figures.addRow("Points coming off the referrer", self.referrer_off)
        self.note = QLabel(objectName="hint", wordWrap=True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.all_button = keyed_button(buttons, "All that is left", "Ctrl+A", self.everything_left)
        self.confirm_button = keyed_button(
            buttons, "Confirm return", "Ctrl+Return", self.confirm, QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Type what comes back in the Return column: a quantity, or an amount."))
        layout.addWidget(self.table)
        layout.addLayout(figures)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.answer: dict | None = None
        self.table.setCurrentCell(0, RETURN)
        self.refresh()

    # --- what is on the screen -----------------------------------------------------------

    def _sold(self, row: int) -> str:
        line = self.found.sold.lines[row]
        if line.quantity is not None and line.unit_price is not None:
            return f"{_quantity(line.quantity)} x {figure(to_decimal(line.unit_price, MONEY_PLACES))}"
        return figure(to_decimal(line.gross, MONEY_PLACES))

    def _left(self, row: int) -> str:
        quantity = self.found.kept.quantity[row]
        if quantity is not None:
            return _quantity(quantity)
        return figure(to_decimal(self.found.kept.gross[row], MONEY_PLACES))

    def asks(self) -> list[ReturnLineAsk]:
        """What the Return column asks for (lines left empty are not returned); InvalidInput
        naming the line for what is not a figure."""
        wanted = []
        for row in range(self.lines):
            text = self.table.item(row, RETURN).text().strip()
            if text:
                wanted.append((row, text))
        return returns.asks_from_text(self.found, wanted, first=1)

    def reward_asks(self) -> list[RewardAsk]:
        """How many of each reward product come back (a whole number; empty: none)."""
        asked = []
        for index, (reward_id, _quantity, _each) in enumerate(self.found.sold.rewards):
            text = self.table.item(self.lines + index, RETURN).text().strip()
            if not text:
                continue
            if not (text.isascii() and text.isdigit() and len(text) <= 4 and int(text) > 0):
                raise InvalidInput("reward", f"Reward {reward_id}: type how many come back (a whole number)")
            asked.append(RewardAsk(reward_id, int(text)))
        return asked

    def refresh(self) -> ReturnFigures | None:
        try:
            asked, rewards = self.asks(), self.reward_asks()
            figures = returns.preview(self.replica, self.bill_id, asked, rewards) if asked or rewards else None
        except LoyaltyError as error:
            self.note.setText(error.message)
            self.confirm_button.setEnabled(False)
            return None
        self.note.setText("" if asked or rewards else "Nothing chosen yet.")
        self.confirm_button.setEnabled(figures is not None)
        shown = figures.to_json() if figures is not None else None
        self.cash.setText(style.money(shown["cashRefund"] if shown else 0, self.currency))
        self.points_back.setText(figure(shown["pointsRefunded"]) if shown else "0.00")
        self.points_off.setText(figure(shown["pointsReversed"]) if shown else "0.00")
        self.referrer_off.setText(figure(shown["referrerPointsReversed"]) if shown else "0.00")
        return figures

    def everything_left(self) -> None:
        self.table.blockSignals(True)
        for row in range(self.lines):
            self.table.item(row, RETURN).setText(self._left(row).replace(",", "") if self.found.kept.gross[row] else "")
        for index, kept in enumerate(self.found.kept.rewards):
            self.table.item(self.lines + index, RETURN).setText(str(kept) if kept else "")
        self.table.blockSignals(False)
        self.refresh()

    # --- doing it ----------------------------------------------------------------------------

    def confirm(self, *, ask: bool = True) -> None:
        figures = self.refresh()
        if figures is None:
            return
        shown = figures.to_json()
        if ask:
            asked = QMessageBox.question(
                self,
                "Confirm this return?",
                f"Return part of bill {self.said}: give back {figure(shown['cashRefund'])} in cash; "
                f"{figure(shown['pointsRefunded'])} points go back to the card and {figure(shown['pointsReversed'])} "
                "come off it. This cannot be undone.",
            )
            if asked != QMessageBox.StandardButton.Yes:
                return
        if not self.manager_ok():
            return
        asked_lines, asked_rewards = self.asks(), self.reward_asks()
        try:
            self.answer = returns.return_lines(
                self.replica, self.bill_id, asked_lines, rewards=asked_rewards, performed_by=self.operator
            )
        except LoyaltyError as error:
            self.note.setText(error.message)
            return
        except Exception as error:
            messages.show(self, error)
            return
        self.changes.announce(BILL)
        returned = [
            (self.table.item(ask.line, 1).text(), _quantity(ask.quantity) if ask.quantity is not None else figure(to_decimal(ask.amount, MONEY_PLACES)))
            if ask.quantity is not None or ask.amount is not None
            else (self.table.item(ask.line, 1).text(), "all")
            for ask in asked_lines
        ] + [(f"Reward {ask.reward_id}", str(ask.quantity)) for ask in asked_rewards]
        number = self.named.number if self.named else None
        answer = self.answer
        text = return_slip_text(answer, returned, self.found.card_number, self.pharmacy, self.currency, bill_number=number)
        self.slip = SlipDialog(
            f"Return slip: bill {number or self.bill_id[:8]}",
            text,
            self.receipts / f"return-{number or self.bill_id}-{self.answer['returnId'][:8]}.pdf",
            self.parentWidget(),
            printer=self.printer,
            slip=lambda width: return_slip(
                answer, returned, self.found.card_number, self.pharmacy, width=width, currency=self.currency,
                formats=style.local(), bill_number=number,
            ),
        )
        self.accept()
        self.slip.open()


def _quantity(thousandths: int) -> str:
    """3000 -> "3", 1500 -> "1.5" (never an exponent)."""
    return f"{to_decimal(thousandths, QUANTITY_PLACES):f}".rstrip("0").rstrip(".")
