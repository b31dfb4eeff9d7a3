"""The receipt and the return slip as the counter app shows them: the printer's layout
(`pos_loyalty/receipt_lines.py`) at 42 characters, so the screen, the PDF and the paper
say the same thing in the same words.

Figures are written in the pharmacy's locale and times in its time zone, with the zone said
(`ui.style.local()` unless a `local` is given)."""

from __future__ import annotations

from typing import Any

from pos_loyalty import receipt_lines
from pos_loyalty.formatting import Local
from ui import style

WIDTH = 42


def expiry_line(expiring: object, next_expiry_at: object, local: Local | None = None) -> str:
    """"120.00 points expire on 31 Jan" (the pharmacy's day; "" when nothing expires within 30 days)."""
    return receipt_lines.expiry_line(expiring, next_expiry_at, local or style.local())


def receipt_text(
    result: dict[str, Any],
    customer: str | None,
    pharmacy: str,
    currency: str = "",
    promotions: dict[int, str] | None = None,
    *,
    local: Local | None = None,
    marked: str = "",
) -> str:
    slip = receipt_lines.receipt_slip(
        result, customer, pharmacy, width=WIDTH, currency=currency, promotions=promotions,
        formats=local or style.local(), marked=marked,
    )
    return "\n".join(slip.lines)


def return_slip_text(
    answer: dict[str, Any],
    returned: list[tuple[str, str]],
    card_number: str | None,
    pharmacy: str,
    currency: str = "",
    *,
    local: Local | None = None,
    bill_number: str | None = None,
) -> str:
    """The slip of a return: what came back (label, how much), the cash given back and the points moved."""
    slip = receipt_lines.return_slip(
        answer,
        returned,
        card_number,
        pharmacy,
        width=WIDTH,
        currency=currency,
        formats=local or style.local(),
        bill_number=bill_number,
    )
    return "\n".join(slip.lines)
