"""The till's side of sync on its replica: pulled pages, acknowledgements, the offline allowance."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from pos_loyalty import errors
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica.db import Replica
from pos_loyalty.rules.config import SAMPLE_CONFIG_JSON
from pos_loyalty.services import bills, cards, central_link, configuration, replication
from support import make_bill

D = Decimal


def server_card(number: str, balance: str = "0", *, earned: str = "0", redeemed: str = "0", referrer: str | None = None, name: str = "Pulled Customer", phone: str = "9111111111") -> dict:
    return {
        "id": 77,
        "cardNumber": number,
        "customerId": None,
        "customerName": name,
        "customerPhone": phone,
        "customerEmail": None,
        "referrerCardNumber": referrer,
        "pointsBalance": D(balance),
        "totalPointsEarned": D(earned),
        "totalPointsRedeemed": D(redeemed),
        "totalReferralPointsEarned": D("0"),
        "isActive": True,
        "issuedAt": "2026-11-01T09:00:00.000000Z",
        "lastTransactionAt": None,
    }


def page(*cards_on_page: dict, applied: int, cursor: str = "e.5.1.1", more: bool = False, config: dict | None = None) -> dict:
    changes = [{"type": "card", "op": "upsert", "card": c} for c in cards_on_page]
    if config is not None:
        changes.insert(0, {"type": "config", "op": "upsert", "version": config["version"], "config": config})
    return {
        "changes": changes,
        "cursor": cursor,
        "hasMore": more,
        "appliedSeq": applied,
        "device": {"id": 3, "name": "Counter 3", "tenantId": 9, "cardBlocks": [{"prefix": "29", "block": 12}]},
    }


@pytest.fixture
def connected(replica: Replica) -> Replica:
    central_link.remember(replica, "http://central.invalid", "plt_token")
    return replica


def ledger_sum(replica: Replica, number: str) -> int:
    with sqlite3.connect(replica.path) as connection:
        return connection.execute(
            "SELECT COALESCE(SUM(l.points), 0) FROM ledger l JOIN cards c ON c.id = l.card_id WHERE c.card_number = ?",
            (number,),
        ).fetchone()[0]


def test_a_pulled_card_arrives_with_the_servers_figures(connected):
    stored = replication.store_page(connected, page(server_card("2900012000006", "250.50", earned="300.50", redeemed="50"), applied=0))
    assert stored.cards == 1 and stored.done
    view = cards.find(connected, "2900012000006")
    assert (view.points_balance, view.total_points_earned, view.total_points_redeemed) == (25050, 30050, 5000)
    assert replication.pull_cursor(connected) == "e.5.1.1"
    settings = central_link.central(connected)
    assert (settings.tenant_id, settings.device_id, settings.device_name) == ("9", "3", "Counter 3")


def test_the_shown_balance_is_the_servers_plus_this_tills_unacknowledged_rows(connected):
    number = cards.issue(connected, name="Local", phone="9000000010").card_number  # deviceSeq 1
    cards.adjust(connected, number, "100", reason="welcome")  # deviceSeq 2
    bills.finalize(connected, number, make_bill((2, "1000.00")), bill_id="B1")  # deviceSeq 3: earns 30.00
    # The server has applied up to deviceSeq 2 (the welcome points) and knows 100.00.
    replication.store_page(connected, page(server_card(number, "100", phone="9000000010"), applied=2))
    view = cards.find(connected, number)
    assert view.points_balance == 13000  # 100.00 from the server + 30.00 not yet seen by it
    assert view.total_points_earned == 3000
    # Once the server has seen the bill too, nothing is counted twice.
    replication.store_page(connected, page(server_card(number, "130", earned="30", phone="9000000010"), applied=3))
    assert cards.find(connected, number).points_balance == 13000
    # And points another till gave the card arrive.
    replication.store_page(connected, page(server_card(number, "180", earned="80", phone="9000000010"), applied=3))
    assert cards.find(connected, number).points_balance == 18000
    with sqlite3.connect(connected.path) as connection:
        synced, seq = connection.execute("SELECT synced_balance, synced_seq FROM cards WHERE card_number = ?", (number,)).fetchone()
    assert (synced, seq) == (18000, 3)
    assert synced + ledger_sum(connected, number) - 13000 == 18000  # shown = synced + rows after synced_seq


def test_a_referrer_in_a_later_page_is_linked_when_it_arrives(connected):
    referred, referrer = "2900012000013", "2900012000020"
    replication.store_page(connected, page(server_card(referred, referrer=referrer, phone="9111111112"), applied=0, more=True))
    assert cards.find(connected, referred).referrer_number == referrer
    replication.store_page(connected, page(server_card(referrer, phone="9111111113"), applied=0, cursor="e.6.1.2"))
    view = cards.find(connected, referred)
    assert view.referrer_id == cards.find(connected, referrer).id


def test_a_pulled_configuration_becomes_current_unless_an_edit_here_is_still_on_its_way(connected):
    server_config = {**SAMPLE_CONFIG_JSON, "maxRedemptionPercent": D("30"), "version": 4, "tenantId": 9}
    assert replication.store_page(connected, page(config=server_config, applied=0)).config_version == 4
    assert configuration.export(connected)["maxRedemptionPercent"] == D("30.00")
    mine = configuration.export(connected)
    mine["minPointsToRedeem"] = D("10")
    configuration.save(connected, mine)  # queued as config.changed
    newer = {**server_config, "version": 5, "maxRedemptionPercent": D("25")}
    assert replication.store_page(connected, page(config=newer, applied=0)).config_version is None
    assert configuration.export(connected)["minPointsToRedeem"] == D("10.00")


def test_pull_restart_keeps_every_queued_mutation(connected):
    number = cards.issue(connected, name="Queued", phone="9000000011").card_number
    bills.finalize(connected, number, make_bill((3, "100.00")))
    replication.store_page(connected, page(applied=0, cursor="e.9.1.4"))
    replication.restart_pull(connected)
    assert replication.pull_cursor(connected) == "0"
    assert len(replication.batch_from(connected, 1, 100)) == 2
    assert replication.first_unsent(connected) == 1


def test_acknowledgements_mark_applied_duplicates_and_rejections(connected):
    number = cards.issue(connected, name="Acked", phone="9000000012").card_number
    cards.adjust(connected, number, "5", reason="a")
    cards.adjust(connected, number, "6", reason="b")
    counts = replication.record_push(
        connected,
        [
            {"deviceSeq": 1, "status": "applied"},
            {"deviceSeq": 2, "status": "duplicate", "originalStatus": "rejected", "error": {"code": "CARD_NOT_FOUND", "message": "No card"}},
            {"deviceSeq": 3, "status": "rejected", "error": {"code": "INVALID_INPUT", "message": "bad"}},
        ],
        last_applied=3,
    )
    assert counts == {"applied": 1, "duplicate": 1, "rejected": 1, "renumbered": 0}
    with sqlite3.connect(connected.path) as connection:
        assert connection.execute("SELECT device_seq, status, error_code FROM outbox ORDER BY device_seq").fetchall() == [
            (1, "APPLIED", None), (2, "REJECTED", "CARD_NOT_FOUND"), (3, "REJECTED", "INVALID_INPUT"),
        ]
    assert replication.first_unsent(connected) is None


def outbox_and_ledger(replica: Replica) -> tuple[list[tuple], list[tuple]]:
    with sqlite3.connect(replica.path) as connection:
        return (
            connection.execute("SELECT device_seq, kind, status FROM outbox ORDER BY device_seq").fetchall(),
            connection.execute("SELECT device_seq, points FROM ledger WHERE device_seq IS NOT NULL ORDER BY device_seq").fetchall(),
        )


def test_a_change_the_server_has_another_under_its_number_is_queued_again_after(connected):
    """A restored till numbered a sale with a number the server had already used for
    another: the server says MUTATION_MISMATCH, and the sale must not be taken as sent."""
    number = cards.issue(connected, name="Renumbered", phone="9000000013").card_number
    replication.record_push(connected, [{"deviceSeq": 1, "status": "applied"}], last_applied=1)
    for points in ("5", "6", "7"):
        cards.adjust(connected, number, points, reason="r")
    counts = replication.record_push(
        connected,
        [
            {"deviceSeq": 2, "status": "duplicate", "originalStatus": "applied",
             "error": {"code": "MUTATION_MISMATCH", "message": "deviceSeq 2 was applied as mutation x"}},
            {"deviceSeq": 3, "status": "applied"},
            {"deviceSeq": 4, "status": "applied"},
        ],
        last_applied=4,
    )
    assert counts == {"applied": 2, "duplicate": 0, "rejected": 0, "renumbered": 1}
    mutations, ledger = outbox_and_ledger(connected)
    assert mutations == [(1, "card.issued", "APPLIED"), (3, "card.adjusted", "APPLIED"), (4, "card.adjusted", "APPLIED"),
                         (5, "card.adjusted", "PENDING")]
    assert ledger == [(3, 600), (4, 700), (5, 500)]  # the 5 points went with their mutation
    assert replication.first_unsent(connected) == 5
    assert cards.adjust(connected, number, "1", reason="next").points_balance == 1900
    assert outbox_and_ledger(connected)[0][-1] == (6, "card.adjusted", "PENDING")


def test_unsent_changes_after_a_gap_the_server_cannot_fill_are_numbered_on_from_it(connected):
    number = cards.issue(connected, name="Gap", phone="9000000014").card_number
    cards.adjust(connected, number, "5", reason="r")
    replication.record_push(connected, [{"deviceSeq": 1, "status": "applied"}, {"deviceSeq": 2, "status": "applied"}],
                            last_applied=2)
    with sqlite3.connect(connected.path) as connection:  # as a restore that dropped 3 and 4 leaves it
        connection.execute("UPDATE sync_state SET next_device_seq = 5")
    cards.adjust(connected, number, "6", reason="after the restore")
    assert outbox_and_ledger(connected)[0][-1] == (5, "card.adjusted", "PENDING")
    assert replication.realign(connected, 2) == 1
    assert outbox_and_ledger(connected) == (
        [(1, "card.issued", "APPLIED"), (2, "card.adjusted", "APPLIED"), (3, "card.adjusted", "PENDING")],
        [(2, 500), (3, 600)],
    )


def pretend_last_sync(replica: Replica, when: datetime | None) -> None:
    with sqlite3.connect(replica.path) as connection:
        connection.execute("UPDATE sync_state SET last_success_at = ?", (when.strftime("%Y-%m-%d %H:%M:%S.%f") if when else None,))


def test_offline_redemption_is_limited_per_card_per_day(connected):
    document = configuration.export(connected)
    configuration.save(connected, {**document, "offlineGraceSeconds": 60, "offlineRedemptionLimitPoints": 250})
    number = cards.issue(connected, name="Offline Spender", phone="9000000013").card_number
    cards.adjust(connected, number, "2000", reason="opening")
    pretend_last_sync(connected, datetime.utcnow() - timedelta(minutes=5))

    assert bills.quote(connected, number, make_bill((2, "5000.00"))).max_redeemable_points == 25000
    bills.finalize(connected, number, make_bill((2, "5000.00"), redeem="150"))
    with pytest.raises(LoyaltyError) as refused:
        bills.finalize(connected, number, make_bill((2, "5000.00"), redeem="101"))
    assert refused.value.code == errors.OFFLINE_LIMIT
    assert bills.quote(connected, number, make_bill((2, "5000.00"))).max_redeemable_points == 10000
    bills.finalize(connected, number, make_bill((2, "5000.00"), redeem="100"))
    assert bills.quote(connected, number, make_bill((2, "5000.00"))).max_redeemable_points == 0

    # Back online: the server has acknowledged them; no limit while syncs succeed.
    replication.record_push(connected, [{"deviceSeq": s, "status": "applied"} for s in range(1, 10)], last_applied=9)
    pretend_last_sync(connected, datetime.utcnow())
    assert bills.quote(connected, number, make_bill((2, "5000.00"))).max_redeemable_points > 25000


def test_a_till_never_connected_has_no_offline_limit(replica):
    number = cards.issue(replica, name="Standalone", phone="9000000014").card_number
    cards.adjust(replica, number, "5000", reason="opening")
    assert bills.quote(replica, number, make_bill((2, "50000.00"))).max_redeemable_points == 500000


def test_a_malformed_page_is_refused_and_changes_nothing(connected):
    from support import dump_replica

    before = dump_replica(connected)
    for bad in (
        {"changes": [], "cursor": "x"},  # no appliedSeq
        {**page(applied=0), "changes": "nope"},
        page(server_card("2900012000007"), applied=0),  # wrong check digit
        page({**server_card("2900012000006"), "pointsBalance": 1.5}, applied=0),  # a float
    ):
        with pytest.raises(LoyaltyError):
            replication.store_page(connected, bad)
    assert dump_replica(connected) == before


def test_status_reports_the_sync(connected):
    from pos_loyalty.services import status

    doc = status.status(connected)
    assert doc["centralUrl"] == "http://central.invalid" and doc["online"] is False and doc["redemptionLimited"] is True
    replication.record_success(connected)
    doc = status.status(connected)
    assert doc["online"] is True and doc["redemptionLimited"] is False and doc["failures"] == 0
    replication.record_failure(connected, "the central service could not be reached")
    doc = status.status(connected)
    assert doc["online"] is False and doc["failures"] == 1 and "could not be reached" in doc["lastError"]
