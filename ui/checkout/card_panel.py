"""The customer on the bill: name, masked phone, tier and progress, balance, what may be redeemed.

A card opened because an old card of the customer's was scanned says so (the old card was
replaced by, or merged into, this one) for as long as it is on the bill.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QProgressBar, QPushButton

from pos_loyalty.amounts import points
from pos_loyalty.phone import masked
from pos_loyalty.services.cards import CardView
from ui.receipt_text import expiry_line
from ui.style import figure


def replaced_note(scanned: str, opened: str) -> str:
    """What the panel says when the card scanned was replaced (or merged) and its successor opened."""
    return f"Card {scanned} was replaced by card {opened}; opening it"


class CardPanel(QFrame):
    issue_requested = Signal(str)  # the number or phone that was not found, to start from

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("panel")
        layout = QGridLayout(self)
        self.name = QLabel(objectName="cardName")
        self.details = QLabel(objectName="hint")
        self.replaced = QLabel(objectName="hint")  # "Card X was replaced by card Y; opening it"
        self.balance = QLabel(objectName="balance")
        self.redeemable = QLabel()
        self.tier = QLabel()
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        self.expiry = QLabel(objectName="expiry")
        self.problem = QLabel(objectName="problem")
        for label in (self.details, self.replaced, self.redeemable, self.tier, self.expiry, self.problem):
            label.setWordWrap(True)
        self.issue = QPushButton("Issue a card (Ctrl+I)")
        self.issue.clicked.connect(lambda: self.issue_requested.emit(self._missing))
        layout.addWidget(self.name, 0, 0, 1, 2)
        layout.addWidget(self.details, 1, 0, 1, 2)
        layout.addWidget(self.replaced, 2, 0, 1, 2)
        layout.addWidget(self.tier, 3, 0)
        layout.addWidget(self.progress, 4, 0, 1, 2)
        layout.addWidget(self.balance, 5, 0)
        layout.addWidget(self.redeemable, 5, 1)
        layout.addWidget(self.expiry, 6, 0, 1, 2)
        layout.addWidget(self.problem, 7, 0, 1, 2)
        layout.addWidget(self.issue, 8, 0)
        self._missing = ""
        self.show_walk_in()

    def show_walk_in(self) -> None:
        self._show(name="No card on this bill", details="Scan the customer's card, or type their phone number")

    def show_card(self, card: CardView, max_redeemable: Decimal | None) -> None:
        referrer = f"   referred by {card.referrer_number}" if card.referrer_number else ""
        self._show(
            name=card.customer_name + ("" if card.is_active else "  (card not active)"),
            details=f"Card {card.card_number}   phone {masked(card.customer_phone)}{referrer}",
        )
        if card.replaced_from:
            self.replaced.setText(replaced_note(card.replaced_from, card.card_number))
            self.replaced.show()
        self.balance.setText(f"{figure(points(card.points_balance))} points")
        said = [expiry_line(points(card.expiring_points), card.next_expiry_at)]
        if card.expired_points > 0:
            said.append(f"{figure(points(card.expired_points))} points have expired and cannot be redeemed")
        if card.held_points > 0:
            held = figure(points(card.held_points))
            said.append(f"{held} points are held (a parked bill, or a payment not yet made elsewhere)")
        self.expiry.setText("; ".join(part for part in said if part))
        if card.tier:
            if card.next_tier and card.points_to_next_tier is not None and card.next_tier_at is not None:
                self.tier.setText(f"Tier {card.tier}: {figure(points(card.points_to_next_tier))} points to {card.next_tier}")
                self.progress.setRange(0, card.next_tier_at)
                self.progress.setValue(card.lifetime_points)
                self.progress.show()
            else:
                self.tier.setText(f"Tier {card.tier} (the highest)")
        if max_redeemable is not None:
            self.redeemable.setText(f"May redeem {figure(max_redeemable)} on this bill")

    def show_problem(self, message: str, *, offer_issue: str | None = None) -> None:
        """An unknown, inactive or mistyped number: say so; offer to issue a card for it."""
        self.problem.setText(message)
        self.problem.show()
        self._missing = offer_issue or ""
        self.issue.setVisible(offer_issue is not None)

    def set_redeemable(self, max_redeemable: Decimal | None) -> None:
        """What the quote offers (`maxRedeemablePoints`, as the quote says it)."""
        self.redeemable.setText("" if max_redeemable is None else f"May redeem {figure(max_redeemable)} on this bill")

    def _show(self, *, name: str, details: str) -> None:
        self.name.setText(name)
        self.details.setText(details)
        for label in (self.replaced, self.balance, self.redeemable, self.tier, self.expiry, self.problem):
            label.clear()
        self.replaced.hide()
        self.problem.hide()
        self.progress.hide()
        self.issue.hide()
