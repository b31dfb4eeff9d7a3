"""The till's side of `sync-protocol.md`, on the replica: what to push, what was acknowledged,
and how a pulled page is stored. No HTTP here: the daemon (`sync/`) carries the bytes.
Which service, and this till's token: `central_link.py`.

**Read your writes.** A pulled card carries the server's figures as of the page's
`appliedSeq`: they include exactly this till's mutations up to that number. The card's
shown figures are those plus this till's own ledger rows with a later `deviceSeq`, and
the server's part is kept (`synced_*`, `synced_seq`) so the sum can always be checked.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update

from pos_loyalty import cardnumber, jsonio
from pos_loyalty.amounts import parse_points
from pos_loyalty.errors import InvalidInput
from pos_loyalty.replica.db import Replica, UnitOfWork
from pos_loyalty.replica.models import CardNumberBlock, OutboxMutation, SyncState, TillSetting
from pos_loyalty.rules.config import config_from_json
from pos_loyalty.services import configuration, ledger, outbox
from pos_loyalty.services.central_link import DEVICE_ID, DEVICE_NAME, TENANT

APPLIED = "APPLIED"
log = logging.getLogger("pos_loyalty.sync")


# --- push ----------------------------------------------------------------------------------


def first_unsent(replica: Replica) -> int | None:
    """The deviceSeq of the oldest mutation the server has not acknowledged, if any."""
    with replica.reading() as uow:
        return uow.connection.execute(
            select(func.min(OutboxMutation.device_seq)).where(OutboxMutation.status == outbox.PENDING)
        ).scalar()


def batch_from(replica: Replica, device_seq: int, limit: int, max_bytes: int | None = None) -> list[dict[str, Any]]:
    """Mutations from `device_seq` on, as they go on the wire (acknowledged ones too: after
    a 409 the server may ask again for what it had lost): at most `limit` of them and, past
    the first, `max_bytes` in all (`outbox.batch`). Their payloads are the stored JSON text
    (`jsonio.Raw`): what the push writes out as it stands."""
    with replica.reading() as uow:
        return outbox.batch(uow, from_seq=device_seq, limit=limit, max_bytes=max_bytes, parsed=False)


#: One statement for a whole answer (built once: building an UPDATE per mutation cost
#: more than running it).
_ACKNOWLEDGE = (
    update(OutboxMutation)
    .where(OutboxMutation.device_seq == bindparam("seq"))
    .values(
        status=bindparam("outcome"),
        acked_at=bindparam("at"),
        error_code=bindparam("code"),
        error_message=bindparam("message"),
    )
)


#: The server holds another mutation under this deviceSeq (see `realign`).
MUTATION_MISMATCH = "MUTATION_MISMATCH"


def renumbers(results: list[dict[str, Any]]) -> bool:
    """Whether recording this push answer renumbers the unsent mutations (`record_push`)."""
    return any(isinstance(result.get("error"), dict) and result["error"].get("code") == MUTATION_MISMATCH for result in results)


def record_push(replica: Replica, results: list[dict[str, Any]], last_applied: int) -> dict[str, int]:
    """Mark what the server answered for each mutation; counts by outcome.

    A "duplicate" whose number the server had given to another mutation of this till
    (MUTATION_MISMATCH: the till was restored from a backup, say) was not applied: it
    stays queued, renumbered after the server's `lastAppliedSeq` (`renumbered` counts).
    """
    counts = {"applied": 0, "duplicate": 0, "rejected": 0, "renumbered": 0}
    with replica.writing() as uow:
        marks = []
        for result in results:
            status = result.get("status")
            outcome = result.get("originalStatus", status) if status == "duplicate" else status
            error = result.get("error") or {}
            if error.get("code") == MUTATION_MISMATCH:
                counts["renumbered"] += 1
                continue
            if status in counts:
                counts[status] += 1
            marks.append(
                {
                    "seq": result["deviceSeq"],
                    "outcome": outbox.REJECTED if outcome == "rejected" else APPLIED,
                    "at": uow.now,
                    "code": error.get("code"),
                    "message": error.get("message"),
                }
            )
        if marks:
            uow.connection.execute(_ACKNOWLEDGE, marks)
        if counts["renumbered"]:
            counts["renumbered"] = _realign(uow, last_applied)
        _touch(uow, last_push_at=uow.now, last_applied_seq=last_applied)
        uow.commit()
    return counts


def realign(replica: Replica, last_applied: int) -> int:
    """After a 409 the till cannot answer (it has no mutation numbered `last_applied` + 1,
    e.g. unsent changes dropped by a restore): number the unsent ones from there."""
    with replica.writing() as uow:
        count = _realign(uow, last_applied)
        uow.commit()
    return count


def _realign(uow: UnitOfWork, last_applied: int) -> int:
    """Renumber every unsent mutation (and its ledger rows), in order, to follow both the
    server's `last_applied` and every number already acknowledged; the count renumbered.

    deviceSeq is how the server tells a new change from one it has: a change numbered
    with a number the server already used would be taken for a duplicate and lost. Only
    unsent mutations are renumbered; their ids and contents stay as they were.
    """
    connection = uow.connection
    pending = [
        seq
        for (seq,) in connection.execute(
            select(OutboxMutation.device_seq).where(OutboxMutation.status == outbox.PENDING).order_by(OutboxMutation.device_seq)
        )
    ]
    (highest_sent,) = connection.execute(
        select(func.coalesce(func.max(OutboxMutation.device_seq), 0)).where(OutboxMutation.status != outbox.PENDING)
    ).one()
    start = max(last_applied, highest_sent) + 1
    moves = [(old, new) for new, old in enumerate(pending, start) if old != new]
    if moves:
        log.warning(
            "the central service has other changes under this till's numbers up to %s (a restored backup?): "
            "%d unsent changes numbered again from %s", last_applied, len(pending), start,
        )
        for table in ("outbox", "ledger"):  # through negative numbers: the new and old ranges may overlap
            connection.exec_driver_sql(
                f"UPDATE {table} SET device_seq = -? WHERE device_seq = ?", [(new, old) for old, new in moves]
            )
            connection.exec_driver_sql(f"UPDATE {table} SET device_seq = -device_seq WHERE device_seq < 0")
    connection.execute(
        update(SyncState).where(SyncState.id == 1).values(next_device_seq=func.max(SyncState.next_device_seq, start + len(pending)))
    )
    return len(moves)


# --- pull ------------------------------------------------------------------------------------


def pull_cursor(replica: Replica) -> str:
    with replica.reading() as uow:
        return uow.connection.execute(select(SyncState.pull_cursor).where(SyncState.id == 1)).scalar_one()


def restart_pull(replica: Replica) -> None:
    """The server no longer accepts our cursor (410): pull everything again; the outbox stays."""
    with replica.writing() as uow:
        _touch(uow, pull_cursor="0")
        uow.commit()


@dataclass(frozen=True)
class PageStored:
    cards: int
    config_version: int | None
    done: bool  # the last page: nothing more to pull for now


def store_page(replica: Replica, page: dict[str, Any]) -> PageStored:
    """Store one pulled page and its cursor in one transaction."""
    applied_seq = _whole_number(page.get("appliedSeq"), "appliedSeq")
    cursor = page.get("cursor")
    if not isinstance(cursor, str) or not cursor:
        raise InvalidInput("cursor", "The page has no cursor")
    changes = page.get("changes")
    if not isinstance(changes, list):
        raise InvalidInput("changes", "The page has no list of changes")
    cards = [c["card"] for c in changes if isinstance(c, dict) and c.get("type") == "card"]
    configs = [c for c in changes if isinstance(c, dict) and c.get("type") == "config"]
    rows = [_card_row(card, index) for index, card in enumerate(cards)]
    done = not page.get("hasMore")
    stored_version = None
    with replica.writing() as uow:
        if configs:
            stored_version = _store_config(uow, configs[-1])
        _store_cards(uow, rows, applied_seq)
        if done:
            _link_waiting_referrers(uow)
        _store_device(uow, page.get("device"))
        _touch(uow, pull_cursor=cursor, last_pull_at=uow.now, last_applied_seq=applied_seq)
        uow.commit()
    return PageStored(len(rows), stored_version, done)


def _store_config(uow: UnitOfWork, change: dict[str, Any]) -> int | None:
    """The server's newest configuration, unless the same is current or an edit made here
    has not reached the server yet (it would come back merged on a later pull)."""
    waiting_edit = uow.connection.execute(
        select(OutboxMutation.device_seq)
        .where(OutboxMutation.kind == "config.changed", OutboxMutation.status == outbox.PENDING)
        .limit(1)
    ).first()
    if waiting_edit is not None:
        return None
    version = _whole_number(change.get("version"), "version")
    pulled = config_from_json(
        {k: v for k, v in (change.get("config") or {}).items() if k != "tenantId"}, version=version
    )
    current = configuration.current(uow)
    if pulled == current and current.version == version and configuration.unshared(uow) is None:
        return None
    # The same as this till's own (its default, say, equal to a tenant's sample) is stored
    # as the server's all the same: else every bill would carry it (`bills._unshared_config`).
    uow.session.add(configuration.row_for(pulled, version, configuration.SERVER, uow, "central"))
    uow.session.flush()
    return version


_UPSERT = """
INSERT INTO cards (
    card_number, customer_id, customer_name, customer_phone, customer_email,
    referrer_number, referrer_id, server_id, is_active, issued_at, last_transaction_at, updated_at,
    points_balance, total_points_earned, total_points_redeemed, total_referral_points_earned,
    synced_balance, synced_earned, synced_redeemed, synced_referral, synced_seq, replaced_by_number)
VALUES (
    :number, :customer_id, :name, :phone, :email,
    :referrer, (SELECT r.id FROM cards r WHERE r.card_number = :referrer), :server_id, :active,
    :issued_at, :last_at, :now,
    :balance, :earned, :redeemed, :referral,
    :s_balance, :s_earned, :s_redeemed, :s_referral, :applied, :replaced_by)
ON CONFLICT (card_number) DO UPDATE SET
    customer_id = excluded.customer_id, customer_name = excluded.customer_name,
    customer_phone = excluded.customer_phone, customer_email = excluded.customer_email,
    referrer_number = excluded.referrer_number, referrer_id = excluded.referrer_id,
    server_id = excluded.server_id, issued_at = excluded.issued_at,
    is_active = CASE WHEN excluded.replaced_by_number IS NULL AND cards.replaced_by_number IS NOT NULL
        THEN 0 ELSE excluded.is_active END,
    last_transaction_at = CASE
        WHEN cards.last_transaction_at IS NULL OR excluded.last_transaction_at > cards.last_transaction_at
        THEN excluded.last_transaction_at ELSE cards.last_transaction_at END,
    updated_at = excluded.updated_at,
    points_balance = excluded.points_balance, total_points_earned = excluded.total_points_earned,
    total_points_redeemed = excluded.total_points_redeemed,
    total_referral_points_earned = excluded.total_referral_points_earned,
    synced_balance = excluded.synced_balance, synced_earned = excluded.synced_earned,
    synced_redeemed = excluded.synced_redeemed, synced_referral = excluded.synced_referral,
    synced_seq = excluded.synced_seq,
    -- a card replaced here stays replaced while the service has not heard of it yet
    replaced_by_number = COALESCE(excluded.replaced_by_number, cards.replaced_by_number)
"""

# This till's own figures not yet in the server's, per card: rows after `appliedSeq`.
_UNSEEN_BY_SERVER = """
SELECT c.card_number, l.transaction_type, o.transaction_type, SUM(l.points), """ + ledger.MOVED_SUMS + """
FROM ledger l JOIN cards c ON c.id = l.card_id LEFT JOIN ledger o ON o.id = l.reverses_id
WHERE l.device_seq > :applied
GROUP BY c.card_number, l.transaction_type, o.transaction_type, l.moved_earned IS NULL
"""


def _store_cards(uow: UnitOfWork, rows: list[dict[str, Any]], applied_seq: int) -> None:
    if not rows:
        return
    raw = uow.connection.connection.driver_connection  # this unit's transaction, sqlite3 speed
    unseen: dict[str, list[int]] = {}
    for number, kind, reversed_kind, total, *moved in raw.execute(_UNSEEN_BY_SERVER, {"applied": applied_seq}):
        delta = unseen.setdefault(number, [0, 0, 0, 0])
        for index, amount in enumerate((total, *ledger.summed_moves(kind, reversed_kind, total, moved))):
            delta[index] += amount
    now = _sql_time(uow.now)
    for row in rows:
        delta = unseen.get(row["number"], (0, 0, 0, 0))
        row["balance"] = row["s_balance"] + delta[0]
        row["earned"] = row["s_earned"] + delta[1]
        row["redeemed"] = row["s_redeemed"] + delta[2]
        row["referral"] = row["s_referral"] + delta[3]
        row["applied"] = applied_seq
        row["now"] = now
        row["issued_at"] = row["issued_at"] or now
    _forget_erased_customers(raw, [row for row in rows if row["phone"] == ""])
    raw.executemany(_UPSERT, rows)
    _store_per_card(raw, "card_lots", [(row["number"], row["lots"]) for row in rows if row["lots"] is not None])
    _store_per_card(raw, "card_holds", [(row["number"], row["holds"]) for row in rows if row["holds"] is not None])


def _forget_erased_customers(raw: Any, rows: list[dict[str, Any]]) -> None:
    """Cards the central service anonymised (no phone): what this till still quotes of their
    customer (the queued and sent mutations that issued or edited the card) loses it too,
    so that no backup made from now on carries it. The card row itself is overwritten."""
    for row in rows:
        known = raw.execute(
            "SELECT customer_name, customer_phone, customer_email, customer_id FROM cards WHERE card_number = ?",
            (row["number"],),
        ).fetchone()
        if known is None or known[1] == "":
            continue
        quoted = sorted({text for text in known if text}, key=len, reverse=True)
        for device_seq, payload in raw.execute(
            "SELECT device_seq, payload FROM outbox WHERE payload LIKE ? ESCAPE '\\'",
            (f"%{_like(jsonio.dumps(known[1])[1:-1])}%",),
        ).fetchall():
            for text in quoted:
                payload = payload.replace(jsonio.dumps(text)[1:-1], "(erased)")
            raw.execute("UPDATE outbox SET payload = ? WHERE device_seq = ?", (payload, device_seq))


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _store_per_card(raw: Any, table: str, pulled: list[tuple[str, list[tuple[str, int]]]]) -> None:
    """Each pulled card's open lots (`card_lots`) or active holds (`card_holds`), as
    (expiry, points), replace those it had (`services/expiry.py`)."""
    if not pulled:
        return
    ids = dict(
        raw.execute(
            f"SELECT card_number, id FROM cards WHERE card_number IN ({','.join('?' * len(pulled))})",
            [number for number, _entries in pulled],
        ).fetchall()
    )
    raw.executemany(f"DELETE FROM {table} WHERE card_id = ?", [(ids[number],) for number, _entries in pulled])
    raw.executemany(
        f"INSERT INTO {table} (card_id, expires_at, points) VALUES (?, ?, ?)",
        [(ids[number], expires_at, amount) for number, entries in pulled for expires_at, amount in entries],
    )


_UNSEEN_OF_CARD = """
SELECT l.transaction_type, o.transaction_type, SUM(l.points), """ + ledger.MOVED_SUMS + """
FROM ledger l JOIN cards c ON c.id = l.card_id LEFT JOIN ledger o ON o.id = l.reverses_id
WHERE l.card_id = :card AND l.device_seq > c.synced_seq
GROUP BY l.transaction_type, o.transaction_type, l.moved_earned IS NULL
"""


def refigure(uow: UnitOfWork, card_ids: set[int]) -> None:
    """Work these cards' figures out again as read-your-writes has them: the server's (as last
    pulled) plus this till's rows the server had not seen (after a change is queued again)."""
    raw = uow.connection.connection.driver_connection
    for card_id in sorted(card_ids):
        balance, earned, redeemed, referral = raw.execute(
            "SELECT synced_balance, synced_earned, synced_redeemed, synced_referral FROM cards WHERE id = ?",
            (card_id,),
        ).fetchone()
        for kind, reversed_kind, total, *summed in raw.execute(_UNSEEN_OF_CARD, {"card": card_id}):
            moved = ledger.summed_moves(kind, reversed_kind, total, summed)
            balance, earned, redeemed, referral = (
                balance + total, earned + moved[0], redeemed + moved[1], referral + moved[2]
            )
        raw.execute(
            "UPDATE cards SET points_balance = ?, total_points_earned = ?, total_points_redeemed = ?,"
            " total_referral_points_earned = ? WHERE id = ?",
            (balance, earned, redeemed, referral, card_id),
        )


def _link_waiting_referrers(uow: UnitOfWork) -> None:
    """Cards whose referrer came in a later page than themselves get their link now."""
    uow.connection.exec_driver_sql(
        "UPDATE cards SET referrer_id = (SELECT r.id FROM cards r WHERE r.card_number = cards.referrer_number)"
        " WHERE referrer_id IS NULL AND referrer_number IS NOT NULL"
    )


def _put(uow: UnitOfWork, key: str, value: str) -> None:
    uow.session.merge(TillSetting(key=key, value=value))


def _store_device(uow: UnitOfWork, device: object) -> None:
    if not isinstance(device, dict):
        return
    if device.get("id") is not None:
        _put(uow, DEVICE_ID, str(device["id"]))
    if isinstance(device.get("name"), str):
        _put(uow, DEVICE_NAME, device["name"])
    if device.get("tenantId") is not None:
        _put(uow, TENANT, str(device["tenantId"]))
    known = {
        (prefix, block)
        for prefix, block in uow.connection.execute(select(CardNumberBlock.prefix, CardNumberBlock.block))
    }
    for entry in device.get("cardBlocks") or []:
        prefix, block = entry.get("prefix"), entry.get("block")
        if isinstance(prefix, str) and isinstance(block, int) and (prefix, block) not in known:
            uow.session.add(CardNumberBlock(prefix=prefix, block=block, next_serial=0, origin="server"))
    uow.session.flush()


def _card_row(card: object, index: int) -> dict[str, Any]:
    """A pulled card, checked, as the upsert's parameters (server figures as `s_*`)."""
    where = f"changes.card[{index}]"
    if not isinstance(card, dict):
        raise InvalidInput(where, f"{where} is not a card")
    number = cardnumber.validate(card.get("cardNumber"), f"{where}.cardNumber")
    referrer = card.get("referrerCardNumber")
    successor = card.get("replacedByCardNumber")
    return {
        "number": number,
        "replaced_by": cardnumber.validate(successor, f"{where}.replacedByCardNumber") if successor else None,
        "customer_id": card.get("customerId") if isinstance(card.get("customerId"), str) else None,
        "name": str(card.get("customerName") or ""),
        "phone": str(card.get("customerPhone") or ""),
        "email": card.get("customerEmail") if isinstance(card.get("customerEmail"), str) else None,
        "referrer": cardnumber.normalize(referrer) if isinstance(referrer, str) and referrer else None,
        "server_id": card.get("id") if isinstance(card.get("id"), int) else None,
        "active": bool(card.get("isActive", True)),
        "issued_at": _stored_time(card.get("issuedAt")),
        "last_at": _stored_time(card.get("lastTransactionAt")),
        "s_balance": _figure(card.get("pointsBalance"), f"{where}.pointsBalance"),
        "s_earned": _figure(card.get("totalPointsEarned"), f"{where}.totalPointsEarned"),
        "s_redeemed": _figure(card.get("totalPointsRedeemed"), f"{where}.totalPointsRedeemed"),
        "s_referral": _figure(card.get("totalReferralPointsEarned"), f"{where}.totalReferralPointsEarned"),
        "lots": _timed_points(card.get("lots"), f"{where}.lots", "lots"),
        "holds": _timed_points(card.get("holds"), f"{where}.holds", "holds"),
    }


def _timed_points(value: object, where: str, what: str) -> list[tuple[str, int]] | None:
    """A pulled card's open lots or active holds as (expiry as stored, points); None from a
    service that sends none (an older one), so the till keeps what it had."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise InvalidInput(where, f"{where} must be a list of {what}")
    found = []
    for index, entry in enumerate(value):
        expires_at = _stored_time(entry.get("expiresAt"))
        if expires_at is None:
            raise InvalidInput(f"{where}[{index}].expiresAt", f"{where}[{index}].expiresAt must be a time")
        found.append((expires_at, parse_points(entry.get("points"), f"{where}[{index}].points", minimum=1)))
    return found


# --- the sync's health ------------------------------------------------------------------------


def record_success(replica: Replica) -> None:
    with replica.writing() as uow:
        _touch(uow, last_success_at=uow.now, last_attempt_at=uow.now, failures=0, last_error=None, stopped_reason=None)
        uow.commit()


def record_failure(replica: Replica, message: str, *, stopped: bool = False) -> None:
    with replica.writing() as uow:
        _touch(
            uow,
            last_attempt_at=uow.now,
            failures=SyncState.failures + 1,
            last_error=message[:1000],
            stopped_reason=message[:1000] if stopped else None,
        )
        uow.commit()


def _touch(uow: UnitOfWork, **values: Any) -> None:
    uow.connection.execute(update(SyncState).where(SyncState.id == 1).values(**values))


# --- small parsers ------------------------------------------------------------------------------


def _whole_number(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(field, f"{field} must be a whole number")
    return value


def _figure(value: object, field: str) -> int:
    return parse_points(value, field, minimum=-(10**15))


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=None) if moment.tzinfo is None else jsonio.naive_utc(moment)


#: The form the central service writes times in (`jsonio.iso`).
_SERVICE_TIME = re.compile(r"[1-9]\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def _stored_time(value: object) -> str | None:
    """A pulled time as the replica stores it: `_sql_time(_time(value))`, with a short cut for
    the service's own form (2026-11-21T09:30:00.123456Z is stored as 2026-11-21 09:30:00.123456);
    a bootstrap reads two per card, and the long way was a tenth of its time."""
    if isinstance(value, str) and _SERVICE_TIME.fullmatch(value):
        try:
            datetime.fromisoformat(value[:-1])  # a real date and time, as the long way checks
        except ValueError:
            return None
        return f"{value[:10]} {value[11:26]}"
    return _sql_time(_time(value))


def _sql_time(moment: datetime | None) -> str | None:
    """The text SQLAlchemy's DateTime stores on SQLite (the upsert writes it directly)."""
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S.%f")
