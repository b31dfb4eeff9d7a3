"""The bill being rung up, as plain data (no Qt): lines, reward products, card, redemption,
flat discount.

The checkout screen edits a `BillDraft` and asks the core to quote it; parking a bill
stores its `document()` (rewards included: the parked store keeps the document whole),
and resuming rebuilds the draft from it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pos_loyalty.rules import bill_from_json
from pos_loyalty.rules.bill import BillRequest


@dataclass
class Line:
    category_id: int
    amount: Decimal | None = None  # the line's money, or:
    quantity: Decimal | None = None
    unit_price: Decimal | None = None

    def document(self) -> dict[str, Any]:
        if self.quantity is not None:
            return {"categoryId": self.category_id, "quantity": self.quantity, "unitPrice": self.unit_price}
        return {"categoryId": self.category_id, "amount": self.amount}


@dataclass
class BillDraft:
    #: Fixed when the bill starts: finalizing again after a failure is the same bill, never a second.
    bill_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    card_number: str | None = None
    lines: list[Line] = field(default_factory=list)
    redeem_points: Decimal | None = None
    flat_discount: Decimal | None = None
    #: Reward products bought with points: [rewardId, quantity], one entry per reward.
    rewards: list[list[Any]] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not self.has_items() and self.card_number is None

    def has_items(self) -> bool:
        """Something to sell: a line, or a reward product."""
        return bool(self.lines or self.rewards)

    def add_reward(self, reward_id: str, quantity: int = 1) -> None:
        """One more of a reward: the same reward twice is one entry of both quantities."""
        for entry in self.rewards:
            if entry[0] == reward_id:
                entry[1] += quantity
                return
        self.rewards.append([reward_id, quantity])

    def request(self) -> BillRequest:
        """The bill as the core reads it (InvalidInput names a bad field)."""
        return bill_from_json(self.document())

    def document(self) -> dict[str, Any]:
        document = {
            "billId": self.bill_id,
            "cardNumber": self.card_number,
            "items": [line.document() for line in self.lines],
            "redeemPoints": self.redeem_points,
            "flatDiscount": self.flat_discount,
        }
        if self.rewards:
            document["rewards"] = [{"rewardId": reward_id, "quantity": quantity} for reward_id, quantity in self.rewards]
        return document

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> BillDraft:
        lines = [
            Line(item["categoryId"], item.get("amount"), item.get("quantity"), item.get("unitPrice"))
            for item in doc.get("items") or []
        ]
        rewards = [[item["rewardId"], int(item["quantity"])] for item in doc.get("rewards") or []]
        return cls(
            doc.get("billId") or str(uuid.uuid4()), doc.get("cardNumber"), lines, doc.get("redeemPoints"), doc.get("flatDiscount"), rewards
        )
