"""Helpers shared by the tests (importable as `support`; tests/ is on pytest's path)."""

from __future__ import annotations

from decimal import Decimal

from pos_loyalty.replica.db import Replica
from pos_loyalty.rules import bill_from_json
from pos_loyalty.rules.bill import BillRequest


def make_bill(*items: tuple[int, str], redeem: str | None = None, flat: str | None = None) -> BillRequest:
    doc: dict = {"items": [{"categoryId": c, "amount": Decimal(a)} for c, a in items]}
    if redeem is not None:
        doc["redeemPoints"] = Decimal(redeem)
    if flat is not None:
        doc["flatDiscount"] = Decimal(flat)
    return bill_from_json(doc)



def dump_replica(replica: Replica) -> dict[str, list[tuple]]:
    """Every row of every table, read with plain sqlite3: to prove an action changed nothing."""
    import sqlite3

    connection = sqlite3.connect(replica.path)
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {t: connection.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}
    finally:
        connection.close()
