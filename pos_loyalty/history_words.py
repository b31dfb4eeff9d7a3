"""A card's ledger row said in words, with who did it: what the till's history, the command
line and the office console show a person (`describe`).

It reads a row in the camelCase shape both stores give (`services.ledger.entry_to_json`,
`central/store/ledger.row_json`); figures are Decimals there, shown to the hundredth. A bill
is named by its short number at the till ("T1-000123") where the row has it (the till's
history: `services.cards.history`), else by its id.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pos_loyalty.rules.expiry import EXPIRY
from pos_loyalty.rules.ledger import (
    ADJUSTED,
    EARNED,
    EXPIRED,
    REDEEMED,
    REFERRAL,
    REFERRAL_EARNED,
    REVERSED,
    REWARD,
    TRANSFER,
)


def describe(row: dict[str, Any]) -> str:
    """One sentence for the row: what happened, to how many points, and who did it."""
    said = _what(row)
    who = row.get("performedBy")
    return f"{said} (by {who})" if who else said


def _what(row: dict[str, Any]) -> str:
    kind, reference, points = row["transactionType"], row.get("referenceType"), Decimal(row["points"])
    amount = _figure(abs(points))
    bill = row.get("billNumber") or row.get("referenceId")
    description = row.get("description")
    if reference == TRANSFER:
        return description or f"{'Moved in' if points >= 0 else 'Moved out'}: {amount} points"
    if kind == EARNED:
        category = row.get("categoryName")
        rate = row.get("pointPercentage")
        on = f" on {category}" + (f" at {_figure(Decimal(rate))} %" if rate is not None else "") if category else ""
        return f"Earned {amount} points{on}, bill {bill}"
    if kind == REDEEMED and reference == REWARD:
        return f"Spent {amount} points on reward {row.get('rewardId')}, bill {bill}"
    if kind == REDEEMED:
        money = row.get("billAmount")
        paid = f" towards a bill of {_figure(Decimal(money))}" if money is not None else ""
        return f"Redeemed {amount} points{paid}, bill {bill}"
    if kind == REFERRAL_EARNED:
        referred = row.get("referredCardNumber")
        whose = f" for card {referred}'s" if referred else " for a referred customer's"
        return f"Earned {amount} referral points{whose} bill {row.get('referredBillNumber') or row.get('referredBillId') or bill}"
    if kind == REVERSED:
        direction = "Gave back" if points > 0 else "Took back"
        what = {REFERRAL: "referral points", REWARD: "reward points"}.get(reference or "", "points")
        return f"{direction} {amount} {what} of bill {bill}{_why_back(description)}"
    if kind == EXPIRED or reference == EXPIRY:
        return f"{amount} points expired"
    if kind == ADJUSTED and not points:
        return description or "A note on the card"
    if kind == ADJUSTED:
        sign = "+" if points > 0 else "-"
        return f"Adjusted by {sign}{amount} points" + (f": {description}" if description else "")
    return f"{kind.replace('_', ' ').capitalize()} {amount} points" + (f", {reference} {bill}" if bill else "")


def _why_back(description: str | None) -> str:
    """Why points were taken back, in words: the rows' descriptions name the bill and the
    return by their ids (`rules/postings.py`), which the sentence already names."""
    if not description:
        return ""
    if description.startswith("Reversal of bill "):
        return ": the bill was reversed"
    if description.startswith("Return ") and " of bill " in description:
        return ": part of the bill came back"
    return f": {description}"


def _figure(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,}"

