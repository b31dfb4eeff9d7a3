"""A busy day at the till for the end-of-day report's tests (importable as `day_reports`): bills
by two cashiers, a return, a reversal and an adjustment, made now through the real services."""

from __future__ import annotations

from decimal import Decimal

from pos_loyalty.replica.db import Replica
from pos_loyalty.rules import bill_from_json
from pos_loyalty.rules.returns import ReturnLineAsk
from pos_loyalty.services import bills, cards, returns


def busy_day(replica: Replica) -> dict[str, str]:
    """Today's work of asha and ravi (and the manager); the card numbers by name."""
    asha_card = cards.issue(replica, name="Asha Rao", phone="9845012345", performed_by="manager").card_number
    cards.adjust(replica, asha_card, "1000", reason="welcome", performed_by="manager")

    def sell(who: str, card: str | None, *items: tuple[int, str], redeem: str | None = None) -> str:
        doc = {"items": [{"categoryId": c, "amount": Decimal(a)} for c, a in items], "redeemPoints": redeem}
        return bills.finalize(replica, card, bill_from_json(doc), performed_by=who).result["billId"]

    sell("asha", asha_card, (1, "850.00"), (3, "420.00"), redeem="200")
    sell("asha", None, (2, "99.00"))
    ravis = sell("ravi", asha_card, (2, "640.00"))
    sell("ravi", None, (4, "300.00"))
    returns.return_lines(replica, ravis, [ReturnLineAsk(0, amount=24000)], performed_by="ravi")
    wrong = sell("ravi", None, (1, "10.00"))
    bills.reverse(replica, wrong, performed_by="manager")
    return {"asha": asha_card}


def printed_figures(lines: list[str]) -> dict[str, dict[str, str]]:
    """A day report as the receipt printer printed it (decoded lines): each block's rows,
    {"asha": {"Bills": "2", ...}, ..., "ALL CASHIERS": {...}}; a row whose figure went onto
    the next line is read from there. A cashier's block also has "Figures not listed" when
    it says its other figures are 0."""
    blocks: dict[str, dict[str, str]] = {}
    block: dict[str, str] | None = None
    for index, line in enumerate(lines):
        if line.startswith("Cashier: ") or line == "ALL CASHIERS":
            block = blocks.setdefault(line.removeprefix("Cashier: "), {})
        elif block is not None and line.startswith("  ") and not line.startswith("   "):
            label, _gap, figure = line.strip().rpartition("  ")
            if not label:  # the label alone: its figure is flush right on the next line
                label, figure = line.strip(), lines[index + 1].strip()
            block[label.strip()] = figure
        elif block is not None and line == "Figures not listed: 0":
            block["Figures not listed"] = "0"
        elif line.startswith(("-----", "=====")):
            block = None
    return blocks


def assert_every_figure_printed(blocks: dict[str, dict[str, str]], report) -> None:  # type: ignore[no-untyped-def]
    """Every figure of `report` (`day_report.report(...)`) is on the printout as the terminal
    writes it (en_IN grouping): each cashier's that are not 0 (and the block says the rest are
    0), and all of the whole till's."""
    from pos_loyalty import formatting
    from pos_loyalty.day_figures import COUNT, FIELDS

    def written(field, figures) -> str:  # type: ignore[no-untyped-def]
        value = figures.value(field)
        return str(value) if field.kind == COUNT else formatting.number(value)

    assert list(blocks) == [*(c.name for c in report.cashiers), "ALL CASHIERS"]
    for cashier in report.cashiers:
        shown = blocks[cashier.name]
        expected = {f.short: written(f, cashier.figures) for f in FIELDS if cashier.figures.value(f)}
        zeros = len(expected) < len(FIELDS)
        assert shown == {**expected, **({"Figures not listed": "0"} if zeros else {})}, cashier.name
    assert blocks["ALL CASHIERS"] == {f.short: written(f, report.total) for f in FIELDS}
