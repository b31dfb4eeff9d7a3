"""What a cashier rings up: lines by category, an optional redemption and flat discount.

`bill_from_json` reads the request shape of `central-api.md`
(`{items: [{categoryId, amount} | {categoryId, quantity, unitPrice}], redeemPoints?,
flatDiscount?}`) and refuses anything malformed with the field named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pos_loyalty.amounts import (
    MAX_FIGURE,
    MONEY_PLACES,
    QUANTITY_PLACES,
    parse_money,
    parse_points,
    parse_scaled,
    round_half_up,
    to_decimal,
)
from pos_loyalty.errors import InvalidInput
from pos_loyalty.rules.programme import parse_reward_id

MAX_LINES = 1000
#: The largest category number (a 32-bit id, as billing systems number them).
MAX_CATEGORY_ID = 2**31 - 1

_BILL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def parse_bill_id(value: object, field: str = "billId") -> str:
    """A bill's id, the one rule for till and central: seed 002 sends a number (123), other
    systems text of 1 to 64 letters, digits, '.', '_', ':' or '-', not starting with a sign.
    Nothing is trimmed: "abc\n" is not the bill "abc"."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if not isinstance(value, str) or not value.isascii() or not _BILL_ID.fullmatch(value):
        raise InvalidInput(
            field, f"{field} must be a whole number or 1 to 64 letters, digits, '.', '_', ':' or '-'"
        )
    return value


@dataclass(frozen=True)
class BillLine:
    category_id: int
    gross: int  # money, hundredths
    quantity: int | None = None  # thousandths, when priced per unit
    unit_price: int | None = None  # money, hundredths

    @classmethod
    def priced(cls, category_id: int, quantity: int, unit_price: int) -> "BillLine":
        """quantity (thousandths) x unit price; gross = round_half_up(quantity x unitPrice)."""
        gross = round_half_up(quantity * unit_price, 10**QUANTITY_PLACES)
        return cls(category_id, gross, quantity, unit_price)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"categoryId": self.category_id}
        if self.quantity is not None and self.unit_price is not None:
            doc["quantity"] = to_decimal(self.quantity, QUANTITY_PLACES).normalize()
            doc["unitPrice"] = to_decimal(self.unit_price, MONEY_PLACES)
        doc["amount"] = to_decimal(self.gross, MONEY_PLACES)
        return doc


@dataclass(frozen=True)
class BillRequest:
    lines: tuple[BillLine, ...]
    redeem_points: int = 0  # hundredths of a point
    flat_discount: int = 0  # money, hundredths
    #: Reward products bought with points only: (rewardId, quantity), in the bill's order.
    rewards: tuple[tuple[str, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "items": [line.to_json() for line in self.lines],
            "redeemPoints": to_decimal(self.redeem_points, 2),
            "flatDiscount": to_decimal(self.flat_discount, MONEY_PLACES),
        }
        if self.rewards:
            doc["rewards"] = [{"rewardId": reward, "quantity": quantity} for reward, quantity in self.rewards]
        return doc


def bill_from_json(doc: object) -> BillRequest:
    if not isinstance(doc, dict):
        raise InvalidInput("(body)", "a bill must be a JSON object")
    rewards = _rewards_from_json(doc.get("rewards"))
    items = doc.get("items")
    if items is None and rewards:
        items = []  # a bill of reward products only
    if not isinstance(items, list) or not (items or rewards):
        raise InvalidInput("items", "a bill needs at least one item (or a reward product)")
    if len(items) > MAX_LINES:
        raise InvalidInput("items", f"a bill may have at most {MAX_LINES} items")
    lines = tuple(_line_from_json(item, f"items[{i}]") for i, item in enumerate(items))
    redeem = doc.get("redeemPoints")
    flat = doc.get("flatDiscount")
    return BillRequest(
        lines=lines,
        redeem_points=0 if redeem is None else parse_points(redeem, "redeemPoints"),
        flat_discount=0 if flat is None else parse_money(flat, "flatDiscount"),
        rewards=rewards,
    )


#: The most of one reward product a bill may carry.
MAX_REWARD_QUANTITY = 1000


def _rewards_from_json(value: object) -> tuple[tuple[str, int], ...]:
    """`rewards: [{rewardId, quantity}]`; the same reward twice is one line of both quantities."""
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_LINES:
        raise InvalidInput("rewards", f"rewards must be a list of at most {MAX_LINES} reward products")
    merged: dict[str, int] = {}
    for index, item in enumerate(value):
        where = f"rewards[{index}]"
        if not isinstance(item, dict):
            raise InvalidInput(where, f"{where} must be an object with rewardId and quantity")
        reward = parse_reward_id(item.get("rewardId"), f"{where}.rewardId")
        quantity = item.get("quantity", 1)
        if isinstance(quantity, str) and quantity.isascii() and quantity.isdigit() and len(quantity) <= 4:
            quantity = int(quantity)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_REWARD_QUANTITY:
            raise InvalidInput(f"{where}.quantity", f"{where}.quantity must be a whole number from 1 to {MAX_REWARD_QUANTITY}")
        merged[reward] = merged.get(reward, 0) + quantity
        if merged[reward] > MAX_REWARD_QUANTITY:
            raise InvalidInput(f"{where}.quantity", f"at most {MAX_REWARD_QUANTITY} of one reward product on a bill")
    return tuple(merged.items())


def parse_category_id(value: object, field: str) -> int:
    """A category number (JSON number, or digits as text), or InvalidInput naming `field`."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_CATEGORY_ID:
        shown = repr(value) if not isinstance(value, int) or value < 10**12 else "a number that large"
        raise InvalidInput(field, f"{field} must be a category number from 1 to {MAX_CATEGORY_ID}, not {shown}")
    return value


def _line_from_json(item: object, where: str) -> BillLine:
    if not isinstance(item, dict):
        raise InvalidInput(where, f"{where} must be an object with categoryId and amount")
    category_id = parse_category_id(item.get("categoryId"), f"{where}.categoryId")
    has_units = item.get("quantity") is not None or item.get("unitPrice") is not None
    if has_units:
        quantity = parse_scaled(
            item.get("quantity"),
            field=f"{where}.quantity",
            places=QUANTITY_PLACES,
            minimum=1,
            maximum=10**6 * 10**QUANTITY_PLACES,
            what="a quantity",
        )
        unit_price = parse_money(item.get("unitPrice"), f"{where}.unitPrice", minimum=1)
        line = BillLine.priced(category_id, quantity, unit_price)
        if line.gross > MAX_FIGURE * 10**MONEY_PLACES:
            raise InvalidInput(where, f"{where} comes to more than any bill can ({line.gross})")
        # A priced line may also say what it comes to (the till's own records do): it must agree.
        if item.get("amount") is not None:
            stated = parse_money(item["amount"], f"{where}.amount")
            if stated != line.gross:
                raise InvalidInput(
                    f"{where}.amount",
                    f"{where}: quantity x unit price comes to {to_decimal(line.gross, MONEY_PLACES)}, "
                    f"not the amount given ({to_decimal(stated, MONEY_PLACES)})",
                )
        return line
    amount = parse_money(item.get("amount"), f"{where}.amount", minimum=1)
    return BillLine(category_id, amount)
