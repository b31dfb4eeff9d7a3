"""Shared fixtures: a real replica file in a temporary folder, and seed 002's sample pharmacy."""

from __future__ import annotations

from pathlib import Path

import pytest

from pos_loyalty.replica.db import Replica
from pos_loyalty.services import cards, open_replica
from support import dump_replica, make_bill  # noqa: F401  (re-exported for older imports)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "till"


@pytest.fixture
def replica(data_dir: Path) -> Replica:
    """A fresh till: migrated replica with seed 002's sample configuration (version 1)."""
    opened = open_replica(data_dir)
    yield opened
    opened.close()


@pytest.fixture
def referred_pair(replica: Replica) -> tuple[str, str]:
    """(A, B): card A, referred by card B, holding 1,000.00 points as in the worked example."""
    b = cards.issue(replica, name="Bina Referrer", phone="9000000001")
    a = cards.issue(replica, name="Asha Customer", phone="9000000002", referrer=b.card_number)
    cards.adjust(replica, a.card_number, "1000.00", reason="opening balance")
    return a.card_number, b.card_number


@pytest.fixture(scope="session")
def sqlite_central(tmp_path_factory):
    """A real `pos-loyalty central serve` on SQLite, shared by the session: (server, store)."""
    from central.store.db import Store
    from central.store.migrate import upgrade
    from central_harness import Server

    folder = tmp_path_factory.mktemp("central")
    server = Server(f"sqlite:///{folder / 'central.sqlite3'}", folder / "serve.log")
    store = Store(server.database)
    upgrade(store.engine)
    server.start()
    yield server, store
    server.stop()
    store.dispose()


@pytest.fixture(scope="session")
def pg_cluster():
    """A real PostgreSQL cluster of the tests' own (initdb as the postgres user, a loopback
    port), shared by the session. A test that needs it fails, never skips, when it cannot be
    started: the project's own install (`./run`, `.ci/run`) puts PostgreSQL on the machine."""
    import subprocess

    from pgcluster import Cluster, binaries

    if binaries() is None:
        pytest.fail(
            "PostgreSQL is not installed here (no pg_ctl on PATH or in /usr/lib/postgresql): "
            "run the tests with ./run test, which installs it (scripts/system-packages.txt)",
            pytrace=False,
        )
    cluster = Cluster()
    try:
        cluster.start()
    except subprocess.CalledProcessError as error:
        pytest.fail(f"PostgreSQL could not be started: {error.stderr.decode(errors='replace')[-2000:]}", pytrace=False)
    yield cluster
    cluster.stop()


@pytest.fixture
def pty_scanner(tmp_path):
    """A serial scanner on a pseudo-terminal, plugged in (`scanner_pty.PtyScanner`)."""
    from scanner_pty import PtyScanner

    device = PtyScanner(tmp_path / "scanner")
    device.plug()
    yield device
    if device.master is not None:
        device.unplug()


@pytest.fixture
def tcp_printer():
    """A network receipt printer on 127.0.0.1 that keeps what it is sent (`receipt_printers.TcpPrinter`)."""
    from receipt_printers import TcpPrinter

    printer = TcpPrinter()
    yield printer
    printer.close()


@pytest.fixture
def pty_printer(tmp_path):
    """A serial receipt printer on a pseudo-terminal (`receipt_printers.PtyPrinter`)."""
    from receipt_printers import PtyPrinter

    printer = PtyPrinter(tmp_path / "printer")
    yield printer
    printer.close()
