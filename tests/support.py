"""Helpers shared by the tests (importable as `support`; tests/ is on pytest's path)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

from pos_loyalty.replica.db import Replica
from pos_loyalty.rules import bill_from_json
from pos_loyalty.rules.bill import BillRequest

#: Seed 002's configuration example, verbatim.
SEED_EXAMPLE = """{
  "tenantId": 1,
  "isEnabled": true,
  "pointsToAmountRate": 0.10,
  "maxRedemptionPercent": 50,
  "referralPointsPercent": 0.5,
  "minPointsToRedeem": 100,
  "categoryPointConfigs": [
    {"categoryId": 1, "categoryName": "Medicines", "pointPercentage": 1.0},
    {"categoryId": 2, "categoryName": "General", "pointPercentage": 3.0},
    {"categoryId": 3, "categoryName": "Baby Care", "pointPercentage": 5.0},
    {"categoryId": 4, "categoryName": "Cosmetics", "pointPercentage": 2.0}
  ],
  "categoryDiscounts": [
    {"categoryId": 1, "categoryName": "Medicines", "discountPercentage": 5.0},
    {"categoryId": 3, "categoryName": "Baby Care", "discountPercentage": 10.0}
  ]
}"""


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


@contextmanager
def statements_traced(replica: Replica, action: Callable[[str], object]) -> Iterator[None]:
    """Call `action` with each statement's SQL as SQLite starts it, on the connection the
    replica's next unit of work takes (the one the last gave back), to do something between
    two statements of one unit of work."""
    driver = replica._idle[-1]._driver  # noqa: SLF001 (the tests' one look inside)
    driver.set_trace_callback(action)
    try:
        yield
    finally:
        driver.set_trace_callback(None)


def wait_until(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.05)
