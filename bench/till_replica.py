"""The benchmark's replica: N cards through the real schema, built once and cached.

`open_replica` makes the file (the real migrations and seed 002's sample
configuration); the cards are then bulk-inserted with plain `sqlite3` in one
transaction, as a sync pull of a big pharmacy would leave them. About 60 % of cards
hold 2.00 to 4,999.99 points (one ADJUSTED "opening balance" row each, so balances
agree with the ledger) and 30 % were referred by an earlier card.

The built file is cached under the output folder, keyed by the card count, the fill
format below and the text of the migrations; every run measures on a fresh copy.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import sqlite3
import time
from pathlib import Path

from pos_loyalty import cardnumber
from pos_loyalty.replica.db import BUSY_TIMEOUT_MS, FILE_NAME, WAL_BACKSTOP_PAGES
from pos_loyalty.services import open_replica

#: Bump when the way the cached replica is filled changes.
BUILD_FORMAT = 1
SEED = 20261121
PHONE_BASE = 9_000_000_000  # +919000000000, +919000000001, ...
REFERRED_SHARE = 0.3
BALANCE_SHARE = 0.6
MIGRATIONS = Path(__file__).resolve().parent.parent / "pos_loyalty/replica/migrations/versions"


def card_number(index: int) -> str:
    """The index-th card: valid EAN-13 numbers from the central service's blocks."""
    block, serial = divmod(index, cardnumber.BLOCK_SIZE)
    return cardnumber.from_block(cardnumber.SERVER_BLOCK_PREFIX, block, serial)


def phone(index: int) -> str:
    return f"+91{PHONE_BASE + index}"


def working_copy(out: Path, count: int) -> Path:
    """A data dir holding a fresh copy of the cached `count`-card replica (built if missing)."""
    cache = out / f"cache-{count}-{_build_key(count)}"
    if not (cache / FILE_NAME).exists():
        building = out / "building"
        shutil.rmtree(building, ignore_errors=True)
        started = time.perf_counter()
        _build(building, count)
        shutil.rmtree(cache, ignore_errors=True)
        building.rename(cache)
        print(f"built a replica of {count:,} cards in {time.perf_counter() - started:.1f} s")
    run = out / "run"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    shutil.copyfile(cache / FILE_NAME, run / FILE_NAME)
    return run


def bare_connection(path: Path) -> sqlite3.Connection:
    """Stdlib sqlite3 with the replica's own pragmas (see pos_loyalty/replica/db.py)."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute(f"PRAGMA wal_autocheckpoint = {WAL_BACKSTOP_PAGES}")
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def redeeming_cards(connection: sqlite3.Connection) -> list[str]:
    """Active cards with an active referrer and at least 1,000.00 points."""
    rows = connection.execute(
        "SELECT c.card_number FROM cards c JOIN cards r ON r.id = c.referrer_id"
        " WHERE c.is_active AND r.is_active AND c.points_balance >= 100000"
    )
    return [number for (number,) in rows]


def _build_key(count: int) -> str:
    digest = hashlib.sha256(f"{count}:{BUILD_FORMAT}".encode())
    for migration in sorted(MIGRATIONS.glob("*.py")):
        digest.update(migration.read_bytes())
    return digest.hexdigest()[:12]


def _build(directory: Path, count: int) -> None:
    open_replica(directory).close()
    chance = random.Random(SEED)
    issued = "2026-01-01 09:00:00.000000"
    card_rows = []
    ledger_rows = []
    for index in range(count):
        card_id = index + 1
        referred = card_id > 1 and chance.random() < REFERRED_SHARE
        referrer = chance.randrange(1, card_id) if referred else None
        balance = chance.randrange(200, 500_000) if chance.random() < BALANCE_SHARE else 0
        card_rows.append(
            (card_id, card_number(index), f"Customer {index}", phone(index), referrer, balance,
             1, issued, issued if balance else None, issued)
        )  # fmt: skip
        if balance:
            ledger_rows.append((card_id, "ADJUSTED", balance, balance, "MANUAL", issued))
    connection = bare_connection(directory / FILE_NAME)
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        "INSERT INTO cards (id, card_number, customer_name, customer_phone, referrer_id,"
        " points_balance, total_points_earned, total_points_redeemed,"
        " total_referral_points_earned, is_active, issued_at, last_transaction_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?, ?)",
        card_rows,
    )
    connection.executemany(
        "INSERT INTO ledger (card_id, transaction_type, points, balance_after, reference_type,"
        " description, created_at) VALUES (?, ?, ?, ?, ?, 'opening balance', ?)",
        ledger_rows,
    )
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the copy needs only the main file
    connection.close()
