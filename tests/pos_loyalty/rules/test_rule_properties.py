"""Property tests of the pure loyalty rules (`spec/loyalty-rules.md`) against exact arithmetic.

Hypothesis draws configurations, cards and bills; every figure the rules produce is
checked against the same figure worked out here with `fractions.Fraction`, from the
JSON documents the test generated (not from the parsed objects under test). The
worked example of the spec is run through the same checks first, so the checks
themselves are known to agree with the spec's numbers.
"""

from __future__ import annotations

import dataclasses

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pos_loyalty import errors, jsonio
from pos_loyalty.amounts import MAX_FIGURE
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.rules import (
    CardState,
    Quote,
    bill_from_json,
    config_from_json,
    config_to_json,
    quote_bill,
    spread,
)
from pos_loyalty.rules.config import SAMPLE_CONFIG_JSON

#: Whole bills (up to 30 lines) take a few milliseconds each to draw.
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SPREAD_SETTINGS = settings(max_examples=500, deadline=None)


# --- exact arithmetic ----------------------------------------------------------------


def half_up(x: Fraction) -> int:
    """round_half_up to a whole number of hundredths, for x >= 0."""
    assert x >= 0
    return math.floor(x + Fraction(1, 2))


def down(x: Fraction) -> int:
    """round_down (toward zero) to a whole number of hundredths, for x >= 0."""
    assert x >= 0
    return math.floor(x)


def hundredths(value: object) -> int:
    """A JSON figure with two decimals as an int of hundredths."""
    scaled = Fraction(Decimal(str(value))) * 100
    assert scaled.denominator == 1
    return int(scaled)


def assert_largest_remainder(total: int, weights: list[int], shares: list[int]) -> None:
    """`shares` is total spread over weights by largest remainder, ties to earlier lines."""
    assert len(shares) == len(weights)
    assert sum(shares) == total
    assert all(s >= 0 for s in shares)
    weight_sum = sum(weights)
    if weight_sum == 0:
        assert shares == [0] * len(weights)
        return
    exact = [Fraction(total * w, weight_sum) for w in weights]
    for share, figure in zip(shares, exact):
        assert abs(share - figure) < 1, (share, figure)
        assert share in (math.floor(figure), math.floor(figure) + 1)
    rounded_up = [i for i, (s, e) in enumerate(zip(shares, exact)) if s > math.floor(e)]
    left_down = [i for i in range(len(weights)) if i not in rounded_up]
    for i in rounded_up:
        remainder_i = exact[i] - math.floor(exact[i])
        assert remainder_i > 0, f"line {i} got a unit it had no remainder for"
        for j in left_down:
            remainder_j = exact[j] - math.floor(exact[j])
            # Line i took an extra unit and line j did not: i's remainder is larger, or
            # equal with i the earlier line.
            assert remainder_i > remainder_j or (remainder_i == remainder_j and i < j), (
                i,
                j,
                remainder_i,
                remainder_j,
            )


# --- the pharmacy, worked out from its JSON document -----------------------------------


@dataclass(frozen=True)
class Pharmacy:
    """What the test itself reads out of a configuration document."""

    enabled: bool
    rate: Fraction  # money per point
    max_percent: Fraction
    referral_percent: Fraction
    min_points: int  # hundredths
    earn_percent: dict[int, Fraction]  # active configs only
    discount_percent: dict[int, Fraction]  # active discounts only
    known: frozenset[int]
    tiers: tuple[tuple[int, Fraction, Fraction | None], ...]  # (min, multiplier, max %)

    @classmethod
    def of(cls, doc: dict) -> Pharmacy:
        points_cfg = doc.get("categoryPointConfigs", [])
        discount_cfg = doc.get("categoryDiscounts", [])
        return cls(
            enabled=doc.get("isEnabled", False),
            rate=Fraction(Decimal(str(doc["pointsToAmountRate"]))),
            max_percent=Fraction(Decimal(str(doc["maxRedemptionPercent"]))),
            referral_percent=Fraction(Decimal(str(doc["referralPointsPercent"]))),
            min_points=hundredths(doc["minPointsToRedeem"]),
            earn_percent={
                c["categoryId"]: Fraction(Decimal(str(c["pointPercentage"])))
                for c in points_cfg
                if c.get("isActive", True)
            },
            discount_percent={
                d["categoryId"]: Fraction(Decimal(str(d["discountPercentage"])))
                for d in discount_cfg
                if d.get("isActive", True)
            },
            known=frozenset(c["categoryId"] for c in points_cfg + discount_cfg),
            tiers=tuple(
                (
                    hundredths(t["minLifetimePoints"]),
                    Fraction(Decimal(str(t.get("earnMultiplier", 1)))),
                    None
                    if t.get("maxRedemptionPercent") is None
                    else Fraction(Decimal(str(t["maxRedemptionPercent"]))),
                )
                for t in doc.get("tiers", [])
            ),
        )

    def tier_for(self, lifetime: int) -> tuple[Fraction, Fraction | None]:
        """(multiplier, max % override) of the highest tier the card reaches."""
        chosen: tuple[Fraction, Fraction | None] = (Fraction(1), None)
        for minimum, multiplier, max_percent in self.tiers:
            if minimum <= lifetime:
                chosen = (multiplier, max_percent)
        return chosen


@dataclass(frozen=True)
class Expected:
    """The figures of a bill before redemption, worked out exactly."""

    member: bool
    multiplier: Fraction
    max_percent: Fraction
    grosses: list[int]
    category_discounts: list[int]
    after_category: list[int]


def expected_before_flat(pharmacy: Pharmacy, card: CardState | None, bill_doc: dict) -> Expected:
    member = card is not None and card.is_active and pharmacy.enabled
    multiplier, override = pharmacy.tier_for(card.lifetime_points) if member else (Fraction(1), None)
    grosses = []
    for item in bill_doc["items"]:
        if "amount" in item:
            grosses.append(hundredths(item["amount"]))
        else:
            quantity = Fraction(Decimal(str(item["quantity"])))
            unit_price = Fraction(Decimal(str(item["unitPrice"])))
            grosses.append(half_up(quantity * unit_price * 100))
    discounts = [
        half_up(g * pharmacy.discount_percent.get(item["categoryId"], Fraction(0)) / 100)
        if member
        else 0
        for g, item in zip(grosses, bill_doc["items"])
    ]
    return Expected(
        member=member,
        multiplier=multiplier,
        max_percent=override if override is not None else pharmacy.max_percent,
        grosses=grosses,
        category_discounts=discounts,
        after_category=[g - d for g, d in zip(grosses, discounts)],
    )


def check_quote(pharmacy: Pharmacy, card: CardState | None, bill_doc: dict, quote: Quote) -> None:
    """Every figure of an accepted quote against exact arithmetic."""
    expected = expected_before_flat(pharmacy, card, bill_doc)
    flat = hundredths(bill_doc.get("flatDiscount", 0))
    redeem = hundredths(bill_doc.get("redeemPoints", 0))
    lines = list(quote.lines)

    # Step 1: category discounts, members only.
    assert [line.gross for line in lines] == expected.grosses
    assert [line.category_discount for line in lines] == expected.category_discounts
    assert quote.bill_amount == sum(expected.grosses)
    assert quote.category_discount == sum(expected.category_discounts)

    # Step 2: the flat discount spread exactly by largest remainder.
    assert quote.flat_discount == flat
    flat_shares = [line.flat_discount for line in lines]
    assert_largest_remainder(flat, expected.after_category, flat_shares)
    nets = [a - f for a, f in zip(expected.after_category, flat_shares)]
    assert [line.net for line in lines] == nets
    net_amount = sum(nets)
    assert quote.net_amount == net_amount

    # Step 3: the redemption cap, tier override included.
    max_amount = down(net_amount * expected.max_percent / 100)
    amount_deducted = half_up(redeem * pharmacy.rate) if redeem else 0
    assert quote.points_redeemed == redeem
    assert quote.amount_deducted == amount_deducted
    assert quote.amount_deducted <= max_amount
    if expected.member and card is not None:
        max_redeemable = min(card.available_points, down(max_amount / pharmacy.rate))
        if card.offline_allowance is not None:
            max_redeemable = min(max_redeemable, max(card.offline_allowance, 0))
        if max_redeemable < pharmacy.min_points:
            max_redeemable = 0
    else:
        max_redeemable = 0
    assert quote.max_redeemable_points == max_redeemable

    # Step 4: the redeemed money spread by net; what is paid.
    point_shares = [line.points_discount for line in lines]
    assert_largest_remainder(amount_deducted, nets, point_shares)
    paids = [line.paid for line in lines]
    assert paids == [n - s for n, s in zip(nets, point_shares)]
    assert all(p >= 0 for p in paids)
    assert quote.payable == net_amount - amount_deducted
    assert sum(paids) == quote.payable

    # Step 5: earned points per category, never above the exact figure.
    paid_by_category: dict[int, int] = {}
    for item, paid in zip(bill_doc["items"], paids):
        paid_by_category[item["categoryId"]] = paid_by_category.get(item["categoryId"], 0) + paid
    earned = {e.category_id: e for e in quote.earn_breakdown}
    assert set(earned) == set(paid_by_category)
    for category_id, paid in paid_by_category.items():
        line = earned[category_id]
        assert line.amount == paid
        percentage = pharmacy.earn_percent.get(category_id, Fraction(0)) if expected.member else 0
        exact = paid * Fraction(percentage) / 100 * expected.multiplier
        assert line.points <= exact
        assert line.points > exact - 1  # within 0.01 point below the exact figure
    assert quote.points_earned == sum(e.points for e in quote.earn_breakdown)

    # Step 6: referral on the payable amount, no multiplier, never above exact.
    if expected.member and card is not None and card.has_active_referrer:
        exact_referral = quote.payable * pharmacy.referral_percent / 100
        assert quote.referrer_points_earned <= exact_referral
        assert quote.referrer_points_earned > exact_referral - 1
    else:
        assert quote.referrer_points_earned == 0

    # Step 8: no card or programme off means no points either way.
    if not expected.member:
        assert quote.points_earned == 0
        assert quote.tier is None


def expected_refusal(
    pharmacy: Pharmacy, card: CardState | None, redeem: int, net_amount: int, max_percent: Fraction
) -> str | None:
    """The error code a redemption of `redeem` hundredths must get, or None if accepted."""
    if redeem == 0:
        return None
    if card is None:
        return errors.INVALID_INPUT
    if not card.is_active:
        return errors.CARD_INACTIVE
    if not pharmacy.enabled:
        return errors.PROGRAM_DISABLED
    if redeem < pharmacy.min_points:
        return errors.MIN_POINTS_NOT_MET
    if redeem > card.available_points:
        return errors.INSUFFICIENT_POINTS
    if half_up(redeem * pharmacy.rate) > down(net_amount * max_percent / 100):
        return errors.EXCEEDS_MAX_REDEMPTION
    if card.offline_allowance is not None and redeem > card.offline_allowance:
        return errors.OFFLINE_LIMIT
    return None


# --- strategies ------------------------------------------------------------------------


def scaled(places: int, low: int, high: int, *favourites: int) -> st.SearchStrategy[Decimal]:
    """A Decimal with at most `places` decimals, from low to high (in the scaled unit)."""
    ints = st.integers(low, high)
    if favourites:
        ints = st.one_of(ints, st.sampled_from(favourites))
    return ints.map(lambda n: Decimal(n).scaleb(-places))


percentages = scaled(2, 0, 10_000, 0, 50, 100, 500, 1000, 5000, 10_000)


@st.composite
def config_documents(draw: st.DrawFn, *, enabled: bool | None = None) -> dict:
    category_ids = draw(st.lists(st.integers(1, 60), min_size=1, max_size=6, unique=True))
    points_cfg, discount_cfg = [], []
    for category_id in category_ids:
        kind = draw(st.sampled_from(["both", "both", "points", "discount"]))
        if kind in ("both", "points"):
            points_cfg.append(
                {
                    "categoryId": category_id,
                    "categoryName": f"Category {category_id}",
                    "pointPercentage": draw(percentages),
                    "isActive": draw(st.sampled_from([True, True, True, False])),
                }
            )
        if kind in ("both", "discount"):
            discount_cfg.append(
                {
                    "categoryId": category_id,
                    "categoryName": f"Category {category_id}",
                    "discountPercentage": draw(percentages),
                    "isActive": draw(st.sampled_from([True, True, True, False])),
                }
            )
    tiers = []
    threshold = 0
    for position in range(draw(st.integers(0, 4))):
        if position:
            threshold += draw(st.integers(1, 2_000_000))
        tier: dict = {"name": f"Tier {position}", "minLifetimePoints": Decimal(threshold).scaleb(-2)}
        if draw(st.booleans()):
            tier["earnMultiplier"] = draw(scaled(2, 1, 10_000, 100, 150, 200))
        if draw(st.booleans()):
            tier["maxRedemptionPercent"] = draw(percentages)
        tiers.append(tier)
    return {
        "isEnabled": draw(st.sampled_from([True, True, True, False])) if enabled is None else enabled,
        "pointsToAmountRate": draw(scaled(4, 1, 1_000_000, 1, 25, 1000, 10_000)),
        "maxRedemptionPercent": draw(percentages),
        "referralPointsPercent": draw(percentages),
        "minPointsToRedeem": draw(scaled(2, 0, 50_000, 0, 1, 10_000)),
        "categoryPointConfigs": points_cfg,
        "categoryDiscounts": discount_cfg,
        "tiers": tiers,
    }


def known_categories(doc: dict) -> list[int]:
    return sorted(
        {c["categoryId"] for c in doc["categoryPointConfigs"]}
        | {d["categoryId"] for d in doc["categoryDiscounts"]}
    )


@st.composite
def bill_items(draw: st.DrawFn, category_ids: list[int]) -> list[dict]:
    items = []
    for _ in range(draw(st.integers(1, 30))):
        category_id = draw(st.sampled_from(category_ids))
        if draw(st.integers(0, 3)) == 0:
            items.append(
                {
                    "categoryId": category_id,
                    "quantity": draw(scaled(3, 1, 100_000, 1, 1000, 2500)),
                    "unitPrice": draw(scaled(2, 1, 1_000_000, 1, 999)),
                }
            )
        else:
            amount = draw(
                st.one_of(
                    scaled(2, 1, 100_000_00, 1, 50000, 99999),
                    scaled(2, 1, 10**11),  # large figures, the bill still within the flat-discount limit
                )
            )
            items.append({"categoryId": category_id, "amount": amount})
    return items


member_cards = st.builds(
    CardState,
    card_number=st.just("2900001000005"),
    is_active=st.just(True),
    points_balance=st.one_of(st.integers(0, 10**8), st.integers(10_000, 100_000)),
    lifetime_points=st.integers(0, 10**7),
    has_active_referrer=st.booleans(),
    offline_allowance=st.one_of(st.none(), st.integers(10_000, 10**6)),
)

cards = st.one_of(
    st.none(),
    member_cards,
    st.builds(
        CardState,
        card_number=st.just("2900001000005"),
        is_active=st.sampled_from([True, True, True, False]),
        points_balance=st.one_of(st.integers(-100_000, 10**8), st.integers(0, 50_000)),
        lifetime_points=st.integers(0, 10**7),
        has_active_referrer=st.booleans(),
        offline_allowance=st.one_of(st.none(), st.none(), st.integers(-1000, 10**6)),
    ),
)


@st.composite
def quoted_bills(draw: st.DrawFn, *, members_only: bool = False):
    """(pharmacy, config, card, bill document with a fitting flat discount).

    `members_only`: an enabled programme and an active card, so redemption is possible.
    """
    doc = draw(config_documents(enabled=True if members_only else None))
    pharmacy = Pharmacy.of(doc)
    config = config_from_json(jsonio.loads(jsonio.dumps(doc)))
    card = draw(member_cards if members_only else cards)
    bill_doc: dict = {"items": draw(bill_items(known_categories(doc)))}
    total_after = sum(expected_before_flat(pharmacy, card, bill_doc).after_category)
    flats = [st.just(0), st.integers(0, 1_000_000).map(lambda k: total_after * k // 1_000_000)]
    if not members_only:
        flats.append(st.just(total_after))  # nothing left to pay
    flat = draw(st.one_of(*flats))
    if flat:
        bill_doc["flatDiscount"] = Decimal(flat).scaleb(-2)
    return pharmacy, config, card, bill_doc


def redemption_choices(quote: Quote, card: CardState | None, min_points: int) -> st.SearchStrategy[int]:
    best = quote.max_redeemable_points
    balance = card.points_balance if card is not None else 0
    choices = [
        st.just(best),
        st.just(best + 1),
        st.just(min_points),
        st.just(max(min_points - 1, 1)),
        st.integers(1, max(2 * abs(balance), 2)),
        st.just(max(balance, 0) + 1),
    ]
    if best:
        choices.append(st.integers(max(min_points, 1), best))
    return st.one_of(*choices)


# --- spread -----------------------------------------------------------------------------


@SPREAD_SETTINGS
@given(
    total=st.integers(0, 10**9),
    weights=st.lists(
        st.one_of(st.integers(0, 10**9), st.sampled_from([0, 1, 3, 7, 100])), min_size=1, max_size=30
    ),
)
def test_spread_shares_sum_exactly_stay_within_one_unit_and_favour_earlier_lines(
    total: int, weights: list[int]
) -> None:
    assume(sum(weights) > 0)
    assert_largest_remainder(total, weights, spread(total, weights))


@SPREAD_SETTINGS
@given(
    total=st.integers(0, 10**6),
    weight=st.integers(1, 10**6),
    count=st.integers(1, 30),
)
def test_spread_over_equal_lines_gives_the_odd_units_to_the_first_lines(
    total: int, weight: int, count: int
) -> None:
    shares = spread(total, [weight] * count)
    base, odd = divmod(total, count)
    assert shares == [base + 1] * odd + [base] * (count - odd)


def test_spread_examples_from_the_spec() -> None:
    # Worked example: 20.00 over Medicines 475.00 and General 500.00.
    assert spread(2000, [47500, 50000]) == [974, 1026]
    assert spread(1, [5, 5, 5]) == [1, 0, 0]
    assert spread(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError):
        spread(1, [0, 0])


# --- quote_bill -------------------------------------------------------------------------


def test_the_checks_agree_with_the_worked_example() -> None:
    pharmacy = Pharmacy.of(SAMPLE_CONFIG_JSON)
    config = config_from_json(SAMPLE_CONFIG_JSON)
    card = CardState("2900001000005", True, 100000, 0, has_active_referrer=True)
    bill_doc = {
        "items": [
            {"categoryId": 1, "amount": Decimal("500.00")},
            {"categoryId": 2, "amount": Decimal("500.00")},
        ],
        "redeemPoints": Decimal("200"),
    }
    quote = quote_bill(config, card, bill_from_json(bill_doc))
    check_quote(pharmacy, card, bill_doc, quote)
    assert (quote.net_amount, quote.amount_deducted, quote.payable) == (97500, 2000, 95500)
    assert [line.paid for line in quote.lines] == [46526, 48974]
    assert (quote.points_earned, quote.referrer_points_earned) == (1934, 477)


@SETTINGS
@given(case=quoted_bills(), data=st.data())
def test_every_quote_matches_exact_arithmetic(case, data: st.DataObject) -> None:
    pharmacy, config, card, bill_doc = case
    quote = quote_bill(config, card, bill_from_json(bill_doc))
    check_quote(pharmacy, card, bill_doc, quote)

    redeem = data.draw(redemption_choices(quote, card, pharmacy.min_points), label="redeem")
    with_redemption = {**bill_doc, "redeemPoints": Decimal(redeem).scaleb(-2)}
    expected = expected_before_flat(pharmacy, card, bill_doc)
    refusal = expected_refusal(pharmacy, card, redeem, quote.net_amount, expected.max_percent)
    if refusal is None:
        redeemed = quote_bill(config, card, bill_from_json(with_redemption))
        check_quote(pharmacy, card, with_redemption, redeemed)
    else:
        with pytest.raises(LoyaltyError) as refused:
            quote_bill(config, card, bill_from_json(with_redemption))
        assert refused.value.code == refusal, refused.value.message


@SETTINGS
@given(case=quoted_bills(members_only=True), data=st.data())
def test_every_redemption_up_to_max_redeemable_points_is_accepted(case, data: st.DataObject) -> None:
    pharmacy, config, card, bill_doc = case
    quote = quote_bill(config, card, bill_from_json(bill_doc))
    assume(quote.max_redeemable_points > 0)
    assert card is not None
    assert quote.max_redeemable_points >= pharmacy.min_points
    assert quote.max_redeemable_points <= card.available_points
    redeem = data.draw(
        st.one_of(
            st.just(quote.max_redeemable_points),
            st.integers(max(pharmacy.min_points, 1), quote.max_redeemable_points),
        ),
        label="redeem",
    )
    with_redemption = {**bill_doc, "redeemPoints": Decimal(redeem).scaleb(-2)}
    redeemed = quote_bill(config, card, bill_from_json(with_redemption))
    check_quote(pharmacy, card, with_redemption, redeemed)
    assert redeemed.payable == redeemed.net_amount - redeemed.amount_deducted


@SETTINGS
@given(case=quoted_bills(members_only=True), data=st.data())
def test_a_redemption_over_the_cap_is_told_the_most_points_this_bill_takes(
    case, data: st.DataObject
) -> None:
    """EXCEEDS_MAX_REDEMPTION "states the largest allowed number of points": the quote's figure."""
    pharmacy, config, card, bill_doc = case
    net_amount = quote_bill(config, card, bill_from_json(bill_doc)).net_amount
    expected = expected_before_flat(pharmacy, card, bill_doc)
    max_amount = down(net_amount * expected.max_percent / 100)
    # The smallest redemption whose money, rounded half up, is over the cap.
    over_cap = down((max_amount + Fraction(1, 2)) / pharmacy.rate) + 1
    lowest = max(pharmacy.min_points, over_cap, 1)
    # Give the card enough points to try it (the balance changes neither the net nor the cap).
    most = MAX_FIGURE * 100  # the largest number of points a bill may name at all
    assume(lowest <= most)
    balance = data.draw(st.integers(lowest, min(lowest + 10**7, most)), label="balance")
    card = dataclasses.replace(card, points_balance=max(card.points_balance, balance))
    quote = quote_bill(config, card, bill_from_json(bill_doc))
    redeem = data.draw(st.integers(lowest, min(card.available_points, most)), label="redeem")
    assert (
        expected_refusal(pharmacy, card, redeem, quote.net_amount, expected.max_percent)
        == errors.EXCEEDS_MAX_REDEMPTION
    )
    with pytest.raises(LoyaltyError) as refused:
        redeeming = {**bill_doc, "redeemPoints": Decimal(redeem).scaleb(-2)}
        quote_bill(config, card, bill_from_json(redeeming))
    assert refused.value.code == errors.EXCEEDS_MAX_REDEMPTION
    stated = hundredths(refused.value.details["maxRedeemablePoints"])
    assert stated == quote.max_redeemable_points, refused.value.message


@SETTINGS
@given(case=quoted_bills(), excess=st.integers(1, 10**6))
def test_a_flat_discount_above_the_bill_after_category_discounts_is_refused(case, excess: int) -> None:
    pharmacy, config, card, bill_doc = case
    total_after = sum(expected_before_flat(pharmacy, card, bill_doc).after_category)
    too_much = {**bill_doc, "flatDiscount": Decimal(total_after + excess).scaleb(-2)}
    with pytest.raises(InvalidInput) as refused:
        quote_bill(config, card, bill_from_json(too_much))
    assert refused.value.field == "flatDiscount"


@SETTINGS
@given(doc=config_documents())
def test_a_configuration_survives_export_and_import(doc: dict) -> None:
    config = config_from_json(doc)
    exported = jsonio.loads(jsonio.dumps(config_to_json(config)))
    assert config_from_json(exported) == config


# --- the one ledger: which rows a bill and its reversal write ----------------------------

from pos_loyalty.rules.ledger import EARNED, REDEEMED, REFERRAL_EARNED, REVERSED, move  # noqa: E402
from pos_loyalty.rules.postings import BillFigures, Posted, bill_postings, reversal_postings  # noqa: E402


@dataclass
class Figures:
    points_balance: int = 0
    total_points_earned: int = 0
    total_points_redeemed: int = 0
    total_referral_points_earned: int = 0


def _store(postings, cards: dict[str, Figures], ledger: list[Posted]) -> None:
    """What a store does with postings: move the card, keep the row."""
    for posting in postings:
        move(cards[posting.card], posting.transaction_type, posting.points, reversing=posting.counts_as)
        ledger.append(
            Posted(len(ledger), posting.card, posting.transaction_type, posting.points, posting.reference_type,
                   posting.reverses, posting.category_id, posting.category_name, posting.referred_card,
                   posting.referred_bill_id)
        )


@SETTINGS
@given(case=quoted_bills(members_only=True), data=st.data())
def test_a_bills_rows_are_its_figures_and_its_reversal_takes_them_all_back(case, data: st.DataObject) -> None:
    pharmacy, config, card, bill_doc = case
    quote = quote_bill(config, card, bill_from_json(bill_doc))
    if quote.max_redeemable_points:
        redeem = data.draw(st.integers(max(pharmacy.min_points, 1), quote.max_redeemable_points), label="redeem")
        quote = quote_bill(config, card, bill_from_json({**bill_doc, "redeemPoints": Decimal(redeem).scaleb(-2)}))
    referrer = "B" if data.draw(st.booleans(), label="referrer known") else None

    # The central service works the rows out from the result the till recorded: the same rows.
    recorded = BillFigures.of_result(jsonio.loads(jsonio.dumps(quote.to_json())))
    assert recorded == BillFigures.of_quote(quote)
    rows = bill_postings(recorded, "B-1", "A", "2900001000005", referrer)
    assert all(row.points for row in rows), "no row of zero points"
    on_a = [row for row in rows if row.card == "A"]
    assert sum(row.points for row in on_a) == quote.points_earned - quote.points_redeemed
    assert [row.points for row in on_a if row.transaction_type == EARNED] == [
        line.points for line in quote.earn_breakdown if line.points
    ]
    on_b = [row for row in rows if row.card == "B"]
    assert [row.points for row in on_b] == ([quote.referrer_points_earned] if referrer and quote.referrer_points_earned else [])
    assert all(row.transaction_type == REFERRAL_EARNED and row.referred_card == "A" for row in on_b)

    cards = {"A": Figures(), "B": Figures()}
    ledger: list[Posted] = []
    _store(rows, cards, ledger)
    assert cards["A"].total_points_earned - cards["A"].total_points_redeemed == cards["A"].points_balance
    assert cards["A"].total_points_redeemed == quote.points_redeemed
    _store(reversal_postings(ledger, "B-1"), cards, ledger)
    assert cards == {"A": Figures(), "B": Figures()}, "a reversal restores every card and total"
    assert all(row.transaction_type == REVERSED for row in ledger[len(rows):])
    assert reversal_postings(ledger, "B-1") == [], "nothing is left to take back twice"


def test_a_reversal_only_takes_back_bill_rows() -> None:
    """A manager's adjustment that names the bill, or an earlier reversal, is not taken back again."""
    rows = [
        Posted(1, "A", EARNED, 500, "BILL"),
        Posted(2, "A", REDEEMED, -10000, "BILL"),
        Posted(3, "B", REFERRAL_EARNED, 477, "REFERRAL", referred_card="A", referred_bill_id="B-1"),
        Posted(4, "A", "ADJUSTED", 100, "MANUAL"),
        Posted(5, "A", REVERSED, -200, "BILL", reverses=1),  # part of row 1 already back
    ]
    postings = reversal_postings(rows, "B-1")
    assert [(p.card, p.points, p.counts_as, p.reverses, p.reference_type) for p in postings] == [
        ("A", -300, EARNED, 1, "BILL"),
        ("A", 10000, REDEEMED, 2, "BILL"),
        ("B", -477, REFERRAL_EARNED, 3, "REFERRAL"),
    ]


@SETTINGS
@given(case=quoted_bills())
def test_every_bill_reads_back_from_its_own_json(case) -> None:
    """Whatever bill a till accepts, the central service reads the same bill from the till's mutation."""
    _pharmacy, _config, _card, bill_doc = case
    bill = bill_from_json(bill_doc)
    assert bill_from_json(jsonio.loads(jsonio.dumps(bill.to_json()))) == bill
