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
