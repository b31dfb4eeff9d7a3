"""First answers to idempotent requests: a repeat gets the same answer and writes nothing.

A request names its scopes: `earn:<billId>` (the operation on that bill) and, when it
carries an `Idempotency-Key` header, `key:<key>`. `claim` inserts a record for each
scope at the very start of the unit of work, before any effect, with
`INSERT ... ON CONFLICT DO NOTHING` on the unique (tenant_id, scope). On PostgreSQL a
second request with the same scope waits on that insert until the first one commits or
rolls back, then finds the first one's record; on SQLite write transactions never run
at once. `record` fills in the answer just before the unit of work commits, so a record
is never visible without the effects it answers for.

A scope already answered raises `Replay` with the stored answer when the request is
the same (same operation, same parsed body) and `IDEMPOTENCY_CONFLICT` otherwise; either
way the unit of work rolls back and nothing is written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from central.store.db import Unit
from central.store.models import IdempotencyRecord
from pos_loyalty import errors, jsonio
from pos_loyalty.errors import InvalidInput, LoyaltyError

HEADER = "Idempotency-Key"
MAX_KEY = 200  # the scope column holds 255 characters
_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class Replay(Exception):
    """This request was answered before: send `document` again, with `status`."""

    def __init__(self, status: int, document: Any) -> None:
        super().__init__(f"replay of an earlier answer ({status})")
        self.status = status
        self.document = document


@dataclass(frozen=True)
class Claim:
    """An idempotent request: its scopes and a digest of what it asks."""

    scopes: tuple[str, ...]
    digest: str

    @classmethod
    def of(cls, operation: str, bill_id: str, key: str | None, canonical: dict[str, Any]) -> "Claim":
        """`canonical` is the parsed body, so `1000` and `1000.00` are the same request."""
        scopes = {f"{operation}:{bill_id}"}
        if key is not None:
            scopes.add(f"key:{key}")
        text = jsonio.dumps({"operation": operation, **canonical})
        return cls(tuple(sorted(scopes)), hashlib.sha256(text.encode()).hexdigest())


def key_from_header(value: str | None) -> str | None:
    """The `Idempotency-Key` header's value, or None without one; INVALID_INPUT if unusable."""
    if value is None:
        return None
    key = value.strip()
    if not key or len(key) > MAX_KEY or not key.isprintable() or not key.isascii():
        raise InvalidInput(HEADER, f"The {HEADER} header must be 1 to {MAX_KEY} printable ASCII characters")
    return key


def claim(unit: Unit, asked: Claim) -> None:
    """Reserve every scope of `asked` in this unit of work, or raise Replay/conflict."""
    statement = _CLAIM[unit.connection.dialect.name]
    for scope in asked.scopes:  # sorted, so two requests never wait on each other in a circle
        claimed = unit.connection.execute(
            statement, {"tenant": unit.tenant, "scope": scope, "digest": asked.digest, "at": unit.now}
        ).scalar()
        if claimed is None:
            _answer_again(unit, scope, asked.digest)


def record(unit: Unit, asked: Claim, document: Any, status: int = 200) -> None:
    """Store the answer to a claimed request; call last, in the same unit of work."""
    answer = jsonio.dumps(document)
    if len(asked.scopes) == 1:  # the usual request, without an Idempotency-Key
        parameters = {"tenant": unit.tenant, "one_scope": asked.scopes[0], "status": status, "answer": answer}
        unit.connection.execute(_RECORD_ONE, parameters)
        return
    unit.connection.execute(
        _RECORD, {"tenant": unit.tenant, "scopes": list(asked.scopes), "status": status, "answer": answer}
    )


# Built once, their values given as parameters (issue 18: building a statement cost more
# than running it).
_CLAIM = {
    dialect: insert(IdempotencyRecord)
    .values(
        tenant_id=bindparam("tenant"),
        scope=bindparam("scope"),
        request_hash=bindparam("digest"),
        status_code=0,
        response_json="",
        created_at=bindparam("at"),
    )
    .on_conflict_do_nothing(index_elements=["tenant_id", "scope"])
    .returning(IdempotencyRecord.id)
    for dialect, insert in _INSERT.items()
}
_RECORD = (
    update(IdempotencyRecord)
    .where(
        IdempotencyRecord.tenant_id == bindparam("tenant"),
        IdempotencyRecord.scope.in_(bindparam("scopes", expanding=True)),
    )
    .values(status_code=bindparam("status"), response_json=bindparam("answer"))
)
_RECORD_ONE = (  # an IN list is written out on every call; one scope needs none
    update(IdempotencyRecord)
    .where(IdempotencyRecord.tenant_id == bindparam("tenant"), IdempotencyRecord.scope == bindparam("one_scope"))
    .values(status_code=bindparam("status"), response_json=bindparam("answer"))
)


def _answer_again(unit: Unit, scope: str, digest: str) -> None:
    earlier = unit.connection.execute(
        select(IdempotencyRecord.request_hash, IdempotencyRecord.status_code, IdempotencyRecord.response_json)
        .where(IdempotencyRecord.tenant_id == unit.tenant, IdempotencyRecord.scope == scope)
    ).one()
    if earlier.request_hash != digest:
        what, _, name = scope.partition(":")
        subject = f"Idempotency-Key {name!r}" if what == "key" else f"The {what} of bill {name}"
        raise LoyaltyError(
            errors.IDEMPOTENCY_CONFLICT,
            f"{subject} was already done with a different request; use a new bill id or key",
            scope=scope,
        )
    raise Replay(earlier.status_code, jsonio.loads(earlier.response_json))

