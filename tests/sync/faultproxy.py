"""A small fault-injecting HTTP/1.1 proxy for the sync tests: till -> proxy -> central service.

It listens on 127.0.0.1 (a free port), reads each request from the till (keep-alive is
kept on the till's side), sends it to the central service on a fresh connection, and
carries the answer back. A test switches faults on and off while it runs:

- `offline = True`: every request is met with a reset connection (the network is down);
- `drop_replies(n)`: the next n requests reach the server, which answers (and has
  committed), but the till's connection is reset instead of getting the answer;
- `duplicate = True`: each request goes to the server twice (the copy up to
  `duplicate_lag` seconds later, in the background); the till gets the first answer;
- `delay_request`, `delay_answer`: seconds (or a (low, high) range, drawn per request)
  to hold a request before it is sent on, and an answer before it is given back;
- `busy(n, retry_after)`: the next n requests are answered 503 with `Retry-After`,
  without reaching the server;
- `impostor(n)`: the next n requests are answered 200 with a web page, as a hotel's or a
  station's Wi-Fi login page answers everything, without reaching the server;
- `on_forwarded(seen)` / `on_answered(seen)`: called once the request has reached the
  server, and once the server's answer is in (before the till gets it).

Faults touch only paths starting with `only` (all of the API unless told otherwise); a
server that cannot be reached, or dies mid-answer, is a 502, as a real proxy gives.
Every request is logged in `seen`: when it came, what it was and what became of it.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Delay = float | tuple[float, float]


@dataclass
class Seen:
    at: float  # time.monotonic() when the request came in
    method: str
    path: str
    outcome: str = "pending"  # refused | busy | dropped | bad-gateway | answered <status>
    answered_at: float | None = None  # when the till got its answer (monotonic)


class FaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.only = "/api/"
        self.offline = False
        self.duplicate = False
        self.duplicate_lag = 0.0
        self.delay_request: Delay = 0.0
        self.delay_answer: Delay = 0.0
        self.on_forwarded: Callable[[Seen], None] | None = None
        self.on_answered: Callable[[Seen], None] | None = None
        self.seen: list[Seen] = []
        self._drops = 0
        self._busy = 0
        self._retry_after = "1"
        self._impostor = 0
        self._lock = threading.Lock()
        self._clients: set[socket.socket] = set()
        self._stopping = False
        self._rng = random.Random()

    # --- switching faults ------------------------------------------------------------------

    def drop_replies(self, count: int) -> None:
        with self._lock:
            self._drops = count

    def busy(self, count: int, retry_after: str | int = 1) -> None:
        with self._lock:
            self._busy, self._retry_after = count, str(retry_after)

    def impostor(self, count: int) -> None:
        with self._lock:
            self._impostor = count

    def heal(self) -> None:
        """Every fault off: a clean pass-through again."""
        with self._lock:
            self._drops = self._busy = self._impostor = 0
        self.offline = self.duplicate = False
        self.delay_request = self.delay_answer = 0.0
        self.on_forwarded = self.on_answered = None

    def count(self, path: str = "/", outcome: str = "") -> int:
        return sum(1 for s in list(self.seen) if s.path.startswith(path) and s.outcome.startswith(outcome))

    # --- running ----------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        threading.Thread(target=self._accept, name="faultproxy", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping = True
        self._listener.close()
        with self._lock:
            for client in list(self._clients):
                _reset(client)

    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._clients.add(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        try:
            while not self._stopping:
                request = _read_request(reader)
                if request is None:
                    return
                method, path, raw = request
                seen = Seen(time.monotonic(), method, path)
                self.seen.append(seen)
                answer = self._handle(seen, raw)
                if answer is None:  # refused or dropped: the till's connection is reset
                    _reset(client)
                    return
                client.sendall(answer)
                seen.answered_at = time.monotonic()
        except OSError:
            pass
        finally:
            with self._lock:
                self._clients.discard(client)
            reader.close()
            client.close()

    def _handle(self, seen: Seen, raw: bytes) -> bytes | None:
        if not seen.path.startswith(self.only):
            answer = _forward(self.upstream, raw)
            seen.outcome = f"answered {_status(answer)}" if answer else "bad-gateway"
            return answer or _reply(502, "the central service could not be reached")
        if self.offline:
            seen.outcome = "refused"
            return None
        busy = drop = impostor = False
        with self._lock:
            if self._busy > 0:
                self._busy, busy = self._busy - 1, True
            elif self._impostor > 0:
                self._impostor, impostor = self._impostor - 1, True
            elif self._drops > 0:
                self._drops, drop = self._drops - 1, True
        if busy:
            seen.outcome = "busy"
            return _reply(503, "busy, come back later", {"Retry-After": self._retry_after})
        if impostor:
            seen.outcome = "impostor"
            page = b"<html><body>Welcome! Accept the terms to use the Wi-Fi.</body></html>"
            return b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(page), page)
        time.sleep(self._seconds(self.delay_request))
        if self.duplicate:
            lag = self._rng.uniform(0, self.duplicate_lag)
            threading.Thread(target=self._copy, args=(seen, raw, lag), daemon=True).start()
        answer = _forward(self.upstream, raw, lambda: self.on_forwarded and self.on_forwarded(seen))
        if answer is None:
            seen.outcome = "bad-gateway"
            return _reply(502, "the central service could not be reached")
        seen.outcome = f"answered {_status(answer)}"
        if self.on_answered:
            self.on_answered(seen)
        if drop:
            seen.outcome = "dropped"
            return None
        time.sleep(self._seconds(self.delay_answer))
        return answer

    def _copy(self, original: Seen, raw: bytes, lag: float) -> None:
        time.sleep(lag)
        copy = Seen(time.monotonic(), original.method, original.path, "copy")
        self.seen.append(copy)
        answer = _forward(self.upstream, raw)
        copy.outcome = f"copy answered {_status(answer)}" if answer else "copy bad-gateway"

    def _seconds(self, delay: Delay) -> float:
        return self._rng.uniform(*delay) if isinstance(delay, tuple) else delay


# --- bytes ------------------------------------------------------------------------------------


def _read_request(reader) -> tuple[str, str, bytes] | None:  # type: ignore[no-untyped-def]
    """(method, path, the request as it goes on with `Connection: close`), or None at the end."""
    line = reader.readline(65536)
    if not line.strip():
        return None
    method, target, _version = line.decode("latin-1").split()
    headers, length = [], 0
    while (header := reader.readline(65536)) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
        if name.strip().lower() not in ("connection", "keep-alive"):
            headers.append(header)
    body = reader.read(length) if length else b""
    raw = line + b"".join(headers) + b"Connection: close\r\n\r\n" + body
    return method, target.split("?", 1)[0], raw


def _forward(upstream: tuple[str, int], raw: bytes, sent: Callable[[], object] | None = None) -> bytes | None:
    """The server's whole answer, rewritten for a keep-alive client; None if it never came whole."""
    try:
        with socket.create_connection(upstream, timeout=60) as server:
            server.sendall(raw)
            if sent:
                sent()
            chunks = []
            while chunk := server.recv(65536):
                chunks.append(chunk)
    except OSError:
        return None
    head, separator, body = b"".join(chunks).partition(b"\r\n\r\n")
    if not separator:
        return None
    lines = [h for h in head.split(b"\r\n") if not h.lower().startswith((b"connection:", b"content-length:"))]
    declared = [h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")]
    if declared and int(declared[0].split(b":")[1]) != len(body):
        return None  # the server died half-way through its answer
    return b"\r\n".join([*lines, b"Content-Length: %d" % len(body)]) + b"\r\n\r\n" + body


def _status(answer: bytes) -> str:
    return answer.split(b" ", 2)[1].decode()


def _reply(status: int, message: str, headers: dict[str, str] | None = None) -> bytes:
    reason = {502: "Bad Gateway", 503: "Service Unavailable"}[status]
    body = ('{"error": {"code": "PROXY_%d", "message": "%s"}}' % (status, message)).encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


def _reset(connection: socket.socket) -> None:
    """Close with a TCP reset (linger 0), as a dropped network does, not a polite FIN."""
    try:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
    except OSError:
        pass
