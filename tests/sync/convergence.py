"""The check at the end of every fault scenario: did every till and the server end up agreeing?

After each till's outbox is drained and a last round has pulled what the others did:
(a) every ledger row a till wrote is on the server exactly once (a bill's rows by bill,
    type, points and card; a manager's adjustment by card, points and reason), and every
    bill with the same status (TRANSFER rows aside: a card's move to the card that
    replaced it takes what the card holds where the move is applied, so a till's own
    TRANSFER rows are its view until the service's come back by pull; (c) checks those);
(b) the server holds exactly one sync_mutations row per outbox mutation of each till
    (deviceSeq 1..n, the same mutation ids), all applied;
(c) every card's balance and totals are the same on every till and on the server;
(d) on the server, every card's balance is the sum of its point_transactions rows.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from tills import Pharmacy, Till

FIGURES = ("pointsBalance", "totalPointsEarned", "totalPointsRedeemed", "totalReferralPointsEarned")


def assert_converged(pharmacy: Pharmacy, *tills: Till) -> None:
    for till in tills:
        assert till.pending() == 0, f"{till.name} still has mutations to push"
        statuses = Counter(status for _seq, _mutation, status in _outbox(till))
        assert set(statuses) <= {"APPLIED"}, f"{till.name}: outbox {dict(statuses)}"
    for till in tills:  # a last pull: each till learns what the others pushed
        till.sync_until_drained()
    for till in tills:
        _assert_each_row_once(pharmacy, till)
        _assert_one_sync_mutation_each(pharmacy, till)
    # Every row on the server is a till's, but for the EXPIRED rows the service's expiry writes.
    ((rows_on_server,),) = _server(
        pharmacy,
        "SELECT COUNT(*) FROM point_transactions"
        " WHERE tenant_id = :tenant AND transaction_type != 'EXPIRED' AND reference_type != 'TRANSFER'",
    )
    assert rows_on_server == sum(_ledger_rows(till) for till in tills), "the server has rows no till wrote"
    _assert_balances_agree(pharmacy, tills)
    _assert_server_ledger_adds_up(pharmacy)


# --- (a) ----------------------------------------------------------------------------------


def _row_key(
    reference_type: str, reference_id: str | None, kind: str, points: int, number: str, description: str | None
) -> tuple:
    if reference_type == "MANUAL":
        return ("MANUAL", number, points, description)
    return (reference_id, kind, points, number)


def _assert_each_row_once(pharmacy: Pharmacy, till: Till) -> None:
    with till.replica.reading() as uow:
        at_till = Counter(
            _row_key(*row)
            for row in uow.connection.exec_driver_sql(
                "SELECT l.reference_type, l.reference_id, l.transaction_type, l.points, c.card_number, l.description"
                " FROM ledger l JOIN cards c ON c.id = l.card_id WHERE l.reference_type != 'TRANSFER'"
            )
        )
        till_bills = set(uow.connection.exec_driver_sql("SELECT bill_id, status FROM bills").all())
    on_server = Counter(
        _row_key(*row)
        for row in _server(
            pharmacy,
            "SELECT t.reference_type, t.reference_id, t.transaction_type, t.points, c.card_number, t.description"
            " FROM point_transactions t JOIN cards c ON c.id = t.card_id"
            " WHERE t.tenant_id = :tenant AND t.device_id = :device AND t.reference_type != 'TRANSFER'",
            device=till.device_id,
        )
    )
    missing, extra = at_till - on_server, on_server - at_till
    assert not missing and not extra, (
        f"{till.name}: ledger rows missing on the server: {dict(missing)}; "
        f"on the server more often than at the till: {dict(extra)}"
    )
    server_bills = set(
        _server(
            pharmacy,
            "SELECT bill_id, status FROM bills WHERE tenant_id = :tenant AND device_id = :device",
            device=till.device_id,
        )
    )
    assert server_bills == till_bills, (
        f"{till.name}: bills only at the till {till_bills - server_bills}, "
        f"only on the server {server_bills - till_bills}"
    )


def _ledger_rows(till: Till) -> int:
    with till.replica.reading() as uow:
        return uow.connection.exec_driver_sql(
            "SELECT COUNT(*) FROM ledger WHERE reference_type != 'TRANSFER'"
        ).scalar_one()


# --- (b) ----------------------------------------------------------------------------------


def _outbox(till: Till) -> list[tuple[int, str, str]]:
    with till.replica.reading() as uow:
        rows = uow.connection.exec_driver_sql("SELECT device_seq, mutation_id, status FROM outbox ORDER BY device_seq")
        return [tuple(row) for row in rows]


def _assert_one_sync_mutation_each(pharmacy: Pharmacy, till: Till) -> None:
    expected = [(seq, mutation_id, "applied") for seq, mutation_id, _status in _outbox(till)]
    assert [seq for seq, _m, _s in expected] == list(range(1, len(expected) + 1)), f"{till.name}: the outbox has gaps"
    recorded = [
        tuple(r)
        for r in _server(
            pharmacy,
            "SELECT device_seq, mutation_id, status FROM sync_mutations WHERE device_id = :device"
            " ORDER BY device_seq, id",
            device=till.device_id,
        )
    ]
    assert recorded == expected, f"{till.name}: the server's sync_mutations are not one per outbox mutation"
    ((last_applied,),) = _server(
        pharmacy, "SELECT last_applied_seq FROM devices WHERE id = :device", device=till.device_id
    )
    assert last_applied == len(expected)


# --- (c) and (d) ----------------------------------------------------------------------------


def till_figures(till: Till) -> dict[str, dict[str, Decimal]]:
    with till.replica.reading() as uow:
        rows = uow.connection.exec_driver_sql(
            "SELECT card_number, points_balance, total_points_earned, total_points_redeemed,"
            " total_referral_points_earned FROM cards"
        ).all()
    return {number: {name: Decimal(value) / 100 for name, value in zip(FIGURES, figures)} for number, *figures in rows}


def _assert_balances_agree(pharmacy: Pharmacy, tills: tuple[Till, ...]) -> None:
    numbers = {number for (number,) in _server(pharmacy, "SELECT card_number FROM cards WHERE tenant_id = :tenant")}
    on_server = {number: {name: pharmacy.card(number)[name] for name in FIGURES} for number in numbers}
    for till in tills:
        at_till = till_figures(till)
        assert set(at_till) == numbers, (
            f"{till.name}: cards only at the till {set(at_till) - numbers}, only on the server {numbers - set(at_till)}"
        )
        differing = {n: (at_till[n], on_server[n]) for n in numbers if at_till[n] != on_server[n]}
        assert not differing, f"{till.name}: figures differ (till, server): {differing}"


def _assert_server_ledger_adds_up(pharmacy: Pharmacy) -> None:
    wrong = _server(
        pharmacy,
        "SELECT c.card_number, c.points_balance, COALESCE(SUM(t.points), 0) FROM cards c"
        " LEFT JOIN point_transactions t ON t.card_id = c.id WHERE c.tenant_id = :tenant"
        " GROUP BY c.id, c.card_number, c.points_balance HAVING c.points_balance != COALESCE(SUM(t.points), 0)",
    )
    assert not wrong, f"server balances that are not the sum of their rows: {wrong}"


def _server(pharmacy: Pharmacy, sql: str, **params: Any) -> list[Any]:
    return pharmacy.store.run(
        lambda unit: unit.connection.execute(text(sql), {"tenant": pharmacy.tenant_id, **params}).all(), write=False
    )
