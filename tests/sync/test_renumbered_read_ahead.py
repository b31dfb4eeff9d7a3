"""A push answer that renumbers the till's unsent changes while the next batch has already
been read ahead (sync/daemon.py's push_all reads batch n+1 while batch n is applied): the
batch read ahead must not go out under its old numbers, and every change must reach the
central service exactly once."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from pos_loyalty import jsonio
from pos_loyalty.replica.db import FILE_NAME
from pos_loyalty.services import cards


def copy_replica(source, target) -> None:
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)


@pytest.mark.parametrize("server", ["sqlite", "postgresql"], indirect=True)
def test_a_till_put_back_by_hand_sends_its_new_changes_once_though_batches_are_read_ahead(pharmacy, server, tmp_path):
    till = pharmacy.open_till("Counter 1")
    till.connect(server.base)
    number = cards.issue(till.replica, name="Asha Rao", phone="9000000101").card_number
    assert till.round().pushed["applied"] == 1
    copy_replica(till.data_dir / FILE_NAME, tmp_path / "copy.sqlite3")  # a manager's copy of the file
    for points in ("1", "2"):  # changes the central service then applies: deviceSeq 2 and 3
        cards.adjust(till.replica, number, points, reason="before the copy was put back")
    assert till.round().pushed["applied"] == 2

    # The copy put back by hand (not `pos-loyalty restore`): the till numbers its next
    # changes 2, 3, ... again, numbers the central service holds other changes under.
    till.close()
    for leftover in till.data_dir.glob(FILE_NAME + "-*"):
        leftover.unlink()
    copy_replica(tmp_path / "copy.sqlite3", till.data_dir / FILE_NAME)
    till.reopen()
    for points in ("10", "20", "30", "40", "50"):
        cards.adjust(till.replica, number, points, reason="after the copy was put back")

    # Two a push: the first answer (MUTATION_MISMATCH for both) renumbers what is unsent,
    # while the second batch has been read ahead under the old numbers.
    report = till.daemon(push_batch=2).round()
    assert till.pending() == 0
    assert report.pushed["applied"] == 5
    central = pharmacy.card(number)
    assert central["pointsBalance"] == Decimal("153.00")  # 1 + 2 + 10 + 20 + 30 + 40 + 50, each once
    history = pharmacy.admin.get(f"/api/v1/cards/{central['id']}/transactions", params={"size": 50})
    assert history.status_code == 200, history.text
    rows = jsonio.loads(history.text)["content"]
    adjusted = sorted(row["points"] for row in rows if row["transactionType"] == "ADJUSTED")
    assert adjusted == [Decimal(points) for points in ("1", "2", "10", "20", "30", "40", "50")]
    assert till.balance(number) == Decimal("153.00")  # and the till pulled it back
    with sqlite3.connect(till.data_dir / FILE_NAME) as connection:  # renumbered after the central's 3
        assert connection.execute(
            "SELECT device_seq, status FROM outbox WHERE kind = 'card.adjusted' ORDER BY device_seq"
        ).fetchall() == [(seq, "APPLIED") for seq in (4, 5, 6, 7, 8)]
