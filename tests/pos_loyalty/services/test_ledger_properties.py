"""Random till sessions through the real services on a real replica file.

A Hypothesis state machine issues cards (some referred), adjusts them, finalizes bills
(with and without a card, a redemption, a flat discount), finalizes them again, and
reverses them, in any order. After every step the replica is audited with plain sqlite3
(`conftest.ReplicaAudit`): each card's balance and totals equal the sums of its ledger
rows, and the outbox is gapless with exactly one mutation per action that changed
something. Actions the till must refuse leave every table exactly as it was.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from pos_loyalty import errors, jsonio
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica.db import FILE_NAME
from pos_loyalty.rules import bill_from_json
from pos_loyalty.services import bills, cards, configuration, ledger, open_replica

# --- configurations the session may run under --------------------------------------------

SAMPLE = None  # the replica's own default: seed 002's sample pharmacy

TIERED = {
    "isEnabled": True,
    "pointsToAmountRate": Decimal("0.25"),
    "maxRedemptionPercent": 40,
    "referralPointsPercent": Decimal("1.5"),
    "minPointsToRedeem": 10,
    "categoryPointConfigs": [
        {"categoryId": 1, "categoryName": "Medicines", "pointPercentage": Decimal("1.25")},
        {"categoryId": 2, "categoryName": "General", "pointPercentage": 3},
        {"categoryId": 3, "categoryName": "Baby Care", "pointPercentage": Decimal("7.5")},
        {"categoryId": 4, "categoryName": "Cosmetics", "pointPercentage": 2, "isActive": False},
    ],
    "categoryDiscounts": [
        {"categoryId": 1, "categoryName": "Medicines", "discountPercentage": Decimal("4.5")},
        {"categoryId": 3, "categoryName": "Baby Care", "discountPercentage": 10},
    ],
    "tiers": [
        {"name": "Bronze", "minLifetimePoints": 0},
        {
            "name": "Silver",
            "minLifetimePoints": 20,
            "earnMultiplier": Decimal("1.5"),
            "maxRedemptionPercent": 60,
        },
        {"name": "Gold", "minLifetimePoints": 200, "earnMultiplier": 2, "maxRedemptionPercent": 80},
    ],
}

SWITCHED_OFF = {**TIERED, "isEnabled": False}

REFUSALS = (
    errors.MIN_POINTS_NOT_MET,
    errors.INSUFFICIENT_POINTS,
    errors.EXCEEDS_MAX_REDEMPTION,
    errors.PROGRAM_DISABLED,
    errors.INVALID_INPUT,
)


def hundredths(value: object) -> int:
    return int(Decimal(str(value)) * 100)


items = st.lists(
    st.fixed_dictionaries(
        {
            "categoryId": st.sampled_from([1, 2, 3, 4]),
            "amount": st.one_of(st.integers(1, 500_000), st.sampled_from([1, 99, 10_000])).map(
                lambda n: Decimal(n).scaleb(-2)
            ),
        }
    ),
    min_size=1,
    max_size=6,
)


def shape(value):
    """A document's values with their types ("5.00" and 5 differ; so do a time and its text)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__, str(value)


@dataclass
class BillRecord:
    bill_id: str
    card_number: str | None
    doc: dict
    result: dict
    #: How the bill moved each card's figures: {card id: (balance, earned, redeemed, referral)}.
    effects: dict[int, tuple[int, ...]] = field(default_factory=dict)
    reversed: bool = False


def delta(after: dict, before: dict) -> dict[int, tuple[int, ...]]:
    """How each card's figures moved between two snapshots; cards that did not move are left out."""
    moved = {}
    for card_id, figures in after.items():
        old = before.get(card_id, (0, 0, 0, 0))
        change = tuple(a - b for a, b in zip(figures, old))
        if any(change):
            moved[card_id] = change
    return moved


class TillSession(RuleBasedStateMachine):
    """One till's replica file, driven by random cashier and manager actions."""

    def __init__(self, audit_class) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="till-session-"))
        self.replica = open_replica(self.folder)
        self.audit = audit_class(self.folder / FILE_NAME)
        self.mutations: Counter[str] = Counter()
        self.bills: dict[str, BillRecord] = {}
        self.cards: list[str] = []
        self.referrer_of: dict[str, str | None] = {}
        self.serial = 0
        self.min_points = 0

    def teardown(self) -> None:
        self.replica.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- helpers ----------------------------------------------------------------

    def next_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial:05d}"

    def figures(self) -> dict[int, tuple[int, ...]]:
        return {card_id: tuple(f) for card_id, f in self.audit.card_figures().items()}

    def card_id(self, number: str | None) -> int | None:
        return None if number is None else self.audit.card_ids()[number]

    def refused(self, action, expected_codes) -> LoyaltyError:
        """Run an action that must be refused; the replica must not change at all."""
        before = self.audit.dump()
        with pytest.raises(LoyaltyError) as refusal:
            action()
        assert refusal.value.code in expected_codes, refusal.value
        event(f"refused: {refusal.value.code}")
        assert self.audit.dump() == before, f"{refusal.value.code} changed the replica"
        return refusal.value

    def draw_card(self, data: st.DataObject, *, or_none: bool = False) -> str | None:
        choices = self.cards + [None] if or_none else self.cards
        return data.draw(st.sampled_from(choices), label="card")

    def draw_bill(self, data: st.DataObject) -> BillRecord:
        return self.bills[data.draw(st.sampled_from(sorted(self.bills)), label="bill")]

    # --- setup: the configuration, and four cards (B referred by A, C by B) ----------

    @initialize(
        document=st.sampled_from([SAMPLE, SAMPLE, TIERED, TIERED, TIERED, SWITCHED_OFF]),
        openings=st.lists(st.integers(20_000, 300_000), min_size=4, max_size=4),
    )
    def open_the_till(self, document, openings: list[int]) -> None:
        if document is not None:
            saved = configuration.save(self.replica, document, performed_by="manager")
            assert saved.changed
            self.mutations["config.changed"] += 1
        self.min_points = hundredths(configuration.export(self.replica)["minPointsToRedeem"])
        for referrer, opening in zip([None, 0, 1, None], openings):
            number = self._issue(None if referrer is None else self.cards[referrer])
            if opening:
                cards.adjust(self.replica, number, Decimal(opening).scaleb(-2), reason="opening")
                self.mutations["card.adjusted"] += 1

    # --- cards ------------------------------------------------------------------

    @rule(data=st.data())
    def issue_card(self, data: st.DataObject) -> None:
        self._issue(self.draw_card(data, or_none=True))

    def _issue(self, referrer: str | None) -> str:
        phone = f"98{self.serial + 1:08d}"
        issued = cards.issue(self.replica, name=f"Customer {phone}", phone=phone, referrer=referrer)
        self.serial += 1
        self.mutations["card.issued"] += 1
        self.cards.append(issued.card_number)
        self.referrer_of[issued.card_number] = referrer
        assert issued.points_balance == 0
        assert issued.referrer_number == referrer
        return issued.card_number

    @rule(data=st.data(), amount=st.integers(-100_000, 300_000).filter(bool))
    def adjust(self, data: st.DataObject, amount: int) -> None:
        number = self.draw_card(data)
        card_id = self.card_id(number)
        before = self.figures()
        if before[card_id][0] + amount < 0:
            self.refused(
                lambda: cards.adjust(self.replica, number, Decimal(amount).scaleb(-2), reason="fix"),
                (errors.INSUFFICIENT_POINTS,),
            )
            return
        shown = cards.adjust(self.replica, number, Decimal(amount).scaleb(-2), reason="correction")
        self.mutations["card.adjusted"] += 1
        assert shown.points_balance == before[card_id][0] + amount
        assert delta(self.figures(), before) == {card_id: (amount, 0, 0, 0)}

    # --- bills ------------------------------------------------------------------

    @rule(lines=items, data=st.data())
    def finalize(self, lines: list, data: st.DataObject) -> None:
        number = self.draw_card(data, or_none=True)
        self._finalize_checked(self.next_id("B"), number, self._draw_bill(number, lines, data))

    @rule(lines=items, data=st.data())
    def finalize_for_a_card(self, lines: list, data: st.DataObject) -> None:
        number = self.draw_card(data)
        self._finalize_checked(self.next_id("B"), number, self._draw_bill(number, lines, data))

    def _draw_bill(self, number: str | None, lines: list, data: st.DataObject) -> dict:
        """A bill document, its redemption and flat discount drawn around what the quote allows."""
        plain = bills.quote(self.replica, number, bill_from_json({"items": lines}))
        doc: dict = {"items": lines}
        flat = data.draw(
            st.sampled_from(["none", "none", "some", "some", "all", "too much"]), label="flat"
        )
        if flat == "some":
            doc["flatDiscount"] = Decimal(
                plain.net_amount * data.draw(st.integers(1, 999), label="flat share") // 1000
            ).scaleb(-2)
        elif flat == "all":
            doc["flatDiscount"] = Decimal(plain.net_amount).scaleb(-2)
        elif flat == "too much":
            doc["flatDiscount"] = Decimal(plain.net_amount + 1).scaleb(-2)
        if number is not None:
            best = plain.max_redeemable_points
            # Mostly what the till would accept, sometimes what it must refuse.
            if best:
                allowed = st.integers(max(self.min_points, 1), best)
                choices = [st.just(0), st.just(best), allowed, allowed, allowed]
                choices += [st.just(best + 1), st.integers(1, 300_000)]
            else:
                choices = [st.just(0), st.just(0), st.integers(1, 300_000)]
            redeem = data.draw(st.one_of(*choices), label="redeem")
            if redeem:
                doc["redeemPoints"] = Decimal(redeem).scaleb(-2)
        return doc

    def _finalize_checked(self, bill_id: str, number: str | None, doc: dict) -> BillRecord | None:
        bill = bill_from_json(doc)
        try:
            quoted = bills.quote(self.replica, number, bill).to_json()
        except LoyaltyError as error:
            # Whatever the quote refuses, finalizing refuses the same way and writes nothing.
            assert error.code in REFUSALS, error
            self.refused(
                lambda: bills.finalize(self.replica, number, bill, bill_id=bill_id), (error.code,)
            )
            return None

        before = self.figures()
        seqs_before = len(self.audit.outbox())
        ledger_before = self.audit.count("ledger")
        done = bills.finalize(self.replica, number, bill, bill_id=bill_id, performed_by="cashier")
        assert not done.replayed
        result = done.result
        self.mutations["bill.finalized"] += 1

        # What the customer saw is what was quoted a moment before.
        quoted = jsonio.loads(jsonio.dumps(quoted))
        assert {key: result.get(key) for key in quoted} == quoted
        assert result["billId"] == bill_id

        earned = hundredths(result["pointsEarned"])
        redeemed = hundredths(result["pointsRedeemed"])
        referral = hundredths(result["referrerPointsEarned"])
        effects = delta(self.figures(), before)
        expected: dict[int, tuple[int, ...]] = {}
        card_id = self.card_id(number)
        if card_id is not None and (earned or redeemed):
            expected[card_id] = (earned - redeemed, earned, redeemed, 0)
        if card_id is not None:
            assert hundredths(result["newBalance"]) == before[card_id][0] + earned - redeemed
        if referral:
            referrer = self.referrer_of[number] if number else None
            assert referrer is not None
            expected[self.card_id(referrer)] = (referral, 0, 0, referral)
        assert effects == expected

        # One bill, one mutation carrying exactly the rows the bill wrote.
        rows = (1 if redeemed else 0) + (1 if referral else 0)
        rows += sum(1 for e in result["earnBreakdown"] if hundredths(e["points"]))
        assert self.audit.count("ledger") == ledger_before + rows
        outbox = self.audit.outbox()
        assert len(outbox) == seqs_before + 1
        seq, kind, payload = outbox[-1]
        assert (kind, payload["billId"], len(payload["ledger"])) == ("bill.finalized", bill_id, rows)
        assert self.audit.query("SELECT COUNT(*) FROM ledger WHERE device_seq = ?", seq) == [(rows,)]

        moved = [n for n, f in (("redemption", redeemed), ("earning", earned), ("referral", referral)) if f]
        event("bill with " + ", ".join(moved) if moved else "bill moving no points")
        record = BillRecord(bill_id, number, doc, result, effects)
        self.bills[bill_id] = record
        return record

    @precondition(lambda self: self.bills)
    @rule(data=st.data(), conflicting=st.sampled_from([False, False, False, True]), lines=items)
    def finalize_again(self, data: st.DataObject, conflicting: bool, lines: list) -> None:
        record = self.draw_bill(data)
        if conflicting and lines != record.doc["items"]:
            other = bill_from_json({**record.doc, "items": lines})
            self.refused(
                lambda: bills.finalize(self.replica, record.card_number, other, bill_id=record.bill_id),
                (errors.IDEMPOTENCY_CONFLICT,),
            )
            return
        before = self.audit.dump()
        again = bills.finalize(
            self.replica, record.card_number, bill_from_json(record.doc), bill_id=record.bill_id
        )
        assert again.replayed
        # The same answer, value for value and type for type: the first was the result as
        # written, the repeat is it read back.
        assert shape(again.result) == shape(record.result)
        after = self.audit.dump()
        for table in ("ledger", "bills", "outbox"):
            assert len(after[table]) == len(before[table]), f"finalize-twice added {table} rows"
        assert after == before
        event("finalized again")

    @precondition(lambda self: self.bills)
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        record = self.draw_bill(data)
        if record.reversed:
            self.refused(
                lambda: bills.reverse(self.replica, record.bill_id), (errors.ALREADY_REVERSED,)
            )
        else:
            self._reverse_checked(record)

    def _reverse_checked(self, record: BillRecord) -> None:
        before = self.figures()
        ledger_before = self.audit.count("ledger")
        bill_rows = self.audit.query(
            "SELECT COUNT(*) FROM ledger WHERE reference_id = ?", record.bill_id
        )[0][0]
        reversal = bills.reverse(self.replica, record.bill_id, performed_by="manager")
        record.reversed = True
        self.mutations["bill.reversed"] += 1
        negated = {card_id: tuple(-x for x in moved) for card_id, moved in record.effects.items()}
        assert delta(self.figures(), before) == negated
        assert len(reversal["rows"]) == bill_rows
        assert self.audit.count("ledger") == ledger_before + bill_rows
        assert self.audit.query(
            "SELECT status FROM bills WHERE bill_id = ?", record.bill_id
        ) == [("REVERSED",)]
        seq, kind, payload = self.audit.outbox()[-1]
        assert (kind, payload["billId"], len(payload["ledger"])) == (
            "bill.reversed",
            record.bill_id,
            bill_rows,
        )
        event("reversed")
        if any(figures[0] < 0 for figures in self.figures().values()):
            event("a reversal took a balance below zero")

    @rule(lines=items, data=st.data())
    def finalize_then_reverse(self, lines: list, data: st.DataObject) -> None:
        number = self.draw_card(data)
        before = self.figures()
        record = self._finalize_checked(self.next_id("R"), number, self._draw_bill(number, lines, data))
        if record is not None:
            self._reverse_checked(record)
            # Every balance and every total, of the card and of its referrer, is back.
            assert self.figures() == before

    # --- after every step ---------------------------------------------------------

    @invariant()
    def ledger_and_outbox_agree(self) -> None:
        self.audit.check()
        card_ids = self.audit.card_ids().values()
        stored = self.audit.card_figures()
        with self.replica.reading() as uow:
            for card_id in card_ids:
                totals = ledger.totals(uow, card_id)
                assert tuple(stored[card_id]) == (
                    totals.points_balance,
                    totals.total_points_earned,
                    totals.total_points_redeemed,
                    totals.total_referral_points_earned,
                )
        kinds = Counter(kind for _, kind, _ in self.audit.outbox())
        assert kinds == self.mutations
        assert self.audit.count("bills") == len(self.bills)
        reversed_bills = self.audit.query("SELECT COUNT(*) FROM bills WHERE status = 'REVERSED'")
        assert reversed_bills == [(sum(r.reversed for r in self.bills.values()),)]


def test_random_till_sessions_keep_ledger_outbox_and_balances_in_step(audit) -> None:
    run_state_machine_as_test(
        lambda: TillSession(audit),
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            # Every step writes a real file: shrinking a failure would take minutes, and an
            # unshrunk session of at most 25 steps is short enough to read.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )


def test_a_reversal_may_take_a_balance_below_zero_and_the_card_then_cannot_redeem(
    replica, referred_pair, audit
) -> None:
    a, b = referred_pair
    check = audit(replica.path)
    earning = bill_from_json({"items": [{"categoryId": 3, "amount": Decimal("4000.00")}]})
    earned = bills.finalize(replica, a, earning, bill_id="EARN-1").result
    assert earned["pointsEarned"] == Decimal("180.00")  # 5 % of 3600.00 after 10 % off
    spent = cards.find(replica, a).points_balance
    cards.adjust(replica, a, Decimal(-spent).scaleb(-2), reason="spent elsewhere")

    bills.reverse(replica, "EARN-1")
    card = cards.find(replica, a)
    assert card.points_balance == -18000
    assert (card.total_points_earned, card.total_referral_points_earned) == (0, 0)
    assert cards.find(replica, b).total_referral_points_earned == 0
    check.check()

    before = check.dump()
    redeeming = bill_from_json(
        {"items": [{"categoryId": 2, "amount": Decimal("500.00")}], "redeemPoints": 100}
    )
    with pytest.raises(LoyaltyError) as refused:
        bills.finalize(replica, a, redeeming, bill_id="REDEEM-1")
    assert refused.value.code == errors.INSUFFICIENT_POINTS
    plain = bill_from_json({"items": [{"categoryId": 2, "amount": 500}]})
    assert bills.quote(replica, a, plain).max_redeemable_points == 0
    assert check.dump() == before
