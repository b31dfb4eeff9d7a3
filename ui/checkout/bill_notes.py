"""What the checkout says about a quote beyond its figures, as plain text (no Qt): the
promotions the bill earns under, why points cannot pay for a line, and the reward
products' rows. Every fact is the quote's; the configuration only gives names."""

from __future__ import annotations

from typing import Any

from pos_loyalty.amounts import points
from pos_loyalty.rules.config import LoyaltyConfig
from ui.checkout.lines_table import RewardRow
from ui.style import figure

NOT_REDEEMABLE_NOTE = "prescription: points cannot pay for it"


def promotion_names(config: LoyaltyConfig) -> dict[int, str]:
    return {promotion.promotion_id: promotion.name for promotion in config.promotions}


def promotion_name(names: dict[int, str], promotion_id: int) -> str:
    """The promotion's name; one no longer in the configuration by its number."""
    return names.get(promotion_id, f"Promotion {promotion_id}")


def promotions_used(quote: dict[str, Any] | None) -> list[int]:
    """The promotions the quote's earnings used, in the breakdown's order, each once."""
    used: list[int] = []
    for entry in (quote or {}).get("earnBreakdown", []):
        if entry.get("promotionId") is not None and entry["promotionId"] not in used:
            used.append(entry["promotionId"])
    return used


def promotions_today(quote: dict[str, Any] | None, config: LoyaltyConfig) -> list[str]:
    """"Double points on Baby Care today", once per promotion the bill earns under (none
    without a card: nothing is earned)."""
    if quote is None or quote.get("cardNumber") is None:
        return []
    names = promotion_names(config)
    return [f"{promotion_name(names, promotion_id)} today" for promotion_id in promotions_used(quote)]


def line_notes(quote: dict[str, Any] | None, config: LoyaltyConfig) -> list[str]:
    """Each line's note: a prescription points cannot pay for, the promotion it earns under."""
    if quote is None:
        return []
    names = promotion_names(config)
    earning = quote.get("cardNumber") is not None
    promoted = {e["categoryId"]: e["promotionId"] for e in quote["earnBreakdown"] if e.get("promotionId") is not None}
    notes = []
    for line in quote["lines"]:
        said = []
        if not line.get("isRedeemable", True):
            said.append(NOT_REDEEMABLE_NOTE)
        if earning and line["categoryId"] in promoted:
            said.append(promotion_name(names, promoted[line["categoryId"]]))
        notes.append("; ".join(said))
    return notes


def reward_rows(draft_rewards: list[list[Any]], quote: dict[str, Any] | None, config: LoyaltyConfig) -> list[RewardRow]:
    """The bill's reward products: the quote's points, or "not on the bill yet" while the
    quote refuses them (the price shown is the configuration's)."""
    quoted = {line["rewardId"]: line for line in (quote or {}).get("rewards", [])}
    rows = []
    for reward_id, quantity in draft_rewards:
        reward = config.reward(reward_id)
        name = reward.name if reward else reward_id
        price = f"{figure(points(reward.points_price))} pts" if reward else "not sold here"
        worked = quoted.get(reward_id)
        rows.append(
            RewardRow(
                f"Reward: {name} ({reward_id})",  # wraps in the table
                f"{quantity} × {price}",
                f"{figure(worked['points'])} points" if worked else "not on the bill yet",
            )
        )
    return rows
