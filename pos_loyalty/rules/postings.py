"""Which ledger rows a bill, a reversal and an adjustment write: worked out once, here.

The till (`pos_loyalty/services`) and the central service (its online routes and its
sync appliers) both call these functions and only store the `Posting`s they return, so
the rows of a bill are the same wherever it is recorded. A posting names its card by
whatever the caller passed in (the till's `CardRecord`, the central's `CardRow`): the
rules never look inside it, except for its `id` when a store asks for a row's columns.

- `bill_postings`: a bill's REDEEMED row, one EARNED row per category that earned, and
  the referrer's REFERRAL_EARNED row, from the bill's figures (`BillFigures`: a quote,
  or the result a till recorded, or what a billing system says was paid).
- `reversal_postings`: one REVERSED row per row of the bill, opposite in sign, for what
  is left of it (a row already partly taken back by earlier REVERSED rows gives only
  the rest), counted against the type of the row it reverses.
- `adjustment_posting`: a manager's ADJUSTED row.
- `transfer_postings`: the TRANSFER pair that moves points and totals from a card to the
  card that replaced it (a lost card, a merge), and later forwards what still reaches the
  old card (`forwarded`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from pos_loyalty import customer, errors
from pos_loyalty.amounts import (
    MAX_FIGURE, POINTS_PLACES, money, parse_money, parse_percent, parse_points, parse_scaled, points as said_points,
)
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.rules.ledger import (
    ADJUSTED,
    BILL,
    EARNED,
    MANUAL,
    REDEEMED,
    REFERRAL,
    REFERRAL_EARNED,
    REVERSED,
    REWARD,
    TRANSFER,
    Moved,
    totals_moved,
)
from pos_loyalty.rules.bill import parse_category_id
from pos_loyalty.rules.programme import parse_reward_id
from pos_loyalty.rules.quote import EarnLine, Quote, RewardLine

C = TypeVar("C")  # how the caller names a card


@dataclass(frozen=True)
class Posting(Generic[C]):
    """One ledger row to write: its card, type, signed points and what it refers to."""

    card: C
    transaction_type: str
    points: int  # hundredths, signed: what the row adds to the card's balance
    reference_type: str
    reference_id: str | None = None
    #: A REVERSED row: the type of the row it reverses (what its points count against),
    #: and that row, as the store named it.
    counts_as: str | None = None
    reverses: Any = None
    bill_amount: int | None = None
    category_id: int | None = None
    category_name: str | None = None
    point_percentage: int | None = None
    referred_card: C | None = None
    referred_bill_id: str | None = None
    description: str | None = None
    reward_id: str | None = None  # a REWARD row: the reward product bought
    #: A TRANSFER row: what it moves of the card's totals (earned, redeemed, referral).
    moved: Moved | None = None

    def columns(self, balance_after: int) -> dict[str, Any]:
        """The row's columns (seed 002's `point_transactions`, as both stores name them), its
        cards by id; each store adds who wrote it and when."""
        return {
            "card_id": self.card.id,  # type: ignore[attr-defined]
            "transaction_type": self.transaction_type,
            "points": self.points,
            "balance_after": balance_after,
            "reference_type": self.reference_type,
            "reference_id": self.reference_id,
            "bill_amount": self.bill_amount,
            "category_id": self.category_id,
            "category_name": self.category_name,
            "point_percentage": self.point_percentage,
            "referred_card_id": self.referred_card.id if self.referred_card is not None else None,  # type: ignore[attr-defined]
            "referred_bill_id": self.referred_bill_id,
            "reverses_id": self.reverses,
            "description": self.description,
            "reward_id": self.reward_id,
            "moved_earned": None if self.moved is None else self.moved[0],
            "moved_redeemed": None if self.moved is None else self.moved[1],
            "moved_referral": None if self.moved is None else self.moved[2],
        }


@dataclass(frozen=True)
class BillFigures:
    """What a bill's rows are worked out from.

    `net_amount` is what a redemption's row records as the bill's amount (None: a
    billing system redeemed without saying), `payable` what the referral's row records.
    """

    points_redeemed: int = 0
    amount_deducted: int = 0
    net_amount: int | None = None
    payable: int | None = None
    earned: tuple[EarnLine, ...] = ()
    referrer_points: int = 0
    rewards: tuple[RewardLine, ...] = ()

    @classmethod
    def of_quote(cls, quote: Quote) -> BillFigures:
        return cls(
            points_redeemed=quote.points_redeemed,
            amount_deducted=quote.amount_deducted,
            net_amount=quote.net_amount,
            payable=quote.payable,
            earned=quote.earn_breakdown,
            referrer_points=quote.referrer_points_earned,
            rewards=quote.rewards,
        )

    @classmethod
    def of_result(cls, result: object, where: str = "result") -> BillFigures:
        """The figures of a result as a till recorded it (`Quote.to_json`), checked field by field."""
        if not isinstance(result, dict):
            raise InvalidInput(where, f"{where} must be the bill's result (an object)")
        breakdown = result.get("earnBreakdown") or []
        if not isinstance(breakdown, list):
            raise InvalidInput(f"{where}.earnBreakdown", f"{where}.earnBreakdown must be a list")

        def figure(name: str, parse: Any = parse_points) -> int:
            return parse(result.get(name) if result.get(name) is not None else 0, f"{where}.{name}")

        return cls(
            points_redeemed=figure("pointsRedeemed"),
            amount_deducted=figure("amountDeducted", parse_money),
            net_amount=figure("netAmount", parse_money),
            payable=figure("payable", parse_money),
            earned=tuple(_earn_line(line, f"{where}.earnBreakdown[{i}]") for i, line in enumerate(breakdown)),
            referrer_points=figure("referrerPointsEarned"),
            rewards=_reward_lines(result.get("rewards"), f"{where}.rewards"),
        )


def _reward_lines(value: object, where: str) -> tuple[RewardLine, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidInput(where, f"{where} must be the bill's reward products")
    lines = []
    for index, item in enumerate(value):
        at = f"{where}[{index}]"
        name = item.get("name")
        quantity = item.get("quantity")
        if not isinstance(name, str) or len(name) > 255:
            raise InvalidInput(f"{at}.name", f"{at}.name must be the reward's name")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 1000:
            raise InvalidInput(f"{at}.quantity", f"{at}.quantity must be a whole number from 1 to 1000")
        lines.append(
            RewardLine(parse_reward_id(item.get("rewardId"), f"{at}.rewardId"), name, quantity, parse_points(item.get("points"), f"{at}.points", minimum=1))
        )
    return tuple(lines)


def _earn_line(doc: object, where: str) -> EarnLine:
    if not isinstance(doc, dict):
        raise InvalidInput(where, f"{where} must be an object")
    name = doc.get("categoryName")
    if not isinstance(name, str) or len(name) > 255:
        raise InvalidInput(f"{where}.categoryName", f"{where}.categoryName must be a category's name")
    promotion = doc.get("promotionId")
    if promotion is not None and (isinstance(promotion, bool) or not isinstance(promotion, int) or promotion < 1):
        raise InvalidInput(f"{where}.promotionId", f"{where}.promotionId must be a promotion's number")
    line = EarnLine(
        category_id=parse_category_id(doc.get("categoryId"), f"{where}.categoryId"),
        category_name=name,
        amount=parse_money(doc.get("amount"), f"{where}.amount"),
        point_percentage=parse_percent(doc.get("pointPercentage"), f"{where}.pointPercentage"),
        points=parse_points(doc.get("points"), f"{where}.points"),
        promotion_id=promotion,
    )
    if doc.get("multiplier") is None:  # a till of an earlier version: x1 unless its tier said otherwise
        return line
    multiplier = parse_scaled(doc["multiplier"], field=f"{where}.multiplier", places=4, minimum=1, what="a multiplier")
    return replace(line, multiplier=multiplier)


def bill_postings(
    figures: BillFigures, bill_id: str, card: C, card_number: str, referrer: C | None
) -> list[Posting[C]]:
    """The rows of a bill on `card` (and on `referrer`, when it earns): zero rows are not written."""
    rows: list[Posting[C]] = []
    if figures.points_redeemed:
        rows.append(
            Posting(
                card,
                REDEEMED,
                -figures.points_redeemed,
                BILL,
                bill_id,
                bill_amount=figures.net_amount,
                description=f"Redeemed for {money(figures.amount_deducted)} off bill {bill_id}",
            )
        )
    for reward in figures.rewards:
        rows.append(
            Posting(
                card,
                REDEEMED,
                -reward.points,
                REWARD,
                bill_id,
                description=f"Reward {reward.reward_id} x {reward.quantity}: {reward.name}",
                reward_id=reward.reward_id,
            )
        )
    for line in figures.earned:
        if line.points:
            rows.append(
                Posting(
                    card,
                    EARNED,
                    line.points,
                    BILL,
                    bill_id,
                    bill_amount=line.amount,
                    category_id=line.category_id,
                    category_name=line.category_name,
                    point_percentage=line.point_percentage,
                )
            )
    if figures.referrer_points and referrer is not None:
        rows.append(
            Posting(
                referrer,
                REFERRAL_EARNED,
                figures.referrer_points,
                REFERRAL,
                bill_id,
                bill_amount=figures.payable,
                referred_card=card,
                referred_bill_id=bill_id,
                description=f"Referral: bill {bill_id} of card {card_number}",
            )
        )
    return rows


@dataclass(frozen=True)
class Posted(Generic[C]):
    """A row already in a ledger, as `reversal_postings` needs to know it."""

    row: Any  # the store's own name for the row (its id)
    card: C
    transaction_type: str
    points: int
    reference_type: str
    reverses: Any = None  # a REVERSED row: the row it reverses
    category_id: int | None = None
    category_name: str | None = None
    referred_card: C | None = None
    referred_bill_id: str | None = None
    reward_id: str | None = None  # a REWARD row: the reward product


#: The rows of a bill that a reversal takes back (a manager's ADJUSTED row is not one).
_BILL_ROWS = {(BILL, EARNED), (BILL, REDEEMED), (REWARD, REDEEMED), (REFERRAL, REFERRAL_EARNED)}


def bill_rows(rows: Iterable[Posted[C]]) -> list[Posted[C]]:
    """The rows that belong to a bill among rows that name it."""
    return [row for row in rows if (row.reference_type, row.transaction_type) in _BILL_ROWS]


def reversal_postings(rows: Sequence[Posted[C]], bill_id: str) -> list[Posting[C]]:
    """REVERSED rows taking back what is left of each row of the bill.

    `rows` are all the rows that name the bill, in the order they were written: its own
    rows, and any REVERSED rows already written against them.
    """
    taken_back: dict[Any, int] = {}
    for row in rows:
        if row.transaction_type == REVERSED and row.reverses is not None:
            taken_back[row.reverses] = taken_back.get(row.reverses, 0) + row.points
    postings = []
    for row in bill_rows(rows):
        left = row.points + taken_back.get(row.row, 0)
        if left:
            postings.append(taking_back(row, -left, bill_id, f"Reversal of bill {bill_id}"))
    return postings


def taking_back(row: Posted[C], points: int, bill_id: str, description: str) -> Posting[C]:
    """A REVERSED row of `points` (signed) against `row` of the bill: counted against the
    row's type, with its reference type (the referrer's stays REFERRAL) and category."""
    return Posting(
        row.card,
        REVERSED,
        points,
        row.reference_type,
        bill_id,
        counts_as=row.transaction_type,
        reverses=row.row,
        category_id=row.category_id,
        category_name=row.category_name,
        referred_card=row.referred_card,
        referred_bill_id=row.referred_bill_id,
        description=description,
    )


def adjustment_posting(card: C, points: int, reason: str) -> Posting[C]:
    """A manager's correction: `points` (signed) with the reason as its description."""
    return Posting(card, ADJUSTED, points, MANUAL, description=reason)


def adjustment_asked(amount: object, reason: object) -> tuple[int, str]:
    """What a manager's correction asks for, as typed or sent: signed points that are not
    zero, and a reason (the till's adjust, the central's applier of `card.adjusted` and the
    head office console all read it here)."""
    delta = parse_points(amount, "points", minimum=-MAX_FIGURE * 10**POINTS_PLACES)
    if delta == 0:
        raise InvalidInput("points", "An adjustment of zero points changes nothing")
    return delta, customer.text(reason, "reason", required=True, limit=500)


def refuse_overdraw(balance: int, delta: int) -> None:
    """A manager's correction never takes a card below zero where it is made (a till's
    adjustment that lands on an overdrawn card at the central is applied and flagged)."""
    if balance + delta < 0:
        raise LoyaltyError(
            errors.INSUFFICIENT_POINTS,
            f"The card has only {said_points(balance)} points; it cannot lose {said_points(-delta)}",
            availablePoints=said_points(max(balance, 0)),
        )


def transfer_postings(
    source: C, target: C, points: int, moved: Moved, *, source_number: str, target_number: str, why: str
) -> list[Posting[C]]:
    """The TRANSFER pair moving `points` and the totals `moved` from `source` to `target`:
    an ADJUSTED row taking them off the source, one adding them to the target, each naming
    the other card. The pair is written even with nothing to move: it is the card's record
    of where it went."""
    taken = (-moved[0], -moved[1], -moved[2])
    return [
        Posting(source, ADJUSTED, -points, TRANSFER, target_number, referred_card=target,
                description=f"{why}: moved to card {target_number}", moved=taken),
        Posting(target, ADJUSTED, points, TRANSFER, source_number, referred_card=source,
                description=f"{why}: moved from card {source_number}", moved=moved),
    ]


def forwarded(posting: Posting[C], survivor: C, *, source_number: str, survivor_number: str) -> list[Posting[C]]:
    """What a row posted to a card that was replaced or merged sends on to its survivor:
    the row's points and what it moved of the totals, as a TRANSFER pair. The row that
    itself moves points on to the survivor is not forwarded again."""
    if posting.reference_type == TRANSFER and posting.reference_id == survivor_number:
        return []
    if not posting.points and posting.moved is None:
        return []  # a row that moves nothing (a record) has nothing to forward
    moved = totals_moved(posting.transaction_type, posting.points, reversing=posting.counts_as, moved=posting.moved)
    what = posting.reference_id if posting.reference_type != TRANSFER else None
    why = f"Forwarded from a replaced card ({posting.reference_type} {what})" if what else "Forwarded from a replaced card"
    return transfer_postings(
        posting.card, survivor, posting.points, moved,
        source_number=source_number, target_number=survivor_number, why=why,
    )
