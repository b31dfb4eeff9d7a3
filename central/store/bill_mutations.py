"""Applying a till's bills on the central service: `bill.finalized` and `bill.reversed`.

What the till recorded is what the customer saw, so a finalized bill is applied as the
till recorded it: the rows are worked out by the one rule (`rules.postings.bill_postings`)
from the result the till recorded, on the service's own balances. The service also
recomputes the bill with the configuration version the till named and what the till
knew of the card (`cardState`), and checks the till's own rows against the rule's; what
differs is flagged (RULES_MISMATCH). A redemption that leaves a card below zero is
applied and flagged (OVERDRAFT). A reversal takes back what is left of the service's own
rows of that bill (`rules.postings.reversal_postings`). Both check everything before
they change anything (see `mutations.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from central.store import config as configs
from central.store import returns
from central.store.cards import CardRow
from central.store.flags import OVERDRAFT, REFERRER_UNKNOWN, RULES_MISMATCH
from central.store.ledger import posted, rows_of_bill
from central.store.models import Bill
from central.store.mutations import Batch, _time
from pos_loyalty import cardnumber, customer, errors, jsonio
from pos_loyalty.amounts import money, points
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.rules import LoyaltyConfig, bill_from_json, config_from_json, quote_bill
from pos_loyalty.rules.bill import parse_bill_id
from pos_loyalty.rules.ledger import REFERRAL_EARNED, TRANSFER
from pos_loyalty.rules.programme import local_date
from pos_loyalty.rules.postings import BillFigures, Posting, bill_postings, reversal_postings
from pos_loyalty.rules.quote import CardState, Quote

#: The figures of a bill the service recomputes and compares with the till's: each by its
#: name in a quote's JSON and as `Quote.to_json` writes it (only these ten are written out:
#: the whole quote, lines and all, cost a third of the recompute).
COMPARED: dict[str, Callable[[Quote], Decimal]] = {
    "billAmount": lambda quote: money(quote.bill_amount),
    "categoryDiscount": lambda quote: money(quote.category_discount),
    "flatDiscount": lambda quote: money(quote.flat_discount),
    "netAmount": lambda quote: money(quote.net_amount),
    "pointsRedeemed": lambda quote: points(quote.points_redeemed),
    "amountDeducted": lambda quote: money(quote.amount_deducted),
    "payable": lambda quote: money(quote.payable),
    "pointsEarned": lambda quote: points(quote.points_earned),
    "referrerPointsEarned": lambda quote: points(quote.referrer_points_earned),
    "rewardPoints": lambda quote: points(quote.reward_points),
}


def bill_finalized(batch: Batch, mutation: Any) -> None:
    """The bill's rows, worked out by the rules from the result the till recorded."""
    payload = mutation.payload
    bill_id = parse_bill_id(payload.get("billId"))
    if bill_id in batch.bill_status:
        raise LoyaltyError(errors.IDEMPOTENCY_CONFLICT, f"Bill {bill_id} is already recorded", billId=bill_id)
    bill = bill_from_json(payload)
    card = batch.card(payload["cardNumber"]) if payload.get("cardNumber") else None
    result = payload.get("result")
    figures = BillFigures.of_result(result)
    state = CardState.from_json(payload["cardState"]) if payload.get("cardState") is not None else None
    used = config_from_json(payload["config"]) if payload.get("config") is not None else None
    performed_by = customer.text(payload.get("performedBy"), "performedBy", required=False)
    if card is None and (figures.points_redeemed or any(line.points for line in figures.earned)):
        raise InvalidInput("cardNumber", "A bill that moves points names its card")
    referrer, unknown_referrer = _referrer(batch, payload, figures, card)
    postings = bill_postings(figures, bill_id, card, card.card_number, referrer) if card is not None else []
    till_rows = _till_rows(payload)
    when = _time(payload.get("finalizedAt"), batch.unit.now)
    # Everything is checked: from here on the bill is applied.
    batch.postings.post_all(
        postings, performed_by=performed_by or batch.performed_by, device_id=batch.device_id, created_at=when
    )
    where = {"bill_id": bill_id, "device_id": batch.device_id, "mutation_id": mutation.mutation_id}
    if unknown_referrer is not None:  # the till's referrer is unknown here: keep the rest, flag it
        batch.flags.raise_flag(
            REFERRER_UNKNOWN,
            f"Bill {bill_id} credited referrer card {unknown_referrer}, which this service does not know",
            **where, referrerCardNumber=unknown_referrer, points=points(figures.referrer_points),
        )
    if card is not None and card.points_balance < 0 and bill.redeem_points:
        batch.flags.raise_flag(
            OVERDRAFT,
            f"Card {card.card_number} is at {points(card.points_balance)} points after bill {bill_id}",
            card_id=card.id, **where,
            pointsBalance=points(card.points_balance), pointsRedeemed=points(bill.redeem_points),
        )
    problem = _recompute(batch, mutation, used, bill, card, state, result) or _rows_differ(till_rows, postings, unknown_referrer)
    if problem:
        batch.flags.raise_flag(
            RULES_MISMATCH,
            f"Bill {bill_id} from the till does not match the rules of configuration {mutation.config_version}",
            card_id=card.id if card else None, **where, configVersion=mutation.config_version, **problem,
        )
    batch.bill_status[bill_id] = "FINALIZED"
    batch.new_bills.append(
        {
            "tenant_id": batch.unit.tenant,
            "bill_id": bill_id,
            "card_id": card.id if card else None,
            "device_id": batch.device_id,
            "status": "FINALIZED",
            "config_version": mutation.config_version,
            "payable": figures.payable,
            "result_json": jsonio.dumps(result),
            "bill_json": jsonio.dumps(bill.to_json()),
            "created_at": when,
            "reversed_at": None,
        }
    )


def _referrer(
    batch: Batch, payload: dict[str, Any], figures: BillFigures, card: CardRow | None
) -> tuple[CardRow | None, str | None]:
    """(the referrer the till credited, the number of one this service does not know).

    A till names it (`referrerCardNumber`; a till of an earlier version only in its
    ledger rows); a bill whose referrer earned nothing needs none.
    """
    if not figures.referrer_points or card is None:
        return None, None
    number = payload.get("referrerCardNumber")
    if number is None:
        number = next(
            (row.get("cardNumber") for row in _till_rows(payload) if row.get("transactionType") == REFERRAL_EARNED),
            None,
        )
    if number is None:
        raise InvalidInput("referrerCardNumber", "A bill whose referrer earned points names the referrer's card")
    number = cardnumber.validate(number, "referrerCardNumber")
    try:
        return batch.card(number, "referrerCardNumber"), None
    except LoyaltyError as error:
        if error.code != errors.CARD_NOT_FOUND:
            raise
        return None, number


def _till_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    rows = payload.get("ledger") or []
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise InvalidInput("ledger", "ledger must be a list of the rows the till wrote")
    return rows


def _rows_differ(
    till_rows: list[dict[str, Any]], postings: list[Posting[CardRow]], unknown_referrer: str | None
) -> dict[str, Any]:
    """The rows the till says it wrote against the rows the rules give (a till's own bug)."""
    if not till_rows:
        return {}

    def key(kind: object, amount: object, number: object, category: object) -> tuple:
        return (kind, str(amount), number, category)

    told = sorted(
        key(row.get("transactionType"), row.get("points"), row.get("cardNumber"), row.get("categoryId"))
        for row in till_rows
        if (row.get("cardNumber") != unknown_referrer or unknown_referrer is None)
        and row.get("referenceType") != TRANSFER  # forwarded from a replaced card: not the bill's own
    )
    worked_out = sorted(key(p.transaction_type, points(p.points), p.card.card_number, p.category_id) for p in postings)
    if told == worked_out:
        return {}
    return {"reason": "the till's ledger rows are not the rows of its result", "tillRows": told, "rules": worked_out}


def _recompute(
    batch: Batch,
    mutation: Any,
    config: LoyaltyConfig | None,
    bill: Any,
    card: CardRow | None,
    state: CardState | None,
    result: Any,
) -> dict[str, Any]:
    """Recompute with the till's configuration (`config`, the one it sent, or else its
    version here) and what the till knew of the card."""
    if config is None and mutation.config_version:
        config = configs.at_version(batch.unit, mutation.config_version)
    if config is None:
        return {"reason": f"configuration version {mutation.config_version} is unknown here"}
    if card is not None and state is None:  # a till of an earlier version: what this service knows
        state = card.state()
    try:
        sold_on = local_date(_time(mutation.payload.get("finalizedAt"), batch.unit.now), config.time_zone)
        recomputed = quote_bill(config, state if card is not None else None, bill, sold_on)
    except LoyaltyError as error:
        return {"reason": error.message, "code": error.code}
    figures = {name: shown(recomputed) for name, shown in COMPARED.items()}
    differing = {
        name: {"till": result.get(name), "service": figures[name]}
        for name in COMPARED
        if _decimal(result.get(name)) != figures[name]
    }
    return {"differences": differing} if differing else {}


def bill_reversed(batch: Batch, mutation: Any) -> None:
    bill_id = parse_bill_id(mutation.payload.get("billId"))
    status = batch.bill_status.get(bill_id)
    if status is None:
        raise LoyaltyError(errors.BILL_NOT_FOUND, f"No bill {bill_id} here", billId=bill_id)
    if status == "REVERSED":
        raise LoyaltyError(errors.ALREADY_REVERSED, f"Bill {bill_id} was already reversed", billId=bill_id)
    performed_by = customer.text(mutation.payload.get("performedBy"), "performedBy", required=False)
    batch.flush()  # rows of a bill finalized earlier in this batch must be in the table
    named = rows_of_bill(batch.unit, bill_id)
    on_cards = {row.card_id: batch.card_by_id(row.card_id) for row in named}
    postings = reversal_postings([posted(row, on_cards) for row in named], bill_id)
    batch.postings.post_all(postings, performed_by=performed_by or batch.performed_by, device_id=batch.device_id)
    batch.unit.connection.execute(
        update(Bill)
        .where(Bill.tenant_id == batch.unit.tenant, Bill.bill_id == bill_id)
        .values(status="REVERSED", reversed_at=batch.unit.now)
    )
    batch.bill_status[bill_id] = "REVERSED"


def bill_returned(batch: Batch, mutation: Any) -> None:
    """Part of a till's bill came back: the rule on the service's own state of the bill
    (`store/returns.py`); figures that differ from the till's are flagged (RULES_MISMATCH)."""
    payload = mutation.payload
    request = returns.parse_request(payload)
    status = batch.bill_status.get(request.bill_id)
    if status is None:
        raise LoyaltyError(errors.BILL_NOT_FOUND, f"No bill {request.bill_id} here", billId=request.bill_id)
    performed_by = customer.text(payload.get("performedBy"), "performedBy", required=False)
    told = payload.get("figures")
    if not isinstance(told, dict):
        raise InvalidInput("figures", "A return names the figures the till gave the customer")
    when = _time(payload.get("returnedAt"), batch.unit.now)
    batch.flush()  # a bill finalized earlier in this batch must be in the tables
    answer = returns.apply_till_return(
        batch.unit, batch.postings, batch.card_by_id, request,
        performed_by or batch.performed_by, batch.device_id, when,
    )
    if answer is None:
        return  # the same return again
    differing = {
        name: {"till": told.get(name), "service": answer[name]}
        for name in ("cashRefund", "pointsRefunded", "pointsReversed", "referrerPointsReversed")
        if _decimal(told.get(name)) != answer[name]
    }
    if differing:
        batch.flags.raise_flag(
            RULES_MISMATCH,
            f"Return {request.return_id} of bill {request.bill_id} from the till does not match the service's",
            bill_id=request.bill_id, device_id=batch.device_id, mutation_id=mutation.mutation_id,
            returnId=request.return_id, differences=differing,
        )


APPLIERS = {"bill.finalized": bill_finalized, "bill.reversed": bill_reversed, "bill.returned": bill_returned}


def _decimal(value: object) -> object:
    return Decimal(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else value
