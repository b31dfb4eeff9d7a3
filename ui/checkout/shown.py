"""What the checkout shows after each change, as one value (no Qt): the card on the bill, the
quote as the core worked it out, and the promotions it earns under. The checkout emits it
(`CheckoutScreen.shown`); the customer display follows it and works out nothing itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pos_loyalty.services.cards import CardView
from ui.bill_draft import Line


@dataclass(frozen=True)
class ShownBill:
    card: CardView | None
    #: The quote the cashier sees (`Quote.to_json()`); None when the bill has no items yet or
    #: the core refused it (the lines are then shown without figures).
    quote: dict[str, Any] | None
    #: The draft's lines as rung up (a quantity and unit price, or an amount), in the quote's order.
    lines: tuple[Line, ...] = ()
    #: "Double points on Baby Care today", once per promotion the bill earns under.
    promotions: tuple[str, ...] = ()
    currency: str = ""
    has_items: bool = False

    @property
    def is_empty(self) -> bool:
        """No card and nothing rung up: the counter is waiting for the next customer."""
        return self.card is None and not self.has_items
