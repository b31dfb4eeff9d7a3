"""The wire: a thin `requests.Session` to the central service, explicit timeouts, TLS verified.

It only carries bytes and reports what came back (status, parsed JSON, Retry-After);
`protocol.classify` decides what that means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from pos_loyalty import __version__, jsonio

#: Who is calling, on every request: the central service shows it on its tills page.
USER_AGENT = f"pos-loyalty/{__version__}"

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0


class Unreachable(Exception):
    """No answer: refused, reset, timed out, DNS, TLS. Worth retrying later."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # parsed JSON (numbers as Decimal), or None
    retry_after: str | None

    @property
    def error_message(self) -> str:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return str(self.body["error"].get("message") or self.body["error"].get("code"))
        return f"HTTP {self.status}"


class CentralService:
    """`pending`: how many of the till's mutations are not yet accepted, counted as each push
    or pull is sent (`X-Pending-Mutations`); the `Syncer` sets it to its outbox's count."""

    def __init__(
        self, url: str, token: str, *, verify: bool | str = True, pending: Callable[[], int | None] | None = None
    ) -> None:
        self.base = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "User-Agent": USER_AGENT}
        )
        self.session.verify = verify
        self.pending = pending

    def push(self, mutations: list[dict[str, Any]]) -> Answer:
        return self._send(
            "POST", "/api/v1/sync/push", data=jsonio.dumps({"mutations": mutations}).encode(), headers=self._queue()
        )

    def pull(self, cursor: str, limit: int) -> Answer:
        return self._send("GET", "/api/v1/sync/pull", params={"cursor": cursor, "limit": limit}, headers=self._queue())

    def _queue(self) -> dict[str, str]:
        """The header saying how many mutations wait, if they can be counted now."""
        try:
            count = self.pending() if self.pending is not None else None
        except Exception:  # noqa: BLE001  (a count is worth no failed sync)
            return {}
        return {} if count is None else {"X-Pending-Mutations": str(count)}

    def flags(self) -> Answer:
        """The flags the central service raised about this till's mutations."""
        return self._send("GET", "/api/v1/sync/flags")

    def more_card_numbers(self) -> Answer:
        return self._send("POST", "/api/v1/sync/card-blocks")

    def close(self) -> None:
        self.session.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> Answer:
        try:
            reply = self.session.request(method, self.base + path, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), **kwargs)
            content = reply.content
        except requests.RequestException as error:
            raise Unreachable(_plain(error)) from None
        try:
            body = jsonio.loads(content) if content else None
        except jsonio.JsonError:
            body = None
        return Answer(reply.status_code, body, reply.headers.get("Retry-After"))


def _plain(error: Exception) -> str:
    """A network error in one sentence (requests' own messages nest several layers deep)."""
    if isinstance(error, requests.Timeout):
        return "the central service did not answer in time"
    if isinstance(error, requests.exceptions.SSLError):
        return "the central service's TLS certificate was not accepted"
    if isinstance(error, requests.ConnectionError):
        return "the central service could not be reached"
    return f"the request to the central service failed ({type(error).__name__})"
