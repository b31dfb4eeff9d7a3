"""Sync routes for tills (device tokens): push mutations, pull changes, more card numbers."""

from __future__ import annotations

import asyncio
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
from central.store.tenants import allocate_block

router = APIRouter(prefix="/sync", tags=["sync"])

#: A push waits at most this long for its group (the till's own timeout should be longer).
PUSH_TIMEOUT_SECONDS = 120


@router.post("/push", **contract(shapes.PushAnswer, 409, body=shapes.PushRequest, token="device"))
async def push(
    request: Request, principal: Principal = Depends(device), body: Any = Depends(unchecked_json_body)
) -> Any:
    """Queued for the worker's applier thread (group commit); awaited, holding no thread.

    The input rules are applied to the envelope here, and to each mutation's payload on
    its own (`pushes.parse_batch`): a malformed mutation is rejected, not the batch."""
    batch = pushes.parse_batch(body)
    waiting = request.app.state.push_queue.submit(
        principal.tenant_id, pushes.Push(principal.device_id, principal.name, batch)
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
    answer = request.app.state.store.run(
        lambda unit: pulls.pull(unit, principal.device_id, cursor, limit),
        write=False,
        snapshot=True,
        tenant_id=principal.tenant_id,
    )
    return reply(answer)


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
