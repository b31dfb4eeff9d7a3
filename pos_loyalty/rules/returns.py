"""Part of a bill comes back (`spec/loyalty-rules.md`, wave 2: Returns), as pure functions.

A return moves a bill from one state (what the customer still keeps of each line) to
another and writes the difference of the bill's figures between the two states as
REVERSED rows. Every figure is a function of the state alone, so any sequence of returns
that ends with everything back writes, in total, exactly what one reversal would: the
figures telescope, to the hundredth.

- `SoldBill`: what a return needs to know of the bill as it was sold (its lines, the
  points it redeemed spread over them, the rates it earned at, the rows it wrote).
- `Kept`: the state, per line the gross and quantity not yet returned.
- `take_back`: a return's request applied to a state (RETURN_EXCEEDS_BILL when it asks
  for more than is left), giving the next state.
- `return_figures`: cash refund, points refunded, points reversed, the referrer's, and
  the differences per row, between two states.
- `return_postings`: the REVERSED rows of those differences, each against the row of the
  bill it takes back from (so a later reversal takes only what is left).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pos_loyalty import errors
from pos_loyalty.amounts import (
    MULTIPLIER_PLACES,
    PERCENT_PLACES,
    QUANTITY_PLACES,
    money,
    parse_money,
    parse_scaled,
    round_down,
    round_half_up,
    to_decimal,
)
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.rules.bill import BillRequest
from pos_loyalty.rules.ledger import EARNED, REDEEMED, REFERRAL_EARNED, REWARD
from pos_loyalty.rules.programme import parse_reward_id
from pos_loyalty.rules.postings import Posted, Posting, bill_rows, taking_back
from pos_loyalty.rules.spread import spread

C = TypeVar("C")

RETURN_EXCEEDS_BILL = errors.RETURN_EXCEEDS_BILL
_RETURN_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_PERCENT = 100 * 10**PERCENT_PLACES
_MULTIPLIER = 10**MULTIPLIER_PLACES
_QUANTITY = 10**QUANTITY_PLACES


def parse_return_id(value: object, field: str = "returnId") -> str:
    """A return's id (its idempotency key): 1 to 64 of A-Z a-z 0-9 . _ : -, taken as sent."""
    if isinstance(value, str) and _RETURN_ID.fullmatch(value):
        return value
    raise InvalidInput(field, f"{field} must be 1 to 64 letters, digits, '.', '_', ':' or '-'")


@dataclass(frozen=True)
class SoldLine:
    category_id: int
    gross: int  # money, hundredths
    paid: int  # money paid for it after every discount and the points
    redeemed: int  # its part of the bill's redeemed points (hundredths)
    quantity: int | None = None  # thousandths, a priced line
    unit_price: int | None = None


@dataclass(frozen=True)
class SoldBill:
    """A finalized bill as a return needs it.

    `rates[c]` is (pointPercentage, multiplier in ten-thousandths: the tier's x the
    promotion's) that category `c` earned at; `earned[c]`
    the points its EARNED row recorded; `referral_percent` and `referrer_points` the
    referral the bill paid (0 when none).
    """

    bill_id: str
    lines: tuple[SoldLine, ...]
    points_redeemed: int
    rates: dict[int, tuple[int, int]] = field(default_factory=dict)
    earned: dict[int, int] = field(default_factory=dict)
    referral_percent: int = 0
    referrer_points: int = 0
    #: The reward products bought: (rewardId, quantity, points of one), in the bill's order.
    rewards: tuple[tuple[str, int, int], ...] = ()

    @classmethod
    def of_result(cls, bill_id: str, bill: BillRequest, result: dict[str, Any]) -> SoldBill:
        """A bill a till finalized: its request and the result it recorded (`Quote.to_json`)."""
        lines = result.get("lines") or []
        if len(lines) != len(bill.lines):
            raise InvalidInput("result.lines", f"bill {bill_id}'s result does not have a line for each item")
        paid = [parse_money(line.get("paid"), f"result.lines[{i}].paid") for i, line in enumerate(lines)]
        shares = [
            parse_money(line.get("pointsDiscount"), f"result.lines[{i}].pointsDiscount") for i, line in enumerate(lines)
        ]
        redeemed = _points_of(result, "pointsRedeemed")
        multiplier = parse_scaled(
            result.get("earnMultiplier", 1), field="result.earnMultiplier", places=MULTIPLIER_PLACES, minimum=0
        )
        rates, earned = {}, {}
        for i, entry in enumerate(result.get("earnBreakdown") or []):
            category = entry.get("categoryId")
            pct = parse_scaled(
                entry.get("pointPercentage"), field=f"result.earnBreakdown[{i}].pointPercentage", places=2
            )
            line_multiplier = entry.get("multiplier")  # the tier's x the promotion's, since wave 2
            rates[category] = (
                pct,
                multiplier * _MULTIPLIER
                if line_multiplier is None
                else parse_scaled(line_multiplier, field=f"result.earnBreakdown[{i}].multiplier", places=4),
            )
            earned[category] = _points_of(entry, "points")
        referral = result.get("referralPointsPercent")
        return cls(
            bill_id=bill_id,
            lines=tuple(
                SoldLine(line.category_id, line.gross, p, r, line.quantity, line.unit_price)
                for line, p, r in zip(bill.lines, paid, _spread_points(redeemed, shares, paid))
            ),
            points_redeemed=redeemed,
            rates=rates,
            earned=earned,
            referral_percent=0
            if referral is None
            else parse_scaled(referral, field="result.referralPointsPercent", places=2),
            referrer_points=_points_of(result, "referrerPointsEarned"),
            rewards=tuple(
                (r["rewardId"], r["quantity"], _points_of(r, "points") // r["quantity"]) for r in result.get("rewards") or []
            ),
        )

    @classmethod
    def of_paid_items(
        cls,
        bill_id: str,
        items: Sequence[tuple[int, int]],
        *,
        points_redeemed: int,
        earned: dict[int, int],
        rates: dict[int, tuple[int, int]],
        referral_percent: int,
        referrer_points: int,
    ) -> SoldBill:
        """A bill a billing system reported (`earn-points`, `redeem-points`): one line per item,
        each paid as given, the redeemed points spread over them by what was paid."""
        paid = [amount for _category, amount in items]
        return cls(
            bill_id=bill_id,
            lines=tuple(
                SoldLine(category, amount, amount, share)
                for (category, amount), share in zip(items, _spread_points(points_redeemed, [0] * len(paid), paid))
            ),
            points_redeemed=points_redeemed,
            rates=rates,
            earned=earned,
            referral_percent=referral_percent,
            referrer_points=referrer_points,
        )


def _points_of(doc: dict[str, Any], name: str) -> int:
    value = doc.get(name)
    return 0 if value is None else parse_scaled(value, field=name, places=2, minimum=0)


def _spread_points(redeemed: int, shares: Sequence[int], paid: Sequence[int]) -> list[int]:
    """The bill's redeemed points over its lines, in proportion to the money the points took
    off each (`share`); a bill that does not say (a billing system's earn and redeem) by the
    money paid for each."""
    weights = list(shares) if any(shares) else list(paid)
    if not any(weights):
        weights = [1] * len(shares)
    return spread(redeemed, weights) if weights else []


@dataclass(frozen=True)
class Kept:
    """What the customer still keeps of each line (gross money and, priced lines, quantity)
    and of each reward product of the bill."""

    gross: tuple[int, ...]
    quantity: tuple[int | None, ...]
    rewards: tuple[int, ...] = ()  # how many of each reward product of the bill are kept

    @classmethod
    def all_of(cls, sold: SoldBill) -> Kept:
        return cls(
            tuple(line.gross for line in sold.lines),
            tuple(line.quantity for line in sold.lines),
            tuple(quantity for _reward, quantity, _each in sold.rewards),
        )

    def back_since(self, earlier: Kept) -> Kept:
        """What came back between `earlier` and this state, line by line (a return's record)."""
        return Kept(
            tuple(e - n for e, n in zip(earlier.gross, self.gross)),
            tuple(None if e is None else e - (n or 0) for e, n in zip(earlier.quantity, self.quantity)),
            tuple(e - n for e, n in zip(earlier.rewards, self.rewards)),
        )

    def less(self, back: Kept) -> Kept:
        """This state with `back` (a return's record) taken out of it."""
        return Kept(
            tuple(g - b for g, b in zip(self.gross, back.gross)),
            tuple(None if q is None else q - (b or 0) for q, b in zip(self.quantity, back.quantity)),
            tuple(r - b for r, b in zip(self.rewards, back.rewards)) if back.rewards else self.rewards,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "lines": [
                {"gross": money(g)} | ({} if q is None else {"quantity": to_decimal(q, QUANTITY_PLACES).normalize()})
                for g, q in zip(self.gross, self.quantity)
            ],
            "rewards": list(self.rewards),
        }

    @classmethod
    def from_json(cls, doc: object, where: str = "back") -> Kept:
        rewards: list[Any] = []
        if isinstance(doc, dict):
            rewards = doc.get("rewards") or []
            doc = doc.get("lines")
        if not isinstance(doc, list) or not all(isinstance(item, dict) for item in doc):
            raise InvalidInput(where, f"{where} must be a list of lines")
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in rewards):
            raise InvalidInput(f"{where}.rewards", f"{where}.rewards must be counts of reward products")
        return cls(
            tuple(parse_money(item.get("gross"), f"{where}[{i}].gross") for i, item in enumerate(doc)),
            tuple(
                None
                if item.get("quantity") is None
                else parse_scaled(item["quantity"], field=f"{where}[{i}].quantity", places=QUANTITY_PLACES)
                for i, item in enumerate(doc)
            ),
            tuple(rewards),
        )

    def nothing_back(self, sold: SoldBill) -> bool:
        return self == Kept.all_of(sold)

    def everything_back(self) -> bool:
        return not any(self.gross) and not any(self.rewards)


@dataclass(frozen=True)
class RewardAsk:
    """A reward product of the bill comes back: `quantity` of it (None: all that is left)."""

    reward_id: str
    quantity: int | None = None


def parse_return_rewards(doc: object, where: str = "rewards") -> tuple[RewardAsk, ...]:
    """`[{rewardId, quantity?}]`: reward products of the bill that come back."""
    if doc is None:
        return ()
    if not isinstance(doc, list) or len(doc) > 1000:
        raise InvalidInput(where, f"{where} must be a list of reward products")
    asks = []
    for i, item in enumerate(doc):
        at = f"{where}[{i}]"
        if not isinstance(item, dict) or set(item) - {"rewardId", "quantity"}:
            raise InvalidInput(at, f"{at} must be {{rewardId, quantity}}")
        quantity = item.get("quantity")
        if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 1000):
            raise InvalidInput(f"{at}.quantity", f"{at}.quantity must be a whole number from 1 to 1000")
        asks.append(RewardAsk(parse_reward_id(item.get("rewardId"), f"{at}.rewardId"), quantity))
    return tuple(asks)


@dataclass(frozen=True)
class ReturnLineAsk:
    """One line of a return's request: `line` (0-based) and a quantity or an amount; neither
    means all that is left of it."""

    line: int
    quantity: int | None = None  # thousandths
    amount: int | None = None  # money, hundredths


def parse_return_lines(doc: object, where: str = "lines", *, required: bool = True) -> tuple[ReturnLineAsk, ...]:
    """`[{line, quantity? | amount?}]` as `central-api.md` gives it (`required`: at least one;
    a return of reward products only needs none)."""
    if not required and doc in (None, []):
        return ()
    if not isinstance(doc, list) or not doc:
        raise InvalidInput(where, f"{where} must name at least one line of the bill")
    asks = []
    for i, item in enumerate(doc):
        at = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput(at, f"{at} must be an object")
        unknown = set(item) - {"line", "quantity", "amount"}
        if unknown:
            raise InvalidInput(
                f"{at}.{sorted(unknown)[0]}", f"{at}.{sorted(unknown)[0]} is not a field of a returned line"
            )
        line = item.get("line")
        if isinstance(line, bool) or not isinstance(line, int) or not 0 <= line < 10_000:
            raise InvalidInput(f"{at}.line", f"{at}.line must be the 0-based number of a line of the bill")
        if item.get("quantity") is not None and item.get("amount") is not None:
            raise InvalidInput(at, f"{at} gives both a quantity and an amount; give one")
        quantity = item.get("quantity")
        amount = item.get("amount")
        asks.append(
            ReturnLineAsk(
                line,
                None
                if quantity is None
                else parse_scaled(
                    quantity, field=f"{at}.quantity", places=QUANTITY_PLACES, minimum=1, what="a quantity"
                ),
                None if amount is None else parse_money(amount, f"{at}.amount", minimum=1),
            )
        )
    return tuple(asks)


def take_back(
    sold: SoldBill, kept: Kept, asks: Sequence[ReturnLineAsk], rewards: Sequence[RewardAsk] = ()
) -> Kept:
    """The state after returning `asks` (and reward products) from `kept`;
    RETURN_EXCEEDS_BILL beyond what is left."""
    gross, quantity, rewards_kept = list(kept.gross), list(kept.quantity), list(kept.rewards)
    for asked in rewards:
        index = next((i for i, (reward, _q, _each) in enumerate(sold.rewards) if reward == asked.reward_id), None)
        if index is None:
            raise InvalidInput("rewards", f"Bill {sold.bill_id} has no reward product {asked.reward_id}")
        back = rewards_kept[index] if asked.quantity is None else asked.quantity
        if back > rewards_kept[index] or not rewards_kept[index]:
            raise LoyaltyError(
                RETURN_EXCEEDS_BILL,
                f"Reward {asked.reward_id} of bill {sold.bill_id} cannot come back that much: {rewards_kept[index]} of it is left",
                rewardId=asked.reward_id,
            )
        rewards_kept[index] -= back
    for ask in asks:
        if ask.line >= len(sold.lines):
            raise InvalidInput("lines", f"bill {sold.bill_id} has no line {ask.line} (it has {len(sold.lines)})")
        line = sold.lines[ask.line]
        if ask.quantity is not None:
            if line.quantity is None or line.unit_price is None:
                raise InvalidInput(
                    "lines", f"line {ask.line} of bill {sold.bill_id} was sold as an amount: return an amount"
                )
            left_quantity = quantity[ask.line] or 0
            if ask.quantity > left_quantity:
                raise _exceeds(
                    sold, ask.line, f"{to_decimal(left_quantity, QUANTITY_PLACES).normalize()} of it is left"
                )
            quantity[ask.line] = left_quantity - ask.quantity
            # Returning the last of a line's quantity returns all that is left of it.
            back = (
                gross[ask.line]
                if quantity[ask.line] == 0
                else min(gross[ask.line], round_half_up(ask.quantity * line.unit_price, _QUANTITY))
            )
        elif ask.amount is not None:
            if line.quantity is not None:
                raise InvalidInput(
                    "lines", f"line {ask.line} of bill {sold.bill_id} was sold by quantity: return a quantity"
                )
            if ask.amount > gross[ask.line]:
                raise _exceeds(sold, ask.line, f"{money(gross[ask.line])} of it is left")
            back = ask.amount
        else:
            if gross[ask.line] == 0 and not quantity[ask.line]:
                raise _exceeds(sold, ask.line, "nothing of it is left")
            back = gross[ask.line]
            if quantity[ask.line] is not None:
                quantity[ask.line] = 0
        gross[ask.line] -= back
    return Kept(tuple(gross), tuple(quantity), tuple(rewards_kept))


def _exceeds(sold: SoldBill, line: int, left: str) -> LoyaltyError:
    return LoyaltyError(
        RETURN_EXCEEDS_BILL, f"Line {line} of bill {sold.bill_id} cannot come back that much: {left}", line=line
    )


@dataclass(frozen=True)
class StateFigures:
    """A bill's figures for one state: money kept paid, points kept redeemed, earned per
    category, and the referral."""

    paid: int
    redeemed: int
    earned: dict[int, int]
    referral: int


def figures_of(sold: SoldBill, kept: Kept) -> StateFigures:
    """The bill's figures for the state `kept` (`loyalty-rules.md`, Returns). A category none
    of whose lines came back keeps exactly what its row recorded, and so does the referral
    while nothing came back: the first return measures from the rows themselves."""
    kept_paid, kept_points = [], []
    for line, gross in zip(sold.lines, kept.gross):
        if line.gross == 0:
            kept_paid.append(line.paid if gross == line.gross else 0)
            kept_points.append(line.redeemed if gross == line.gross else 0)
        else:
            kept_paid.append(round_half_up(line.paid * gross, line.gross))
            kept_points.append(round_half_up(line.redeemed * gross, line.gross))
    earned = {}
    for category, recorded in sold.earned.items():
        lines = [i for i, line in enumerate(sold.lines) if line.category_id == category]
        if all(kept.gross[i] == sold.lines[i].gross for i in lines):
            earned[category] = recorded
        else:
            pct, multiplier = sold.rates.get(category, (0, _MULTIPLIER * _MULTIPLIER))
            paid = sum(kept_paid[i] for i in lines)
            # Never more than the row recorded: a return never adds points, even for a bill
            # recorded with rates the rule cannot see (the figures still telescope to 0).
            earned[category] = min(recorded, round_down(paid * pct * multiplier, _PERCENT * _MULTIPLIER * _MULTIPLIER))
    if kept.nothing_back(sold) or not sold.referrer_points:
        referral = sold.referrer_points
    else:
        referral = min(sold.referrer_points, round_down(sum(kept_paid) * sold.referral_percent, _PERCENT))
    return StateFigures(sum(kept_paid), sum(kept_points), earned, referral)


@dataclass(frozen=True)
class ReturnFigures:
    """What a return gives back and takes: non-negative magnitudes (the rows carry the signs)."""

    cash_refund: int
    points_refunded: int  # redeemed points given back to the card
    points_reversed: int  # earned points taken off the card
    referrer_points_reversed: int
    earned_back: dict[int, int]  # per category, what comes off its EARNED row
    rewards_back: dict[str, int] = field(default_factory=dict)  # per reward product, its points back

    def to_json(self) -> dict[str, Any]:
        return {
            "cashRefund": money(self.cash_refund),
            "pointsRefunded": to_decimal(self.points_refunded, 2),
            "pointsReversed": to_decimal(self.points_reversed, 2),
            "referrerPointsReversed": to_decimal(self.referrer_points_reversed, 2),
        }


def return_figures(sold: SoldBill, before: Kept, after: Kept) -> ReturnFigures:
    """The return that takes the bill from `before` to `after`."""
    was, now = figures_of(sold, before), figures_of(sold, after)
    earned_back = {c: was.earned[c] - now.earned[c] for c in was.earned if was.earned[c] != now.earned[c]}
    # A reward product returned gives back its points price for each one (`loyalty-rules.md`).
    rewards_back = {
        reward: each * (kept_before - kept_after)
        for (reward, _quantity, each), kept_before, kept_after in zip(sold.rewards, before.rewards, after.rewards)
        if kept_before != kept_after
    }
    return ReturnFigures(
        cash_refund=was.paid - now.paid,
        points_refunded=was.redeemed - now.redeemed + sum(rewards_back.values()),
        points_reversed=sum(earned_back.values()),
        referrer_points_reversed=was.referral - now.referral,
        earned_back=earned_back,
        rewards_back=rewards_back,
    )


def return_postings(
    figures: ReturnFigures, rows: Sequence[Posted[C]], bill_id: str, return_id: str
) -> list[Posting[C]]:
    """The REVERSED rows of a return, each against the bill's row it takes back from.

    `rows` are the rows that name the bill (`bill_rows` picks its own); a difference with
    no row to count against (a bill whose category earned nothing) writes nothing.
    """
    own = bill_rows(rows)
    postings: list[Posting[C]] = []

    def against(row: Posted[C], points: int) -> None:
        postings.append(taking_back(row, points, bill_id, f"Return {return_id} of bill {bill_id}"))

    redeemed_back = figures.points_refunded - sum(figures.rewards_back.values())
    for row in own:
        if row.reference_type == REWARD:
            if figures.rewards_back.get(row.reward_id):
                against(row, figures.rewards_back[row.reward_id])
        elif row.transaction_type == REDEEMED and redeemed_back:
            against(row, redeemed_back)
        elif row.transaction_type == EARNED and figures.earned_back.get(row.category_id):
            against(row, -figures.earned_back[row.category_id])
        elif row.transaction_type == REFERRAL_EARNED and figures.referrer_points_reversed:
            against(row, -figures.referrer_points_reversed)
    return postings


__all__ = [
    "Kept",
    "ReturnFigures",
    "ReturnLineAsk",
    "SoldBill",
    "SoldLine",
    "figures_of",
    "parse_return_id",
    "parse_return_lines",
    "return_figures",
    "return_postings",
    "take_back",
]
