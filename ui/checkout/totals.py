"""The live quote: what the customer pays and earns, with the redemption and flat discount
inputs, the points reward products take, and the promotions running on the bill.

A rule's refusal (too few points, over the cap, offline limit, a reward without a card...)
is shown next to the figure it is about, in the core's own sentence, and finalizing waits
until it is fixed.

The panel keeps its place and size while the bill grows: its width is a share of the window
(the checkout's layout), never its contents' (a long promotion wraps, a big amount fits the
width kept for it), and "To pay" always shows the currency sign in the pharmacy's locale,
from the first moment, card or no card.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QVBoxLayout

from ui.style import figure, money

MIN_WIDTH = 380  # pixels: "₹99,99,999.99" in the big type, and the redeem row


def _minus(value: object) -> str:
    shown = figure(value)
    return shown if shown == "0.00" else f"-{shown}"


def _amount() -> QLabel:
    label = QLabel()
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return label


class TotalsPanel(QFrame):
    redeem_changed = Signal(str)
    flat_changed = Signal(str)
    redeem_max_requested = Signal()
    finalize_requested = Signal()

    def __init__(self, currency: str = "") -> None:
        super().__init__()
        self.setObjectName("panel")
        self.currency = currency
        # The width the checkout gives it (a share of the window), whatever its figures say.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(MIN_WIDTH)
        self.gross, self.member_discount, self.flat_amount, self.points_amount, self.reward_points = (_amount() for _ in range(5))
        self.payable = QLabel(objectName="payable")
        self.payable.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.earned = QLabel(objectName="hint")
        self.earned.setWordWrap(True)
        self.flat = QLineEdit(objectName="flatField")
        self.flat.setPlaceholderText("0.00")
        self.redeem = QLineEdit(objectName="redeemField")
        self.redeem.setPlaceholderText("points")
        self.redeem.setMinimumWidth(100)
        self.max_button = QPushButton("Max (F5)")
        self.flat_problem = QLabel(objectName="problem")
        self.redeem_problem = QLabel(objectName="problem")
        self.rewards_problem = QLabel(objectName="problem")
        self.promotion = QLabel(objectName="promotion")
        for label in (self.flat_problem, self.redeem_problem, self.rewards_problem, self.promotion):
            label.setWordWrap(True)
        self.finalize = QPushButton("Finalize (F12)", objectName="primary")

        redeem_row = QHBoxLayout()
        redeem_row.addWidget(self.redeem)
        redeem_row.addWidget(self.max_button)
        redeem_row.addWidget(self.points_amount)
        flat_row = QHBoxLayout()
        flat_row.addWidget(self.flat)
        flat_row.addWidget(self.flat_amount)
        form = QFormLayout()
        form.addRow("Bill amount", self.gross)
        form.addRow("Member discount", self.member_discount)
        form.addRow("Flat discount (F6)", flat_row)
        form.addRow("", self.flat_problem)
        form.addRow("Redeem (F4)", redeem_row)
        form.addRow("", self.redeem_problem)
        form.addRow("Rewards (F7)", self.reward_points)
        form.addRow("", self.rewards_problem)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("To pay"))
        layout.addWidget(self.payable)
        layout.addWidget(self.earned)
        layout.addWidget(self.promotion)
        layout.addStretch()
        layout.addWidget(self.finalize)

        self.redeem.textEdited.connect(self.redeem_changed)
        self.flat.textEdited.connect(self.flat_changed)
        self.max_button.clicked.connect(self.redeem_max_requested)
        self.finalize.clicked.connect(self.finalize_requested)
        self.show_quote(None)

    def show_quote(self, quote: dict[str, Any] | None, currency: str | None = None) -> None:
        if currency is not None:
            self.currency = currency
        if quote is None:
            for label in (self.gross, self.member_discount, self.flat_amount, self.points_amount, self.reward_points, self.earned):
                label.clear()
            self.payable.setText(money(0, self.currency))
            return
        self.gross.setText(figure(quote["billAmount"]))
        self.member_discount.setText(_minus(quote["categoryDiscount"]))
        self.flat_amount.setText(_minus(quote["flatDiscount"]))
        self.points_amount.setText(_minus(quote["amountDeducted"]))
        rewards = quote.get("rewardPoints") or "0"
        self.reward_points.setText(f"{figure(rewards)} points" if Decimal(rewards) else "")
        self.payable.setText(money(quote["payable"], self.currency))
        if quote.get("cardNumber") is None:
            self.earned.setText("No card: no points on this bill")
            return
        parts = [f"{e['categoryName']} {figure(e['points'])}" for e in quote["earnBreakdown"] if e["points"]]
        text = f"Earns {figure(quote['pointsEarned'])} points" + (f" ({', '.join(parts)})" if parts else "")
        if quote["referrerPointsEarned"]:
            text += f"; the referrer earns {figure(quote['referrerPointsEarned'])}"
        if not quote.get("programEnabled", True):
            text = "The loyalty programme is switched off: no points"
        self.earned.setText(text)

    def show_problems(self, *, redeem: str = "", flat: str = "", rewards: str = "") -> None:
        self.redeem_problem.setText(redeem)
        self.flat_problem.setText(flat)
        self.rewards_problem.setText(rewards)

    def show_promotions(self, said: list[str]) -> None:
        """The promotions the bill earns under ("Double points on Baby Care today"), one a line."""
        self.promotion.setText("\n".join(said))

    def set_redeem(self, text: str) -> None:
        self.redeem.setText(text)

    def reset(self) -> None:
        self.redeem.clear()
        self.flat.clear()
        self.show_problems()
        self.show_promotions([])
        self.show_quote(None)
