"""Two tills of one pharmacy, cut off from the server together, selling and redeeming on the
same cards: after healing, both replicas and the server agree, and what the cards were
overdrawn by is flagged and bounded by the offline allowance of each till.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from sqlalchemy import text

from convergence import assert_converged, till_figures
from pos_loyalty import errors
from pos_loyalty.errors import LoyaltyError
from sync.daemon import SyncFailed
from tills import Cashier

LIMIT = 150  # offlineRedemptionLimitPoints: points per card per day per till, while offline


def lowest_balances(pharmacy) -> dict[str, Decimal]:
    """Each card's lowest balance on the server after a bill (or an adjustment) was applied:
    the balance after the last of the rows it wrote on that card."""
    rows = pharmacy.store.run(
        lambda unit: unit.connection.execute(
            text(
                "SELECT c.card_number, MIN(t.balance_after) FROM point_transactions t JOIN cards c ON c.id = t.card_id"
                " WHERE t.id IN (SELECT MAX(id) FROM point_transactions WHERE tenant_id = :tenant"
                "                GROUP BY card_id, COALESCE(reference_id, CAST(id AS TEXT)))"
                " GROUP BY c.card_number"
            ),
            {"tenant": pharmacy.tenant_id},
        ).all(),
        write=False,
    )
    return {number: Decimal(lowest) / 100 for number, lowest in rows}


@pytest.mark.parametrize("server", ["sqlite", "postgresql"], indirect=True)
def test_two_partitioned_tills_agree_after_healing_and_overdraw_within_their_allowances(pharmacy, proxy):
    pharmacy.configure(offlineGraceSeconds=1, offlineRedemptionLimitPoints=LIMIT)
    one, two = pharmacy.open_till("counter-1"), pharmacy.open_till("counter-2")
    one.connect(proxy.url)
    two.connect(proxy.url)
    first, second = Cashier(one, seed=1), Cashier(two, seed=2)
    rich = first.issue(opening="2000")
    short = first.issue(opening="200")  # two tills x 150 > 200: will be overdrawn
    exact = first.issue(opening="150")  # each till may spend all of it
    referred = first.issue(opening="400", referrer=rich)
    plain = first.issue()  # no points at all: earns only
    one.sync_until_drained()
    two.sync_until_drained()  # both tills now know every card, with its balance
    second.cards = list(first.cards)
    assert two.balance(short) == Decimal("200.00")

    proxy.offline = True
    for till in (one, two):
        with pytest.raises(SyncFailed):
            till.round()
    time.sleep(1.2)  # past offlineGraceSeconds: both tills are offline now

    for cashier in (first, second):
        cashier.sell(rich, "1000.00", category=2, redeem=str(LIMIT))
        cashier.sell(short, "400.00", category=1, redeem=str(LIMIT))
        cashier.sell(exact, "400.00", category=1, redeem=str(LIMIT))
        cashier.sell(referred, "600.00", category=3, redeem="100")
        cashier.sell(plain, "250.00", category=4)
        with pytest.raises(LoyaltyError) as refused:
            cashier.sell(rich, "1000.00", category=2, redeem="100")  # plenty of points, no allowance left
        assert refused.value.code == errors.OFFLINE_LIMIT
        with pytest.raises(LoyaltyError) as refused:
            cashier.sell(referred, "600.00", category=3, redeem="100")  # 50 of 150 left
        assert refused.value.code == errors.OFFLINE_LIMIT
        for number in (rich, referred, plain):  # earning goes on
            cashier.sell(number, "300.00", category=2)
    # Each till believes the short card still holds points; together they spent 300 of its 200.
    assert one.balance(short) > 0 and two.balance(short) > 0

    proxy.offline = False
    one.sync_until_drained()
    two.sync_until_drained()
    assert_converged(pharmacy, one, two)
    assert till_figures(one) == till_figures(two)

    lowest = lowest_balances(pharmacy)
    overdrawn = {number for number, balance in lowest.items() if balance < 0}
    assert {short, exact} <= overdrawn
    flagged = {flag["cardNumber"] for flag in pharmacy.flags("OVERDRAFT")}
    assert flagged == overdrawn
    tills = 2
    for number in overdrawn:
        assert -lowest[number] <= tills * Decimal(LIMIT), f"card {number} overdrawn by {-lowest[number]}"
    assert pharmacy.card(short)["pointsBalance"] < 0 and pharmacy.card(rich)["pointsBalance"] > 0
