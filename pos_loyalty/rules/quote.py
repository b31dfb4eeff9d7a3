"""How a bill is worked out: a pure function of (configuration, card, bill).

This is `spec/loyalty-rules.md` in code, step by step, with the step numbers of the
spec in the comments. No session, no clock, no I/O: the till (from its replica) and the
central service (from its database) both call `quote_bill` and get the same answer to
the last paisa and point. Every figure is an int of hundredths (see `amounts.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pos_loyalty import errors
from pos_loyalty.jsonio import iso
from pos_loyalty.amounts import (
    MAX_FIGURE,
    MULTIPLIER_PLACES,
    POINTS_PLACES,
    PERCENT_PLACES,
    RATE_PLACES,
    money,
    parse_points,
    percent,
    points,
    round_down,
    round_half_up,
    to_decimal,
)
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.rules.bill import BillRequest
from pos_loyalty.rules.config import LoyaltyConfig, Tier
from pos_loyalty.rules.holds import available_balance
from pos_loyalty.rules.programme import best_promotion
from pos_loyalty.rules.spread import spread

# Denominators turning "amount x percentage" into the unit of the result.
_PERCENT = 100 * 10**PERCENT_PLACES  # a percentage in hundredths, as a fraction
_RATE = 10**RATE_PLACES  # money hundredths per point hundredth
_MULTIPLIER = 10**MULTIPLIER_PLACES
MAX_POINTS = MAX_FIGURE * 10**POINTS_PLACES


@dataclass(frozen=True)
class CardState:
    """What the rules need to know about the card on the bill."""

    card_number: str
    is_active: bool
    points_balance: int  # as this till knows it; may be negative after a reversal
    lifetime_points: int  # totalPointsEarned + totalReferralPointsEarned, before this bill
    has_active_referrer: bool = False
    #: Points this card may still redeem today while the till is offline; None = no limit.
    offline_allowance: int | None = None
    #: Points of lots known to have expired that no EXPIRED row has taken off yet
    #: (`rules/expiry.py`): not available, whatever the balance says.
    expired_points: int = 0
    #: What the card shows of its lots: points expiring in the next 30 days, and when next.
    expiring_points: int = 0
    next_expiry_at: datetime | None = None
    #: Points of active holds (`rules/holds.py`): reserved for a pending payment, not available.
    held_points: int = 0

    @property
    def available_points(self) -> int:
        return available_balance(self.points_balance, self.expired_points, self.held_points)

    def to_json(self) -> dict[str, Any]:
        """What a till's rules knew of the card, sent with its bill so the central service can
        check the bill's figures with the same knowledge (its own may be newer)."""
        return {
            "cardNumber": self.card_number,
            "isActive": self.is_active,
            "pointsBalance": points(self.points_balance),
            "lifetimePoints": points(self.lifetime_points),
            "hasActiveReferrer": self.has_active_referrer,
            "expiredPoints": points(self.expired_points),
            "heldPoints": points(self.held_points),
        }

    @classmethod
    def from_json(cls, doc: object, where: str = "cardState") -> CardState:
        if not isinstance(doc, dict):
            raise InvalidInput(where, f"{where} must be an object")
        for flag in ("isActive", "hasActiveReferrer"):
            if not isinstance(doc.get(flag), bool):
                raise InvalidInput(f"{where}.{flag}", f"{where}.{flag} must be true or false")
        number = doc.get("cardNumber")
        if not isinstance(number, str) or not 1 <= len(number) <= 32:
            raise InvalidInput(f"{where}.cardNumber", f"{where}.cardNumber must be a card number")
        return cls(
            card_number=number,
            is_active=doc["isActive"],
            points_balance=parse_points(doc.get("pointsBalance"), f"{where}.pointsBalance", minimum=-MAX_POINTS),
            lifetime_points=parse_points(doc.get("lifetimePoints"), f"{where}.lifetimePoints", minimum=-MAX_POINTS),
            has_active_referrer=doc["hasActiveReferrer"],
            expired_points=parse_points(doc.get("expiredPoints") or 0, f"{where}.expiredPoints"),
            held_points=parse_points(doc.get("heldPoints") or 0, f"{where}.heldPoints"),
        )


@dataclass(frozen=True)
class QuoteLine:
    category_id: int
    category_name: str
    gross: int
    category_discount: int
    flat_discount: int
    net: int
    points_discount: int  # this line's share of amountDeducted
    paid: int
    is_redeemable: bool = True  # False: points may not pay for it (a prescription)


@dataclass(frozen=True)
class EarnLine:
    category_id: int
    category_name: str
    amount: int  # money actually paid in this category
    point_percentage: int
    points: int
    #: earnMultiplier x promoMultiplier, in ten-thousandths (10000 = x1), and the promotion.
    multiplier: int = _MULTIPLIER * _MULTIPLIER
    promotion_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "categoryId": self.category_id,
            "categoryName": self.category_name,
            "amount": money(self.amount),
            "pointPercentage": percent(self.point_percentage),
            "points": points(self.points),
            "multiplier": shown_multiplier(self.multiplier),
            "promotionId": self.promotion_id,
        }


def shown_multiplier(ten_thousandths: int) -> Decimal:
    """A product of two multipliers (ten-thousandths) with two decimals, or four when it needs
    them (1.5 x 1.25 = 1.875); never an exponent."""
    if ten_thousandths % 100 == 0:
        return to_decimal(ten_thousandths // 100, MULTIPLIER_PLACES)
    return to_decimal(ten_thousandths, 2 * MULTIPLIER_PLACES)


@dataclass(frozen=True)
class RewardLine:
    reward_id: str
    name: str
    quantity: int
    points: int  # pointsPrice x quantity

    def to_json(self) -> dict[str, Any]:
        return {"rewardId": self.reward_id, "name": self.name, "quantity": self.quantity, "points": points(self.points)}


@dataclass(frozen=True)
class Quote:
    card_number: str | None
    program_enabled: bool
    tier: Tier | None
    available_points: int
    bill_amount: int
    category_discount: int
    flat_discount: int
    net_amount: int
    points_redeemed: int
    amount_deducted: int
    payable: int
    points_earned: int
    referrer_points_earned: int
    max_redeemable_points: int
    earn_breakdown: tuple[EarnLine, ...]
    lines: tuple[QuoteLine, ...]
    config_version: int
    #: The referral percentage the referrer earned at (0: no referral), kept with the bill
    #: so that a return measures the referral as the bill did.
    referral_percent: int = 0
    #: The card's points expiring in the next 30 days, and the soonest expiry (the card's).
    expiring_points: int = 0
    next_expiry_at: datetime | None = None
    #: Reward products bought with points (outside the money of the bill), and their points.
    rewards: tuple[RewardLine, ...] = ()
    reward_points: int = 0
    #: The money of the lines points may pay for (prescriptions left out).
    redeemable_net: int = 0

    def to_json(self) -> dict[str, Any]:
        """The quote as `central-api.md` names it, plus the per-line working; as the JSON
        written of it reads back (its time as text), so a finalize answers with it as it
        stands, as a repeat of the bill answers (`services.bills`)."""
        return {
            "cardNumber": self.card_number,
            "programEnabled": self.program_enabled,
            "tier": self.tier.name if self.tier and self.tier.name else None,
            "earnMultiplier": to_decimal(
                self.tier.earn_multiplier if self.tier else _MULTIPLIER, MULTIPLIER_PLACES
            ),
            "availablePoints": points(self.available_points),
            "expiringPoints": points(self.expiring_points),
            "nextExpiryAt": None if self.next_expiry_at is None else iso(self.next_expiry_at),
            "billAmount": money(self.bill_amount),
            "categoryDiscount": money(self.category_discount),
            "flatDiscount": money(self.flat_discount),
            "netAmount": money(self.net_amount),
            "pointsRedeemed": points(self.points_redeemed),
            "amountDeducted": money(self.amount_deducted),
            "payable": money(self.payable),
            "pointsEarned": points(self.points_earned),
            "referrerPointsEarned": points(self.referrer_points_earned),
            "referralPointsPercent": percent(self.referral_percent),
            "maxRedeemablePoints": points(self.max_redeemable_points),
            "earnBreakdown": [e.to_json() for e in self.earn_breakdown],
            "rewardPoints": points(self.reward_points),
            "rewards": [r.to_json() for r in self.rewards],
            "redeemableNet": money(self.redeemable_net),
            "lines": [
                {
                    "categoryId": line.category_id,
                    "categoryName": line.category_name,
                    "gross": money(line.gross),
                    "categoryDiscount": money(line.category_discount),
                    "flatDiscount": money(line.flat_discount),
                    "net": money(line.net),
                    "pointsDiscount": money(line.points_discount),
                    "paid": money(line.paid),
                    "isRedeemable": line.is_redeemable,
                }
                for line in self.lines
            ],
            "configVersion": self.config_version,
        }


def quote_bill(config: LoyaltyConfig, card: CardState | None, bill: BillRequest, on: date | None = None) -> Quote:
    """Work out a bill of local date `on` (promotions; None: none apply); raise LoyaltyError
    with the rule's code when it cannot stand."""
    for index, line in enumerate(bill.lines):
        if not config.knows_category(line.category_id):
            raise InvalidInput(
                f"items[{index}].categoryId",
                f"Category {line.category_id} is not in this pharmacy's configuration",
            )

    member, tier = membership(config, card)

    # 1. Category discounts, per line, for members only.
    grosses = [line.gross for line in bill.lines]
    category_discounts = [
        round_half_up(line.gross * config.discount_percentage(line.category_id), _PERCENT)
        if member
        else 0
        for line in bill.lines
    ]
    after_category = [g - d for g, d in zip(grosses, category_discounts)]
    total_after_category = sum(after_category)

    # 2. Flat discount, for any bill, spread by largest remainder.
    if bill.flat_discount > total_after_category:
        raise InvalidInput(
            "flatDiscount",
            f"The flat discount {money(bill.flat_discount)} is larger than the bill "
            f"after category discounts ({money(total_after_category)})",
        )
    flat_shares = spread(bill.flat_discount, after_category)
    nets = [a - f for a, f in zip(after_category, flat_shares)]
    net_amount = sum(nets)

    # Reward products: points only, outside the bill's money; they go before a redemption.
    reward_lines = _reward_lines(config, card, bill.rewards)
    reward_points = sum(r.points for r in reward_lines)

    # 3. Redemption against the net amount, of the lines points may pay for.
    redeemable = [config.is_redeemable(line.category_id) for line in bill.lines]
    redeemable_net = sum(n for n, ok in zip(nets, redeemable) if ok)
    redeemed = redemption(config, card, bill.redeem_points, net_amount, redeemable_net, reward_points)

    # 4. The redeemed money, spread over the redeemable lines by their net.
    point_shares = spread(redeemed.amount_deducted, [n if ok else 0 for n, ok in zip(nets, redeemable)])
    paids = [n - s for n, s in zip(nets, point_shares)]
    payable = net_amount - redeemed.amount_deducted

    # 5 and 6. Earning on money actually paid (with the day's promotion), and the referrer's share.
    paid_by_category: dict[int, int] = {}
    for line, paid in zip(bill.lines, paids):
        paid_by_category[line.category_id] = paid_by_category.get(line.category_id, 0) + paid
    earned = earning(config, card, paid_by_category, payable, on)

    return Quote(
        card_number=card.card_number if card is not None else None,
        program_enabled=config.is_enabled,
        tier=tier,
        available_points=card.available_points if card is not None else 0,
        bill_amount=sum(grosses),
        category_discount=sum(category_discounts),
        flat_discount=bill.flat_discount,
        net_amount=net_amount,
        points_redeemed=bill.redeem_points,
        amount_deducted=redeemed.amount_deducted,
        payable=payable,
        points_earned=earned.points_earned,
        referrer_points_earned=earned.referrer_points_earned,
        max_redeemable_points=redeemed.max_redeemable_points,
        earn_breakdown=earned.breakdown,
        lines=tuple(
            QuoteLine(
                line.category_id,
                config.category_name(line.category_id),
                line.gross,
                cat,
                flat,
                net,
                share,
                paid,
                ok,
            )
            for line, cat, flat, net, share, paid, ok in zip(
                bill.lines, category_discounts, flat_shares, nets, point_shares, paids, redeemable
            )
        ),
        config_version=config.version,
        referral_percent=earned.referral_percent,
        expiring_points=card.expiring_points if card is not None else 0,
        next_expiry_at=card.next_expiry_at if card is not None else None,
        rewards=reward_lines,
        reward_points=reward_points,
        redeemable_net=redeemable_net,
    )


def _reward_lines(
    config: LoyaltyConfig, card: CardState | None, rewards: tuple[tuple[str, int], ...]
) -> tuple[RewardLine, ...]:
    """The bill's reward products at their points price; they need an active card on an
    enabled programme, and each an active reward of the configuration."""
    if not rewards:
        return ()
    if card is None:
        raise LoyaltyError(errors.CARD_REQUIRED, "Reward products are bought with points: scan the customer's card first")
    if not card.is_active:
        raise LoyaltyError(errors.CARD_INACTIVE, f"Card {card.card_number} is not active; it cannot buy reward products")
    if not config.is_enabled:
        raise LoyaltyError(errors.PROGRAM_DISABLED, "The loyalty programme is switched off at this pharmacy")
    lines = []
    for reward_id, quantity in rewards:
        reward = config.reward(reward_id)
        if reward is None or not reward.is_active:
            raise LoyaltyError(
                errors.REWARD_UNAVAILABLE, f"There is no reward product {reward_id} at this pharmacy now", rewardId=reward_id
            )
        lines.append(RewardLine(reward.reward_id, reward.name, quantity, reward.points_price * quantity))
    total = sum(line.points for line in lines)
    if total > card.available_points:
        raise LoyaltyError(
            errors.INSUFFICIENT_POINTS,
            f"The reward products cost {points(total)} points; the card has only {points(card.available_points)}",
            availablePoints=points(card.available_points),
        )
    if card.offline_allowance is not None and total > card.offline_allowance:
        allowance = points(max(card.offline_allowance, 0))
        raise LoyaltyError(
            errors.OFFLINE_LIMIT,
            f"The till is offline: this card can spend at most {allowance} more points today",
            offlineAllowance=allowance,
        )
    return tuple(lines)


def membership(config: LoyaltyConfig, card: CardState | None) -> tuple[bool, Tier | None]:
    """Step 8 and 7: member benefits need a valid, active card and an enabled programme;
    a member's tier is the highest whose threshold its lifetime points reach."""
    member = card is not None and card.is_active and config.is_enabled
    return member, config.tier_for(card.lifetime_points) if member and card is not None else None


@dataclass(frozen=True)
class Redemption:
    max_amount: int | None  # the most money points may take off this bill (None: not known)
    max_redeemable_points: int  # what the quote offers ("redeem max")
    amount_deducted: int  # the money the requested points take off (0 if none requested)


def redemption(
    config: LoyaltyConfig,
    card: CardState | None,
    redeem_points: int,
    net_amount: int | None,
    redeemable_net: int | None = None,
    reward_points: int = 0,
) -> Redemption:
    """Step 3 on a bill of `net_amount`: the cap, the most that may be redeemed, and the
    money `redeem_points` take off; raises the rule's error when they cannot be redeemed.

    `net_amount=None` is a bill whose amount the caller did not give (seed 002's
    redeem-points body): the percentage cap cannot be measured and is not applied,
    except that a cap of 0 % allows nothing on any bill.
    """
    member, tier = membership(config, card)
    max_percent = config.max_redemption_percent
    if tier is not None and tier.max_redemption_percent is not None:
        max_percent = tier.max_redemption_percent
    if net_amount is None:
        max_amount = 0 if max_percent == 0 else None
    else:
        max_amount = round_down(net_amount * max_percent, _PERCENT)
        if redeemable_net is not None:  # points may not pay for prescriptions
            max_amount = min(max_amount, redeemable_net)
    # Reward products are paid in points first: what is left of the card may pay money.
    available = max(card.available_points - reward_points, 0) if card is not None else 0
    max_redeemable = 0
    if member and card is not None:
        max_redeemable = available
        if max_amount is not None:
            max_redeemable = min(available, round_down(max_amount * _RATE, config.points_to_amount_rate))
        if card.offline_allowance is not None:
            max_redeemable = min(max_redeemable, max(card.offline_allowance - reward_points, 0))
        if max_redeemable < config.min_points_to_redeem:
            max_redeemable = 0
    if redeem_points <= 0:
        return Redemption(max_amount, max_redeemable, 0)

    _check_redemption(config, card, redeem_points, reward_points)
    amount_deducted = round_half_up(redeem_points * config.points_to_amount_rate, _RATE)
    if max_amount is not None and amount_deducted > max_amount:
        cap = (
            f"{percent(max_percent)}% of {money(net_amount)} is {money(max_amount)}"
            if net_amount is not None
            else "this pharmacy allows 0% of a bill"
        )
        if max_redeemable:
            message = f"At most {points(max_redeemable)} points can be redeemed on this bill ({cap})"
        else:
            message = (
                f"No points can be redeemed on this bill ({cap}, less than the minimum of "
                f"{points(config.min_points_to_redeem)} points)"
            )
        raise LoyaltyError(
            errors.EXCEEDS_MAX_REDEMPTION, message, maxRedeemablePoints=points(max_redeemable)
        )
    if card is not None and card.offline_allowance is not None:
        if redeem_points + reward_points > card.offline_allowance:
            allowance = points(max(card.offline_allowance, 0))
            raise LoyaltyError(
                errors.OFFLINE_LIMIT,
                f"The till is offline: this card can redeem at most {allowance} more points today",
                offlineAllowance=allowance,
            )
    return Redemption(max_amount, max_redeemable, amount_deducted)


@dataclass(frozen=True)
class Earning:
    breakdown: tuple[EarnLine, ...]
    points_earned: int
    referrer_points_earned: int
    referral_percent: int = 0  # what the referral was worked out at (0: none)


def earning(
    config: LoyaltyConfig,
    card: CardState | None,
    paid_by_category: dict[int, int],
    payable: int,
    on: date | None = None,
) -> Earning:
    """Steps 5 and 6: points on the money actually paid in each category (with the tier's
    multiplier and the best promotion of the bill's local date `on`, rounded once), and one
    level of referral on `payable` (with neither)."""
    member, tier = membership(config, card)
    multiplier = tier.earn_multiplier if tier is not None else _MULTIPLIER
    breakdown = []
    for category_id, paid in paid_by_category.items():
        pct = config.earning_percentage(category_id) if member else 0
        promotion = best_promotion(config.promotions, category_id, on) if member else None
        combined = multiplier * (promotion.multiplier if promotion is not None else _MULTIPLIER)
        earned = round_down(paid * pct * combined, _PERCENT * _MULTIPLIER * _MULTIPLIER)
        breakdown.append(
            EarnLine(
                category_id,
                config.category_name(category_id),
                paid,
                pct,
                earned,
                combined,
                promotion.promotion_id if promotion is not None else None,
            )
        )
    referrer_points = referral_percent = 0
    if member and card is not None and card.has_active_referrer:
        referral_percent = config.referral_points_percent
        referrer_points = round_down(payable * referral_percent, _PERCENT)
    return Earning(tuple(breakdown), sum(e.points for e in breakdown), referrer_points, referral_percent)



def _check_redemption(config: LoyaltyConfig, card: CardState | None, redeem: int, reward_points: int = 0) -> None:
    """Step 3's preconditions, in the order a cashier would want to hear them."""
    if card is None:
        raise InvalidInput("redeemPoints", "Points can only be redeemed with a loyalty card on the bill")
    if not card.is_active:
        raise LoyaltyError(
            errors.CARD_INACTIVE, f"Card {card.card_number} is not active; it cannot redeem points"
        )
    if not config.is_enabled:
        raise LoyaltyError(
            errors.PROGRAM_DISABLED, "The loyalty programme is switched off at this pharmacy"
        )
    if redeem < config.min_points_to_redeem:
        raise LoyaltyError(
            errors.MIN_POINTS_NOT_MET,
            f"At least {points(config.min_points_to_redeem)} points must be redeemed at a time",
            minPointsToRedeem=points(config.min_points_to_redeem),
        )
    if redeem + reward_points > card.available_points:
        for_rewards = f" ({points(reward_points)} of them go to reward products)" if reward_points else ""
        raise LoyaltyError(
            errors.INSUFFICIENT_POINTS,
            f"The card has only {points(card.available_points)} points{for_rewards}",
            availablePoints=points(card.available_points),
        )
