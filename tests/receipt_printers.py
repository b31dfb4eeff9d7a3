"""Receipt printers in tests: the far end of a real TCP socket on 127.0.0.1, and of a real
pseudo-terminal, each collecting the bytes it is sent and answering the paper question
(DLE EOT 4) as a printer does: 0x12 paper, 0x1E running low, 0x72 none (`paper`), or
not at all (`answers=False`, as some cheap printers).
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
import tty
from pathlib import Path

PAPER_QUESTION = b"\x10\x04\x04"
PLENTY, LOW, NONE = 0x12, 0x1E, 0x72


class _Answering:
    paper = PLENTY
    answers = True

    def _answer(self, chunk: bytes, reply) -> None:  # type: ignore[no-untyped-def]
        if self.answers and PAPER_QUESTION in chunk:
            reply(bytes([self.paper]))


class TcpPrinter(_Answering):
    """A network receipt printer on 127.0.0.1: `jobs` holds what each connection sent."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.jobs: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            received = bytearray()
            with connection:
                connection.settimeout(5)
                while True:
                    try:
                        chunk = connection.recv(65536)
                    except OSError:
                        break
                    if not chunk:
                        break
                    received += chunk
                    self._answer(chunk, connection.sendall)
            self.jobs.append(bytes(received))

    def wait_for_jobs(self, count: int, timeout: float = 5) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while len(self.jobs) < count:
            assert time.monotonic() < deadline, f"the printer got {len(self.jobs)} jobs, not {count}"
            time.sleep(0.01)
        return self.jobs

    def close(self) -> None:
        self._stop.set()
        self.server.close()
        self._thread.join(timeout=2)


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (it was just bound and let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PtyPrinter(_Answering):
    """A serial receipt printer: the far end of a pseudo-terminal, reached through `link`."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.link.symlink_to(os.ttyname(slave))
        os.close(slave)
        self.received = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # no one has the port open just now
                time.sleep(0.02)
                continue
            self.received += chunk
            self._answer(chunk, lambda reply: os.write(self.master, reply))

    def wait_for(self, marker: bytes, timeout: float = 5) -> bytes:
        deadline = time.monotonic() + timeout
        while marker not in self.received:
            assert time.monotonic() < deadline, f"no {marker!r} from the printer's port; got {bytes(self.received)!r}"
            time.sleep(0.01)
        return bytes(self.received)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.link.unlink(missing_ok=True)
        os.close(self.master)
