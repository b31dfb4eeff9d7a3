"""Helpers for tests against a real central service: the server process, a client, a tenant."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from central.store.db import Store
from central.store.tenants import add_device
from pgcluster import free_port
from pos_loyalty import jsonio

SCRIPT = Path(sys.executable).with_name("pos-loyalty")


class Server:
    def __init__(self, url: str, log: Path, env: dict[str, str] | None = None, workers: int | None = None) -> None:
        self.database = url
        self.env = env or {}  # more of the environment `central serve` runs in
        self.workers = workers  # `--workers`; None: the command's default (one)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        workers = [] if self.workers is None else ["--workers", str(self.workers)]
        self.process = subprocess.Popen(
            [str(SCRIPT), "central", "serve", "--db", self.database, "--port", str(self.port), *workers],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "POS_LOYALTY_HOME": str(self.log.parent / "home"), **self.env},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"central serve exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.base + "/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("central serve did not answer /health within 60 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Client:
    """requests with the tenant's token; `.json` answers parsed with exact decimals."""

    def __init__(self, base: str, token: str | None) -> None:
        self.base = base
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        if body is not None:
            kwargs["data"] = body if isinstance(body, (str, bytes)) else jsonio.dumps(body)
            kwargs.setdefault("headers", {})["Content-Type"] = "application/json"
        return self.session.request(method, self.base + path, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def body(response: requests.Response) -> Any:
    """The answer's JSON with exact decimals."""
    return jsonio.loads(response.content)


@dataclass
class TenantAccess:
    server: Server
    tenant_id: int
    device_id: int
    admin: Client
    device: Client
    anonymous: Client
    store: Store

    def new_device(self, name: str) -> Client:
        made = add_device(self.store, self.tenant_id, name)
        return Client(self.server.base, made.token)




def till_batch(replica, from_seq: int = 1, limit: int = 1000) -> dict[str, Any]:
    """A push body of a real till's outbox mutations, from `from_seq` on."""
    from pos_loyalty.services import outbox

    with replica.reading() as uow:
        return {"mutations": outbox.batch(uow, from_seq=from_seq, limit=limit)}


def pull_all(client: Client, cursor: str = "0", limit: int = 1000) -> tuple[list[dict[str, Any]], str, int]:
    """Every change after `cursor`, page by page: (changes, final cursor, pages)."""
    changes: list[dict[str, Any]] = []
    pages = 0
    while True:
        answer = client.get("/api/v1/sync/pull", params={"cursor": cursor, "limit": limit})
        assert answer.status_code == 200, answer.text
        page = body(answer)
        pages += 1
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["hasMore"]:
            return changes, cursor, pages
