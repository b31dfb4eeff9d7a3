"""Bearer tokens: stored as SHA-256, each belonging to one tenant, admin or device."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from sqlalchemy import select

from central.store.db import Store, Unit
from central.store.models import ApiToken
from pos_loyalty.errors import LoyaltyError

ADMIN = "admin"
DEVICE = "device"
TOKEN_PREFIX = "plt_"

UNAUTHORIZED = "UNAUTHORIZED"
FORBIDDEN = "FORBIDDEN"


class AuthError(LoyaltyError):
    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(code, message)
        self.status = status


@dataclass(frozen=True)
class Principal:
    """Who is calling: a tenant's admin, or one of its devices (a till)."""

    tenant_id: int
    kind: str
    device_id: int | None
    name: str

    @property
    def performed_by(self) -> str:
        return f"{self.kind}:{self.name}"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


#: How long a token, once checked, is believed without asking the database again. A
#: revoked token stops working within this many seconds.
TOKEN_CACHE_SECONDS = 30.0
_checked: dict[str, tuple[float, Principal]] = {}


def _recently_checked(token: str) -> Principal | None:
    cached = _checked.get(token_hash(token))
    return cached[1] if cached is not None and cached[0] > time.monotonic() else None


def _lookup(store: Store, token: str) -> Principal | None:
    digest = token_hash(token)
    now = time.monotonic()
    principal = _find(store, digest)
    if principal is not None:
        if len(_checked) > 10_000:
            _checked.clear()
        _checked[digest] = (now + TOKEN_CACHE_SECONDS, principal)
    return principal


def _find(store: Store, digest: str) -> Principal | None:
    def find(unit: Unit) -> Principal | None:
        row = unit.connection.execute(
            select(ApiToken.tenant_id, ApiToken.kind, ApiToken.device_id, ApiToken.name).where(
                ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None)
            )
        ).first()
        return Principal(row.tenant_id, row.kind, row.device_id, row.name) if row else None

    return store.run(find, write=False)


async def caller(request: Request) -> Principal:
    """Any valid token of any kind; 401 without one.

    Async so a request whose token was checked recently never waits for a thread; only
    a token not seen for a while is looked up, on a worker thread.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError(UNAUTHORIZED, "Send 'Authorization: Bearer <token>'", 401)
    principal = _recently_checked(token.strip())
    if principal is None:
        principal = await run_in_threadpool(_lookup, request.app.state.store, token.strip())
    if principal is None:
        raise AuthError(UNAUTHORIZED, "This token is not valid (unknown or revoked)", 401)
    return principal


async def admin(principal: Principal = Depends(caller)) -> Principal:
    if principal.kind != ADMIN:
        raise AuthError(FORBIDDEN, "This needs an admin token", 403)
    return principal


async def device(principal: Principal = Depends(caller)) -> Principal:
    if principal.kind != DEVICE or principal.device_id is None:
        raise AuthError(FORBIDDEN, "This needs a device (till) token", 403)
    return principal
