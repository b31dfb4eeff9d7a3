"""Running the `pos-loyalty` command in tests: as a shell would (its own process, the
installed console script) or in this process (fast, with pytest's capsys)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from cli.main import main

SCRIPT = Path(sys.executable).with_name("pos-loyalty")


def run(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The installed console script, in its own process, as a shell would run it."""
    return subprocess.run(
        [str(SCRIPT), "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, "POS_LOYALTY_OPERATOR": "test-cashier"},
        timeout=120,
    )


def ok_json(data_dir: Path, *args: str) -> dict:
    """The `--json` answer of a command that must succeed (numbers as Decimal)."""
    done = run(data_dir, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout, parse_float=Decimal)


def in_process(capsys, data_dir: Path, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(["--data-dir", str(data_dir), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def connect_new_pharmacy(central, data_dir: Path, name: str):  # type: ignore[no-untyped-def]
    """A new pharmacy (sample configuration) on `central` (server, store), and the till in
    `data_dir` connected to it as "Counter 1" with `pos-loyalty connect`: (tenant, device)."""
    from central.store.tenants import add_device, create_tenant

    server, store = central
    tenant = create_tenant(store, name, sample_config=True)
    device = add_device(store, tenant.tenant_id, "Counter 1")
    ok_json(data_dir, "connect", server.base, "--token", device.token)
    return tenant, device
