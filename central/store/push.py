"""`POST /sync/push`: a till's mutations applied once each, in its own sequence.

Per till the service keeps `lastAppliedSeq`, changed in the same transaction as the
mutations' effects:
- `deviceSeq <= lastAppliedSeq`: a duplicate, answered from what was stored; nothing written;
- `deviceSeq == lastAppliedSeq + 1`: applied, or rejected (a permanent problem: the
  sequence still advances, so one bad mutation never wedges the queue);
- `deviceSeq > lastAppliedSeq + 1`: a gap; 409 with `lastAppliedSeq`, nothing applied.

A mutation the service cannot apply, whatever is wrong with it (a malformed payload, a
figure the database cannot hold, a bug met on its way), is rejected on its own and the
rest of the batch is applied: a push is never failed by one mutation. Applying goes
fast, all of a group's mutations in memory and written together; if anything but a
rule's refusal goes wrong on that way, the transaction is rolled back and the group is
applied again one mutation at a time, each in a savepoint of its own (`isolate`), so the
one that fails is rejected and the others stand. Every rejection is also a flag
(MUTATION_REJECTED) for the pharmacy's admins, with the code and the payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update

import logging
import re

from sqlalchemy.exc import DBAPIError, OperationalError

from central.store import bill_mutations, mutations
from central.store.db import Unit, bulk_insert
from central.store.flags import MUTATION_REJECTED, Flags
from central.store.models import Device, SyncMutation
from central.store.mutations import Batch
from pos_loyalty import errors, jsonio
from pos_loyalty.errors import InvalidInput, LoyaltyError

log = logging.getLogger("central.push")

MAX_BATCH = 1000
APPLIED = "applied"
DUPLICATE = "duplicate"
REJECTED = "rejected"


@dataclass(frozen=True)
class Incoming:
    mutation_id: str
    device_seq: int
    kind: str
    payload: dict[str, Any]
    config_version: int | None
    #: What the input rules refuse in the payload (field, message): it is rejected unapplied.
    problem: tuple[str, str] | None = None


class SequenceGap(LoyaltyError):
    def __init__(self, last_applied: int, first: int) -> None:
        super().__init__(
            "SEQUENCE_GAP",
            f"Expected deviceSeq {last_applied + 1}, got {first}: resend from there",
            lastAppliedSeq=last_applied,
        )


_PAYLOAD = re.compile(r"mutations\[\d+\]\.payload")


def parse_batch(body: jsonio.Input | object) -> list[Incoming]:
    """The body `{mutations: [...]}`, consecutive deviceSeqs; INVALID_INPUT naming the field.

    The input rules (`jsonio.Input.problem`) apply to the envelope; a payload that breaks
    them is noted on its mutation, which is then rejected on its own."""
    body = body if isinstance(body, jsonio.Input) else jsonio.Input(body, suspect=True)
    document = body.document
    # A document that breaks no input rule anywhere needs no look at each payload (one walk
    # over the whole instead of one per payload: `Input.problem` is cheap, not free).
    clean = body.clean()
    envelope = None if clean else body.problem(skip=_PAYLOAD.fullmatch)
    if envelope is not None:
        raise InvalidInput(*envelope)
    if not isinstance(document, dict) or not isinstance(document.get("mutations"), list):
        raise InvalidInput("mutations", "The body is {\"mutations\": [...]}")
    raw = document["mutations"]
    if not raw:
        raise InvalidInput("mutations", "A push carries at least one mutation")
    if len(raw) > MAX_BATCH:
        raise InvalidInput("mutations", f"A push carries at most {MAX_BATCH} mutations")
    batch = []
    for index, item in enumerate(raw):
        where = f"mutations[{index}]"
        if not isinstance(item, dict):
            raise InvalidInput(where, f"{where} must be an object")
        seq, mutation_id, kind = item.get("deviceSeq"), item.get("mutationId"), item.get("kind")
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
            raise InvalidInput(f"{where}.deviceSeq", f"{where}.deviceSeq must be a whole number from 1")
        if not isinstance(mutation_id, str) or not 1 <= len(mutation_id) <= 64:
            raise InvalidInput(f"{where}.mutationId", f"{where}.mutationId must be an id of 1 to 64 characters")
        if not isinstance(kind, str) or not kind:
            raise InvalidInput(f"{where}.kind", f"{where}.kind is needed")
        if not isinstance(item.get("payload"), dict):
            raise InvalidInput(f"{where}.payload", f"{where}.payload must be an object")
        version = item.get("configVersion")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise InvalidInput(f"{where}.configVersion", f"{where}.configVersion must be a whole number")
        if batch and seq != batch[-1].device_seq + 1:
            raise InvalidInput(f"{where}.deviceSeq", "deviceSeqs in a push must follow one another (n, n+1, ...)")
        problem = None if clean else body.problem(item["payload"], "payload")
        batch.append(Incoming(mutation_id, seq, kind, item["payload"], version, problem))
    return batch


def split(last_applied: int, batch: list[Incoming]) -> tuple[list[Incoming], list[Incoming]]:
    """(duplicates, new) of a consecutive batch; SequenceGap if it starts past the next number."""
    if batch[0].device_seq > last_applied + 1:
        raise SequenceGap(last_applied, batch[0].device_seq)
    duplicates = [m for m in batch if m.device_seq <= last_applied]
    return duplicates, batch[len(duplicates):]


@dataclass(frozen=True)
class TillReport:
    """What a till says of itself with a request (`routes/sync.py`): its app's version and how
    many of its mutations were not yet accepted when it sent it; None where it said nothing usable."""

    app_version: str | None = None
    pending: int | None = None


@dataclass(frozen=True)
class Push:
    """One till's request: its device and its consecutive batch."""

    device_id: int
    device_name: str
    batch: list[Incoming]
    report: TillReport | None = None


def push(unit: Unit, device_id: int, device_name: str, batch: list[Incoming]) -> dict[str, Any]:
    """Apply one till's batch in this transaction; the answer of `sync-protocol.md`."""
    (answer,) = push_group(unit, [Push(device_id, device_name, batch)])
    if isinstance(answer, LoyaltyError):
        raise answer
    return answer


def push_group(unit: Unit, pushes: list[Push], *, isolate: bool = False) -> list[dict[str, Any] | LoyaltyError]:
    """Apply several tills' pushes in this one transaction; each gets its own answer.

    A push whose batch starts past its till's next number gets its SequenceGap as its
    answer and changes nothing; the others go ahead. Two pushes of one till (a retry
    overlapping the original) are taken in turn, the second seeing the first's numbers.
    `isolate`: each mutation in a savepoint of its own (see the module's notes).
    """
    device_ids = sorted({p.device_id for p in pushes})
    devices = unit.connection.execute(
        select(Device.id, Device.last_applied_seq, Device.app_version, Device.pending_mutations)
        .where(Device.tenant_id == unit.tenant, Device.id.in_(device_ids))
        .order_by(Device.id)
        .with_for_update()
    ).all()
    last_applied = {row.id: row.last_applied_seq for row in devices}
    known = {row.id: (row.app_version, row.pending_mutations) for row in devices}
    reported = dict(known)
    answers: list[dict[str, Any] | LoyaltyError] = []
    plans: list[tuple[int, Push, list[Incoming]]] = []
    for index, request in enumerate(pushes):
        try:
            duplicates, new = split(last_applied[request.device_id], request.batch)
        except SequenceGap as gap:
            answers.append(gap)
            continue
        answers.append({"results": _answers_for_duplicates(unit, request.device_id, duplicates)})
        reported[request.device_id] = _reported(reported[request.device_id], request)
        if new:
            last_applied[request.device_id] = new[-1].device_seq
            plans.append((index, request, new))

    applying = Applying(unit, [mutation for _index, _request, new in plans for mutation in new], isolate)
    records = []
    rejected = Flags(unit)
    for index, request, new in plans:
        for mutation in new:
            error = applying.apply(request, mutation)
            outcome: dict[str, Any] = {"status": APPLIED}
            if error is not None:
                outcome = {"status": REJECTED, "error": {"code": error.code, "message": error.message}}
                rejected.raise_flag(
                    MUTATION_REJECTED,
                    f"Change {mutation.device_seq} ({mutation.kind[:32]}) of till {request.device_name} was "
                    f"rejected: {error.message}",
                    device_id=request.device_id, mutation_id=mutation.mutation_id,
                    bill_id=_bill_named(mutation), code=error.code, field=error.details.get("field"),
                    deviceSeq=mutation.device_seq, mutationKind=mutation.kind[:32], payload=mutation.payload,
                )
            answers[index]["results"].append(  # type: ignore[index]
                {"mutationId": mutation.mutation_id, "deviceSeq": mutation.device_seq, **outcome}
            )
            records.append(
                {
                    "tenant_id": unit.tenant,
                    "device_id": request.device_id,
                    "device_seq": mutation.device_seq,
                    "mutation_id": mutation.mutation_id,
                    "kind": mutation.kind[:32],
                    "status": outcome["status"],
                    "error_code": error.code if error else None,
                    "error_message": error.message if error else None,
                    "applied_at": unit.now,
                }
            )
    applying.finish()
    rejected.flush()
    bulk_insert(unit, SyncMutation.__table__, records)
    moved = sorted({request.device_id for _index, request, _new in plans})
    if moved:
        unit.connection.execute(
            _MOVE_DEVICE,
            [
                {"device": d, "seq": last_applied[d], "at": unit.now, "version": reported[d][0], "pending": reported[d][1]}
                for d in moved
            ],
        )
    told = [d for d in device_ids if d not in moved and reported[d] != known[d]]
    if told:  # a push of duplicates only: what the till said, if it changed
        unit.connection.execute(
            _REPORT_DEVICE, [{"device": d, "version": reported[d][0], "pending": reported[d][1]} for d in told]
        )
    for index, request in enumerate(pushes):
        answer = answers[index]
        if isinstance(answer, dict):
            answer["lastAppliedSeq"] = last_applied[request.device_id]
    return answers


#: Errors of the database itself (gone away, a lock not granted): the push is retried,
#: not the mutation rejected.
_TRANSIENT = (OperationalError,)


class Applying:
    """The mutations of one group transaction, applied in turn (see the module's notes)."""

    def __init__(self, unit: Unit, mutations: list[Incoming], isolate: bool) -> None:
        self.unit = unit
        self.isolate = isolate
        self.left = list(mutations)
        self.batch = Batch(unit)
        self.batch.prepare(self.left)

    def apply(self, request: Push, mutation: Incoming) -> LoyaltyError | None:
        """Apply one mutation; the error it is rejected with, or None."""
        if self.isolate:
            self.left.remove(mutation)  # what a fresh Batch must prepare after a failure
        self.batch.acting_for(request.device_id, request.device_name)
        if mutation.problem is not None:
            return InvalidInput(*mutation.problem)
        if not self.isolate:
            try:
                _apply(self.batch, mutation)
            except LoyaltyError as error:  # a rule's refusal: checked before anything changed
                return error
            return None
        savepoint = self.unit.connection.begin_nested()
        try:
            _apply(self.batch, mutation)
            self.batch.flush()
        except _TRANSIENT:
            raise
        except Exception as error:  # noqa: BLE001  (whatever it is, this mutation alone is rejected)
            savepoint.rollback()
            self.batch = Batch(self.unit)  # what it held may be half-changed: read again
            self.batch.prepare(self.left)
            return error if isinstance(error, LoyaltyError) else _failure(mutation, error)
        savepoint.commit()
        return None

    def finish(self) -> None:
        self.batch.flush()


def _failure(mutation: Incoming, error: Exception) -> LoyaltyError:
    """A mutation the service could not apply, for a reason that is no rule's refusal."""
    if isinstance(error, (DBAPIError, OverflowError)) or type(error).__module__.startswith(("psycopg", "sqlite3")):
        log.warning("mutation %s of kind %s could not be stored: %s", mutation.mutation_id, mutation.kind, error)
        reason = "a figure or text in it does not fit the database"
    else:
        log.exception("mutation %s of kind %s could not be applied", mutation.mutation_id, mutation.kind, exc_info=error)
        reason = f"the service failed on it ({type(error).__name__})"
    return LoyaltyError(
        errors.INVALID_INPUT,
        f"The central service could not apply this change: {reason}. It is kept at the till; "
        "a manager can send it again after the service is upgraded, or settle it.",
    )


def _bill_named(mutation: Incoming) -> str | None:
    bill_id = mutation.payload.get("billId")
    return bill_id[:64] if isinstance(bill_id, str) else None


#: What applies each kind of mutation.
APPLIERS = {**mutations.APPLIERS, **bill_mutations.APPLIERS}


def _apply(batch: Batch, mutation: Incoming) -> None:
    applier = APPLIERS.get(mutation.kind)
    if applier is None:
        raise InvalidInput("kind", f"Unknown mutation kind {mutation.kind!r}")
    applier(batch, mutation)


_MOVE_DEVICE = (
    update(Device)
    .where(Device.id == bindparam("device"))
    .values(
        last_applied_seq=bindparam("seq"),
        last_push_at=bindparam("at"),
        app_version=bindparam("version"),
        pending_mutations=bindparam("pending"),
    )
)
_REPORT_DEVICE = (
    update(Device)
    .where(Device.id == bindparam("device"))
    .values(app_version=bindparam("version"), pending_mutations=bindparam("pending"))
)


def _reported(was: tuple[str | None, int | None], request: Push) -> tuple[str | None, int | None]:
    """(app version, pending) of a till after this push: what it said, else what was known.

    The till counts the mutations of this push among those not yet accepted; every one of
    them is answered (applied, rejected or a duplicate) and leaves its queue with this
    answer, so what it still holds after it is that count less the batch."""
    report = request.report
    if report is None:
        return was
    version = report.app_version if report.app_version is not None else was[0]
    pending = max(0, report.pending - len(request.batch)) if report.pending is not None else was[1]
    return version, pending


def _answers_for_duplicates(unit: Unit, device_id: int, duplicates: list[Incoming]) -> list[dict[str, Any]]:
    if not duplicates:
        return []
    stored = {
        row.device_seq: row
        for row in unit.connection.execute(
            select(SyncMutation).where(
                SyncMutation.device_id == device_id,
                SyncMutation.device_seq.between(duplicates[0].device_seq, duplicates[-1].device_seq),
            )
        )
    }
    answers = []
    for mutation in duplicates:
        row = stored.get(mutation.device_seq)
        answer: dict[str, Any] = {"mutationId": mutation.mutation_id, "deviceSeq": mutation.device_seq, "status": DUPLICATE}
        if row is not None:
            answer["originalStatus"] = row.status
            if row.error_code:
                answer["error"] = {"code": row.error_code, "message": row.error_message}
            if row.mutation_id != mutation.mutation_id:
                answer["error"] = {
                    "code": "MUTATION_MISMATCH",
                    "message": f"deviceSeq {mutation.device_seq} was applied as mutation {row.mutation_id}, not this one",
                }
        answers.append(answer)
    return answers
