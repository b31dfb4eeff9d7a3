"""What the customer display says, as plain text (no Qt): a bill as the checkout shows it
(`ShownBill`), and the thank-you after it. Every figure is the quote's or the finalized
result's, put in words; nothing is worked out here. Of the customer only the first name is
said: no phone, no card number, not even masked (the whole queue reads the screen)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from pos_loyalty.amounts import points
from pos_loyalty.services.cards import CardView
from ui.checkout.shown import ShownBill
from ui.style import figure, money

MAX_LINES = 8  # the newest lines shown; older ones are counted ("3 earlier lines")
WELCOME_LINE = "Show your loyalty card to earn points on every bill"


_TITLES = {"mr", "mrs", "ms", "miss", "dr", "shri", "sri", "smt", "kumari"}


def first_name(name: str | None) -> str:
    """The customer's first name only, with a title before it ("Dr. Asha"): the screen is
    seen by the whole queue. A name with digits in it (a phone typed as the name) is not said."""
    words = (name or "").split()
    if len(words) > 1 and words[0].rstrip(".").lower() in _TITLES:
        words = [f"{words[0]} {words[1]}"]
    if not words or any(ch.isdigit() for ch in words[0]):
        return ""
    return words[0]


def _nonzero(value: object) -> bool:
    return value is not None and Decimal(value) != 0


def _minus(value: object) -> str:
    return f"-{figure(value)}"


@dataclass(frozen=True)
class BillSaid:
    """A bill as the customer display says it: every text, no figure worked out."""

    greeting: str  # "Welcome, Asha"
    tier: str = ""  # "Gold member"
    balance: str = ""  # "Your balance: 1,000.00 points"
    lines: list[tuple[str, str, str]] = field(default_factory=list)  # (what, amount, discount)
    earlier: str = ""  # "3 earlier lines" above the newest MAX_LINES
    totals: list[tuple[str, str]] = field(default_factory=list)  # ("Bill amount", "975.00"), ...
    redemption: str = ""  # "Paying 1,000.00 points = ₹100.00"
    payable: str = ""  # "₹875.00"
    earn: str = ""  # "You earn 19.75 points on this bill"
    promotions: list[str] = field(default_factory=list)  # "Double points on Baby Care today"


_DEDUCTIONS = (
    ("Member discount", "categoryDiscount"),
    ("Flat discount", "flatDiscount"),
    ("Paid with points", "amountDeducted"),
)


def bill_said(shown: ShownBill) -> BillSaid:
    card, quote, currency = shown.card, shown.quote, shown.currency
    name = first_name(card.customer_name) if card is not None else ""
    header = BillSaid(
        greeting=f"Welcome, {name}" if name else "Welcome",
        tier=f"{card.tier} member" if card is not None and card.tier else "",
        balance=f"Your balance: {figure(points(card.points_balance))} points" if card is not None else "",
    )
    if quote is None:  # nothing rung up yet, or the core refused the bill: no figures to say
        return replace(header, payable="…") if shown.has_items else header
    lines = []
    for index, line in enumerate(quote["lines"]):
        typed = shown.lines[index] if index < len(shown.lines) else None
        what = line["categoryName"]
        if typed is not None and typed.quantity is not None:
            what += f"  {typed.quantity} × {figure(typed.unit_price)}"
        discount = _minus(line["categoryDiscount"]) if _nonzero(line["categoryDiscount"]) else ""
        lines.append((what, figure(line["gross"]), discount))
    for reward in quote.get("rewards", []):
        lines.append((f"Reward: {reward['name']} × {reward['quantity']}", f"{figure(reward['points'])} pts", ""))
    earlier = len(lines) - MAX_LINES
    totals = [("Bill amount", figure(quote["billAmount"]))]
    for label, key in _DEDUCTIONS:
        if _nonzero(quote[key]):
            totals.append((label, _minus(quote[key])))
    redemption = []
    if _nonzero(quote["pointsRedeemed"]):
        paying = figure(quote["pointsRedeemed"])
        redemption.append(f"Paying {paying} points = {money(quote['amountDeducted'], currency)}")
    elif card is not None and _nonzero(quote.get("maxRedeemablePoints")):
        redemption.append(f"You may use up to {figure(quote['maxRedeemablePoints'])} points")
    if _nonzero(quote.get("rewardPoints")):
        redemption.append(f"Reward products: {figure(quote['rewardPoints'])} points")
    if card is None:
        earn = "Ask us for a loyalty card: earn points on every bill"
    elif not quote.get("programEnabled", True):
        earn = ""
    else:
        earn = f"You earn {figure(quote['pointsEarned'])} points on this bill"
    return replace(
        header,
        lines=lines[-MAX_LINES:],
        earlier=f"{earlier} earlier line{'s' if earlier > 1 else ''}" if earlier > 0 else "",
        totals=totals,
        redemption="\n".join(redemption),
        payable=money(quote["payable"], currency),
        earn=earn,
        promotions=list(shown.promotions) if card is not None and earn else [],
    )


def thanks_said(result: dict[str, Any], card: CardView | None) -> tuple[str, str]:
    """The thank-you after a bill: its title and what the card has now (the result's figures)."""
    name = first_name(card.customer_name) if card is not None else ""
    title = f"Thank you, {name}!" if name else "Thank you!"
    if card is None or result.get("newBalance") is None:
        return title, "Please come again"
    detail = []
    if result.get("programEnabled", True) and _nonzero(result.get("pointsEarned")):
        detail.append(f"You earned {figure(result['pointsEarned'])} points")
    detail.append(f"New balance {figure(result['newBalance'])} points")
    return title, "\n".join(detail)
