"""The configuration page: the pharmacy's configuration as a form, saved through the same
validation as `PUT /card-config` (`rules.config.config_from_json`, then
`store/config.save` as the next version, which every till pulls).

The form's fields are named after the document: `pointsToAmountRate`, and for the lists
`tiers.0.name`, `tiers.0.minLifetimePoints`, ... with a `remove` box per row and empty rows
to add one. What the configuration refuses is shown beside the field it names, with what
was typed kept, and nothing is saved.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from central.console.web import Visit, page, redirect
from central.store import config as configs
from central.store.db import Unit
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.rules.config import config_from_json, config_to_json

router = APIRouter()
BLANK_ROWS = 2
#: The settings: (field, label, kind) with kind "bool", "int" or "text" (a figure is text).
SETTINGS = (
    ("isEnabled", "The programme is on", "bool"),
    ("pointsToAmountRate", "Money per point", "text"),
    ("maxRedemptionPercent", "Most of a bill points may pay (%)", "text"),
    ("referralPointsPercent", "Referrer earns (% of the referred customer's bill)", "text"),
    ("minPointsToRedeem", "Fewest points a customer may redeem", "text"),
    ("pointsExpiryDays", "Points expire after (days; 0 = never)", "int"),
    ("offlineGraceSeconds", "A till counts as offline after (seconds without sync)", "int"),
    ("offlineRedemptionLimitPoints", "Most points a card may redeem a day while its till is offline", "text"),
    ("timeZone", "The pharmacy's time zone", "text"),
)
#: The lists: (field, title, columns); a column is (field, label, kind) with kind "bool",
#: "int", "ints" (numbers separated by commas), "text", or "optional" (text left out when empty).
LISTS = (
    ("categoryPointConfigs", "Points per category", (
        ("categoryId", "Category no.", "int"), ("categoryName", "Name", "text"), ("pointPercentage", "Points (%)", "text"),
        ("isActive", "Active", "bool"), ("isRedeemable", "Points may pay", "bool"))),
    ("categoryDiscounts", "Discounts per category", (
        ("categoryId", "Category no.", "int"), ("categoryName", "Name", "optional"),
        ("discountPercentage", "Discount (%)", "text"), ("isActive", "Active", "bool"))),
    ("tiers", "Tiers (lowest first; the first from 0 points)", (
        ("name", "Name", "text"), ("minLifetimePoints", "From lifetime points", "text"),
        ("earnMultiplier", "Earn multiplier", "optional"), ("maxRedemptionPercent", "Most of a bill (%)", "optional"))),
    ("promotions", "Promotions", (
        ("promotionId", "No.", "int"), ("name", "Name", "text"), ("isActive", "Active", "bool"),
        ("startsOn", "From (YYYY-MM-DD)", "text"), ("endsOn", "To (YYYY-MM-DD)", "text"),
        ("daysOfWeek", "Days (1 = Mon; empty = every day)", "ints"), ("categoryIds", "Categories (empty = all)", "ints"),
        ("multiplier", "Multiplier", "text"))),
    ("rewards", "Reward products (bought with points)", (
        ("rewardId", "Code", "text"), ("name", "Name", "text"), ("pointsPrice", "Points", "text"), ("isActive", "Active", "bool"))),
)
_INDEX = re.compile(r"\[(\d+)\]")


@router.get("/config")
@page
def config_page(visit: Visit, done: str = "") -> Response:
    document = visit.read(lambda unit: config_to_json(configs.current(unit)))
    return _render(visit, shown(document), document.get("version"), notice="The configuration is saved." if done else None)


@router.post("/config")
@page
def save_config(visit: Visit) -> Response:
    document = from_form(visit.form)

    def work(unit: Unit) -> int:
        return configs.save(unit, config_from_json(document), visit.session.performed_by).version

    try:
        visit.write(work)
    except LoyaltyError as problem:
        problems = problem.details.get("problems") or [{"field": problem.details.get("field"), "message": problem.message}]
        version = visit.read(lambda unit: configs.current(unit).version)
        return _render(visit, as_typed(visit.form), version, problems=problems, status=400)
    return redirect("/console/config", "saved")


def _render(visit: Visit, values: dict[str, Any], version: Any, status: int = 200, **extra: Any) -> Response:
    fields = {_INDEX.sub(r".\1", p["field"]) for p in extra.get("problems", []) if p.get("field")}
    return visit.render(
        "config.html", status=status, values=values, version=version, settings=SETTINGS, lists=LISTS, bad=fields, **extra
    )


# --- the document and the form ---------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def shown(document: dict[str, Any]) -> dict[str, Any]:
    """The document as the form shows it: every value as text, blank rows added to the lists."""
    values: dict[str, Any] = {name: _text(document.get(name)) for name, _label, _kind in SETTINGS}
    for name, _title, columns in LISTS:
        rows = [{field: _text(entry.get(field)) for field, _l, _k in columns} for entry in document.get(name, [])]
        values[name] = rows + [_blank(columns) for _ in range(BLANK_ROWS)]
    return values


def _blank(columns: tuple) -> dict[str, str]:
    return {field: ("on" if field in ("isActive", "isRedeemable") else "") for field, _label, _kind in columns}


def as_typed(form: dict[str, str]) -> dict[str, Any]:
    """What was posted, as the form shows it again (with its blank rows)."""
    values: dict[str, Any] = {name: form.get(name, "") for name, _label, _kind in SETTINGS}
    for name, _title, columns in LISTS:
        rows = []
        for index in _indexes(form, name):
            row = {field: form.get(f"{name}.{index}.{field}", "") for field, _l, _k in columns}
            row["remove"] = form.get(f"{name}.{index}.remove", "")
            rows.append(row)
        values[name] = [row for row in rows if _filled(row, columns)] + [_blank(columns) for _ in range(BLANK_ROWS)]
    return values


def from_form(form: dict[str, str]) -> dict[str, Any]:
    """The configuration document a posted form gives: what `config_from_json` reads."""
    document: dict[str, Any] = {}
    for name, _label, kind in SETTINGS:
        document[name] = _value(form.get(name, ""), kind)
    for name, _title, columns in LISTS:
        entries = []
        for index in _indexes(form, name):
            row = {field: form.get(f"{name}.{index}.{field}", "") for field, _l, _k in columns}
            if form.get(f"{name}.{index}.remove") or not _filled(row, columns):
                continue
            entry = {field: _value(row[field], kind) for field, _l, kind in columns}
            entries.append({field: value for field, value in entry.items() if value is not None})
        document[name] = entries
    return document


def _indexes(form: dict[str, str], name: str) -> list[int]:
    found = {int(key.split(".")[1]) for key in form if key.startswith(name + ".") and key.split(".")[1].isdigit()}
    return sorted(found)[:500]


def _filled(row: dict[str, str], columns: tuple) -> bool:
    return any(row.get(field, "").strip() for field, _label, kind in columns if kind != "bool")


def _value(text: str, kind: str) -> Any:
    text = text.strip()
    if kind == "bool":
        return text == "on"
    if kind == "int":
        return int(text) if text.isdigit() else text
    if kind == "ints":
        parts = [part for part in re.split(r"[,\s]+", text) if part]
        return [int(part) if part.isdigit() else part for part in parts] or None
    if kind == "optional":
        return text or None
    return text
