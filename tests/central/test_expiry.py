"""Points expire on the central service (SQLite and PostgreSQL): `central expire` writes one
EXPIRED row per card for its lots due, a second run as of the same time writes nothing,
and a card shows what it may redeem and what expires next."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from central.store import expiry
from central.store.cards import by_number
from central.store.expiry import expire_all
from central.store.ledger import Postings
from central.store.models import PointTransaction
from central_data import change_config, issue
from central_harness import body
from pos_loyalty.rules.postings import adjustment_posting

DAYS = 30


def post_at(tenant, number: str, points: int, at: datetime, reason: str = "lot") -> None:
    def work(unit):
        card = by_number(unit, number, lock=True)
        postings = Postings(unit)
        postings.post(adjustment_posting(card, points, reason), performed_by="test", device_id=None, created_at=at)
        postings.flush()

    tenant.store.run(work, write=True, tenant_id=tenant.tenant_id)


def expired_rows(tenant, number: str):
    def work(unit):
        card = by_number(unit, number)
        return unit.connection.execute(
            select(PointTransaction.points, PointTransaction.reference_type).where(
                PointTransaction.card_id == card.id, PointTransaction.transaction_type == "EXPIRED"
            )
        ).all()

    return tenant.store.run(work, write=False, tenant_id=tenant.tenant_id)


def test_lots_expire_once_and_the_card_shows_what_is_left(tenant):
    change_config(tenant, pointsExpiryDays=DAYS)
    issue(tenant, "EXP1")
    now = datetime.utcnow()
    post_at(tenant, "EXP1", 120_00, now - timedelta(days=DAYS + 2))  # expired two days ago
    post_at(tenant, "EXP1", 80_00, now - timedelta(days=DAYS - 10))  # expires in ten days
    post_at(tenant, "EXP1", -20_00, now - timedelta(days=DAYS), "correction")  # before it expired: from the first lot

    shown = body(tenant.admin.get("/api/v1/cards/by-number/EXP1"))
    assert shown["pointsBalance"] == Decimal("180.00")
    assert shown["availableBalance"] == Decimal("80.00")  # the expired 100.00 cannot be redeemed
    assert shown["expiringPoints"] == Decimal("80.00")

    runs = expire_all(tenant.store)
    mine = next(run for run in runs if run.tenant_id == tenant.tenant_id)
    assert (mine.cards, mine.points) == (1, 100_00)
    assert expired_rows(tenant, "EXP1") == [(-100_00, "EXPIRY")]
    again = next(run for run in expire_all(tenant.store) if run.tenant_id == tenant.tenant_id)
    assert (again.cards, again.points) == (0, 0)
    assert len(expired_rows(tenant, "EXP1")) == 1

    shown = body(tenant.admin.get("/api/v1/cards/by-number/EXP1"))
    assert (shown["pointsBalance"], shown["availableBalance"]) == (Decimal("80.00"), Decimal("80.00"))
    assert shown["nextExpiryAt"] is not None


def test_a_pharmacy_that_keeps_points_for_ever_expires_nothing(tenant):
    issue(tenant, "EXP2")
    post_at(tenant, "EXP2", 50_00, datetime.utcnow() - timedelta(days=4000))
    mine = next(run for run in expire_all(tenant.store) if run.tenant_id == tenant.tenant_id)
    assert mine.points == 0
    shown = body(tenant.admin.get("/api/v1/cards/by-number/EXP2"))
    assert (shown["availableBalance"], shown["expiringPoints"], shown["nextExpiryAt"]) == (Decimal("50.00"), 0, None)


def test_expire_as_of_a_time_writes_only_what_was_due_then(tenant):
    change_config(tenant, pointsExpiryDays=DAYS)
    issue(tenant, "EXP3")
    now = datetime.utcnow()
    post_at(tenant, "EXP3", 10_00, now - timedelta(days=DAYS + 5))
    post_at(tenant, "EXP3", 30_00, now - timedelta(days=DAYS - 5))
    early = next(run for run in expire_all(tenant.store, now - timedelta(days=10)) if run.tenant_id == tenant.tenant_id)
    assert early.points == 0
    on_time = next(run for run in expire_all(tenant.store, now) if run.tenant_id == tenant.tenant_id)
    assert on_time.points == 10_00


# A run works out what is due in one pass, then writes it card by card: a card that changed in
# between (a redemption, another run) is replayed again under its lock.


def pass_then(tenant, between):
    """What the pass finds due now; `between()` runs; then the write of what was found."""
    as_of = datetime.utcnow()
    found = []
    tenant.store.run(
        lambda unit: expiry._due(unit, as_of, lambda days, due: found.append((days, due))),
        write=False,
        tenant_id=tenant.tenant_id,
    )
    between()
    ((days, due),) = found
    return tenant.store.run(
        lambda unit: expiry._expire_cards(unit, as_of, days, due), write=True, tenant_id=tenant.tenant_id
    )


def test_points_redeemed_after_the_pass_are_not_expired_as_well(tenant):
    change_config(tenant, pointsExpiryDays=DAYS)
    issue(tenant, "INT1")
    now = datetime.utcnow()
    post_at(tenant, "INT1", 100_00, now - timedelta(days=DAYS + 1))  # expired yesterday
    post_at(tenant, "INT1", 50_00, now - timedelta(days=1))
    # Between the pass (which found 100.00 due) and the write, a correction takes 120.00: the
    # open 50.00 first, then 70.00 of the expired lot, so only 30.00 are left to expire.
    done = pass_then(tenant, lambda: post_at(tenant, "INT1", -120_00, now, "correction"))
    assert (done.cards, done.points) == (1, 30_00)
    assert expired_rows(tenant, "INT1") == [(-30_00, "EXPIRY")]
    assert body(tenant.admin.get("/api/v1/cards/by-number/INT1"))["pointsBalance"] == Decimal("0.00")


def test_two_runs_at_once_expire_a_lot_once(tenant):
    change_config(tenant, pointsExpiryDays=DAYS)
    issue(tenant, "INT2")
    post_at(tenant, "INT2", 40_00, datetime.utcnow() - timedelta(days=DAYS + 3))
    done = pass_then(tenant, lambda: expire_all(tenant.store))  # the other run writes first
    assert (done.cards, done.points) == (0, 0)
    assert expired_rows(tenant, "INT2") == [(-40_00, "EXPIRY")]
    card = tenant.store.run(lambda unit: by_number(unit, "INT2"), write=False, tenant_id=tenant.tenant_id)
    assert card.points_balance == 0
