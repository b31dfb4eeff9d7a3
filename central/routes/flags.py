"""`GET /flags` (admin): what the service applied but a person should review."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from central.auth import Principal, admin
from central.http import reply
from central.openapi import contract
from central.schemas import sync as shapes
from central.store import flags as flag_store

router = APIRouter(tags=["flags"])


@router.get("/flags", **contract(shapes.FlagPage, 400, token="admin"))
def list_flags(
    request: Request,
    kind: str | None = Query(None, max_length=32),
    page: int = Query(0, ge=0, le=1_000_000),
    size: int = Query(50, ge=1, le=500),
    principal: Principal = Depends(admin),
) -> Any:
    answer = request.app.state.store.run(
        lambda unit: flag_store.listing(unit, kind=kind, page=page, size=size),
        write=False,
        tenant_id=principal.tenant_id,
    )
    return reply(answer)
