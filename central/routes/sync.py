"""Sync routes for tills (device tokens): push mutations, pull changes, more card numbers."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from central import limits
from central.auth import Principal, device
from central.http import reply, unchecked_json_body
from central.openapi import contract
from central.schemas import sync as shapes
from central.store import flags as flag_store
from central.store import pull as pulls
from central.store import push as pushes
from central.store.db import Unit
from central.store.models import Device
from sqlalchemy import select, update
from central.store.tenants import allocate_block

router = APIRouter(prefix="/sync", tags=["sync"])
log = logging.getLogger("central.sync")

#: A push waits at most this long for its group (the till's own timeout should be longer).
PUSH_TIMEOUT_SECONDS = 120
#: A till's `User-Agent: pos-loyalty/VERSION`: the version as PEP 440 spells one, at most 32 characters.
_AGENT = re.compile(r"pos-loyalty/([0-9A-Za-z][0-9A-Za-z.+!_-]{0,31})(?:\s.*)?", re.ASCII | re.DOTALL)
MAX_AGENT = 200
MAX_PENDING = 1_000_000_000
#: A pull writes what the till said only when it changed, or this long after the last pull written.
PULL_RECORD_SECONDS = 60


def till_report(request: Request) -> pushes.TillReport:
    """What the till says of itself (`User-Agent`, `X-Pending-Mutations`); a value that is not
    what a till sends (not a whole number, negative, huge, an overlong agent) is ignored."""
    agent = request.headers.get("user-agent", "")
    found = _AGENT.fullmatch(agent) if len(agent) <= MAX_AGENT else None
    raw = request.headers.get("x-pending-mutations", "").strip()
    pending = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 10 else None
    if pending is not None and pending > MAX_PENDING:
        pending = None
    return pushes.TillReport(found.group(1) if found else None, pending)


@router.post("/push", **contract(shapes.PushAnswer, 409, body=shapes.PushRequest, token="device"))
async def push(
    request: Request, principal: Principal = Depends(device), body: Any = Depends(unchecked_json_body)
) -> Any:
    """Queued for the worker's applier thread (group commit); awaited, holding no thread.

    The input rules are applied to the envelope here, and to each mutation's payload on
    its own (`pushes.parse_batch`): a malformed mutation is rejected, not the batch."""
    batch = pushes.parse_batch(body)
    waiting = request.app.state.push_queue.submit(
        principal.tenant_id, pushes.Push(principal.device_id, principal.name, batch, till_report(request))
    )
    return reply(await asyncio.wait_for(asyncio.wrap_future(waiting), PUSH_TIMEOUT_SECONDS))


@router.get("/pull", **contract(shapes.PullAnswer, 400, 410, 429, token="device"))
def pull(
    request: Request,
    cursor: str = Query("0", max_length=200, description="0, or the cursor of the last page"),
    limit: int = Query(pulls.DEFAULT_LIMIT, ge=1, le=pulls.MAX_LIMIT, description="Changes per page"),
    principal: Principal = Depends(device),
) -> Any:
    request.app.state.page_buckets.take(principal.device_id, "pages")
    report = till_report(request)

    def work(unit: Unit) -> tuple[dict[str, Any], bool]:
        answer = pulls.pull(unit, principal.device_id, cursor, limit)
        known = unit.connection.execute(
            select(Device.last_pull_at, Device.app_version, Device.pending_mutations).where(
                Device.id == principal.device_id
            )
        ).one()
        stale = known.last_pull_at is None or unit.now - known.last_pull_at >= timedelta(seconds=PULL_RECORD_SECONDS)
        changed = (report.app_version not in (None, known.app_version)) or (
            report.pending not in (None, known.pending_mutations)
        )
        return answer, stale or changed

    store = request.app.state.store
    answer, worth_recording = store.run(work, write=False, snapshot=True, tenant_id=principal.tenant_id)
    if worth_recording:
        try:
            store.run(lambda unit: _record_pull(unit, principal.device_id, report), write=True, tenant_id=principal.tenant_id)
        except Exception:  # noqa: BLE001  (the tills page may wait for the next pull; the page may not)
            log.warning("could not record till %s's pull", principal.device_id, exc_info=True)
    return reply(answer)


def _record_pull(unit: Unit, device_id: int, report: pushes.TillReport) -> None:
    """When the till last pulled and what it said then: one UPDATE, in its own short write."""
    values: dict[str, Any] = {"last_pull_at": unit.now}
    if report.app_version is not None:
        values["app_version"] = report.app_version
    if report.pending is not None:
        values["pending_mutations"] = report.pending
    unit.connection.execute(update(Device).where(Device.id == device_id, Device.tenant_id == unit.tenant).values(**values))


@router.post(
    "/card-blocks", **contract(shapes.CardBlock, 429, status=201, token="device", ok_description="A new block")
)
def more_card_numbers(request: Request, principal: Principal = Depends(device)) -> Any:
    """Another block of 100,000 card numbers for this till (when its own run out)."""

    def work(unit: Unit) -> dict[str, Any]:
        limits.check_card_blocks(unit, principal.device_id)
        block = allocate_block(unit, principal.device_id)
        return {"prefix": block.prefix, "block": block.block}

    return reply(request.app.state.store.run(work, write=True, tenant_id=principal.tenant_id), 201)


@router.get("/flags", **contract(shapes.FlagPage, 400, token="device"))
def my_flags(
    request: Request,
    page: int = Query(0, ge=0, le=1_000_000),
    size: int = Query(50, ge=1, le=500),
    principal: Principal = Depends(device),
) -> Any:
    """The flags raised about this till's own mutations (its manager sees them at the till)."""
    answer = request.app.state.store.run(
        lambda unit: flag_store.listing(unit, kind=None, page=page, size=size, device_id=principal.device_id),
        write=False,
        tenant_id=principal.tenant_id,
    )
    return reply(answer)
