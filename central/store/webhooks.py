"""Webhooks (`central-api.md`, Webhooks): a pharmacy's receivers of events, and the outbox
their deliveries are sent from.

What causes an event writes it in its own transaction, so an event is sent if and only if
what it tells happened: the rows `Postings.flush` writes (points earned, redeemed,
returned, expired; a tier crossed on the way), a card issued (`cards.insert_card`), and
points about to expire (`notify_expiring`, in the daily run). Each is one `webhook_events`
row holding the body to send (fixed then, so a retry sends the same bytes) and one
`webhook_deliveries` row per webhook that wants it; nothing is written when none does.
`central/webhook_delivery.py` sends them; this module also reads and records its work.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, func, insert, select, update

from central.store import config as configs
from central.store.db import Store, Unit
from central.store.models import Card, Tenant, Webhook, WebhookDelivery, WebhookEvent
from pos_loyalty import jsonio
from pos_loyalty.amounts import points
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.rules.ledger import EARNED, EXPIRED, REDEEMED, REFERRAL_EARNED, REVERSED

if TYPE_CHECKING:
    from central.store.cards import CardRow

EARNED_EVENT = "points.earned"
REDEEMED_EVENT = "points.redeemed"
RETURNED_EVENT = "points.returned"
EXPIRED_EVENT = "points.expired"
EXPIRING_EVENT = "points.expiring"
TIER_EVENT = "tier.changed"
ISSUED_EVENT = "card.issued"
EVENTS = (EARNED_EVENT, REDEEMED_EVENT, RETURNED_EVENT, EXPIRED_EVENT, EXPIRING_EVENT, TIER_EVENT, ISSUED_EVENT)
#: Which event a ledger row is part of (ADJUSTED rows, a manager's, are none).
_ROW_EVENTS = {
    EARNED: EARNED_EVENT,
    REFERRAL_EARNED: EARNED_EVENT,
    REDEEMED: REDEEMED_EVENT,
    REVERSED: RETURNED_EVENT,
    EXPIRED: EXPIRED_EVENT,
}
#: `points.expiring` tells of points that expire within this.
EXPIRING_NOTICE = timedelta(days=7)

PENDING, DELIVERED, FAILED, CANCELLED = "PENDING", "DELIVERED", "FAILED", "CANCELLED"
FIELDS = ("url", "events", "secret")
MIN_SECRET, MAX_SECRET, MAX_URL = 16, 255, 2000


# --- registering (admin) ------------------------------------------------------------------


def create(unit: Unit, doc: dict[str, Any], created_by: str) -> dict[str, Any]:
    for name in doc:
        if name not in FIELDS:
            raise InvalidInput(name, f"Unknown field {name!r}; a webhook takes {', '.join(FIELDS)}")
    url, events, secret = _url(doc.get("url")), _events(doc.get("events")), _secret(doc.get("secret"))
    webhook_id = unit.connection.execute(
        insert(Webhook)
        .values(
            tenant_id=unit.tenant, url=url, events_json=jsonio.dumps(events), secret=secret,
            created_at=unit.now, created_by=created_by,
        )
        .returning(Webhook.id)
    ).scalar_one()
    return shown(_one(unit, webhook_id))


def listing(unit: Unit) -> list[dict[str, Any]]:
    """The pharmacy's webhooks (not the deleted ones), oldest first."""
    rows = unit.connection.execute(
        select(Webhook).where(Webhook.tenant_id == unit.tenant, Webhook.deleted_at.is_(None)).order_by(Webhook.id)
    )
    return [shown(row) for row in rows]


def delete(unit: Unit, webhook_id: int) -> dict[str, Any]:
    """No more events for it; what was still to be sent is cancelled. Its log stays readable."""
    row = _one(unit, webhook_id)
    if row.deleted_at is None:
        unit.connection.execute(update(Webhook).where(Webhook.id == row.id).values(deleted_at=unit.now))
        unit.connection.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == row.id, WebhookDelivery.status == PENDING)
            .values(status=CANCELLED)
        )
        row = _one(unit, webhook_id)
    return shown(row)


def delivery_log(unit: Unit, webhook_id: int, page: int, size: int) -> dict[str, Any]:
    """One page of a webhook's deliveries, newest first: what was sent, how often, what came back."""
    row = _one(unit, webhook_id)
    mine = WebhookDelivery.webhook_id == row.id
    total = unit.connection.execute(select(func.count()).select_from(WebhookDelivery).where(mine)).scalar_one()
    found = unit.connection.execute(
        select(WebhookDelivery, WebhookEvent.event_id, WebhookEvent.type, WebhookEvent.occurred_at, Card.card_number)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_row_id)
        .outerjoin(Card, Card.id == WebhookDelivery.card_id)
        .where(mine)
        .order_by(WebhookDelivery.id.desc())
        .offset(page * size)
        .limit(size)
    )
    content = [
        {
            "id": entry.id,
            "eventId": entry.event_id,
            "type": entry.type,
            "cardNumber": entry.card_number,
            "occurredAt": entry.occurred_at,
            "status": entry.status,
            "attempts": entry.attempts,
            "lastAttemptAt": entry.last_attempt_at,
            "lastStatusCode": entry.last_status_code,
            "lastError": entry.last_error,
            "nextAttemptAt": entry.next_attempt_at if entry.status == PENDING else None,
            "deliveredAt": entry.delivered_at,
        }
        for entry in found
    ]
    return {"content": content, "page": page, "size": size, "totalElements": total, "totalPages": -(-total // size)}


def shown(row: Any) -> dict[str, Any]:
    """A webhook as the routes answer it (never its secret)."""
    return {
        "id": row.id,
        "url": row.url,
        "events": jsonio.loads(row.events_json),
        "createdAt": row.created_at,
        "createdBy": row.created_by,
        "deletedAt": row.deleted_at,
    }


def _one(unit: Unit, webhook_id: int) -> Any:
    row = unit.connection.execute(
        select(Webhook).where(Webhook.tenant_id == unit.tenant, Webhook.id == webhook_id)
    ).first()
    if row is None:
        raise LoyaltyError("NOT_FOUND", f"No webhook {webhook_id} here", webhookId=webhook_id)
    return row


def _url(value: object) -> str:
    problem = "url must be the receiver's address: http:// or https://, a host, at most 2000 characters"
    if not _printable(value, 1, MAX_URL):
        raise InvalidInput("url", problem)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (a port that is not a number raises)
    except ValueError:
        raise InvalidInput("url", problem) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value or parts.username or parts.password:
        raise InvalidInput("url", problem)
    return value


def _events(value: object) -> list[str]:
    if not isinstance(value, list) or not value:
        raise InvalidInput("events", f"events must list at least one of {', '.join(EVENTS)}")
    for index, event in enumerate(value):
        if event not in EVENTS:
            raise InvalidInput(f"events[{index}]", f"events[{index}] must be one of {', '.join(EVENTS)}")
    return list(dict.fromkeys(value))


def _secret(value: object) -> str:
    if not _printable(value, MIN_SECRET, MAX_SECRET):
        raise InvalidInput(
            "secret", f"secret must be {MIN_SECRET} to {MAX_SECRET} printable characters (letters, digits, signs): "
            "the receiver checks each delivery's signature with it"
        )
    return value


def _printable(value: object, shortest: int, longest: int) -> bool:
    return isinstance(value, str) and shortest <= len(value) <= longest and value.isascii() and value.isprintable()


# --- the outbox ---------------------------------------------------------------------------


@dataclass
class Event:
    type: str
    card: CardRow
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    dedupe_key: str | None = None


def wanted(unit: Unit) -> dict[str, list[int]]:
    """The ids of the tenant's webhooks that want each event, read once per unit of work."""
    if unit.webhooks is None:
        unit.webhooks = {}
        rows = unit.connection.execute(
            select(Webhook.id, Webhook.events_json).where(
                Webhook.tenant_id == unit.tenant, Webhook.deleted_at.is_(None)
            )
        )
        for webhook_id, events in rows:
            for event in jsonio.loads(events):
                unit.webhooks.setdefault(event, []).append(webhook_id)
    return unit.webhooks


def posted(unit: Unit, rows: list[dict[str, Any]], cards: dict[int, CardRow], lifetime_before: dict[int, int]) -> None:
    """The events of the rows a `Postings.flush` is writing, and of the tiers they cross."""
    subscribed = wanted(unit)
    if not subscribed or not rows:
        return
    events = events_of_rows(rows, cards)
    if TIER_EVENT in subscribed:
        config = configs.current(unit)
        last = {row["card_id"]: row["created_at"] for row in rows}
        for card_id, before in lifetime_before.items():
            old = config.tier_for(before).name or None
            new = config.tier_for(cards[card_id].lifetime_points).name or None
            if old != new:
                events.append(Event(TIER_EVENT, cards[card_id], last.get(card_id, unit.now), {"from": old, "to": new}))
    write(unit, events)


def events_of_rows(rows: Iterable[dict[str, Any]], cards: dict[int, CardRow]) -> list[Event]:
    """One event per card, kind and bill of the rows, in the order the rows were written."""
    grouped: dict[tuple[int, str, str | None], Event] = {}
    for row in rows:
        kind = _ROW_EVENTS.get(row["transaction_type"])
        if kind is None or (kind == EARNED_EVENT and row["points"] <= 0):
            continue
        key = (row["card_id"], kind, row["reference_id"] if kind != EXPIRED_EVENT else None)
        event = grouped.get(key)
        if event is None:
            event = grouped[key] = Event(kind, cards[row["card_id"]], row["created_at"], _first_data(kind, row))
        _add(event, row["points"])
    return list(grouped.values())


def _first_data(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    if kind == EXPIRED_EVENT:
        return {"points": 0}
    if kind == RETURNED_EVENT:
        return {"billId": row["reference_id"], "pointsRefunded": 0, "pointsReversed": 0}
    data: dict[str, Any] = {"billId": row["reference_id"], "points": 0}
    if kind == EARNED_EVENT:
        data["referral"] = row["transaction_type"] == REFERRAL_EARNED
    return data


def _add(event: Event, amount: int) -> None:
    """Sum a row's points (hundredths) into its event; figures are written when it is sent out."""
    data = event.data
    if event.type == RETURNED_EVENT:
        data["pointsRefunded" if amount > 0 else "pointsReversed"] += abs(amount)
    else:
        data["points"] += abs(amount)


def card_issued(unit: Unit, card: CardRow) -> None:
    if ISSUED_EVENT in wanted(unit):
        write(unit, [Event(ISSUED_EVENT, card, card.issued_at)])


def notify_expiring(unit: Unit) -> int:
    """`points.expiring` for each card with points that expire within 7 days, once per card
    and soonest expiry (the daily run may find it again: `dedupe_key`); how many were new."""
    if EXPIRING_EVENT not in wanted(unit):
        return 0
    from central.store import expiry  # it writes EXPIRED rows through Postings, which writes here
    from central.store import cards as card_store

    days = configs.current(unit).points_expiry_days
    if days <= 0:
        return 0
    written = 0
    with_points = select(Card.id).where(Card.tenant_id == unit.tenant, Card.points_balance > 0).order_by(Card.id)
    ids = list(unit.connection.execute(with_points).scalars())
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        lots = expiry.lots_of(unit, chunk, days)
        notices = {}
        for card_id in chunk:
            soon = lots[card_id].expiring(unit.now, EXPIRING_NOTICE)
            if soon:
                at = lots[card_id].next_expiry(unit.now)
                notices[f"{EXPIRING_EVENT}:{card_id}:{at.isoformat()}"] = (card_id, soon, at)
        known = set(
            unit.connection.execute(
                select(WebhookEvent.dedupe_key).where(
                    WebhookEvent.tenant_id == unit.tenant, WebhookEvent.dedupe_key.in_(list(notices))
                )
            ).scalars()
        )
        new = {key: notice for key, notice in notices.items() if key not in known}
        chosen = [card_id for card_id, _soon, _at in new.values()]
        found = {card.id: card for card in card_store.rows(unit, card_store.query(unit).where(Card.id.in_(chosen)))}
        write(
            unit,
            [
                Event(EXPIRING_EVENT, found[card_id], unit.now, {"points": soon, "expiresAt": at}, dedupe_key=key)
                for key, (card_id, soon, at) in new.items()
            ],
        )
        written += len(new)
    return written


def write(unit: Unit, events: list[Event]) -> None:
    """The events some webhook wants, and a pending delivery of each to each of them."""
    subscribed = wanted(unit)
    events = [event for event in events if event.type in subscribed]
    if not events:
        return
    from central.store import expiry  # what a card shows (its lots, its holds): see notify_expiring

    config = configs.current(unit)
    figures = expiry.cards_expiry(unit, list({event.card.id: event.card for event in events}.values()))
    rows = []
    for event in events:
        event_id = str(uuid.uuid4())
        body = {
            "eventId": event_id,
            "type": event.type,
            "occurredAt": event.occurred_at,
            "tenantId": unit.tenant,
            "card": event.card.to_json(config) | figures[event.card.id],
            # Figures are summed as hundredths (`_add`) and written as points here.
            "data": {key: points(value) if key.startswith("points") else value for key, value in event.data.items()},
        }
        rows.append(
            {
                "tenant_id": unit.tenant, "event_id": event_id, "type": event.type, "card_id": event.card.id,
                "occurred_at": event.occurred_at, "body": jsonio.dumps(body), "dedupe_key": event.dedupe_key,
                "created_at": unit.now,
            }
        )
    ids = unit.connection.execute(
        insert(WebhookEvent).returning(WebhookEvent.id, sort_by_parameter_order=True), rows
    ).scalars().all()
    unit.connection.execute(
        insert(WebhookDelivery),
        [
            {
                "webhook_id": webhook_id, "event_row_id": row_id, "card_id": event.card.id, "status": PENDING,
                "attempts": 0, "next_attempt_at": unit.now, "created_at": unit.now,
            }
            for event, row_id in zip(events, ids)
            for webhook_id in subscribed[event.type]
        ],
    )


# --- what the delivery worker reads and records (`central/webhook_delivery.py`) -------------


@dataclass(frozen=True)
class Target:
    webhook_id: int
    url: str
    secret: str


@dataclass(frozen=True)
class Pending:
    delivery_id: int
    card_id: int | None
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    event_id: str
    type: str
    body: str


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: DELIVERED, PENDING (to try again at `next_attempt_at`) or FAILED."""

    delivery_id: int
    status: str
    attempts: int
    at: datetime
    status_code: int | None
    error: str | None
    next_attempt_at: datetime


def targets(unit: Unit) -> list[Target]:
    """Every webhook (of every pharmacy) with something still to send."""
    pending = select(WebhookDelivery.webhook_id).where(WebhookDelivery.status == PENDING).distinct()
    rows = unit.connection.execute(
        select(Webhook.id, Webhook.url, Webhook.secret)
        .where(Webhook.id.in_(pending), Webhook.deleted_at.is_(None))
        .order_by(Webhook.id)
    )
    return [Target(*row) for row in rows]


def pending(unit: Unit, webhook_id: int, limit: int) -> list[Pending]:
    """A webhook's pending deliveries in the order their events were written."""
    rows = unit.connection.execute(
        select(
            WebhookDelivery.id, WebhookDelivery.card_id, WebhookDelivery.attempts, WebhookDelivery.next_attempt_at,
            WebhookDelivery.created_at, WebhookEvent.event_id, WebhookEvent.type, WebhookEvent.body,
        )
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_row_id)
        .where(WebhookDelivery.status == PENDING, WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    return [Pending(*row) for row in rows]


def record(unit: Unit, outcomes: list[Outcome]) -> None:
    """What a round's attempts came to (a delivery cancelled meanwhile stays cancelled)."""
    unit.connection.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == bindparam("delivery"), WebhookDelivery.status == PENDING)
        .values(
            status=bindparam("new_status"), attempts=bindparam("tries"), last_attempt_at=bindparam("at"),
            last_status_code=bindparam("code"), last_error=bindparam("error"),
            next_attempt_at=bindparam("next_at"), delivered_at=bindparam("done_at"),
        ),
        [
            {
                "delivery": outcome.delivery_id, "new_status": outcome.status, "tries": outcome.attempts,
                "at": outcome.at, "code": outcome.status_code, "error": outcome.error,
                "next_at": outcome.next_attempt_at, "done_at": outcome.at if outcome.status == DELIVERED else None,
            }
            for outcome in outcomes
        ],
    )


def prune(unit: Unit, before: datetime) -> int:
    """Forget deliveries done with (delivered, failed, cancelled) before `before`, and their events."""
    done = unit.connection.execute(
        WebhookDelivery.__table__.delete().where(
            WebhookDelivery.status != PENDING, WebhookDelivery.created_at < before
        )
    ).rowcount
    still_sent = select(WebhookDelivery.event_row_id)
    unit.connection.execute(
        WebhookEvent.__table__.delete().where(WebhookEvent.created_at < before, WebhookEvent.id.not_in(still_sent))
    )
    return done


def notify_expiring_all(store: Store) -> int:
    """`notify_expiring` for every pharmacy, one transaction each (the daily run)."""
    every = select(Tenant.id).order_by(Tenant.id)
    tenants = store.run(lambda unit: list(unit.connection.execute(every).scalars()), write=False)
    return sum(store.run(notify_expiring, write=True, tenant_id=tenant_id) for tenant_id in tenants)
