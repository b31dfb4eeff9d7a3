"""The dashboard: the period's figures at a glance, from the same store functions as the
Reports routes (`central/store/reports.py`)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from fastapi import APIRouter
from starlette.responses import Response

from central.console import charts
from central.console.web import Visit, page
from central.store import reports
from central.store.db import Unit
from pos_loyalty.amounts import money, points

router = APIRouter()
DEFAULT_DAYS = 14


@router.get("/")
@page
def dashboard(visit: Visit, start: str = "", end: str = "") -> Response:
    def work(unit: Unit) -> dict:
        last = reports.period(None, end, reports.today(unit))[1]
        first, last = reports.period(start or (last - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), last.isoformat(), last)
        return {
            "summary": reports.summary(unit, first, last),
            "liability": reports.liability(unit),
            "top": reports.top_customers(unit, 10),
            "referrals": reports.referrals(unit),
            "tiers": reports.tiers(unit),
        }

    found = visit.read(work)
    summary = found["summary"]
    labels = [f"{day:%d %b}" for day, _figures in summary.days]
    daily = charts.columns(
        "Points issued and redeemed per day",
        labels,
        [
            charts.Series("issued", "bar-a", [points(f.points_issued) for _d, f in summary.days]),
            charts.Series("redeemed", "bar-b", [points(f.points_redeemed) for _d, f in summary.days]),
        ],
        "points",
    )
    deducted = charts.columns(
        "Money paid by points per day",
        labels,
        [charts.Series("paid by points", "bar-c", [money(f.money_deducted) for _d, f in summary.days])],
        "",
        width=charts.HALF,
    )
    tills = charts.rows(
        "Points issued per till", [(name, points(f.points_issued)) for _id, name, f in summary.tills], "points"
    )
    tiers = charts.rows(
        "Cards per tier", [(t["tier"] or "(below the first tier)", Decimal(t["cards"])) for t in found["tiers"]], "cards", "bar-d"
    )
    liability = found["liability"]
    expiring = charts.rows(
        "Points expiring soon",
        [(f"within {e['withinDays']} days", e["points"]) for e in liability["expiring"]],
        "points",
        "bar-b",
    )
    return visit.render(
        "dashboard.html",
        summary=summary,
        total=summary.total.to_json(),
        days=[(day, figures.to_json()) for day, figures in summary.days],
        tills=[(name, figures.to_json()) for _id, name, figures in summary.tills],
        liability=liability,
        top=found["top"],
        referrals=found["referrals"],
        tier_counts=found["tiers"],
        charts={"daily": daily, "deducted": deducted, "tills": tills, "tiers": tiers, "expiring": expiring},
    )
