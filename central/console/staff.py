"""Staff accounts of the head office console: made, listed, removed and re-passworded from
the command line (`pos-loyalty central staff ...`), checked at sign-in.

A password is kept only as its argon2id hash (argon2-cffi's defaults: 64 MiB, 3 passes);
a hash made with older parameters is replaced at the next good sign-in. Removing an
account or changing its password ends its console sessions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update

from central.store.db import Store, Unit
from central.store.models import ConsoleSession, StaffAccount, Tenant
from pos_loyalty import customer
from pos_loyalty.errors import InvalidInput, LoyaltyError

MIN_PASSWORD = 10
MAX_PASSWORD = 200
_LOGIN = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")
_hasher = PasswordHasher()
#: Checked against when the login is unknown, so an unknown login takes as long as a wrong password.
_DUMMY = _hasher.hash("not a password of anyone's")


@dataclass(frozen=True)
class Staff:
    id: int
    tenant_id: int
    login: str
    name: str
    created_at: datetime
    password_changed_at: datetime

    def to_json(self) -> dict:
        return {
            "id": self.id, "tenantId": self.tenant_id, "login": self.login, "name": self.name,
            "createdAt": self.created_at, "passwordChangedAt": self.password_changed_at,
        }


def parse_login(value: object) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    if not _LOGIN.fullmatch(text):
        raise InvalidInput(
            "login", "A login is 2 to 64 of a-z, 0-9, '.', '_', '@' and '-', starting with a letter or digit"
        )
    return text


def check_password(value: object) -> str:
    if not isinstance(value, str) or not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise InvalidInput("password", f"A password of {MIN_PASSWORD} to {MAX_PASSWORD} characters is needed")
    if not value.strip():
        raise InvalidInput("password", "A password cannot be only spaces")
    return value


def add(store: Store, tenant_id: int, login: object, name: object, password: object) -> Staff:
    wanted, shown, secret = parse_login(login), customer.text(name, "name", required=True), check_password(password)
    hashed = _hasher.hash(secret)

    def work(unit: Unit) -> Staff:
        if unit.connection.execute(select(Tenant.id).where(Tenant.id == tenant_id)).scalar() is None:
            raise LoyaltyError("NOT_FOUND", f"No tenant {tenant_id} in this database")
        if unit.connection.execute(select(StaffAccount.id).where(StaffAccount.login == wanted)).scalar() is not None:
            raise LoyaltyError("DUPLICATE_LOGIN", f"There is already a staff account {wanted}", field="login")
        row = unit.connection.execute(
            insert(StaffAccount)
            .values(tenant_id=tenant_id, login=wanted, name=shown, password_hash=hashed,
                    created_at=unit.now, password_changed_at=unit.now)
            .returning(StaffAccount)
        ).one()
        return _staff(row)

    return store.run(work, write=True, tenant_id=tenant_id)


def listing(store: Store, tenant_id: int) -> list[Staff]:
    def work(unit: Unit) -> list[Staff]:
        rows = unit.connection.execute(
            select(StaffAccount).where(StaffAccount.tenant_id == tenant_id).order_by(StaffAccount.login)
        ).all()
        return [_staff(row) for row in rows]

    return store.run(work, write=False, tenant_id=tenant_id)


def remove(store: Store, tenant_id: int, login: object) -> Staff:
    wanted = parse_login(login)

    def work(unit: Unit) -> Staff:
        found = _find(unit, tenant_id, wanted)
        unit.connection.execute(delete(ConsoleSession).where(ConsoleSession.staff_id == found.id))
        unit.connection.execute(delete(StaffAccount).where(StaffAccount.id == found.id))
        return found

    return store.run(work, write=True, tenant_id=tenant_id)


def set_password(store: Store, tenant_id: int, login: object, password: object) -> Staff:
    wanted, hashed = parse_login(login), _hasher.hash(check_password(password))

    def work(unit: Unit) -> Staff:
        found = _find(unit, tenant_id, wanted)
        unit.connection.execute(
            update(StaffAccount).where(StaffAccount.id == found.id).values(password_hash=hashed, password_changed_at=unit.now)
        )
        unit.connection.execute(delete(ConsoleSession).where(ConsoleSession.staff_id == found.id))
        return found

    return store.run(work, write=True, tenant_id=tenant_id)


def verify(unit: Unit, login: str, password: str) -> Staff | None:
    """The account whose login and password these are, or None (in the same time either way)."""
    try:
        wanted = parse_login(login)
    except InvalidInput:
        wanted = None
    row = unit.connection.execute(select(StaffAccount).where(StaffAccount.login == wanted)).first() if wanted else None
    try:
        _hasher.verify(row.password_hash if row else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        unit.connection.execute(
            update(StaffAccount).where(StaffAccount.id == row.id).values(password_hash=_hasher.hash(password))
        )
    return _staff(row)


def _find(unit: Unit, tenant_id: int, login: str) -> Staff:
    row = unit.connection.execute(
        select(StaffAccount).where(StaffAccount.tenant_id == tenant_id, StaffAccount.login == login)
    ).first()
    if row is None:
        raise LoyaltyError("NOT_FOUND", f"Tenant {tenant_id} has no staff account {login}", field="login")
    return _staff(row)


def _staff(row) -> Staff:  # type: ignore[no-untyped-def]
    return Staff(row.id, row.tenant_id, row.login, row.name, row.created_at, row.password_changed_at)
