"""The one-ledger cross-check: whatever a pharmacy's tills do, they and the central service agree.

A hypothesis state machine drives one to three real tills (replica files, the real
services, the sync daemon's own `Syncer`) of one pharmacy on one real central service
(`pos-loyalty central serve`, SQLite or PostgreSQL). Its steps are what a counter does:
issue cards (referred or not, all of them offline until the next sync), sell bills of
amount lines and quantity x price lines in every category (active, inactive, known only
by its discount), with flat discounts and redemptions up to what the quote offers,
reverse bills, adjust balances, sync; and what head office does: deactivate a card
(a referrer that then earns nothing), change the configuration. At the end every till
syncs until nothing is left and the checks of `convergence.assert_converged` hold, plus:
no mutation rejected, no flag but the overdrafts two tills can cause, and every card's
totals on the server equal to the sums of its rows.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import text

from central.store.expiry import expire_all
from convergence import FIGURES, assert_converged
from pos_loyalty import cardnumber, errors, jsonio
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.rules import bill_from_json
from pos_loyalty.rules.returns import ReturnLineAsk
from pos_loyalty.services import bills, card_lifecycle, cards, configuration, returns
from tills import Pharmacy, Till

#: What a till may refuse while a cashier rings up a bill; the cashier then carries on.
CASHIER_REFUSALS = {
    errors.OFFLINE_LIMIT,
    errors.INSUFFICIENT_POINTS,
    errors.MIN_POINTS_NOT_MET,
    errors.EXCEEDS_MAX_REDEMPTION,
    errors.CARD_INACTIVE,
    errors.REWARD_UNAVAILABLE,
    errors.CARD_REQUIRED,
}

#: Seed 002's categories, plus one inactive category and one known only by its discount.
CONFIGURATION: dict[str, Any] = {
    "isEnabled": True,
    "pointsToAmountRate": Decimal("0.10"),
    "maxRedemptionPercent": Decimal("50"),
    "referralPointsPercent": Decimal("0.5"),
    "minPointsToRedeem": Decimal("100"),
    "offlineGraceSeconds": 86400,
    "categoryPointConfigs": [
        {"categoryId": 1, "categoryName": "Medicines", "pointPercentage": Decimal("1.0"), "isActive": True},
        {"categoryId": 2, "categoryName": "General", "pointPercentage": Decimal("3.0"), "isActive": True},
        {"categoryId": 3, "categoryName": "Baby Care", "pointPercentage": Decimal("5.0"), "isActive": True},
        {"categoryId": 4, "categoryName": "Cosmetics", "pointPercentage": Decimal("2.0"), "isActive": True},
        {"categoryId": 5, "categoryName": "Surgical", "pointPercentage": Decimal("4.0"), "isActive": False},
    ],
    "categoryDiscounts": [
        {"categoryId": 1, "categoryName": "Medicines", "discountPercentage": Decimal("5.0"), "isActive": True},
        {"categoryId": 3, "categoryName": "Baby Care", "discountPercentage": Decimal("10.0"), "isActive": True},
        {"categoryId": 4, "categoryName": "Cosmetics", "discountPercentage": Decimal("7.5"), "isActive": False},
        {"categoryId": 6, "categoryName": "Devices", "discountPercentage": Decimal("2.5"), "isActive": True},
    ],
    # Low thresholds, so that referral points alone lift a card a tier.
    "tiers": [
        {"name": "Member", "minLifetimePoints": Decimal("0"), "earnMultiplier": Decimal("1.00")},
        {"name": "Silver", "minLifetimePoints": Decimal("4"), "earnMultiplier": Decimal("1.25"),
         "maxRedemptionPercent": Decimal("60")},
        {"name": "Gold", "minLifetimePoints": Decimal("40"), "earnMultiplier": Decimal("1.50")},
    ],
}
CATEGORIES = (1, 2, 3, 4, 5, 6)

money = st.integers(min_value=1, max_value=250_000)  # hundredths: 0.01 to 2,500.00
amount_line = st.builds(lambda c, a: {"categoryId": c, "amount": Decimal(a).scaleb(-2)}, st.sampled_from(CATEGORIES), money)
priced_line = st.builds(
    lambda c, q, p: {"categoryId": c, "quantity": Decimal(q).scaleb(-3), "unitPrice": Decimal(p).scaleb(-2)},
    st.sampled_from(CATEGORIES),
    st.sampled_from([1000, 2000, 3000, 500, 1500, 250, 12_000, 1]),  # 1, 2, 3, 0.5, 1.5, 0.25, 12, 0.001
    st.integers(min_value=1, max_value=120_000),
)
share = st.sampled_from([None, Decimal("0"), Decimal("0.25"), Decimal("0.5"), Decimal("0.999"), Decimal("1")])
_phones = itertools.count(9_300_000_000)


class Pharmacies:
    """Where the state machine's pharmacies live: one real server, a new tenant per example."""

    def __init__(self, server: Any, folder: Path) -> None:
        self.server = server
        self.folder = folder
        self.count = itertools.count(1)

    def new(self) -> Pharmacy:
        folder = self.folder / f"pharmacy-{next(self.count)}"
        folder.mkdir()
        pharmacy = Pharmacy.create(self.server, folder)
        pharmacy.configure(**CONFIGURATION)
        return pharmacy


def machine(pharmacies: Pharmacies) -> type[RuleBasedStateMachine]:
    class CrossCheck(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.pharmacy = pharmacies.new()
            self.tills: list[Till] = []
            self.bills: dict[str, Till] = {}  # standing bills, and the till that made them
            self.numbers = itertools.count(1)

        @initialize(count=st.integers(min_value=1, max_value=3))
        def open_tills(self, count: int) -> None:
            for n in range(count):
                till = self.pharmacy.open_till(f"till-{n + 1}")
                till.connect(self.pharmacy.server.base)
                self.tills.append(till)

        # --- what the counters do ---------------------------------------------------------

        @rule(data=st.data(), opening=st.sampled_from([None, "150", "1000", "2500.55"]), referred=st.booleans())
        def issue_card(self, data: st.DataObject, opening: str | None, referred: bool) -> None:
            till = data.draw(st.sampled_from(self.tills))
            referrer = None
            known = self._active_cards(till)
            if referred and known:
                referrer = data.draw(st.sampled_from(known))
            number = cards.issue(till.replica, name=f"Customer {next(_phones)}", phone=str(next(_phones)), referrer=referrer).card_number
            if opening:
                cards.adjust(till.replica, number, opening, reason=f"opening balance {number}")

        @rule(
            data=st.data(),
            lines=st.lists(st.one_of(amount_line, priced_line), min_size=1, max_size=6),
            flat=share,
            redeem=share,
            with_card=st.booleans(),
            rewards=st.sampled_from([None, None, 1, 2]),
        )
        def sell(
            self, data: st.DataObject, lines: list[dict], flat: Decimal | None, redeem: Decimal | None, with_card: bool, rewards: int | None
        ) -> None:
            till = data.draw(st.sampled_from(self.tills))
            known = self._active_cards(till)
            number = data.draw(st.sampled_from(known)) if with_card and known else None
            document: dict[str, Any] = {"items": lines}
            offered = {r["rewardId"] for r in configuration.export(till.replica)["rewards"] if r["isActive"]}
            if rewards and number and "TOTE-BAG" in offered:  # what the till's list offers
                document["rewards"] = [{"rewardId": "TOTE-BAG", "quantity": rewards}]
                try:  # the cashier is told at once when the card cannot pay for them
                    bills.quote(till.replica, number, bill_from_json(document))
                except LoyaltyError as refusal:
                    if refusal.code not in CASHIER_REFUSALS:
                        raise
                    del document["rewards"]
            first = bills.quote(till.replica, number, bill_from_json(document))
            if flat is not None:
                document["flatDiscount"] = _part(first.net_amount, flat)
            quote = bills.quote(till.replica, number, bill_from_json(document))
            if redeem is not None and quote.max_redeemable_points:
                document["redeemPoints"] = max(_part(quote.max_redeemable_points, redeem), Decimal(1))
            bill_id = f"{till.name}-{next(self.numbers)}"
            try:
                bills.finalize(till.replica, number, bill_from_json(document), bill_id=bill_id)
            except LoyaltyError as refusal:
                if refusal.code not in CASHIER_REFUSALS:
                    raise
                document.pop("redeemPoints", None)
                document.pop("rewards", None)
                bills.finalize(till.replica, number, bill_from_json(document), bill_id=bill_id)
            self.bills[bill_id] = till

        @precondition(lambda self: self.bills)
        @rule(data=st.data())
        def reverse_bill(self, data: st.DataObject) -> None:
            bill_id = data.draw(st.sampled_from(sorted(self.bills)))
            bills.reverse(self.bills.pop(bill_id).replica, bill_id)

        @precondition(lambda self: self.bills)
        @rule(data=st.data(), fraction=st.sampled_from([None, Decimal("0.5"), Decimal("0.01"), Decimal("1")]))
        def return_part(self, data: st.DataObject, fraction: Decimal | None) -> None:
            """Part of a bill comes back at the till that sold it: a share of one line (or all
            that is left of it, `None`)."""
            bill_id = data.draw(st.sampled_from(sorted(self.bills)))
            till = self.bills[bill_id]
            found = returns.returnable(till.replica, bill_id)
            open_lines = [i for i, gross in enumerate(found.kept.gross) if gross]
            if not open_lines:
                return
            line = data.draw(st.sampled_from(open_lines))
            sold = found.sold.lines[line]
            if fraction is None or (sold.quantity is not None and not found.kept.quantity[line]):
                ask = ReturnLineAsk(line)
            elif sold.quantity is not None:
                ask = ReturnLineAsk(line, quantity=max(int(found.kept.quantity[line] * fraction), 1))
            else:
                ask = ReturnLineAsk(line, amount=max(int(found.kept.gross[line] * fraction), 1))
            returns.return_lines(till.replica, bill_id, [ask], return_id=f"R-{next(self.numbers)}")

        @rule(data=st.data(), amount=st.sampled_from(["25", "-10", "0.01", "-250.50", "1200"]))
        def adjust(self, data: st.DataObject, amount: str) -> None:
            till = data.draw(st.sampled_from(self.tills))
            known = self._active_cards(till)
            if not known:
                return
            number = data.draw(st.sampled_from(known))
            try:
                cards.adjust(till.replica, number, amount, reason=f"goodwill {next(self.numbers)}")
            except LoyaltyError as refusal:
                if refusal.code not in CASHIER_REFUSALS:
                    raise

        @rule(data=st.data(), pre_printed=st.booleans())
        def replace_card(self, data: st.DataObject, pre_printed: bool) -> None:
            """A customer lost their card: a manager replaces it at a till (the new card a
            pre-printed one, or the till's next number)."""
            till = data.draw(st.sampled_from(self.tills))
            known = self._active_cards(till)
            if not known:
                return
            number = data.draw(st.sampled_from(known))
            new_number = cardnumber.from_block("29", 99_000 + till.device_id, next(self.numbers)) if pre_printed else None
            card_lifecycle.replace(till.replica, number, new_number=new_number, performed_by="manager")

        @rule(data=st.data())
        def merge_cards(self, data: st.DataObject) -> None:
            """A customer with two cards: a manager merges them at a till."""
            till = data.draw(st.sampled_from(self.tills))
            known = self._active_cards(till)
            if len(known) < 2:
                return
            keep, other = data.draw(st.lists(st.sampled_from(known), min_size=2, max_size=2, unique=True))
            card_lifecycle.merge(till.replica, keep, other, performed_by="manager")

        @rule(data=st.data())
        def sync(self, data: st.DataObject) -> None:
            data.draw(st.sampled_from(self.tills)).sync_until_drained()

        # --- what head office does --------------------------------------------------------

        @rule(data=st.data())
        def deactivate_card(self, data: st.DataObject) -> None:
            """Head office closes a card (a referrer, often): it earns nothing from then on."""
            numbers = self._server_cards()
            if not numbers:
                return
            number = data.draw(st.sampled_from(numbers))
            card = self.pharmacy.card(number)
            answer = self.pharmacy.admin.delete(f"/api/v1/cards/{card['id']}")
            assert answer.status_code == 200, answer.text

        @rule(
            percent=st.sampled_from([Decimal("0"), Decimal("2.5"), Decimal("6")]),
            category=st.sampled_from([1, 2, 3, 4, 5]),
            active=st.booleans(),
        )
        def configure(self, percent: Decimal, category: int, active: bool) -> None:
            """Head office changes a category's percentage or switches it on or off."""
            current = jsonio.loads(self.pharmacy.admin.get("/api/v1/card-config").content)
            for entry in current["categoryPointConfigs"]:
                if entry["categoryId"] == category:
                    entry["pointPercentage"] = percent
                    entry["isActive"] = active
            self.pharmacy.configure(categoryPointConfigs=current["categoryPointConfigs"])

        @rule(rx=st.sampled_from([None, 1, 3]), promotion=st.booleans(), reward=st.booleans())
        def programme(self, rx: int | None, promotion: bool, reward: bool) -> None:
            """Head office makes a category a prescription one, runs a promotion today, and
            offers a reward product (or takes them away again)."""
            current = jsonio.loads(self.pharmacy.admin.get("/api/v1/card-config").content)
            for entry in current["categoryPointConfigs"]:
                entry["isRedeemable"] = entry["categoryId"] != rx
            today = datetime.utcnow().date()
            promotions = [
                {
                    "promotionId": 1,
                    "name": "Double points today",
                    "startsOn": (today - timedelta(days=1)).isoformat(),
                    "endsOn": (today + timedelta(days=1)).isoformat(),
                    "multiplier": Decimal("2.5"),
                    "categoryIds": [2, 3],
                }
            ] if promotion else []
            rewards = [{"rewardId": "TOTE-BAG", "name": "Tote bag", "pointsPrice": Decimal("120.5")}] if reward else []
            self.pharmacy.configure(
                categoryPointConfigs=current["categoryPointConfigs"], timeZone="Asia/Kolkata", promotions=promotions, rewards=rewards
            )

        @rule(days=st.sampled_from([1, 30]), ahead=st.sampled_from([0, 2, 45]))
        def expire(self, days: int, ahead: int) -> None:
            """Head office keeps points `days` days, and the expiry run looks `ahead` days on
            (as if it ran then): the EXPIRED rows reach the tills by pull."""
            self.pharmacy.configure(pointsExpiryDays=days)
            expire_all(self.pharmacy.store, datetime.utcnow() + timedelta(days=ahead))

        @rule(data=st.data(), minimum=st.sampled_from(["50", "100", "120.5"]))
        def edit_config_at_till(self, data: st.DataObject, minimum: str) -> None:
            """A store manager changes the redemption minimum at a till (config.changed)."""
            till = data.draw(st.sampled_from(self.tills))
            document = configuration.export(till.replica)
            configuration.save(till.replica, {**document, "minPointsToRedeem": Decimal(minimum)})

        # --- the checks ---------------------------------------------------------------------

        @invariant()
        def every_till_adds_up(self) -> None:
            for till in self.tills:
                _assert_till_read_your_writes(till)

        def teardown(self) -> None:
            try:
                if self.tills:
                    for _ in range(2):  # the second pass brings each till what the others pushed
                        for till in self.tills:
                            till.sync_until_drained()
                    check(self.pharmacy, self.tills)
            finally:
                self.pharmacy.close()

        # --- helpers --------------------------------------------------------------------------

        def _active_cards(self, till: Till) -> list[str]:
            with till.replica.reading() as uow:
                return [n for (n,) in uow.connection.exec_driver_sql(
                    "SELECT card_number FROM cards WHERE is_active ORDER BY id")]

        def _server_cards(self) -> list[str]:
            return [n for (n,) in self.pharmacy.store.run(
                lambda unit: unit.connection.execute(
                    text("SELECT card_number FROM cards WHERE tenant_id = :t AND is_active ORDER BY id"),
                    {"t": self.pharmacy.tenant_id},
                ).all(),
                write=False,
            )]

    return CrossCheck


def _part(hundredths: int, fraction: Decimal) -> Decimal:
    """`fraction` of a money or points figure (in hundredths), rounded down to the hundredth."""
    return Decimal(int(hundredths * fraction)).scaleb(-2)


def check(pharmacy: Pharmacy, tills: list[Till]) -> None:
    """After the last sync: nothing rejected, no flag but overdrafts, every figure agrees."""
    for till in tills:
        with till.replica.reading() as uow:
            refused = uow.connection.exec_driver_sql(
                "SELECT device_seq, kind, error_code, error_message FROM outbox WHERE status != 'APPLIED'"
            ).all()
        assert not refused, f"{till.name}: mutations not applied: {refused}"
    flags = [f for f in _all_flags(pharmacy) if not _expected(f)]
    assert not flags, f"unexpected flags: {flags}"
    assert_converged(pharmacy, *tills)
    _assert_server_totals_add_up(pharmacy)


def _expected(flag: dict[str, Any]) -> bool:
    """Overdrafts (two tills spending one card's points before either synced), and a
    configuration conflict where two tills really did change one field from one version."""
    if flag["kind"] == "OVERDRAFT":
        return True
    details = flag["details"]
    return flag["kind"] == "CONFIG_CONFLICT" and details["baseValue"] != details["serverValue"]


def _all_flags(pharmacy: Pharmacy) -> list[dict[str, Any]]:
    answer = pharmacy.admin.get("/api/v1/flags", params={"size": 500})
    assert answer.status_code == 200, answer.text
    return jsonio.loads(answer.content)["content"]


def _assert_till_read_your_writes(till: Till) -> None:
    """A till's card figures are the server's (as last pulled) plus its own later rows."""
    with till.replica.reading() as uow:
        wrong = uow.connection.exec_driver_sql(
            """
            SELECT c.card_number, c.points_balance, c.synced_balance + COALESCE(SUM(l.points), 0)
            FROM cards c LEFT JOIN ledger l ON l.card_id = c.id AND l.device_seq > c.synced_seq
            GROUP BY c.id HAVING c.points_balance != c.synced_balance + COALESCE(SUM(l.points), 0)
            """
        ).all()
    assert not wrong, f"{till.name}: balances that are not the server's plus this till's later rows: {wrong}"


_TOTALS = """
SELECT c.card_number, c.points_balance, c.total_points_earned, c.total_points_redeemed,
       c.total_referral_points_earned,
       COALESCE(SUM(t.points), 0),
       COALESCE(SUM(CASE WHEN COALESCE(o.transaction_type, t.transaction_type) = 'EARNED' THEN t.points END), 0)
           + COALESCE(SUM(t.moved_earned), 0),
       -COALESCE(SUM(CASE WHEN COALESCE(o.transaction_type, t.transaction_type) = 'REDEEMED' THEN t.points END), 0)
           + COALESCE(SUM(t.moved_redeemed), 0),
       COALESCE(SUM(CASE WHEN COALESCE(o.transaction_type, t.transaction_type) = 'REFERRAL_EARNED' THEN t.points END), 0)
           + COALESCE(SUM(t.moved_referral), 0)
FROM cards c
LEFT JOIN point_transactions t ON t.card_id = c.id
LEFT JOIN point_transactions o ON o.id = t.reverses_id
WHERE c.tenant_id = :tenant
GROUP BY c.id, c.card_number, c.points_balance, c.total_points_earned, c.total_points_redeemed,
         c.total_referral_points_earned
"""


def _assert_server_totals_add_up(pharmacy: Pharmacy) -> None:
    rows = pharmacy.store.run(
        lambda unit: unit.connection.execute(text(_TOTALS), {"tenant": pharmacy.tenant_id}).all(), write=False
    )
    wrong = {row[0]: (row[1:5], row[5:]) for row in rows if tuple(row[1:5]) != tuple(row[5:])}
    assert not wrong, f"server figures ({', '.join(FIGURES)}) that are not their rows' sums: {wrong}"

