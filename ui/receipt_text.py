"""The receipt's text, from the result the core returned when the bill was finalized: its
lines, its reward products with their points, and the promotions its points were earned
under (named from the configuration; a promotion since removed by its number).

Figures are written in the pharmacy's locale and times in its time zone, with the zone said
(`ui.style.local()` unless a `local` is given)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pos_loyalty.formatting import Local
from pos_loyalty.receipt_lines import bill_said
from ui import style

WIDTH = 42


def _row(label: str, value: str) -> str:
    return f"{label[: WIDTH - len(value) - 1]:<{WIDTH - len(value)}}{value}"


def expiry_line(expiring: object, next_expiry_at: object, local: Local | None = None) -> str:
    """"120.00 points expire on 31 Jan" (the pharmacy's day; "" when nothing expires within 30 days)."""
    if not expiring or Decimal(str(expiring)) <= 0 or next_expiry_at is None:
        return ""
    local = local or style.local()
    return f"{local.points(_decimal(expiring))} points expire on {local.day(next_expiry_at)}"  # type: ignore[arg-type]


def _decimal(value: object) -> object:
    return Decimal(value) if isinstance(value, int) else value  # an int here is a whole figure (as ui.style.figure)


def _figures(local: Local):  # type: ignore[no-untyped-def]
    def figure(value: object) -> str:
        return local.number(_decimal(value))

    return figure


def receipt_text(
    result: dict[str, Any],
    customer: str | None,
    pharmacy: str,
    currency: str = "",
    promotions: dict[int, str] | None = None,
    *,
    local: Local | None = None,
) -> str:
    local = local or style.local()
    figure = _figures(local)
    when = result.get("finalizedAt")
    rule = "-" * WIDTH
    lines = [pharmacy.upper().center(WIDTH), f"Bill {bill_said(result)}".center(WIDTH)]
    if when is not None:
        lines.append(local.when(when).center(WIDTH))
    if result.get("cardNumber"):
        lines.append(f"Card {result['cardNumber']}" + (f" ({customer})" if customer else ""))
    lines.append(rule)
    for line in result["lines"]:
        lines.append(_row(line["categoryName"], figure(line["gross"])))
        if Decimal(line["categoryDiscount"]):
            lines.append(_row("  member discount", "-" + figure(line["categoryDiscount"])))
    lines.append(rule)
    lines.append(_row("Bill amount", figure(result["billAmount"])))
    if Decimal(result["categoryDiscount"]):
        lines.append(_row("Member discount", "-" + figure(result["categoryDiscount"])))
    if Decimal(result["flatDiscount"]):
        lines.append(_row("Discount", "-" + figure(result["flatDiscount"])))
    if Decimal(result["pointsRedeemed"]):
        lines.append(_row(f"Points redeemed {figure(result['pointsRedeemed'])}", "-" + figure(result["amountDeducted"])))
    lines.append(_row("TO PAY", local.money(_decimal(result["payable"]), currency)))
    rewards = result.get("rewards") or []
    if rewards:
        lines.append(rule)
        lines.append("Reward products (paid with points)")
        for reward in rewards:
            lines.append(_row(f"{reward['quantity']} x {reward['name']}", f"{figure(reward['points'])} pts"))
    if result.get("cardNumber"):
        lines.append(rule)
        lines.append(_row("Points earned", figure(result["pointsEarned"])))
        for promotion_id in _promotions_used(result):
            name = (promotions or {}).get(promotion_id, f"Promotion {promotion_id}")
            lines.append(f"  incl. {name}"[:WIDTH])
        if rewards:
            lines.append(_row("Points for reward products", "-" + figure(result["rewardPoints"])))
        if result.get("newBalance") is not None:
            lines.append(_row("Points balance now", figure(result["newBalance"])))
        expiring = expiry_line(result.get("expiringPoints"), result.get("nextExpiryAt"), local)
        if expiring:
            lines.append(expiring)
    lines.append(rule)
    lines.append("Thank you".center(WIDTH))
    return "\n".join(lines)


def _promotions_used(result: dict[str, Any]) -> list[int]:
    used: list[int] = []
    for entry in result.get("earnBreakdown") or []:
        if entry.get("promotionId") is not None and entry["promotionId"] not in used and Decimal(str(entry["points"])):
            used.append(entry["promotionId"])
    return used


def return_slip_text(
    answer: dict[str, Any],
    returned: list[tuple[str, str]],
    card_number: str | None,
    pharmacy: str,
    currency: str = "",
    *,
    local: Local | None = None,
) -> str:
    """The slip of a return: what came back (label, how much), the cash given back and the points moved."""
    local = local or style.local()
    figure = _figures(local)
    rule = "-" * WIDTH
    when = answer.get("returnedAt")
    lines = [pharmacy.upper().center(WIDTH), "RETURN".center(WIDTH), f"Bill {bill_said(answer)}".center(WIDTH)]
    if when is not None:
        lines.append(local.when(when).center(WIDTH))
    if card_number:
        lines.append(f"Card {card_number}")
    lines.append(rule)
    for label, back in returned:
        lines.append(_row(label, back))
    lines.append(rule)
    lines.append(_row("CASH BACK", local.money(_decimal(answer["cashRefund"]), currency)))
    if Decimal(answer["pointsRefunded"]):
        lines.append(_row("Points given back", figure(answer["pointsRefunded"])))
    if Decimal(answer["pointsReversed"]):
        lines.append(_row("Points taken off", "-" + figure(answer["pointsReversed"])))
    if answer.get("newBalance") is not None:
        lines.append(_row("Points balance now", figure(answer["newBalance"])))
    lines.append(rule)
    lines.append(f"Return {answer['returnId'][:30]}".center(WIDTH))
    return "\n".join(lines)
