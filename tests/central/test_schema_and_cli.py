"""The central database's migrations, and minting tenants and devices from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select

from central.auth import token_hash
from central.store import migrate
from central.store.db import Store
from central.store.models import ApiToken, Base, CardBlock
from central_harness import Client, body

SCRIPT = Path(sys.executable).with_name("pos-loyalty")


def test_head_constant_matches_the_newest_migration():
    assert ScriptDirectory.from_config(migrate.alembic_config()).get_current_head() == migrate.HEAD


def test_migrations_build_exactly_the_models(backend):
    store = Store(backend)
    migrate.upgrade(store.engine)
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    store.dispose()


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=120)


def test_tokens_are_printed_once_and_stored_only_as_hashes(central_server):
    made = run("central", "create-tenant", "--db", central_server.database, "--name", "CLI Pharmacy", "--sample-config", "--json")
    assert made.returncode == 0, made.stderr
    tenant = json.loads(made.stdout)
    device = json.loads(run("central", "add-device", "--db", central_server.database, "--tenant", str(tenant["tenantId"]), "--name", "Counter 9", "--json").stdout)
    assert device["cardBlock"].startswith("29-")

    store = Store(central_server.database)
    hashes = store.run(lambda unit: set(unit.connection.execute(select(ApiToken.token_hash)).scalars()), write=False)
    assert token_hash(tenant["adminToken"]) in hashes and token_hash(device["deviceToken"]) in hashes
    assert tenant["adminToken"] not in hashes and device["deviceToken"] not in hashes
    blocks = store.run(lambda unit: unit.connection.execute(select(CardBlock.device_id).where(CardBlock.tenant_id == tenant["tenantId"])).scalars().all(), write=False)
    assert blocks == [device["deviceId"]]
    store.dispose()

    admin = Client(central_server.base, tenant["adminToken"])
    assert body(admin.get("/api/v1/card-config"))["categoryPointConfigs"][0]["categoryName"] == "Medicines"
    till = Client(central_server.base, device["deviceToken"])
    assert body(till.get("/api/v1/sync/pull"))["device"]["name"] == "Counter 9"

    text = run("central", "add-device", "--db", central_server.database, "--tenant", str(tenant["tenantId"]), "--name", "Counter 10")
    assert "shown only now" in text.stdout and "plt_" in text.stdout


def test_adding_a_device_to_an_unknown_tenant_is_a_clear_error(central_server):
    done = run("central", "add-device", "--db", central_server.database, "--tenant", "999999", "--name", "Nowhere", "--json")
    assert done.returncode == 2 and json.loads(done.stderr)["error"]["code"] == "NOT_FOUND"


def test_the_openapi_document_lists_the_seed_routes(tenant):
    document = body(tenant.anonymous.get("/openapi.json"))
    for path in ("/api/v1/card-config", "/api/v1/cards/by-number/{cardNumber}", "/api/v1/internal/cards/earn-points", "/api/v1/sync/push", "/api/v1/sync/pull"):
        assert path in document["paths"], path
