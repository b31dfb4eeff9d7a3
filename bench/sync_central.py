"""The sync benchmark's central side: the databases, the real server process, a bulk load.

- `new_tenant` makes a central SQLite file (or, given a PostgreSQL URL, fills that
  database) with one tenant (seed 002's sample configuration) and one till, through the
  service's own code (`central.store.tenants`).
- `start_server` runs `pos-loyalty central serve --db URL [--workers N]` on a free loopback port.
- `big_tenant` is a tenant of N cards loaded straight into the database with `sqlite3`
  executemany in one transaction, built once and cached (keyed by the card count, the
  fill format below and the text of the central migrations); every run gets a fresh copy.

The loaded cards carry the change number the service would have stamped on one bulk
import (the tenant's counter + 1, and the counter moved to it: `central/store/db.py`,
`change_number`), so the pull feed serves them.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path


from central.store.db import Store
from central.store.migrate import upgrade
from central.store.tenants import add_device, create_tenant
from central_harness import Server
from pos_loyalty import cardnumber

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "central/store/migrations/versions"
FILE_NAME = "central.sqlite3"
#: Bump when the way the cached tenant is filled changes.
BUILD_FORMAT = 1
SEED = 20261121
FIRST_BLOCK = 90_000  # the loaded cards' number blocks, far from the ones tills are given
REFERRED_SHARE = 0.3
BALANCE_SHARE = 0.6
EMAIL_SHARE = 0.2
SQLITE_PRAGMAS = ("busy_timeout = 30000", "journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON")


@dataclass(frozen=True)
class Tenant:
    database: Path  # SQLite: the file; PostgreSQL: the folder of the server's log
    tenant_id: int
    device_id: int
    token: str
    url: str = ""  # PostgreSQL: the database's URL ("": the SQLite file)

    @property
    def db(self) -> str:
        """What `central serve --db` is given."""
        return self.url or f"sqlite:///{self.database}"


def new_tenant(folder: Path, name: str, url: str = "") -> Tenant:
    """One tenant and one till, made by the service's code: in a central SQLite file in
    `folder`, or in the (empty) PostgreSQL database at `url`."""
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / FILE_NAME
    store = Store(url or database)
    upgrade(store.engine)
    tenant = create_tenant(store, name, sample_config=True)
    till = add_device(store, tenant.tenant_id, "Till 1")
    store.dispose()
    return Tenant(database, tenant.tenant_id, till.device_id, till.token, url)


def connect(database: Path) -> sqlite3.Connection:
    """Plain sqlite3 on a central file, with the service's own pragmas (`central/store/db.py`)."""
    connection = sqlite3.connect(database, isolation_level=None, timeout=30)
    for pragma in SQLITE_PRAGMAS:
        connection.execute(f"PRAGMA {pragma}")
    return connection


# --- the server process -------------------------------------------------------------------


def start_server(tenant: Tenant, workers: int | None = None) -> Server:
    """`pos-loyalty central serve --db URL` on a free loopback port: one worker (a
    pharmacy's server) unless `workers` says otherwise."""
    server = Server(tenant.db, tenant.database.parent / "serve.log", workers=workers)
    server.start()
    return server


# --- a big tenant ---------------------------------------------------------------------------


def big_tenant(out: Path, count: int) -> tuple[Tenant, float | None]:
    """A fresh copy of the cached `count`-card tenant (built if missing), and the build time."""
    cache = out / f"central-{count}-{_build_key(count)}"
    built = None
    if not (cache / FILE_NAME).exists():
        building = out / "central-building"
        shutil.rmtree(building, ignore_errors=True)
        started = time.perf_counter()
        tenant = new_tenant(building, "Bench chain")
        _load_cards(tenant, count)
        (building / "tenant.txt").write_text(f"{tenant.tenant_id} {tenant.device_id} {tenant.token}\n")
        built = time.perf_counter() - started
        shutil.rmtree(cache, ignore_errors=True)
        building.rename(cache)
    run = out / "central-run"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    shutil.copyfile(cache / FILE_NAME, run / FILE_NAME)
    tenant_id, device_id, token = (cache / "tenant.txt").read_text().split()
    return Tenant(run / FILE_NAME, int(tenant_id), int(device_id), token), built


def _load_cards(tenant: Tenant, count: int) -> None:
    """`count` cards in one transaction: 30 % referred by an earlier card, 60 % holding points,
    20 % with an e-mail address, every tenth with a customer id."""
    chance = random.Random(SEED)
    moment = "2026-01-01 09:00:00.000000"
    connection = connect(tenant.database)
    connection.execute("BEGIN IMMEDIATE")
    first_id = connection.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM cards").fetchone()[0]
    (change,) = connection.execute(
        "UPDATE tenants SET change_seq = change_seq + 1 WHERE id = ? RETURNING change_seq", (tenant.tenant_id,)
    ).fetchone()
    rows = []
    for index in range(count):
        card_id = first_id + index
        referrer = chance.randrange(first_id, card_id) if index and chance.random() < REFERRED_SHARE else None
        earned = chance.randrange(200, 500_000) if chance.random() < BALANCE_SHARE else 0
        redeemed = earned // 4 if earned and chance.random() < 0.5 else 0
        block, serial = divmod(index, cardnumber.BLOCK_SIZE)
        rows.append(
            (card_id, tenant.tenant_id, cardnumber.from_block(cardnumber.SERVER_BLOCK_PREFIX, FIRST_BLOCK + block, serial),
             f"C{index:09d}" if index % 10 == 0 else None, f"Customer {index}", f"+91{8_000_000_000 + index}",
             f"customer{index}@example.com" if chance.random() < EMAIL_SHARE else None, referrer,
             earned - redeemed, earned, redeemed, 0, 1, moment, moment if earned else None, moment, moment, change)
        )  # fmt: skip
    connection.executemany(
        "INSERT INTO cards (id, tenant_id, card_number, customer_id, customer_name, customer_phone, customer_email,"
        " referrer_card_id, points_balance, total_points_earned, total_points_redeemed, total_referral_points_earned,"
        " is_active, issued_at, last_transaction_at, created_at, updated_at, change_seq)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the copy needs only the main file
    connection.close()


def _build_key(count: int) -> str:
    digest = hashlib.sha256(f"{count}:{BUILD_FORMAT}".encode())
    for migration in sorted(MIGRATIONS.glob("*.py")):
        digest.update(migration.read_bytes())
    return digest.hexdigest()[:12]
