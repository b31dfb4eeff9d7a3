"""Held points at the till (SQLite and PostgreSQL, a real central service): points a web shop
holds on a card reach the till by pull and are never offered there, stop being held at
their `expiresAt` without another pull, and come back when released; a bill parked at the
till holds the points it redeems (and its reward products' price) until it is taken back
or thrown away."""

from __future__ import annotations

import sqlite3
import time
from decimal import Decimal

import pytest

from central_harness import body
from pos_loyalty import errors
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica import migrate
from pos_loyalty.replica.db import FILE_NAME
from pos_loyalty.services import bills, cards, configuration, open_replica, parked
from support import make_bill

BACKENDS = pytest.mark.parametrize("server", ["sqlite", "postgresql"], indirect=True)
HOLD = "/api/v1/internal/cards/hold"
D = Decimal


def web_shop_holds(pharmacy, number: str, points: int, bill: str, ttl: int) -> dict:
    answer = pharmacy.admin.post(
        HOLD, {"cardNumber": number, "points": points, "billId": bill, "billAmount": 1000, "ttlSeconds": ttl}
    )
    assert answer.status_code == 200, answer.text
    return body(answer)


def refused(replica, number: str, redeem: str) -> str:
    with pytest.raises(LoyaltyError) as refusal:
        bills.finalize(replica, number, make_bill((2, "1000.00"), redeem=redeem))
    return refusal.value.code


@BACKENDS
def test_points_a_web_shop_holds_are_never_offered_at_the_till(pharmacy):
    till = pharmacy.open_till("counter-1")
    till.connect(pharmacy.server.base)
    number = cards.issue(till.replica, name="Asha", phone="9000000961").card_number
    cards.adjust(till.replica, number, "500", reason="opening balance")
    till.sync_until_drained()
    held = web_shop_holds(pharmacy, number, 300, "WEB-1", ttl=600)
    till.sync_until_drained()

    seen = cards.find(till.replica, number)
    assert (seen.points_balance, seen.held_points, seen.available_points) == (500_00, 300_00, 200_00)
    assert seen.to_json()["heldPoints"] == D("300.00")
    quote = bills.quote(till.replica, number, make_bill((2, "1000.00")))
    assert (quote.available_points, quote.max_redeemable_points) == (200_00, 200_00)
    assert refused(till.replica, number, "300") == errors.INSUFFICIENT_POINTS
    sold = bills.finalize(till.replica, number, make_bill((2, "1000.00"), redeem="200"))
    assert sold.result["pointsRedeemed"] == D("200.00")
    till.sync_until_drained()
    assert pharmacy.flags("RULES_MISMATCH") == []  # the service checks the bill with what the till knew
    assert pharmacy.flags("OVERDRAFT") == []

    released = pharmacy.admin.post(f"/api/v1/internal/cards/holds/{held['holdId']}/release")
    assert released.status_code == 200, released.text
    till.sync_until_drained()
    seen = cards.find(till.replica, number)
    assert (seen.held_points, seen.available_points) == (0, seen.points_balance)


@BACKENDS
def test_a_pulled_hold_stops_counting_at_its_time_without_another_pull(pharmacy):
    till = pharmacy.open_till("counter-1")
    till.connect(pharmacy.server.base)
    number = cards.issue(till.replica, name="Bina", phone="9000000962").card_number
    cards.adjust(till.replica, number, "500", reason="opening balance")
    till.sync_until_drained()
    web_shop_holds(pharmacy, number, 400, "WEB-2", ttl=2)
    till.sync_until_drained()
    assert cards.find(till.replica, number).available_points == 100_00
    time.sleep(2.2)  # the till goes offline meanwhile: nothing is pulled
    assert cards.find(till.replica, number).available_points == 500_00
    sold = bills.finalize(till.replica, number, make_bill((2, "1000.00"), redeem="400"))
    assert sold.result["pointsRedeemed"] == D("400.00")


def test_a_parked_bill_holds_its_points_at_the_till_until_it_is_taken_back(tmp_path):
    replica = open_replica(tmp_path / "till")
    try:
        reward = {"rewardId": "TOTE-BAG", "name": "Tote bag", "pointsPrice": 150, "isActive": True}
        configuration.save(replica, {**configuration.export(replica), "rewards": [reward]}, performed_by="manager")
        number = cards.issue(replica, name="Chitra", phone="9000000963").card_number
        cards.adjust(replica, number, "600", reason="opening balance")
        document = {
            "billId": "PARKED-1",
            "cardNumber": number,
            "items": [{"categoryId": 2, "amount": D("1000.00")}],
            "redeemPoints": D("300"),
            "rewards": [{"rewardId": "TOTE-BAG", "quantity": 1}],
        }
        first = parked.park(replica, document, "Chitra")
        seen = cards.find(replica, number)
        assert (seen.held_points, seen.available_points) == (450_00, 150_00)  # 300 redeemed + the tote bag's 150
        assert refused(replica, number, "200") == errors.INSUFFICIENT_POINTS  # another bill meanwhile
        assert parked.resume(replica, first) == document | {"redeemPoints": D("300")}
        assert cards.find(replica, number).available_points == 600_00
        # Taken back, the bill itself may redeem them.
        sold = bills.finalize(replica, number, make_bill((2, "1000.00"), redeem="300"))
        assert sold.result["pointsRedeemed"] == D("300.00")

        balance = cards.find(replica, number).points_balance  # 600 - 300, and what the bill earned
        second = parked.park(replica, {**document, "billId": "PARKED-2", "rewards": []}, "Chitra")
        assert cards.find(replica, number).available_points == balance - 300_00
        parked.discard(replica, second)
        assert cards.find(replica, number).available_points == balance
        # A bill still being typed holds what it redeems; one without a card holds nothing.
        typing = {**document, "billId": "PARKED-3", "items": [{"categoryId": 2, "amount": None}]}
        parked.park(replica, typing, "Chitra")
        assert cards.find(replica, number).held_points == 300_00
        parked.park(replica, {**document, "billId": "PARKED-4", "cardNumber": None}, "Walk-in customer")
        assert cards.find(replica, number).held_points == 300_00
    finally:
        replica.close()


def test_a_bill_parked_before_this_version_holds_its_redemption_once_upgraded(tmp_path):
    replica = open_replica(tmp_path / "now")
    number = cards.issue(replica, name="Devi", phone="9000000964").card_number
    cards.adjust(replica, number, "500", reason="opening balance")
    items = [{"categoryId": 2, "amount": D("100.00")}]
    document = {"billId": "P-1", "cardNumber": number, "items": items, "redeemPoints": D("200")}
    parked.park(replica, document, "Devi")
    replica.close()
    # The same rows in a file of the schema before held points (0008), as that version left them.
    (tmp_path / "then").mkdir()
    older = tmp_path / "then" / FILE_NAME
    migrate.upgrade(older, "0008")
    with sqlite3.connect(tmp_path / "now" / FILE_NAME) as new, sqlite3.connect(older) as old:
        old.execute("PRAGMA foreign_keys = OFF")
        for (table,) in old.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'"):
            shared = [c[1] for c in old.execute(f'PRAGMA table_info("{table}")') if c[1] in _columns(new, table)]
            old.execute(f'DELETE FROM "{table}"')
            names = ", ".join(f'"{name}"' for name in shared)
            old.executemany(
                f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(shared))})',
                new.execute(f'SELECT {names} FROM "{table}"').fetchall(),
            )
    upgraded = open_replica(tmp_path / "then")
    try:
        assert cards.find(upgraded, number).held_points == 200_00
        [bill] = parked.parked(upgraded)
        parked.discard(upgraded, bill.id)
        assert cards.find(upgraded, number).available_points == 500_00
    finally:
        upgraded.close()


def _columns(connection: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')}
