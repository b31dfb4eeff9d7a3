"""Ringing up a line from the keyboard: category (number or name, completed), Tab, amount, Enter.

The amount may be `250.00` or a quantity times a unit price, `2x125.00`. A category is
found by its number or by the start of its name ("med" -> Medicines); anything else is
said next to the field and nothing is added.

What the typed category stands for is said beside it as it is typed ("3 Medicines"), in a
label, not in a completer's pop-up list: a pop-up is a window of its own, and opening and
closing it moves the keyboard focus between windows a moment after the key that caused it,
so a fast typist's or a scanner's "med<Tab>250<Enter>" lost keys to it or put them in the
wrong field (and the window's focus was gone afterwards). With no window opening, every key
goes to the field that has the focus when Qt delivers it, in the order it was typed.
"""

from __future__ import annotations

import re
from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from pos_loyalty.amounts import MONEY_PLACES, QUANTITY_PLACES, parse_money, parse_scaled, to_decimal
from pos_loyalty.errors import InvalidInput
from pos_loyalty.rules.config import LoyaltyConfig
from ui.bill_draft import Line

MATCHES_SHOWN = 4  # categories named in the hint while the typed name could be several
_UNITS = re.compile(r"\s*(?P<quantity>[0-9.]+)\s*[xX*×]\s*(?P<price>[0-9.]+)\s*")


class LineEntry(QWidget):
    line_entered = Signal(object)  # a Line
    done = Signal()  # Enter on an empty category: the cashier has finished the lines

    def __init__(self) -> None:
        super().__init__()
        self.category = QLineEdit(objectName="categoryField")
        self.category.setPlaceholderText("Category: number or name (F3)")
        self.amount = QLineEdit(objectName="amountField")
        self.amount.setPlaceholderText("Amount, or 2x125.00")
        self.problem = QLabel(objectName="problem")
        self.match = QLabel(objectName="hint")  # what the typed category stands for: "3 Medicines"
        row = QHBoxLayout()
        row.addWidget(self.category, 3)
        row.addWidget(self.amount, 2)
        said = QHBoxLayout()
        said.addWidget(self.match)
        said.addWidget(self.problem, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addLayout(said)
        self.category.textChanged.connect(self._say_match)
        self.category.returnPressed.connect(self._category_entered)
        self.amount.returnPressed.connect(self._add)
        self._config = LoyaltyConfig()

    def set_config(self, config: LoyaltyConfig) -> None:
        self._config = config
        self._say_match(self.category.text())

    def _categories(self) -> dict[int, str]:
        names = {d.category_id: d.category_name for d in self._config.category_discounts}
        names.update({c.category_id: c.category_name for c in self._config.category_points})
        return names

    def load(self, line: Line) -> None:
        """Put a line back in the entry, to be changed and entered again."""
        self.category.setText(f"{line.category_id} {self._config.category_name(line.category_id)}")
        if line.quantity is not None:
            self.amount.setText(f"{line.quantity}x{line.unit_price}")
        else:
            self.amount.setText(str(line.amount))
        self.amount.setFocus()

    def start(self) -> None:
        self.category.clear()
        self.amount.clear()
        self.problem.clear()
        self.category.setFocus()

    def _category_entered(self) -> None:
        if not self.category.text().strip():
            self.done.emit()
            return
        try:
            self._category_id()
        except InvalidInput as error:
            self.problem.setText(error.message)
            return
        self.problem.clear()
        self.amount.setFocus()

    def _add(self) -> None:
        try:
            line = Line(self._category_id(), *self._money())
        except InvalidInput as error:
            self.problem.setText(error.message)
            return
        self.start()  # first: what the screen says about the new line must not be wiped
        self.line_entered.emit(line)

    def _say_match(self, text: str) -> None:
        """Beside the field: the category the text stands for, or the ones it could be."""
        matches = self._candidates(text) if text.strip() else []
        names = self._categories()
        shown = ", ".join(f"{cid} {names.get(cid) or self._config.category_name(cid)}" for cid in matches[:MATCHES_SHOWN])
        more = len(matches) - MATCHES_SHOWN
        self.match.setText(shown + (f" and {more} more" if more > 0 else ""))

    def _candidates(self, text: str) -> list[int]:
        """The categories `text` may mean: the one of its number, else those whose name is
        it, else those whose name contains it ("med" -> Medicines)."""
        text = text.strip()
        first = text.split(" ", 1)[0]
        if first.isascii() and first.isdigit():  # 0-9 only: str.isdigit takes '²', which int() refuses
            category_id = int(first) if len(first) <= 10 else None
            return [category_id] if category_id is not None and self._config.knows_category(category_id) else []
        wanted = text.lower()
        names = self._categories()
        exact = [cid for cid, name in sorted(names.items()) if name.lower() == wanted]
        return exact or [cid for cid, name in sorted(names.items()) if wanted in name.lower()]

    def _category_id(self) -> int:
        text = self.category.text().strip()
        matches = self._candidates(text)
        if len(matches) == 1:
            return matches[0]
        first = text.split(" ", 1)[0]
        if first.isascii() and first.isdigit():
            raise InvalidInput("category", f"There is no category {first[:12]} at this pharmacy")
        if not matches:
            raise InvalidInput("category", f"No category is called {text!r}")
        raise InvalidInput("category", f"{text!r} could be several categories: type more of the name, or its number")

    def _money(self) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        text = self.amount.text().strip()
        units = _UNITS.fullmatch(text)
        if units:
            quantity = parse_scaled(units["quantity"], field="quantity", places=QUANTITY_PLACES, minimum=1, what="a quantity")
            price = parse_money(units["price"], "unit price", minimum=1)
            return None, to_decimal(quantity, QUANTITY_PLACES).normalize(), to_decimal(price, MONEY_PLACES)
        return to_decimal(parse_money(text, "amount", minimum=1), MONEY_PLACES), None, None
