"""A till's sync (`sync-protocol.md`): push, pull, card blocks, and the flags."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from central.schemas.cards import Card
from central.schemas.config import Config
from central.schemas.holds import PulledHold
from central.schemas.values import MAX_ID, Closed, Figure, Open, Page
from central.store.push import APPLIERS

#: The kinds the service applies (`central/store/push.py`); another kind is answered
#: `rejected`, as a mutation the service cannot apply.
MutationKind = Annotated[
    str,
    WithJsonSchema({"type": "string", "enum": sorted(APPLIERS), "description": "Another kind is answered rejected"}),
]


class Mutation(Open):
    mutationId: str = Field(min_length=1, max_length=64)
    deviceSeq: int = Field(ge=1, le=MAX_ID, description="Gapless per till; a push's are consecutive")
    kind: MutationKind
    payload: dict[str, Any]
    configVersion: int | None = Field(None, description="The configuration version the till worked with")
    createdAt: Any = Field(None, description="When the till made it (kept by the till; the service does not read it)")


class PushRequest(Open):
    mutations: list[Mutation] = Field(min_length=1, max_length=1000)


class MutationError(Closed):
    code: str
    message: str


class MutationResult(Closed):
    mutationId: str
    deviceSeq: int
    status: Literal["applied", "duplicate", "rejected"]
    originalStatus: Literal["applied", "rejected"] | None = Field(None, description="For a duplicate")
    error: MutationError | None = None


class PushAnswer(Closed):
    results: list[MutationResult]
    lastAppliedSeq: int


class ConfigChange(Closed):
    type: Literal["config"]
    op: Literal["upsert"]
    version: int
    config: Config


class Lot(Closed):
    expiresAt: datetime
    points: Figure = Field(description="What is left in the lot")


class PulledCard(Card):
    """A card as a till keeps it: with what it needs to keep expired points unavailable offline."""

    heldPoints: Figure
    expiringPoints: Figure
    nextExpiryAt: datetime | None
    lots: list[Lot] = Field(description="The open lots, oldest first (none when points never expire)")
    holds: list[PulledHold] = Field(description="The active holds, soonest to lapse first: held until expiresAt")


class CardChange(Closed):
    type: Literal["card"]
    op: Literal["upsert"]
    card: PulledCard


class CardBlock(Closed):
    prefix: str
    block: int


class PullDevice(Closed):
    id: int
    name: str
    tenantId: int
    cardBlocks: list[CardBlock]


class PullAnswer(Closed):
    changes: list[Annotated[ConfigChange | CardChange, Field(discriminator="type")]]
    cursor: str = Field(description="Send it back as `cursor` for the next page")
    hasMore: bool
    appliedSeq: int = Field(description="This till's lastAppliedSeq, read with the page")
    device: PullDevice


class Flag(Closed):
    id: int
    kind: str = Field(description="OVERDRAFT, RULES_MISMATCH, DUPLICATE_CUSTOMER, REFERRER_UNKNOWN, ...")
    message: str
    cardId: int | None
    cardNumber: str | None
    billId: str | None
    deviceId: int | None
    mutationId: str | None
    details: dict[str, Any]
    createdAt: datetime
    resolvedAt: datetime | None = Field(description="When someone dealt with it (a merge resolves DUPLICATE_CUSTOMER)")
    resolvedBy: str | None


class FlagPage(Page):
    content: list[Flag]
