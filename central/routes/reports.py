"""Reports routes (admin): the head office's figures (`central-api.md`, wave 2: Reports).

Each is one read-only snapshot of the caller's pharmacy (`central/store/reports.py`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from central.auth import Principal, admin
from central.http import reply
from central.openapi import contract
from central.schemas import reports as shapes
from central.store import reports
from central.store.db import Unit

router = APIRouter(prefix="/reports", tags=["reports"])

_ADMIN = {"token": "admin"}


def _read(request: Request, principal: Principal, work) -> Any:  # type: ignore[no-untyped-def]
    answer = request.app.state.store.run(work, write=False, snapshot=True, tenant_id=principal.tenant_id)
    return reply(answer)


@router.get("/summary", **contract(shapes.Summary, 400, **_ADMIN))
def summary(
    request: Request,
    from_: str | None = Query(None, alias="from", max_length=10, description="The first day (default: 29 days before to)"),
    to: str | None = Query(None, max_length=10, description="The last day, included (default: today)"),
    principal: Principal = Depends(admin),
) -> Any:
    """Points issued, redeemed, returned, refunded, expired and adjusted, money deducted and
    bills, per day (at most 366) and per till."""

    def work(unit: Unit) -> dict[str, Any]:
        first, last = reports.period(from_, to, reports.today(unit))
        return reports.summary(unit, first, last).to_json()

    return _read(request, principal, work)


@router.get("/liability", **contract(shapes.Liability, **_ADMIN))
def liability(request: Request, principal: Principal = Depends(admin)) -> Any:
    """Outstanding points, their money value at the current rate, what expires in 30, 60, 90 days."""
    return _read(request, principal, reports.liability)


@router.get("/top-customers", **contract(list[shapes.TopCustomer], 400, **_ADMIN))
def top_customers(
    request: Request,
    limit: int = Query(10, ge=1, le=reports.MAX_LIMIT),
    principal: Principal = Depends(admin),
) -> Any:
    """The cards that earned most points on bills, with what their bills paid."""
    return _read(request, principal, lambda unit: reports.top_customers(unit, limit))


@router.get("/referrals", **contract(shapes.Referrals, **_ADMIN))
def referrals(request: Request, principal: Principal = Depends(admin)) -> Any:
    """Referrers, the cards they referred, what those paid, and the referral points."""
    return _read(request, principal, reports.referrals)
