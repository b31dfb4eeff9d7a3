"""A throwaway PostgreSQL cluster for tests: initdb + pg_ctl in a temporary folder, on loopback.

`initdb` refuses to run as root, so as root the cluster belongs to the `postgres` user
(run through `runuser`). Binaries come from PATH or Debian's /usr/lib/postgresql/*/bin.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def binaries() -> Path | None:
    """PostgreSQL's bin folder: POS_LOYALTY_PG_BINDIR if set (PostgreSQL installed elsewhere),
    else pg_ctl on PATH, else Debian's /usr/lib/postgresql/*/bin; None when there is none."""
    chosen = os.environ.get("POS_LOYALTY_PG_BINDIR")
    if chosen is not None:
        return Path(chosen) if (Path(chosen) / "pg_ctl").exists() else None
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(candidates[-1]).parent if candidates else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    def __init__(self) -> None:
        bindir = binaries()
        if bindir is None:
            raise FileNotFoundError("no PostgreSQL binaries (pg_ctl) on PATH or in /usr/lib/postgresql")
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="pos-loyalty-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
            os.chmod(self.root, 0o755)

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def start(self, *settings: str) -> str:
        """Start the cluster; `settings` are extra `-c name=value` server settings."""
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "--encoding=UTF8", "--no-sync",
        )
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c max_connections=300 -c fsync=on"
        options += "".join(f" -c {setting}" for setting in settings)
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.root / "log"), "-w", "-t", "60", "start",
        )
        return self.url("postgres")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
