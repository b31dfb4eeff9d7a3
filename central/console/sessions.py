"""Signing in to the console, its sessions and their CSRF tokens.

- Sign-in: a staff account's login and password (`console/staff.py`), or the pharmacy's
  admin token. Either way a session row is made; the cookie carries a random value of
  which only the SHA-256 is stored (as for API tokens).
- A session ends at sign-out, `IDLE` after its last request, or `LIFETIME` after sign-in,
  whichever comes first; also when its staff account is removed or its password changed,
  or its admin token revoked.
- The cookie is HttpOnly, SameSite=Strict, Path=/console, and Secure when the console is
  served over TLS. Each session has its own CSRF token, sent in every form and checked on
  every POST; the sign-in form, before any session, uses a double-submit cookie instead.
- Failed sign-ins are counted per login (or token) and per client address: after
  `MAX_FAILURES` of one login (`MAX_ADDRESS_FAILURES` from one address, which may be a
  whole office behind one router) within `FAILURE_WINDOW`, more attempts are refused until
  it passes.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, insert, select, update

from central.auth import ADMIN, token_hash
from central.console import staff as staff_accounts
from central.store.db import Store, Unit
from central.store.models import ApiToken, ConsoleSession, StaffAccount, Tenant
from pos_loyalty.errors import LoyaltyError

COOKIE = "plc_session"
SIGN_IN_COOKIE = "plc_signin"
PATH = "/console"
LIFETIME = timedelta(hours=8)
IDLE = timedelta(minutes=30)
#: A session's last request is written at most this often (a page view is then a read).
TOUCH_EVERY = timedelta(seconds=60)
MAX_FAILURES = 5
MAX_ADDRESS_FAILURES = 50
FAILURE_WINDOW = 15 * 60.0

SIGN_IN_REFUSED = "SIGN_IN_REFUSED"
FORM_EXPIRED = "FORM_EXPIRED"


@dataclass(frozen=True)
class Session:
    id: int
    tenant_id: int
    pharmacy: str
    performed_by: str  # what the rows it writes say: "staff:asha", "admin:Pharmacy 1 admin"
    who: str  # what the page says: the person's name, or "Admin token"
    csrf: str


class Failures:
    """Failed sign-ins per key in this process, forgotten after `FAILURE_WINDOW` seconds."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._seen.setdefault(key, deque())
        while times and times[0] < now - FAILURE_WINDOW:
            times.popleft()
        return times

    def wait(self, *keys: tuple[str, int]) -> float:
        """Seconds until these (key, most failures) may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            waits = [
                times[-limit] + FAILURE_WINDOW - now
                for key, limit in keys
                if len(times := self._recent(key, now)) >= limit
            ]
        return max(waits, default=0.0)

    def failed(self, *keys: tuple[str, int]) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen.clear()
            for key, _limit in keys:
                self._recent(key, now).append(now)


def sign_in(store: Store, *, login: str = "", password: str = "", token: str = "") -> tuple[Session, str]:
    """A new session for a staff account or an admin token, and the cookie's value."""
    value = secrets.token_urlsafe(32)

    def work(unit: Unit) -> Session:
        if token.strip():
            found = unit.connection.execute(
                select(ApiToken.id, ApiToken.tenant_id, ApiToken.name).where(
                    ApiToken.token_hash == token_hash(token.strip()), ApiToken.kind == ADMIN, ApiToken.revoked_at.is_(None)
                )
            ).first()
            if found is None:
                raise _refused()
            who = dict(tenant_id=found.tenant_id, staff_id=None, api_token_id=found.id, performed_by=f"admin:{found.name}")
            shown = "Admin token"
        else:
            account = staff_accounts.verify(unit, login, password)
            if account is None:
                raise _refused()
            who = dict(tenant_id=account.tenant_id, staff_id=account.id, api_token_id=None, performed_by=f"staff:{account.login}")
            shown = account.name
        unit.connection.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= unit.now))
        csrf = secrets.token_urlsafe(32)
        session_id = unit.connection.execute(
            insert(ConsoleSession)
            .values(token_hash=token_hash(value), csrf_token=csrf, created_at=unit.now, last_seen_at=unit.now,
                    expires_at=unit.now + LIFETIME, **who)
            .returning(ConsoleSession.id)
        ).scalar_one()
        pharmacy = unit.connection.execute(select(Tenant.name).where(Tenant.id == who["tenant_id"])).scalar_one()
        return Session(session_id, who["tenant_id"], pharmacy, who["performed_by"], shown, csrf)

    return store.run(work, write=True), value


def _refused() -> LoyaltyError:
    return LoyaltyError(SIGN_IN_REFUSED, "That login and password (or admin token) is not right")


def current(store: Store, value: str | None) -> Session | None:
    """The session of this cookie value, if it is still open (its last request noted)."""
    if not value:
        return None
    digest = token_hash(value)

    def read(unit: Unit):  # type: ignore[no-untyped-def]
        return unit.connection.execute(
            select(ConsoleSession, Tenant.name.label("pharmacy"), ApiToken.revoked_at, StaffAccount.name.label("staff_name"))
            .join(Tenant, Tenant.id == ConsoleSession.tenant_id)
            .outerjoin(ApiToken, ApiToken.id == ConsoleSession.api_token_id)
            .outerjoin(StaffAccount, StaffAccount.id == ConsoleSession.staff_id)
            .where(ConsoleSession.token_hash == digest)
        ).first()

    row = store.run(read, write=False)
    if row is None:
        return None
    now = store.clock()
    over = row.expires_at <= now or row.last_seen_at + IDLE <= now or row.revoked_at is not None
    if over:
        end(store, value)
        return None
    if row.last_seen_at + TOUCH_EVERY <= now:
        store.run(
            lambda unit: unit.connection.execute(
                update(ConsoleSession).where(ConsoleSession.id == row.id).values(last_seen_at=unit.now)
            ),
            write=True,
        )
    who = "Admin token" if row.api_token_id is not None else row.staff_name
    return Session(row.id, row.tenant_id, row.pharmacy, row.performed_by, who, row.csrf_token)


def end(store: Store, value: str | None) -> None:
    """Sign out: the session of this cookie value is gone."""
    if value:
        digest = token_hash(value)
        store.run(lambda unit: unit.connection.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == digest)), write=True)


def same(expected: str | None, given: object) -> bool:
    """A CSRF token as sent, compared in constant time."""
    return bool(expected) and isinstance(given, str) and secrets.compare_digest(expected, given)


def form_expired() -> LoyaltyError:
    return LoyaltyError(FORM_EXPIRED, "This form has expired (or came from another site); open the page again and retry")
