"""Webhooks (`central-api.md`, Webhooks, admin): receivers of events, and each one's delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from central.schemas.values import Closed, Page
from central.store.webhooks import EVENTS, MAX_SECRET, MAX_URL, MIN_SECRET

EventType = Literal[EVENTS]  # type: ignore[valid-type]


class WebhookRequest(Closed):
    url: Annotated[str, Field(min_length=8, max_length=MAX_URL, pattern=r"^https?://[^\s/@]+(/\S*)?$")] = Field(
        description="Where each event is POSTed: http:// or https://"
    )
    events: list[EventType] = Field(min_length=1, max_length=len(EVENTS))
    secret: Annotated[str, Field(min_length=MIN_SECRET, max_length=MAX_SECRET, pattern=r"^[\x20-\x7e]+$")] = Field(
        description="Signs each delivery: X-Loyalty-Signature: sha256=<hex HMAC-SHA256 of the body with it>; "
        "never shown again"
    )


class WebhookShown(Closed):
    id: int
    url: str
    events: list[EventType]
    createdAt: datetime
    createdBy: str | None
    deletedAt: datetime | None = Field(description="Deleted: no more events; its log stays readable")


class Delivery(Closed):
    id: int
    eventId: str = Field(description="The event's id: a receiver deduplicates by it")
    type: EventType
    cardNumber: str | None
    occurredAt: datetime
    status: Literal["PENDING", "DELIVERED", "FAILED", "CANCELLED"] = Field(
        description="PENDING: to be sent (again); FAILED: given up after 24 hours of retries; "
        "CANCELLED: the webhook was deleted"
    )
    attempts: int
    lastAttemptAt: datetime | None
    lastStatusCode: int | None = Field(description="The receiver's HTTP status at the last attempt (null: no answer)")
    lastError: str | None
    nextAttemptAt: datetime | None
    deliveredAt: datetime | None


class DeliveryPage(Page):
    content: list[Delivery]


def examples() -> dict[str, tuple[str, Any]]:
    shown = {
        "id": 1,
        "url": "https://sms-bridge.example.com/loyalty",
        "events": ["points.earned", "points.redeemed", "tier.changed"],
        "createdAt": "2026-01-05T09:30:00.000000Z",
        "createdBy": "admin:Pharmacy 1 admin",
        "deletedAt": None,
    }
    return {
        "webhook": (
            "The pharmacy's SMS bridge, told of points earned and redeemed and of tiers",
            {"url": shown["url"], "events": shown["events"], "secret": "a-long-random-secret-of-the-pharmacy"},
        ),
        "webhookShown": ("A webhook (never its secret)", shown),
        "webhooks": ("The pharmacy's webhooks", [shown]),
        "deliveries": (
            "A webhook's deliveries, newest first",
            {
                "content": [
                    {
                        "id": 2,
                        "eventId": "3f1c2a4e-8d6b-4b8e-9a57-0c1d2e3f4a5b",
                        "type": "points.earned",
                        "cardNumber": "CARD001",
                        "occurredAt": "2026-01-06T11:02:41.518204Z",
                        "status": "DELIVERED",
                        "attempts": 2,
                        "lastAttemptAt": "2026-01-06T11:02:43.101000Z",
                        "lastStatusCode": 200,
                        "lastError": None,
                        "nextAttemptAt": None,
                        "deliveredAt": "2026-01-06T11:02:43.101000Z",
                    }
                ],
                "page": 0,
                "size": 20,
                "totalElements": 1,
                "totalPages": 1,
            },
        ),
    }
