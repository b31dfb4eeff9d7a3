"""Points expire, seen from the till (SQLite and PostgreSQL, a real central service): the
lots the central sends by pull keep expired points unavailable at the till before any
EXPIRED row is written; `central expire` then writes them, the till learns them by pull,
and a till never connected works its lots out from its own ledger."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from central.store.cards import by_number
from central.store.expiry import expire_all
from central.store.ledger import Postings
from cli_runs import run
from pos_loyalty import errors
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.rules.postings import adjustment_posting
from pos_loyalty.services import bills, cards, configuration, open_replica
from support import make_bill

BACKENDS = pytest.mark.parametrize("server", ["sqlite", "postgresql"], indirect=True)
D = Decimal
DAYS = 30


def lot_on_central(pharmacy, number: str, points: int, age_days: int) -> None:
    """Points the card earned `age_days` ago, written on the central service."""

    def work(unit):
        card = by_number(unit, number, lock=True)
        postings = Postings(unit)
        postings.post(
            adjustment_posting(card, points, "older points"),
            performed_by="test",
            device_id=None,
            created_at=datetime.utcnow() - timedelta(days=age_days),
        )
        postings.flush()

    pharmacy.store.run(work, write=True, tenant_id=pharmacy.tenant_id)


@BACKENDS
def test_a_till_never_offers_points_it_knows_have_expired(pharmacy):
    pharmacy.configure(pointsExpiryDays=DAYS)
    till = pharmacy.open_till("counter-1")
    till.connect(pharmacy.server.base)
    number = cards.issue(till.replica, name="Asha", phone="9000000951").card_number
    till.sync_until_drained()
    lot_on_central(pharmacy, number, 300_00, DAYS + 3)  # expired three days ago, no EXPIRED row yet
    lot_on_central(pharmacy, number, 200_00, DAYS - 5)  # expires in five days
    till.sync_until_drained()

    seen = cards.find(till.replica, number)
    assert (seen.points_balance, seen.available_points, seen.expiring_points) == (500_00, 200_00, 200_00)
    assert seen.next_expiry_at is not None and seen.next_expiry_at > datetime.utcnow()
    quote = bills.quote(till.replica, number, make_bill((2, "1000.00")))
    assert quote.available_points == 200_00 and quote.to_json()["expiringPoints"] == D("200.00")
    with pytest.raises(LoyaltyError) as refused:
        bills.finalize(till.replica, number, make_bill((2, "1000.00"), redeem="300"))
    assert refused.value.code == errors.INSUFFICIENT_POINTS

    mine = next(r for r in expire_all(pharmacy.store) if r.tenant_id == pharmacy.tenant_id)
    assert mine.points == 300_00
    till.sync_until_drained()
    seen = cards.find(till.replica, number)
    assert (seen.points_balance, seen.available_points) == (200_00, 200_00)
    assert pharmacy.card(number)["pointsBalance"] == D("200.00")


def test_a_till_never_connected_works_its_lots_out_from_its_own_ledger(tmp_path):
    replica = open_replica(tmp_path / "till")
    try:
        configuration.save(replica, {**configuration.export(replica), "pointsExpiryDays": DAYS}, performed_by="manager")
        number = cards.issue(replica, name="Bina", phone="9000000952").card_number
        cards.adjust(replica, number, "150", reason="opening")
        with replica.writing() as uow:  # the opening was written long ago
            uow.connection.execute(
                text("UPDATE ledger SET created_at = :then"), {"then": datetime.utcnow() - timedelta(days=DAYS + 1)}
            )
            uow.commit()
        cards.adjust(replica, number, "40", reason="goodwill")
        seen = cards.find(replica, number)
        assert (seen.points_balance, seen.available_points, seen.expiring_points) == (190_00, 40_00, 40_00)
    finally:
        replica.close()


def test_central_expire_as_a_command(tmp_path):
    db = tmp_path / "central.sqlite3"
    done = run(tmp_path / "till", "central", "expire", "--db", str(db), "--as-of", "2026-12-31T18:00:00Z", "--json")
    assert done.returncode == 0, done.stderr
    bad = run(tmp_path / "till", "central", "expire", "--db", str(db), "--as-of", "yesterday")
    assert bad.returncode == 2 and "--as-of" in bad.stderr
