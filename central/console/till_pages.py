"""Tills (when each last synced, what waits for a manager) and CSV exports of every table."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter
from sqlalchemy import Table, func, select
from starlette.responses import Response, StreamingResponse

from central.console.web import Visit, page
from central.store import config as configs
from central.store.db import Unit
from central.store.flags import MUTATION_REJECTED
from central.store.models import (
    Bill, BillReturn, Card, CategoryDiscount, CategoryPointConfig, ConfigVersion, Device, Flag, FlagResolution,
    PointTransaction, StaffAccount, SyncMutation, TierRow,
)
from pos_loyalty.amounts import RATE_PLACES, money, percent, points, to_decimal

router = APIRouter()


@router.get("/tills")
@page
def tills(visit: Visit) -> Response:
    def work(unit: Unit) -> dict[str, Any]:
        waiting = dict(
            unit.connection.execute(
                select(Flag.device_id, func.count())
                .where(Flag.tenant_id == unit.tenant, Flag.kind == MUTATION_REJECTED, Flag.resolved_at.is_(None))
                .group_by(Flag.device_id)
            ).all()
        )
        last_bill = (
            select(Bill.config_version)
            .where(Bill.tenant_id == unit.tenant, Bill.device_id == Device.id)
            .order_by(Bill.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        rows = unit.connection.execute(
            select(Device, last_bill.label("bill_version")).where(Device.tenant_id == unit.tenant).order_by(Device.name)
        ).all()
        return {"rows": rows, "waiting": waiting, "version": configs.current(unit).version}

    found = visit.read(work)
    return visit.render("tills.html", **found)


# --- exports ---------------------------------------------------------------------------------

_POINTS = {"points", "balance_after", "points_balance", "total_points_earned", "total_points_redeemed",
           "total_referral_points_earned", "moved_earned", "moved_redeemed", "moved_referral", "min_lifetime_points",
           "min_points_to_redeem", "offline_redemption_limit_points"}
_MONEY = {"bill_amount", "payable"}
_PERCENT = {"point_percentage", "discount_percentage", "max_redemption_percent", "referral_points_percent",
            "earn_multiplier"}
#: Left out of every export: secrets and what only the service needs.
_SECRET = {"password_hash", "token_hash", "csrf_token", "request_hash"}


def _shown(name: str, value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if name in _POINTS:
        return points(value)
    if name in _MONEY:
        return money(value)
    if name in _PERCENT:
        return percent(value)
    if name == "points_to_amount_rate":
        return to_decimal(value, RATE_PLACES)
    return value


def _tenant(table: Table) -> Callable[[Unit], Any]:
    return lambda unit: table.c.tenant_id == unit.tenant


def _of_configs(table: Table) -> Callable[[Unit], Any]:
    return lambda unit: table.c.config_id.in_(select(ConfigVersion.id).where(ConfigVersion.tenant_id == unit.tenant))


#: Each table a manager may export: its file name, the rows of the pharmacy, what it holds.
EXPORTS = {
    name: (model.__table__, where(model.__table__), words)
    for name, model, where, words in (
        ("cards", Card, _tenant, "Every card with its customer, balance and totals"),
        ("point_transactions", PointTransaction, _tenant, "The ledger: every movement of points"),
        ("bills", Bill, _tenant, "Every bill the service knows, with what the till recorded"),
        ("bill_returns", BillReturn, _tenant, "What came back of each bill"),
        ("flags", Flag, _tenant, "Flags and conflicts"),
        ("flag_resolutions", FlagResolution, _tenant, "How each flag was resolved, and the note"),
        ("devices", Device, _tenant, "Tills and billing integrations"),
        ("sync_mutations", SyncMutation, _tenant, "What became of each change a till pushed"),
        ("config_versions", ConfigVersion, _tenant, "Every saved configuration"),
        ("category_point_configs", CategoryPointConfig, _of_configs, "Points per category, per configuration"),
        ("category_discounts", CategoryDiscount, _of_configs, "Discounts per category, per configuration"),
        ("tiers", TierRow, _of_configs, "Tiers, per configuration"),
        ("staff_accounts", StaffAccount, _tenant, "The console's staff accounts (never their passwords)"),
    )
}


@router.get("/exports")
@page
def exports(visit: Visit) -> Response:
    return visit.render("exports.html", exports={name: words for name, (_t, _w, words) in EXPORTS.items()})


@router.get("/exports/{name}.csv")
@page
def export(visit: Visit, name: str) -> Response:
    from central.http import not_found

    if name not in EXPORTS:
        raise not_found(f"table {name}")
    table, where, _words = EXPORTS[name]
    columns = [column for column in table.columns if column.name not in _SECRET]
    store, tenant = visit.store, visit.session.tenant_id

    def lines() -> Iterator[str]:
        """The rows a thousand at a time from one read transaction, streamed as they come."""
        buffer = io.StringIO()
        out = csv.writer(buffer)
        out.writerow([column.name for column in columns])
        with store.engine.connect() as connection:
            if store.is_sqlite:
                connection.exec_driver_sql("BEGIN")
            unit = Unit(connection, store.clock(), tenant, {})
            statement = select(*columns).where(where(unit)).order_by(table.c.id)
            for row in connection.execution_options(yield_per=1000).execute(statement):
                out.writerow([_shown(column.name, value) for column, value in zip(columns, row)])
                if buffer.tell() > 64_000:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            connection.rollback()
        yield buffer.getvalue()

    disposition = f'attachment; filename="{name}-{visit.session.tenant_id}.csv"'
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition})
