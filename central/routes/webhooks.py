"""Webhooks (admin): register a receiver of events, list them, delete one, read its delivery log
(`store/webhooks.py`; `central/webhook_delivery.py` sends them)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from central.auth import Principal, admin
from central.http import json_body, json_object, reply
from central.openapi import contract
from central.schemas import webhooks as shapes
from central.schemas.values import MAX_ID
from central.store import webhooks
from central.store.db import Unit

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

WebhookId = Annotated[int, Path(alias="id", ge=1, le=MAX_ID, description="The webhook's id", examples=[1])]


@router.post(
    "",
    **contract(
        shapes.WebhookShown, 422, token="admin", status=201, body=shapes.WebhookRequest,
        body_examples=("webhook",), ok_examples=("webhookShown",), ok_description="The webhook, registered",
    ),
)
def register(request: Request, principal: Principal = Depends(admin), body: Any = Depends(json_body)) -> Any:
    work = partial(webhooks.create, doc=json_object(body), created_by=principal.performed_by)
    return _run(request, principal, work, write=True, status=201)


@router.get("", **contract(list[shapes.WebhookShown], token="admin", ok_examples=("webhooks",)))
def list_webhooks(request: Request, principal: Principal = Depends(admin)) -> Any:
    return _run(request, principal, webhooks.listing, write=False)


@router.delete("/{id}", **contract(shapes.WebhookShown, 400, 404, token="admin", ok_description="The webhook, deleted"))
def delete(webhook_id: WebhookId, request: Request, principal: Principal = Depends(admin)) -> Any:
    return _run(request, principal, lambda unit: webhooks.delete(unit, webhook_id), write=True)


@router.get("/{id}/deliveries", **contract(shapes.DeliveryPage, 400, 404, token="admin", ok_examples=("deliveries",)))
def deliveries(
    webhook_id: WebhookId,
    request: Request,
    page: int = Query(0, ge=0, le=1_000_000, description="From 0"),
    size: int = Query(50, ge=1, le=500),
    principal: Principal = Depends(admin),
) -> Any:
    return _run(request, principal, lambda unit: webhooks.delivery_log(unit, webhook_id, page, size), write=False)


def _run(request: Request, principal: Principal, work: Callable[[Unit], Any], *, write: bool, status: int = 200) -> Any:
    store = request.app.state.store
    return reply(store.run(work, write=write, tenant_id=principal.tenant_id, snapshot=not write), status)
