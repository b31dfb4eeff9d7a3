"""Flags and conflicts: what the service applied but a person should look at, each resolved
with an action and a note.

The actions that change something do it through the store functions the API uses: a
duplicate customer's cards merged (`card_lifecycle.merge`), an overdraft written off with a
manager's adjustment (`card_admin.adjust`), a till's configuration value taken instead of
the service's (`rules.config_fields` merge and the configuration's own validation, as
`PUT /card-config`). Every resolution records who, when, the action and the note
(`flag_resolutions`), and marks the flag resolved (`flags.resolved_at`, `resolved_by`),
which is what a till's status reads for its rejected changes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, insert, select, update
from starlette.responses import Response

from central.console.web import Visit, page, redirect, whole
from central.store import card_admin, card_lifecycle, cards
from central.store import config as configs
from central.store.db import Unit
from central.store.flags import CONFIG_CONFLICT, DUPLICATE_CUSTOMER, OVERDRAFT
from central.store.ledger import Postings
from central.store.models import Card, Device, Flag, FlagResolution
from pos_loyalty import customer, jsonio
from pos_loyalty.amounts import points
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.rules.config import config_from_json, config_to_json
from pos_loyalty.rules.config_fields import flatten, unflatten

router = APIRouter()
PAGE = 25
NOTED = "noted"
#: The actions each kind of flag offers: (action, what the button says).
ACTIONS = {
    OVERDRAFT: [("write-off", "Write the overdraft off (adjust the card to 0)"), (NOTED, "Accept as it is")],
    DUPLICATE_CUSTOMER: [("merge", "Merge the cards into the first one"), ("keep-both", "Keep both cards")],
    CONFIG_CONFLICT: [("keep-server", "Keep the service's value"), ("take-till", "Take the till's value")],
}
DEFAULT_ACTIONS = [(NOTED, "Looked at; nothing to change")]


def actions_for(kind: str) -> list[tuple[str, str]]:
    return ACTIONS.get(kind, DEFAULT_ACTIONS)


@router.get("/flags")
@page
def flags(visit: Visit, show: str = "open", kind: str = "", page_number: int = 0, done: str = "") -> Response:
    return _flags_page(visit, show, kind, whole(page_number, 0, 0, 100_000), notice="The flag is resolved." if done else None)


def _flags_page(visit: Visit, show: str, kind: str, number: int, **extra: Any) -> Response:
    def work(unit: Unit) -> dict[str, Any]:
        where = [Flag.tenant_id == unit.tenant]
        if show != "all":
            where.append(Flag.resolved_at.is_(None))
        if kind:
            where.append(Flag.kind == kind[:32])
        total = unit.connection.execute(select(func.count()).select_from(Flag).where(*where)).scalar_one()
        rows = unit.connection.execute(
            select(Flag, Card.card_number, Device.name.label("till"), FlagResolution.action, FlagResolution.note)
            .outerjoin(Card, Card.id == Flag.card_id)
            .outerjoin(Device, Device.id == Flag.device_id)
            .outerjoin(FlagResolution, FlagResolution.flag_id == Flag.id)
            .where(*where)
            .order_by(Flag.id.desc())
            .offset(number * PAGE)
            .limit(PAGE)
        ).all()
        kinds = list(unit.connection.execute(select(Flag.kind).distinct().where(Flag.tenant_id == unit.tenant)).scalars())
        return {"total": total, "rows": [_shown(row) for row in rows], "kinds": sorted(kinds)}

    found = visit.read(work)
    return visit.render("flags.html", show=show, kind=kind, page_number=number, page_size=PAGE, **found, **extra)


def _shown(row: Any) -> dict[str, Any]:
    details = jsonio.loads(row.details_json)
    return {
        "id": row.id, "kind": row.kind, "message": row.message, "card_id": row.card_id, "card_number": row.card_number,
        "bill_id": row.bill_id, "till": row.till, "created_at": row.created_at, "resolved_at": row.resolved_at,
        "resolved_by": row.resolved_by, "action": row.action, "note": row.note, "actions": actions_for(row.kind),
        "details": {key: value for key, value in details.items() if key != "payload"},
        "payload": jsonio.dumps(details["payload"]) if "payload" in details else None,
    }


@router.post("/flags/{flag_id}/resolve")
@page
def resolve(visit: Visit, flag_id: int) -> Response:
    action, note = visit.form.get("action", ""), visit.form.get("note")
    try:
        visit.write(lambda unit: resolve_flag(unit, flag_id, action, note, visit.session.performed_by))
    except LoyaltyError as problem:
        return _flags_page(
            visit, visit.form.get("show", "open"), "", 0, problem=problem.message, problem_flag=flag_id,
            entered=visit.form, status=400 if isinstance(problem, InvalidInput) else 409,
        )
    return redirect("/console/flags", "resolved")


def resolve_flag(unit: Unit, flag_id: int, action: str, note: object, by: str) -> None:
    """Take `action` on the flag and record it with the note; refused if already resolved."""
    flag = unit.connection.execute(
        select(Flag).where(Flag.tenant_id == unit.tenant, Flag.id == flag_id).with_for_update()
    ).first()
    if flag is None:
        raise LoyaltyError("NOT_FOUND", f"No flag {flag_id} here")
    if flag.resolved_at is not None:
        raise LoyaltyError("ALREADY_RESOLVED", f"This flag was already resolved by {flag.resolved_by}")
    if action not in {name for name, _words in actions_for(flag.kind)}:
        raise InvalidInput("action", "Choose one of the actions offered for this flag")
    said = customer.text(note, "note", required=True, limit=1000)
    details = jsonio.loads(flag.details_json)
    if action == "write-off":
        _write_off(unit, flag, said, by)
    elif action == "merge":
        _merge(unit, flag, details, by)
    elif action == "take-till":
        _take_till_value(unit, details, by)
    unit.connection.execute(update(Flag).where(Flag.id == flag.id).values(resolved_at=unit.now, resolved_by=by))
    unit.connection.execute(
        insert(FlagResolution).values(
            tenant_id=unit.tenant, flag_id=flag.id, action=action, note=said, resolved_by=by, resolved_at=unit.now
        )
    )


def _write_off(unit: Unit, flag: Any, note: str, by: str) -> None:
    card = cards.by_id(unit, flag.card_id, lock=True)
    if card.replaced_by_card_id is not None:
        card = cards.by_id(unit, card.replaced_by_card_id, lock=True)
    if card.points_balance >= 0:
        raise LoyaltyError("NOTHING_TO_WRITE_OFF", f"Card {card.card_number} is no longer below zero; choose 'Accept'")
    postings = Postings(unit)
    card_admin.adjust(unit, postings, card, points(-card.points_balance), f"Overdraft written off: {note}", performed_by=by)
    postings.flush()


def _merge(unit: Unit, flag: Any, details: dict[str, Any], by: str) -> None:
    numbers = [n for n in details.get("cardNumbers") or [] if isinstance(n, str)]
    if len(numbers) < 2:
        raise LoyaltyError("NOT_MERGEABLE", "This flag does not name two cards")
    found = [cards.by_number(unit, number) for number in numbers]
    locked = cards.lock(unit, [card.id for card in found])
    keep, postings = locked[found[0].id], Postings(unit)
    for other in found[1:]:
        if other.id != keep.id and locked[other.id].replaced_by_card_id is None:
            card_lifecycle.merge(unit, postings, keep, locked[other.id], performed_by=by)
    postings.flush()


def _take_till_value(unit: Unit, details: dict[str, Any], by: str) -> None:
    """The till's value of the field in conflict, saved as the next configuration version
    (validated whole, as any other change of it)."""
    fields = flatten(config_to_json(configs.current(unit)))
    fields[details["field"]] = details.get("tillValue")
    fields = {name: value for name, value in fields.items() if value is not None}
    configs.save(unit, config_from_json(unflatten(fields)), by)
