"""Fixtures of the fault tests: a central service of the test's own, the fault proxy in front
of it, and a pharmacy (tenant) on it.

Each test gets its own `pos-loyalty central serve` on its own SQLite file, since some
tests kill it. This folder's helpers (`faultproxy`, `tills`, `convergence`) are imported
by name: the folder is put on the path here (it cannot be a package: `sync` is the daemon's).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest


sys.path.insert(0, str(Path(__file__).parent))

from faultproxy import FaultProxy  # noqa: E402
from tills import CentralProcess, Pharmacy  # noqa: E402


_databases = itertools.count(1)


@pytest.fixture
def server(request, tmp_path):
    """SQLite, unless the test asks for `postgresql` (parametrize("server", [...], indirect=True))."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database(f"faults_{next(_databases)}")
    central = CentralProcess(url, tmp_path / "serve.log")
    central.start()
    yield central
    central.stop()


@pytest.fixture
def proxy(server):
    running = FaultProxy(server.port).start()
    yield running
    running.stop()


@pytest.fixture
def pharmacy(server, tmp_path):
    made = Pharmacy.create(server, tmp_path)
    yield made
    made.close()
