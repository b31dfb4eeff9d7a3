"""Part of a bill comes back at the till: preview, then return (once per returnId).

A return is one SQLite transaction: the REVERSED rows the rule gives (`rules/returns.py`),
both cards' figures, the return's record, and its `bill.returned` outbox mutation. The
bill's state is what its earlier returns at this till left; the central service applies
the same rule to its own record of the bill and flags a difference.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from pos_loyalty import bill_numbers, errors, jsonio
from pos_loyalty.amounts import QUANTITY_PLACES, money, parse_money, parse_scaled, points, to_decimal
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.replica.db import Replica, UnitOfWork
from pos_loyalty.replica.models import Bill, BillReturn
from pos_loyalty.rules.bill import BillLine, BillRequest, bill_from_json, parse_bill_id
from pos_loyalty.rules.returns import (
    Kept,
    ReturnFigures,
    ReturnLineAsk,
    RewardAsk,
    SoldBill,
    parse_return_id,
    return_figures,
    return_postings,
    take_back,
)
from pos_loyalty.services import card_records, configuration, ledger, outbox
from pos_loyalty.services.bills import REVERSED, rows_of


@dataclass(frozen=True)
class Returnable:
    """A bill as the return screen shows it: its lines, and what is left of each."""

    bill_id: str
    card_number: str | None
    sold: SoldBill
    kept: Kept
    returns: list[dict[str, Any]]  # the earlier returns' answers, oldest first
    names: tuple[str, ...]  # each line's category, as the receipt named it
    number: str = ""  # the bill's short number at this till ("T1-000123"), as on its receipt


def returnable(replica: Replica, bill_id: object) -> Returnable:
    bill_key = parse_bill_id(bill_id)
    with replica.reading() as uow:
        return _returnable(uow, bill_key)


def asks_from_text(
    found: Returnable, wanted: Sequence[tuple[int, str | None]], *, first: int = 0
) -> list[ReturnLineAsk]:
    """What a person asked to come back, line by line (0-based, as the API counts): a
    quantity for a line sold by quantity, an amount otherwise, nothing for all that is left.
    `first`: the number the person sees on the first line (a screen counts from 1)."""
    asks = []
    for line, text in wanted:
        where = f"line {line + first}"
        if not 0 <= line < len(found.sold.lines):
            said = found.number or found.bill_id
            raise InvalidInput(
                "line", f"Bill {said} has no {where} (its lines are {first} to {len(found.sold.lines) - 1 + first})"
            )
        text = (text or "").strip()
        if not text:
            asks.append(ReturnLineAsk(line))
        elif found.sold.lines[line].quantity is not None:
            quantity = parse_scaled(text, field=where, places=QUANTITY_PLACES, minimum=1, what="a quantity")
            asks.append(ReturnLineAsk(line, quantity=quantity))
        else:
            asks.append(ReturnLineAsk(line, amount=parse_money(text, where, minimum=1)))
    return asks


def preview(
    replica: Replica, bill_id: object, asks: Sequence[ReturnLineAsk], rewards: Sequence[RewardAsk] = ()
) -> ReturnFigures:
    """What a return would give back and take, before the manager confirms; writes nothing."""
    found = returnable(replica, bill_id)
    return return_figures(found.sold, found.kept, take_back(found.sold, found.kept, asks, rewards))


def return_lines(
    replica: Replica,
    bill_id: object,
    asks: Sequence[ReturnLineAsk],
    *,
    rewards: Sequence[RewardAsk] = (),
    return_id: object = None,
    performed_by: str | None = None,
) -> dict[str, Any]:
    """Return `asks` (and reward products) of the bill; the same `return_id` again answers the
    first return."""
    bill_key = parse_bill_id(bill_id)
    return_key = parse_return_id(return_id) if return_id not in (None, "") else str(uuid.uuid4())
    request = _request_json(bill_key, asks, rewards)
    with replica.writing() as uow:
        earlier = uow.session.get(BillReturn, return_key)
        if earlier is not None:
            if earlier.request_json != request:
                raise LoyaltyError(
                    errors.IDEMPOTENCY_CONFLICT,
                    f"Return {return_key} was already made with other lines",
                    returnId=return_key,
                )
            return jsonio.loads(earlier.answer_json)
        found = _returnable(uow, bill_key)
        after = take_back(found.sold, found.kept, asks, rewards)
        figures = return_figures(found.sold, found.kept, after)
        seq = outbox.reserve(uow)
        postings = return_postings(figures, rows_of(uow, bill_key), bill_key, return_key)
        rows = ledger.store(uow, postings, performed_by=performed_by, device_seq=seq)
        card = card_records.load(uow, found.card_number) if found.card_number else None
        wire_rows = ledger.rows_to_mutation(uow, rows)
        answer = {
            "returnId": return_key,
            "billId": bill_key,
            **figures.to_json(),
            "newBalance": points(card.points_balance) if card is not None else None,
            "returnedAt": uow.now,
            "rows": wire_rows,
        }
        uow.connection.execute(
            insert(BillReturn),
            {
                "return_id": return_key,
                "bill_id": bill_key,
                "request_json": request,
                "back_json": jsonio.dumps(after.back_since(found.kept).to_json()),
                "answer_json": jsonio.dumps(answer),
                "performed_by": performed_by,
                "returned_at": uow.now,
            },
        )
        outbox.append(
            uow,
            "bill.returned",
            {
                "billId": bill_key,
                "returnId": return_key,
                "lines": jsonio.loads(request)["lines"],
                "rewards": jsonio.loads(request)["rewards"],
                "figures": figures.to_json(),
                "returnedAt": uow.now,
                "performedBy": performed_by,
                "ledger": wire_rows,
            },
            config_version=configuration.current(uow).version,
            device_seq=seq,
        )
        uow.commit()
        return jsonio.loads(jsonio.dumps(answer))


def _returnable(uow: UnitOfWork, bill_key: str) -> Returnable:
    bill = uow.session.get(Bill, bill_key)
    if bill is None:
        raise LoyaltyError(errors.BILL_NOT_FOUND, f"No bill {bill_key} at this till", billId=bill_key)
    if bill.status == REVERSED:
        raise LoyaltyError(
            errors.ALREADY_REVERSED,
            f"Bill {bill_numbers.name(bill.number_prefix, bill.number)} was reversed: nothing is left to return",
            billId=bill_key,
        )
    result = jsonio.loads(bill.result_json)
    sold = SoldBill.of_result(bill_key, _as_rung_up(bill, result), result)
    kept = Kept.all_of(sold)
    answers = []
    for record in uow.session.scalars(
        select(BillReturn).where(BillReturn.bill_id == bill_key).order_by(BillReturn.returned_at, BillReturn.return_id)
    ):
        kept = kept.less(Kept.from_json(jsonio.loads(record.back_json)))
        answers.append(jsonio.loads(record.answer_json))
    names = tuple(
        line.get("categoryName") or f"Category {line.get('categoryId')}" for line in result.get("lines") or []
    )
    number = bill_numbers.name(bill.number_prefix, bill.number)
    return Returnable(bill_key, result.get("cardNumber"), sold, kept, answers, names, number)


def _as_rung_up(bill: Bill, result: dict[str, Any]) -> BillRequest:
    """The bill's lines as rung up; a bill from before returns were kept, by its result's lines."""
    if bill.bill_json:
        return bill_from_json(jsonio.loads(bill.bill_json))
    lines = result.get("lines") or []
    return BillRequest(tuple(BillLine(line["categoryId"], _hundredths(line["gross"])) for line in lines))


def _hundredths(value: Any) -> int:
    return parse_money(value, "gross")


def _request_json(bill_key: str, asks: Sequence[ReturnLineAsk], rewards: Sequence[RewardAsk] = ()) -> str:
    """The lines asked for, as the API writes them (also what makes two returns the same)."""
    lines = []
    for ask in asks:
        line: dict[str, Any] = {"line": ask.line}
        if ask.quantity is not None:
            line["quantity"] = to_decimal(ask.quantity, QUANTITY_PLACES).normalize()
        if ask.amount is not None:
            line["amount"] = money(ask.amount)
        lines.append(line)
    returned = [{"rewardId": r.reward_id} | ({} if r.quantity is None else {"quantity": r.quantity}) for r in rewards]
    return jsonio.dumps({"billId": bill_key, "lines": lines, "rewards": returned})
