"""A pharmacy on a real central service, its tills and their cashiers, for the fault tests.

Everything here is the real thing: `pos-loyalty central serve` in its own process, till
replicas in SQLite files, cards and bills made by `pos_loyalty.services`, and the sync
daemon's own `Syncer` (or the `pos-loyalty sync` command) carrying them, through the
fault proxy, to the server.
"""

from __future__ import annotations

import itertools
import random
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from central.store.db import Store
from central.store.tenants import add_device, create_tenant
from central_harness import SCRIPT, Client, Server, body
from pos_loyalty import errors
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import bills, cards, central_link, open_replica, outbox
from support import make_bill
from sync.daemon import RoundReport, Syncer, SyncFailed
from sync.transport import CentralService

_phones = itertools.count(9_100_000_000)
#: What a till may refuse a redemption with, while the cashier then sells without one.
REDEMPTION_REFUSALS = {
    errors.OFFLINE_LIMIT,
    errors.INSUFFICIENT_POINTS,
    errors.MIN_POINTS_NOT_MET,
    errors.EXCEEDS_MAX_REDEMPTION,
}


class CentralProcess(Server):
    """`pos-loyalty central serve` that a test can kill (SIGKILL) and start again, same port and file."""

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Pharmacy:
    """One tenant: its admin's client, its database (for the checks), its tills."""

    server: CentralProcess
    store: Store
    tenant_id: int
    admin: Client
    folder: Path
    tills: list[Till] = field(default_factory=list)

    @classmethod
    def create(cls, server: CentralProcess, folder: Path) -> Pharmacy:
        store = Store(server.database)
        made = create_tenant(store, "Asha Pharmacy", sample_config=True)
        return cls(server, store, made.tenant_id, Client(server.base, made.admin_token), folder)

    def configure(self, **fields: Any) -> dict[str, Any]:
        """The admin changes the configuration (PUT /card-config): a new version for every till."""
        document = body(self.admin.get("/api/v1/card-config"))
        answer = self.admin.put("/api/v1/card-config", {**document, **fields})
        assert answer.status_code == 200, answer.text
        return body(answer)

    def open_till(self, name: str) -> Till:
        """A new till with its own device token and data folder (not yet connected)."""
        device = add_device(self.store, self.tenant_id, name)
        till = Till(name, self.folder / name, device.device_id, device.token)
        self.tills.append(till)
        return till

    def flags(self, kind: str) -> list[dict[str, Any]]:
        answer = self.admin.get("/api/v1/flags", params={"kind": kind, "size": 200})
        assert answer.status_code == 200, answer.text
        return body(answer)["content"]

    def card(self, number: str) -> dict[str, Any]:
        answer = self.admin.get(f"/api/v1/cards/by-number/{number}")
        if answer.status_code == 409:  # CARD_REPLACED: the old card itself, by its id
            answer = self.admin.get(f"/api/v1/cards/{body(answer)['error']['cardId']}")
        assert answer.status_code == 200, answer.text
        return body(answer)

    def close(self) -> None:
        for till in self.tills:
            till.close()
        self.store.dispose()


class Till:
    """A till's data folder: the counter's replica, and (on demand) the sync daemon's own."""

    def __init__(self, name: str, data_dir: Path, device_id: int, token: str) -> None:
        self.name = name
        self.data_dir = data_dir
        self.device_id = device_id
        self.token = token
        self.replica = open_replica(data_dir)  # the counter app's
        self._syncer: Syncer | None = None
        self._daemons: list[Syncer] = []
        self._processes: list[subprocess.Popen] = []

    # --- the daemon, in this process -------------------------------------------------------

    def connect(self, url: str) -> None:
        """What `pos-loyalty connect URL --token T` does: remember the service, one round."""
        central_link.remember(self.replica, url, self.token)
        self.round()

    def daemon(self, **options: Any) -> Syncer:
        """A sync daemon of this till, on its own replica connection, as `pos-loyalty sync` makes it."""
        settings = central_link.central(self.replica)
        assert settings is not None, "connect the till first"
        daemon = Syncer(Replica.open(self.data_dir), CentralService(settings.url, settings.token), **options)
        self._daemons.append(daemon)
        return daemon

    def round(self) -> RoundReport:
        if self._syncer is None:
            self._syncer = self.daemon()
        return self._syncer.round()

    def sync_until_drained(self, timeout: float = 30.0) -> list[RoundReport | SyncFailed]:
        """Rounds (no waiting between failures) until one succeeds with the outbox empty."""
        outcomes: list[RoundReport | SyncFailed] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                outcomes.append(self.round())
            except SyncFailed as failure:
                outcomes.append(failure)
            else:
                if self.pending() == 0:
                    return outcomes
            assert time.monotonic() < deadline, f"{self.name} did not drain: {outcomes[-5:]}"
            time.sleep(0.05)

    # --- the daemon as an OS process ---------------------------------------------------------

    def connect_command(self, url: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(SCRIPT), "connect", url, "--token", self.token, "--data-dir", str(self.data_dir)],
            capture_output=True, text=True, timeout=60,
        )

    def start_sync_command(self, log: Path) -> subprocess.Popen:
        with log.open("ab") as output:
            process = subprocess.Popen(
                [str(SCRIPT), "sync", "--data-dir", str(self.data_dir)], stdout=output, stderr=subprocess.STDOUT
            )
        self._processes.append(process)
        return process

    # --- what the till holds ------------------------------------------------------------------

    def pending(self) -> int:
        with self.replica.reading() as uow:
            return uow.connection.exec_driver_sql(
                "SELECT COUNT(*) FROM outbox WHERE status = ?", (outbox.PENDING,)
            ).scalar_one()

    def balance(self, number: str) -> Decimal:
        return Decimal(cards.find(self.replica, number).points_balance) / 100

    def reopen(self) -> None:
        """Open the data folder again after `close` (its file put back, say), daemons anew."""
        self.replica, self._syncer, self._daemons = open_replica(self.data_dir), None, []

    def close(self) -> None:
        for process in self._processes:  # a test that failed half-way leaves none running
            if process.poll() is None:
                process.kill()
                process.wait(10)
        for daemon in self._daemons:
            daemon.central.close()
            daemon.replica.close()
        self.replica.close()


class Cashier:
    """Sells at one till through the real services, and remembers what the till refused."""

    def __init__(self, till: Till, seed: int = 0) -> None:
        self.till = till
        self.rng = random.Random(seed)
        self.cards: list[str] = []
        self.bills: list[str] = []
        self.reversed: set[str] = set()
        self.refused: Counter[str] = Counter()
        self._numbers = itertools.count(1)

    def issue(self, opening: str | None = None, referrer: str | None = None) -> str:
        number = cards.issue(
            self.till.replica, name=f"Customer {next(_phones)}", phone=str(next(_phones)), referrer=referrer
        ).card_number
        if opening:
            cards.adjust(self.till.replica, number, opening, reason=f"opening balance at {self.till.name}")
        self.cards.append(number)
        return number

    def sell(self, number: str, amount: str = "500.00", *, category: int = 2, redeem: str | None = None) -> dict:
        """Finalize a bill; a refused redemption raises (LoyaltyError) and sells nothing."""
        bill_id = f"{self.till.name}-{next(self._numbers)}"
        bill = make_bill((category, amount), redeem=redeem)
        result = bills.finalize(self.till.replica, number, bill, bill_id=bill_id)
        self.bills.append(bill_id)
        return result.result

    def sell_redeeming_if_allowed(self, number: str, amount: str, category: int, redeem: str) -> dict:
        try:
            return self.sell(number, amount, category=category, redeem=redeem)
        except LoyaltyError as refusal:
            if refusal.code not in REDEMPTION_REFUSALS:
                raise
            self.refused[refusal.code] += 1
            return self.sell(number, amount, category=category)

    def reverse(self, bill_id: str) -> None:
        bills.reverse(self.till.replica, bill_id)
        self.reversed.add(bill_id)

    def busy_hour(self, sales: int, *, pause: float = 0.0) -> None:
        """A mix of what a counter does: bills (some redeeming), reversals, adjustments, new
        cards referred by old ones, `pause` seconds apart. The cards must be at the till."""
        for n in range(1, sales + 1):
            time.sleep(pause)
            number = self.rng.choice(self.cards)
            amount = self.rng.choice(["120.00", "250.50", "499.99", "1000.00"])
            category = self.rng.randint(1, 4)
            if self.rng.random() < 0.4:
                self.sell_redeeming_if_allowed(number, amount, category, self.rng.choice(["100", "150", "200"]))
            else:
                self.sell(number, amount, category=category)
            if n % 7 == 0:
                standing = [b for b in self.bills if b not in self.reversed]
                self.reverse(self.rng.choice(standing))
            if n % 10 == 0:
                cards.adjust(self.till.replica, number, "25", reason=f"goodwill {self.till.name} {next(self._numbers)}")
            if n % 12 == 0:
                self.issue(referrer=self.rng.choice(self.cards))
