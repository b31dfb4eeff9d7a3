"""A receipt and a return slip as plain lines of a given width, for a receipt printer.

The same facts as the counter app's receipt on the screen (`ui/receipt_text.py`, 42
characters): the bill, member discount, points redeemed and the money they took off,
points earned and the promotions they were earned under, the balance after, the points
expiring soon, the reward products, thank you. Here every line fits `width` (32 for a
58 mm roll, 42 or 48 for 80 mm): what does not fit is wrapped, never cut off. No I/O,
no printer: `devices/thermal.py` prints a `Slip`, and any other list of lines. Figures
and times are written as `formats` says (the counter app passes the pharmacy's locale).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol


class Formats(Protocol):
    """How figures and times are written (the counter app passes the pharmacy's locale
    and time zone, `ui.style.local()`); `PlainFormats` when nothing is given."""

    def number(self, value: object) -> str: ...

    def money(self, value: object, sign: str = "") -> str: ...

    def when(self, value: datetime | str) -> str: ...

    def day(self, value: datetime | date | str) -> str: ...


class PlainFormats:
    """12,345.50; a time as "03 Dec 2026 17:45 UTC" (stored times are UTC)."""

    def number(self, value: object) -> str:
        return f"{Decimal(str(value)):,.2f}"

    def money(self, value: object, sign: str = "") -> str:
        return f"{sign}{self.number(value)}"

    def when(self, value: datetime | str) -> str:
        return f"{_moment(value):%d %b %Y %H:%M} UTC"

    def day(self, value: datetime | date | str) -> str:
        on = value if isinstance(value, date) and not isinstance(value, datetime) else _moment(value)
        return f"{on:%d %b}"


def _moment(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value.rstrip("Z")) if isinstance(value, str) else value


def _figure(formats: Formats):  # type: ignore[no-untyped-def]
    """Figures of a result: Decimals (JSON) or, for a whole number, an int (never hundredths here)."""

    def figure(value: object) -> str:
        return formats.number(Decimal(value) if isinstance(value, int) else value)

    return figure


@dataclass(frozen=True)
class Slip:
    """What goes on paper: the lines, which of them stand out (bold), and the card whose
    number is printed as a barcode under them (scanned at the next visit)."""

    lines: list[str]
    bold: frozenset[int] = field(default_factory=frozenset)
    barcode: str | None = None


class _Lines:
    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[str] = []
        self.bold: set[int] = set()

    def add(self, text: str, *, bold: bool = False, indent: str = "") -> None:
        """Text wrapped at the width (a long name goes on over the next lines)."""
        for piece in textwrap.wrap(text, self.width, subsequent_indent=indent, drop_whitespace=True) or [""]:
            self._put(piece, bold)

    def centred(self, text: str, *, bold: bool = False) -> None:
        for piece in textwrap.wrap(text, self.width) or [""]:
            self._put(piece.center(self.width), bold)

    def row(self, label: str, value: str, *, bold: bool = False) -> None:
        """The label on the left, the figure flush right; a label too long for the line
        wraps, and the figure goes on its last line (or under it)."""
        if len(label) + 1 + len(value) <= self.width:
            self._put(f"{label:<{self.width - len(value)}}{value}", bold)
            return
        pieces = textwrap.wrap(label, self.width, subsequent_indent="  ")
        for piece in pieces[:-1]:
            self._put(piece, bold)
        last = pieces[-1]
        if len(last) + 1 + len(value) <= self.width:
            self._put(f"{last:<{self.width - len(value)}}{value}", bold)
        else:
            self._put(last, bold)
            self._put(value.rjust(self.width), bold)

    def rule(self) -> None:
        self._put("-" * self.width, False)

    def _put(self, text: str, bold: bool) -> None:
        if bold:
            self.bold.add(len(self.lines))
        self.lines.append(text)

    def slip(self, barcode: str | None) -> Slip:
        return Slip(self.lines, frozenset(self.bold), barcode)


def expiry_line(expiring: object, next_expiry_at: object, formats: Formats | None = None) -> str:
    """"120.00 points expire on 31 Jan" (or "" when nothing expires within 30 days)."""
    if not expiring or Decimal(str(expiring)) <= 0 or next_expiry_at is None:
        return ""
    formats = formats or PlainFormats()
    return f"{_figure(formats)(expiring)} points expire on {formats.day(next_expiry_at)}"  # type: ignore[arg-type]


def promotions_used(result: dict[str, Any]) -> list[int]:
    """The promotions the bill's points were earned under, each once, in order."""
    used: list[int] = []
    for entry in result.get("earnBreakdown") or []:
        if entry.get("promotionId") is not None and entry["promotionId"] not in used and Decimal(str(entry["points"])):
            used.append(entry["promotionId"])
    return used


def receipt_slip(
    result: dict[str, Any],
    customer: str | None,
    pharmacy: str,
    *,
    width: int = 42,
    currency: str = "",
    promotions: dict[int, str] | None = None,
    formats: Formats | None = None,
    marked: str = "",
) -> Slip:
    """The receipt of a finalized bill (`bills.finalize(...).result`, or a bill's stored result).
    With the bill's `items` beside its result (`bills.show` gives them), a line priced per
    unit says its quantity and unit price under its category.
    `marked`: a word under the pharmacy's name ("COPY" on a receipt printed again)."""
    formats = formats or PlainFormats()
    figure = _figure(formats)
    out = _Lines(width)
    out.centred(pharmacy.upper(), bold=True)
    if marked:
        out.centred(marked, bold=True)
    out.centred(f"Bill {bill_said(result)}")
    if result.get("finalizedAt") is not None:
        out.centred(formats.when(result["finalizedAt"]))
    card = result.get("cardNumber")
    if card:
        out.add(f"Card {card}" + (f" ({customer})" if customer else ""), indent="  ")
    out.rule()
    items = result.get("items") or []
    for index, line in enumerate(result["lines"]):
        out.row(line["categoryName"], figure(line["gross"]))
        item = items[index] if index < len(items) else {}
        if item.get("quantity") is not None and item.get("unitPrice") is not None:
            out.add(f"  {item['quantity']} x {figure(item['unitPrice'])}", indent="    ")
        if Decimal(str(line["categoryDiscount"])):
            out.row("  member discount", "-" + figure(line["categoryDiscount"]))
    out.rule()
    out.row("Bill amount", figure(result["billAmount"]))
    if Decimal(str(result["categoryDiscount"])):
        out.row("Member discount", "-" + figure(result["categoryDiscount"]))
    if Decimal(str(result["flatDiscount"])):
        out.row("Flat discount", "-" + figure(result["flatDiscount"]))
    if Decimal(str(result["pointsRedeemed"])):
        out.row(f"Points redeemed {figure(result['pointsRedeemed'])}", "-" + figure(result["amountDeducted"]))
    out.row("TO PAY", _money(formats, result["payable"], currency), bold=True)
    rewards = result.get("rewards") or []
    if rewards:
        out.rule()
        out.add("Reward products (paid with points)")
        for reward in rewards:
            out.row(f"{reward['quantity']} x {reward['name']}", f"{figure(reward['points'])} pts")
    if card:
        out.rule()
        out.row("Points earned", figure(result["pointsEarned"]))
        for promotion_id in promotions_used(result):
            out.add(f"  incl. {(promotions or {}).get(promotion_id, f'Promotion {promotion_id}')}", indent="        ")
        if rewards:
            out.row("Points for reward products", "-" + figure(result["rewardPoints"]))
        if result.get("newBalance") is not None:
            out.row("Points balance now", figure(result["newBalance"]), bold=True)
        expiring = expiry_line(result.get("expiringPoints"), result.get("nextExpiryAt"), formats)
        if expiring:
            out.add(expiring)
    out.rule()
    out.centred("Thank you")
    return out.slip(card or None)


def return_slip(
    answer: dict[str, Any],
    returned: Sequence[tuple[str, str]],
    card_number: str | None,
    pharmacy: str,
    *,
    width: int = 42,
    currency: str = "",
    formats: Formats | None = None,
    bill_number: str | None = None,
) -> Slip:
    """The slip of a return (`returns.return_lines(...)`'s answer): what came back (label,
    how much), the cash given back, the points given back and taken off, the balance after;
    the bill by its short number at the till when given (`bill_names`), else by its id."""
    formats = formats or PlainFormats()
    figure = _figure(formats)
    out = _Lines(width)
    out.centred(pharmacy.upper(), bold=True)
    out.centred("RETURN", bold=True)
    out.centred(f"Bill {bill_said({**answer, 'billNumber': bill_number or answer.get('billNumber')})}")
    if answer.get("returnedAt") is not None:
        out.centred(formats.when(answer["returnedAt"]))
    if card_number:
        out.add(f"Card {card_number}")
    out.rule()
    for label, back in returned:
        out.row(label, back)
    out.rule()
    out.row("CASH BACK", _money(formats, answer["cashRefund"], currency), bold=True)
    if Decimal(str(answer["pointsRefunded"])):
        out.row("Points given back", figure(answer["pointsRefunded"]))
    if Decimal(str(answer["pointsReversed"])):
        out.row("Points taken off", "-" + figure(answer["pointsReversed"]))
    if answer.get("newBalance") is not None:
        out.row("Points balance now", figure(answer["newBalance"]), bold=True)
    out.rule()
    out.centred(f"Return ref. {answer['returnId'][:8]}")
    return out.slip(card_number or None)


def bill_said(result: dict[str, Any]) -> str:
    """A bill on paper: its short number at the till ("T1-000123"), or (a result from before
    bills had one) the start of its id."""
    return result.get("billNumber") or result["billId"][:18]


def _money(formats: Formats, value: object, sign: str) -> str:
    return formats.money(Decimal(value) if isinstance(value, int) else value, sign)
