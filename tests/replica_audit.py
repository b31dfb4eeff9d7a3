"""An audit of a replica file read with plain sqlite3, independent of the services' code
(importable as `replica_audit`; tests/ is on pytest's path)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import NamedTuple

from pos_loyalty import jsonio


class Figures(NamedTuple):
    """A card's balance and its three totals, in hundredths of a point."""

    balance: int
    earned: int
    redeemed: int
    referral: int


ZERO = Figures(0, 0, 0, 0)

# A REVERSED row counts against the type of the row it reverses, a TRANSFER row moves what it
# says it moves (`services/ledger.py`).
_LEDGER_SUMS = """
    SELECT row.card_id,
           SUM(row.points),
           SUM(CASE WHEN COALESCE(original.transaction_type, row.transaction_type) = 'EARNED'
                    THEN row.points ELSE 0 END) + SUM(COALESCE(row.moved_earned, 0)),
           -SUM(CASE WHEN COALESCE(original.transaction_type, row.transaction_type) = 'REDEEMED'
                     THEN row.points ELSE 0 END) + SUM(COALESCE(row.moved_redeemed, 0)),
           SUM(CASE WHEN COALESCE(original.transaction_type, row.transaction_type) = 'REFERRAL_EARNED'
                    THEN row.points ELSE 0 END) + SUM(COALESCE(row.moved_referral, 0))
    FROM ledger AS row
    LEFT JOIN ledger AS original ON row.reverses_id = original.id
    GROUP BY row.card_id
"""


class ReplicaAudit:
    """Reads a replica file with the standard library's sqlite3 and checks its invariants."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        """Read-only: the file as it was left (after a kill, say), never checkpointed by the audit."""
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)

    def query(self, sql: str, *params: object) -> list[tuple]:
        with closing(self._connect()) as connection:
            return connection.execute(sql, params).fetchall()

    def dump(self) -> dict[str, list[tuple]]:
        """Every row of every table, in rowid order: the replica's whole content."""
        with closing(self._connect()) as connection:
            tables = [
                name
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
            ]
            return {
                table: connection.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()
                for table in tables
            }

    def count(self, table: str) -> int:
        return self.query(f'SELECT COUNT(*) FROM "{table}"')[0][0]

    def card_ids(self) -> dict[str, int]:
        return dict(self.query("SELECT card_number, id FROM cards"))

    def card_figures(self) -> dict[int, Figures]:
        """Each card's figures as stored on its row."""
        rows = self.query(
            "SELECT id, points_balance, total_points_earned, total_points_redeemed, "
            "total_referral_points_earned FROM cards"
        )
        return {row[0]: Figures(*row[1:]) for row in rows}

    def ledger_figures(self) -> dict[int, Figures]:
        """Each card's figures summed from its ledger rows (cards with no rows: zero)."""
        sums = {row[0]: Figures(*row[1:]) for row in self.query(_LEDGER_SUMS)}
        return {card_id: sums.get(card_id, ZERO) for card_id in self.card_figures()}

    def outbox(self) -> list[tuple[int, str, dict]]:
        """(deviceSeq, kind, payload) of every mutation, in deviceSeq order."""
        rows = self.query("SELECT device_seq, kind, payload FROM outbox ORDER BY device_seq")
        return [(seq, kind, jsonio.loads(payload)) for seq, kind, payload in rows]

    def check(self) -> None:
        """Balances and totals equal their ledger sums; balanceAfter runs; the outbox is gapless."""
        assert self.card_figures() == self.ledger_figures()

        running: dict[int, int] = {}
        for entry_id, card_id, amount, balance_after in self.query(
            "SELECT id, card_id, points, balance_after FROM ledger ORDER BY id"
        ):
            running[card_id] = running.get(card_id, 0) + amount
            assert balance_after == running[card_id], f"ledger row {entry_id}: balanceAfter"

        seqs = [seq for (seq,) in self.query("SELECT device_seq FROM outbox ORDER BY device_seq")]
        assert seqs == list(range(1, len(seqs) + 1)), "outbox deviceSeq has a gap"
        (next_seq,) = self.query("SELECT next_device_seq FROM sync_state")[0]
        assert next_seq == len(seqs) + 1
        orphans = self.query(
            "SELECT id FROM ledger WHERE device_seq IS NULL "
            "OR device_seq NOT IN (SELECT device_seq FROM outbox)"
        )
        assert orphans == [], "ledger rows no mutation carries"
