"""A real central service on 127.0.0.1, on SQLite and on PostgreSQL, and a fresh tenant per test.

One server process per backend for the whole session (`pos-loyalty central serve`, as a
user starts it); every test gets its own tenant with an admin token and a device token,
and since every query is scoped to the token's tenant, tests cannot see each other's data.
"""

from __future__ import annotations

import itertools

import pytest

from central.store.db import Store
from central.store.tenants import add_device, create_tenant
from central_harness import Client, Server, TenantAccess

_names = itertools.count(1)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request, tmp_path_factory) -> str:
    """The database URL of one backend for this session."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('central') / 'central.sqlite3'}"
    cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database("central_tests")


@pytest.fixture(scope="session")
def central_server(backend, tmp_path_factory):
    server = Server(backend, tmp_path_factory.mktemp("server") / "serve.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def tenant(central_server) -> TenantAccess:
    """A new pharmacy with seed 002's sample configuration, an admin token and one till."""
    store = Store(central_server.database)
    made = create_tenant(store, f"Pharmacy {next(_names)}", sample_config=True)
    till = add_device(store, made.tenant_id, "Counter 1")
    yield TenantAccess(
        server=central_server,
        tenant_id=made.tenant_id,
        device_id=till.device_id,
        admin=Client(central_server.base, made.admin_token),
        device=Client(central_server.base, till.token),
        anonymous=Client(central_server.base, None),
        store=store,
    )
    store.dispose()
