"""The checkout screen: scan a card, ring up lines, add reward products, redeem, finalize;
park or cancel a bill.

It edits a `BillDraft` and asks the core for a quote after every change; it shows what
comes back and never works a figure out itself: which promotion a category earns under
and which lines points cannot pay for are the quote's (`earnBreakdown[].promotionId`,
`lines[].isRedeemable`); only the promotion's name is looked up in the configuration.
A reward product is added by its code (typed or scanned where a card is) or from the list
(F7); a customer who cannot have it (no card, too few points) is told at once, and the
bill stays as it is. Finalizing runs off the UI thread (it may wait for the sync daemon's
write lock) with the bill id fixed when the bill began.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from pos_loyalty import errors
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.replica.db import Replica
from pos_loyalty.rules.config import LoyaltyConfig
from pos_loyalty.rules.programme import parse_reward_id
from pos_loyalty.services import bills, cards, configuration
from pos_loyalty.services.cards import CardView
from ui import background, messages
from ui.bill_draft import BillDraft, Line
from ui.changes import BILL, CARDS, CONFIG, SYNC, Changes
from ui.checkout.card_panel import CardPanel
from ui.checkout.line_entry import LineEntry
from ui.checkout import bill_notes
from ui.checkout.lines_table import LinesTable
from ui.checkout.scan_field import ScanField
from ui.checkout.shown import ShownBill
from ui.checkout.totals import TotalsPanel

#: A typed figure as the core reads one (`amounts.parse_scaled`): the digits 0-9 and a point,
#: no exponent, no other script's digits (Decimal() would take '1e999999999' or '١٠٠').
_TYPED_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")

_REDEMPTION_CODES = {
    errors.MIN_POINTS_NOT_MET,
    errors.INSUFFICIENT_POINTS,
    errors.EXCEEDS_MAX_REDEMPTION,
    errors.OFFLINE_LIMIT,
    errors.PROGRAM_DISABLED,
}
#: Refusals that are about the bill's reward products.
_REWARD_CODES = {errors.CARD_REQUIRED, errors.REWARD_UNAVAILABLE}


def _refusal(card: CardView) -> tuple[str, str | None]:
    """What the card panel says of an inactive card found, and whether to offer a new card."""
    if card.replaced_by_number is not None and not card.replaced_from:
        # lookup() opens the successor when this till has it: here it has not (yet).
        return (
            f"Card {card.card_number} was replaced by card {card.replaced_by_number}, which this till has not "
            f"received yet: sync, or scan card {card.replaced_by_number}",
            None,
        )
    said = f"Card {card.card_number} ({card.customer_name}) is not active: it can neither earn nor redeem."
    if card.replaced_from:
        said = (
            f"Card {card.replaced_from} was replaced by card {card.card_number}, which is not active: "
            "it can neither earn nor redeem."
        )
    return said, card.customer_phone


class CheckoutScreen(QWidget):
    finalized = Signal(dict, object)  # the result the customer saw, and the card (or None)
    issue_card_requested = Signal(str)
    shown = Signal(object)  # a ShownBill after every refresh: what the cashier sees (the customer display follows it)

    def __init__(self, replica: Replica, changes: Changes, operator: str, currency: str = "") -> None:
        super().__init__()
        self.replica, self.changes, self.operator, self.currency = replica, changes, operator, currency
        self.draft = BillDraft()
        self.card: CardView | None = None
        self.quote: dict[str, Any] | None = None
        self.config = LoyaltyConfig()
        self.problems: dict[str, str] = {}
        self.busy = False

        self.scan = ScanField()
        self.card_panel = CardPanel()
        self.entry = LineEntry()
        self.lines = LinesTable()
        self.totals = TotalsPanel(currency)
        self.notice = QLabel(objectName="hint")
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        for widget in (self.scan, self.card_panel, self.entry, self.lines, self.notice):
            column.addWidget(widget)
        # Both sides take their share of the width (4:3), never what their contents ask: the
        # totals stay put while lines, wrapped notes and long amounts come and go.
        left.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(self)
        layout.addWidget(left, 4)
        layout.addWidget(self.totals, 3)

        self.scan.submitted.connect(self.find_card)
        self.card_panel.issue_requested.connect(self.issue_card_requested)
        self.entry.line_entered.connect(self.add_line)
        self.entry.done.connect(self.totals.redeem.setFocus)
        self.lines.remove_requested.connect(self.remove_line)
        self.lines.edit_requested.connect(self.edit_line)
        self.totals.redeem_changed.connect(self._redeem_typed)
        self.totals.flat_changed.connect(self._flat_typed)
        self.totals.redeem_max_requested.connect(self.redeem_max)
        self.totals.finalize_requested.connect(self.finalize)
        changes.changed.connect(self._elsewhere)
        self._load_config()

    # --- the customer -------------------------------------------------------------------

    def scanned(self, code: str) -> None:
        """A code from a scanner: a card opens it here, whatever had the focus; a reward
        product's code adds the reward; anything else is said plainly (product codes come later)."""
        from devices.routing import route

        if self.add_reward_by_code(code):
            return
        found = route(code)
        if found.card_number is None:
            self.card_panel.show_problem(f"Scanned {code!r}: not a loyalty card. {found.reason}")
            return
        self.find_card(found.card_number)

    def find_card(self, text: str) -> None:
        if self.add_reward_by_code(text):
            return
        try:
            card = cards.lookup(self.replica, text)
        except LoyaltyError as error:
            offer = text if error.code in (errors.CARD_NOT_FOUND, errors.INVALID_INPUT) else None
            self.card_panel.show_problem(error.message, offer_issue=offer)
            self.scan.setFocus()
            return
        except Exception as error:
            messages.show(self, error)
            return
        if not card.is_active:
            said, offer = _refusal(card)
            self.card_panel.show_problem(said, offer_issue=offer)
            self.scan.setFocus()
            return
        self.use_card(card)

    def use_card(self, card: CardView) -> None:
        self.card = card
        self.draft.card_number = card.card_number
        self.refresh()
        self.entry.start()

    def drop_card(self) -> None:
        self.card = None
        self.draft.card_number = None
        self.draft.redeem_points = None
        self.totals.set_redeem("")
        self.refresh()

    # --- lines --------------------------------------------------------------------------

    def add_line(self, line: Line) -> None:
        self.draft.lines.append(line)
        self.refresh()

    def remove_line(self, row: int) -> None:
        """A row of the table: a line, or (after the lines) a reward product."""
        if 0 <= row < len(self.draft.lines):
            del self.draft.lines[row]
            self.refresh()
            self.entry.start()
        elif 0 <= row - len(self.draft.lines) < len(self.draft.rewards):
            del self.draft.rewards[row - len(self.draft.lines)]
            self.refresh()

    def edit_line(self, row: int) -> None:
        if 0 <= row < len(self.draft.lines):
            line = self.draft.lines.pop(row)
            self.refresh()
            self.entry.load(line)

    # --- reward products ----------------------------------------------------------------------

    def add_reward_by_code(self, text: str) -> bool:
        """True when `text` is the code of one of the pharmacy's reward products (it is added)."""
        try:
            code = parse_reward_id(text)
        except InvalidInput:
            return False
        if self.config.reward(code) is None:
            return False
        self.add_reward(code)
        return True

    def add_reward(self, reward_id: str, quantity: int = 1) -> None:
        self.draft.add_reward(reward_id, quantity)
        self.refresh()
        self.scan.setFocus()

    def promotion_names(self) -> dict[int, str]:
        """The configuration's promotions by number (for the receipt)."""
        return bill_notes.promotion_names(self.config)

    # --- redemption and discount -----------------------------------------------------------

    def _redeem_typed(self, text: str) -> None:
        self.draft.redeem_points = self._decimal(text, "redeem")
        self.refresh()

    def _flat_typed(self, text: str) -> None:
        self.draft.flat_discount = self._decimal(text, "flat")
        self.refresh()

    def redeem_max(self) -> None:
        if self.quote and self.card is not None:
            most = Decimal(self.quote["maxRedeemablePoints"])
            self.totals.set_redeem(f"{most:.2f}" if most else "")
            self.draft.redeem_points = most or None
            self.refresh()

    def _decimal(self, text: str, where: str) -> Decimal | None:
        text = text.strip()
        if not text:
            self.problems.pop(f"{where}-text", None)
            return None
        if len(text) > 40 or not _TYPED_NUMBER.fullmatch(text):
            self.problems[f"{where}-text"] = f"{text[:40]!r} is not a number (type it with the digits 0-9)"
            return None
        self.problems.pop(f"{where}-text", None)
        return Decimal(text)

    # --- the quote ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Ask the core again, and show the answer; called after every change."""
        typed = {k: v for k, v in self.problems.items() if k.endswith("-text")}
        problems = dict(typed)
        self.quote = None
        if self.draft.has_items():
            self.quote = self._quote(self.draft, problems)
            if self.quote is None and self.draft.redeem_points:
                without: dict[str, str] = {}
                self.quote = self._quote(dataclasses.replace(self.draft, redeem_points=None), without)
                if self.quote is None:  # not (only) the redemption: say what is wrong without it first
                    problems = {**typed, **without}
            if self.quote is None and self.draft.rewards and self.draft.lines:
                # The lines' money is still shown while the rewards cannot be had.
                self.quote = self._quote(dataclasses.replace(self.draft, redeem_points=None, rewards=[]), {})
        self.problems = problems
        self.lines.show_lines(
            self.draft.lines,
            self.quote["lines"] if self.quote else None,
            bill_notes.line_notes(self.quote, self.config),
            bill_notes.reward_rows(self.draft.rewards, self.quote, self.config),
        )
        self.totals.show_quote(self.quote, self.currency)
        self.totals.show_problems(
            redeem=problems.get("redeem") or problems.get("redeem-text", ""),
            flat=problems.get("flat") or problems.get("flat-text", ""),
            rewards=problems.get("rewards", ""),
        )
        self.totals.show_promotions(bill_notes.promotions_today(self.quote, self.config))
        self.entry.problem.setText(problems.get("lines", self.entry.problem.text()))
        if self.card is not None:
            self.card_panel.show_card(self.card, self.quote["maxRedeemablePoints"] if self.quote else None)
        elif not self.card_panel.problem.text():
            self.card_panel.show_walk_in()
        self.totals.finalize.setEnabled(self.can_finalize())
        promotions = tuple(bill_notes.promotions_today(self.quote, self.config))
        lines = tuple(self.draft.lines)
        self.shown.emit(ShownBill(self.card, self.quote, lines, promotions, self.currency, self.draft.has_items()))

    def _quote(self, draft: BillDraft, problems: dict[str, str]) -> dict[str, Any] | None:
        try:
            return bills.quote(self.replica, draft.card_number, draft.request()).to_json()
        except InvalidInput as error:
            field = error.field
            where = "flat" if field == "flatDiscount" else "redeem" if field == "redeemPoints" else "lines"
            problems[where] = error.message
        except LoyaltyError as error:
            problems[self._about(draft, error.code)] = error.message
        except Exception as error:
            problems["lines"] = messages.sentence(error)
        return None

    @staticmethod
    def _about(draft: BillDraft, code: str) -> str:
        """Which part of the bill a refusal is about: a redemption refusal with no points
        to redeem typed is about the reward products (too few points for them)."""
        if code in _REWARD_CODES:
            return "rewards"
        if code in _REDEMPTION_CODES:
            return "redeem" if draft.redeem_points or not draft.rewards else "rewards"
        return "lines"

    def can_finalize(self) -> bool:
        return self.draft.has_items() and not self.problems and self.quote is not None and not self.busy

    # --- finalize, park, cancel ------------------------------------------------------------------

    def line_being_typed(self) -> bool:
        """A line typed in the entry fields and not added yet (Enter adds it)."""
        return bool(self.entry.category.text().strip() or self.entry.amount.text().strip())

    def finalize(self) -> None:
        if self.line_being_typed():
            # Never finalize a bill the cashier may think has the line they were typing.
            self.notice.setText("A line is still being typed: press Enter to add it, or clear it, then finalize.")
            self.entry.category.setFocus()
            return
        if not self.can_finalize():
            return
        self.busy = True
        self.totals.finalize.setEnabled(False)
        self.notice.setText("Finalizing…")
        draft, card, shown = self.draft, self.card, self.quote
        background.run(
            lambda: bills.finalize(self.replica, draft.card_number, draft.request(), bill_id=draft.bill_id, performed_by=self.operator),
            # The receipt says what was rung up per unit (2 x 125.00) from the bill's items.
            lambda done: self._finalized({**done.result, "items": draft.request().to_json()["items"]}, card, shown),
            self._finalize_failed,
            owner=self,
        )

    def _finalized(self, result: dict[str, Any], card: CardView | None, shown: dict[str, Any] | None = None) -> None:
        self.busy = False
        self.notice.clear()
        self.changes.announce(BILL)
        self.new_bill()
        if shown is not None and shown.get("configVersion") != result.get("configVersion"):
            # The bill is always worked out with the configuration in use when it is finalized.
            self.notice.setText(
                f"The loyalty configuration changed (version {result.get('configVersion')}) just before this bill was "
                "finalized: the receipt's figures are the ones that count."
            )
        self.finalized.emit(result, card)

    def _finalize_failed(self, error: Exception) -> None:
        self.busy = False
        self.notice.clear()
        messages.show(self, error, "The bill was not finalized")
        self.refresh()

    def new_bill(self) -> None:
        self.draft = BillDraft()
        self.card = None
        self.problems = {}
        self.totals.reset()
        self.entry.start()
        self.card_panel.show_walk_in()
        self.refresh()
        self.scan.setFocus()

    def load_draft(self, document: dict[str, Any]) -> None:
        """A parked bill back at the counter."""
        self.new_bill()
        self.draft = BillDraft.from_document(document)
        if self.draft.card_number:
            try:
                self.card = self._current(self.draft.card_number)  # replaced since it was parked: its successor
                self.draft.card_number = self.card.card_number
            except LoyaltyError as error:
                self.card_panel.show_problem(error.message)
                self.draft.card_number = None
        if self.draft.redeem_points is not None:
            self.totals.set_redeem(str(self.draft.redeem_points))
        if self.draft.flat_discount is not None:
            self.totals.flat.setText(str(self.draft.flat_discount))
        self.refresh()

    # --- the rest of the till changed ----------------------------------------------------------------

    def _current(self, number: str, replaced_from: str | None = None) -> CardView:
        """The card on the bill as the replica has it now; if it was replaced or merged
        meanwhile (a manager here, or another till by sync), the card that took its place
        (`replaced_from` then names the number the bill had)."""
        found = cards.find(self.replica, number)
        if found.replaced_by_number is not None:
            try:
                successor = cards.find(self.replica, found.replaced_by_number)
            except LoyaltyError:
                return found  # not here yet: the bill's quote says the card was replaced
            return dataclasses.replace(successor, replaced_from=replaced_from or number)
        return dataclasses.replace(found, replaced_from=replaced_from)

    def _load_config(self) -> None:
        self.config = configuration.in_use(self.replica)
        self.entry.set_config(self.config)

    def _elsewhere(self, kind: str) -> None:
        if kind in (CONFIG, SYNC):
            self._load_config()
        if kind in (CARDS, SYNC) and self.card is not None:
            try:
                self.card = self._current(self.card.card_number, self.card.replaced_from)
            except LoyaltyError:
                pass
            self.draft.card_number = self.card.card_number
        if kind in (CONFIG, CARDS, SYNC):
            self.refresh()
