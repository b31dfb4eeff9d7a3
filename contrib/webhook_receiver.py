#!/usr/bin/env python3
"""An example receiver of pos-loyalty's webhooks: where a notification bridge (SMS, WhatsApp) starts.

    python3 contrib/webhook_receiver.py --port 8099 --secret "$WEBHOOK_SECRET" [--db received.sqlite3]

Register it on the central service (an admin token):

    curl -X POST https://loyalty.example.com/api/v1/webhooks -H "Authorization: Bearer $ADMIN_TOKEN" \\
      -H "Content-Type: application/json" \\
      -d '{"url": "http://bridge.example.com:8099/", "events": ["points.earned", "tier.changed"], "secret": "..."}'

For each delivery it checks the signature (`X-Loyalty-Signature`), skips an event it has
already handled (deliveries come at least once, so the same `eventId` may come again),
hands a new one to `handle`, and only then answers 200: if `handle` fails, the answer is
500 and the central service sends the event again later. Replace `handle` with the call to
your SMS or WhatsApp provider. The standard library only; docs/integrations.md explains.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sqlite3
import sys
import threading
from datetime import datetime, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def verify(secret: bytes, body: bytes, signature: str | None) -> bool:
    """True if the body was signed with the secret: X-Loyalty-Signature is sha256=<hex HMAC-SHA256>."""
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return signature is not None and hmac.compare_digest(expected, signature)


def handle(event: dict[str, Any]) -> None:
    """What to do with a new event: here, one line on standard output. Send your SMS here."""
    card = event.get("card") or {}
    print(f"{event['type']} card {card.get('cardNumber')}: {json.dumps(event.get('data'), default=str)}", flush=True)


class Inbox:
    """The events handled so far, by eventId, in a SQLite file (it survives a restart)."""

    def __init__(self, path: str) -> None:
        self.lock = threading.Lock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS events (event_id TEXT PRIMARY KEY, type TEXT, card_number TEXT,"
            " body TEXT, received_at TEXT)"
        )

    def seen(self, event_id: str) -> bool:
        with self.lock:
            return self.db.execute("SELECT 1 FROM events WHERE event_id = ?", (event_id,)).fetchone() is not None

    def keep(self, event: dict[str, Any], body: bytes) -> None:
        with self.lock:
            self.db.execute(
                "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?)",
                (event["eventId"], event["type"], (event.get("card") or {}).get("cardNumber"), body.decode(),
                 datetime.now(timezone.utc).isoformat()),
            )


def make_handler(secret: bytes, inbox: Inbox) -> type[BaseHTTPRequestHandler]:
    class Delivery(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not verify(secret, body, self.headers.get("X-Loyalty-Signature")):
                return self.answer(401, "bad signature")
            try:
                event = json.loads(body, parse_float=Decimal)  # points and money exactly as sent
                event_id = event["eventId"]
            except (ValueError, KeyError, TypeError):
                return self.answer(400, "not an event")
            if inbox.seen(event_id):
                return self.answer(200, "already handled")
            try:
                handle(event)
            except Exception as failure:  # answered 500: the service sends it again later
                return self.answer(500, f"could not handle it: {failure}")
            inbox.keep(event, body)
            self.answer(200, "handled")

        def answer(self, status: int, message: str) -> None:
            text = json.dumps({"message": message}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the standard library's name)
            pass  # one line per event from `handle` is enough

    return Delivery


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Receive pos-loyalty webhooks: check, deduplicate, handle.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--secret", required=True, help="the secret the webhook was registered with")
    parser.add_argument("--db", default="webhook-events.sqlite3", help="where handled events are kept")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(args.secret.encode(), Inbox(args.db)))
    print(f"receiving pos-loyalty webhooks on http://{args.host}:{args.port}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
