"""Rules that the till and the central service must both apply, each tried on both sides
against a real central service: tiers measured on earned + referral points, an inactive
referrer earning nothing, a card's details changed at a till (`card.updated`), categories
and discounts deleted by head office reaching the tills by pull, a 410 from pull handled
end to end by the daemon, and the offline allowance starting again the next day."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text

from central_harness import Client, body
from pos_loyalty import errors
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import bills, card_details, cards, configuration, replication
from support import make_bill

BACKENDS = pytest.mark.parametrize("server", ["sqlite", "postgresql"], indirect=True)
D = Decimal
TIERS = [
    {"name": "Member", "minLifetimePoints": D("0"), "earnMultiplier": D("1.00")},
    {"name": "Silver", "minLifetimePoints": D("4"), "earnMultiplier": D("2.00")},
]


def calculate(pharmacy, number: str, *items: tuple[int, str]) -> dict:
    answer = pharmacy.admin.post(
        "/api/v1/internal/cards/calculate",
        {"cardNumber": number, "items": [{"categoryId": c, "amount": D(a)} for c, a in items]},
    )
    assert answer.status_code == 200, answer.text
    return body(answer)


@BACKENDS
def test_a_tier_reached_by_referral_points_alone_counts_at_the_till_and_on_the_central(pharmacy):
    pharmacy.configure(tiers=TIERS)
    till = pharmacy.open_till("counter-1")
    till.connect(pharmacy.server.base)
    referrer = cards.issue(till.replica, name="Bina Referrer", phone="9000000801").card_number
    referred = cards.issue(till.replica, name="Asha", phone="9000000802", referrer=referrer).card_number
    sold = bills.finalize(till.replica, referred, make_bill((2, "1000.00")))
    assert sold.result["referrerPointsEarned"] == D("5.00")  # 0.5 % of 1,000.00: past Silver's 4 points
    till.sync_until_drained()

    at_till = bills.quote(till.replica, referrer, make_bill((2, "100.00")))
    assert (at_till.tier.name, at_till.points_earned) == ("Silver", 600)  # 3 % x 2
    on_central = calculate(pharmacy, referrer, (2, "100.00"))
    assert (on_central["tier"], on_central["pointsEarned"]) == ("Silver", D("6.00"))
    assert pharmacy.card(referrer)["tier"] == "Silver" == cards.find(till.replica, referrer).tier

    earned = pharmacy.admin.post(
        "/api/v1/internal/cards/earn-points",
        {"cardNumber": referrer, "billId": "ONLINE-1", "billAmount": D("100.00"), "items": [{"categoryId": 2, "amount": D("100.00")}]},
    )
    assert body(earned)["pointsEarned"] == D("6.00")


@BACKENDS
def test_an_inactive_referrer_earns_nothing_at_the_till_or_on_the_central(pharmacy):
    till = pharmacy.open_till("counter-1")
    till.connect(pharmacy.server.base)
    referrer = cards.issue(till.replica, name="Bina Referrer", phone="9000000811").card_number
    referred = cards.issue(till.replica, name="Asha", phone="9000000812", referrer=referrer).card_number
    assert bills.quote(till.replica, referred, make_bill((2, "1000.00"))).referrer_points_earned == 500

    closed = card_details.update(till.replica, referrer, active=False, performed_by="manager")
    assert closed.is_active is False
    assert bills.quote(till.replica, referred, make_bill((2, "1000.00"))).referrer_points_earned == 0
    bills.finalize(till.replica, referred, make_bill((2, "1000.00")), bill_id="AFTER-CLOSE")
    till.sync_until_drained()

    assert pharmacy.card(referrer)["isActive"] is False  # card.updated reached the central
    assert pharmacy.card(referrer)["pointsBalance"] == 0
    assert calculate(pharmacy, referred, (2, "1000.00"))["referrerPointsEarned"] == 0
    online = pharmacy.admin.post(
        "/api/v1/internal/cards/earn-points",
        {"cardNumber": referred, "billId": "ONLINE-2", "billAmount": D("1000.00"), "items": [{"categoryId": 2, "amount": D("1000.00")}]},
    )
    assert body(online)["referrerPointsEarned"] == 0
    assert pharmacy.card(referrer)["pointsBalance"] == 0


def test_a_customers_details_changed_at_one_till_reach_the_central_and_the_other_tills(pharmacy):
    one, two = pharmacy.open_till("counter-1"), pharmacy.open_till("counter-2")
    one.connect(pharmacy.server.base)
    two.connect(pharmacy.server.base)
    number = cards.issue(one.replica, name="Asha Old", phone="9000000821").card_number
    cards.issue(one.replica, name="Someone Else", phone="9000000822")
    with pytest.raises(LoyaltyError) as taken:
        card_details.update(one.replica, number, phone="9000000822")
    assert taken.value.code == errors.DUPLICATE_CARD
    with pytest.raises(LoyaltyError) as same:
        card_details.update(one.replica, number, name="Asha Old")
    assert same.value.code == errors.INVALID_INPUT

    card_details.update(one.replica, number, name="Asha New", phone="9000000823", email="asha@example.com")
    one.sync_until_drained()
    two.sync_until_drained()
    on_central = pharmacy.card(number)
    assert (on_central["customerName"], on_central["customerPhone"], on_central["customerEmail"]) == (
        "Asha New", "9000000823", "asha@example.com",
    )
    at_other = cards.find(two.replica, number)
    assert (at_other.customer_name, at_other.customer_phone, at_other.customer_email) == (
        "Asha New", "9000000823", "asha@example.com",
    )
    assert cards.lookup(two.replica, "9000000823").card_number == number


def test_categories_and_discounts_deleted_by_head_office_leave_every_till(pharmacy):
    till = pharmacy.open_till("counter-1")
    till.connect(pharmacy.server.base)
    number = cards.issue(till.replica, name="Asha", phone="9000000831").card_number
    assert bills.quote(till.replica, number, make_bill((1, "100.00"))).category_discount == 500  # Medicines 5 %
    assert pharmacy.admin.delete("/api/v1/card-config/discounts/1").status_code in (200, 204)
    assert pharmacy.admin.delete("/api/v1/card-config/categories/4").status_code in (200, 204)
    till.sync_until_drained()

    with till.replica.reading() as uow:
        config = configuration.current(uow)
    assert not config.knows_category(4)
    assert bills.quote(till.replica, number, make_bill((1, "100.00"))).category_discount == 0
    with pytest.raises(LoyaltyError) as unknown:
        bills.quote(till.replica, number, make_bill((4, "100.00")))
    assert unknown.value.code == errors.INVALID_INPUT and unknown.value.details["field"] == "items[0].categoryId"


def test_a_410_from_pull_restarts_the_pull_from_nothing_and_keeps_the_outbox(pharmacy):
    """The central database was replaced (restored from a backup, say): the till's cursor means
    nothing there any more. The daemon pulls everything again; its unsent sales still go up."""
    till = pharmacy.open_till("counter-1")
    till.connect(pharmacy.server.base)
    number = cards.issue(till.replica, name="Asha", phone="9000000841").card_number
    cards.adjust(till.replica, number, "300", reason="opening balance")
    till.sync_until_drained()
    old_cursor = replication.pull_cursor(till.replica)
    pharmacy.store.run(
        lambda unit: unit.connection.execute(
            text("UPDATE tenants SET epoch = 'restored-elsewhere' WHERE id = :t"), {"t": pharmacy.tenant_id}
        ),
        write=True,
    )
    bills.finalize(till.replica, number, make_bill((2, "100.00")), bill_id="AFTER-RESTORE")
    as_the_till = Client(pharmacy.server.base, till.token)
    assert as_the_till.get("/api/v1/sync/pull", params={"cursor": old_cursor}).status_code == 410

    report = till.round()
    assert report.pushed["applied"] == 1 and report.cards_pulled >= 1
    assert replication.pull_cursor(till.replica) != old_cursor
    assert till.pending() == 0
    assert till.balance(number) == D(pharmacy.card(number)["pointsBalance"]) == D("303.00")


def test_the_offline_allowance_starts_again_the_next_day(pharmacy):
    pharmacy.configure(offlineGraceSeconds=60, offlineRedemptionLimitPoints=D("150"))
    till = pharmacy.open_till("counter-1")
    till.connect(pharmacy.server.base)
    number = cards.issue(till.replica, name="Asha", phone="9000000851").card_number
    cards.adjust(till.replica, number, "1000", reason="opening balance")
    till.sync_until_drained()

    local = datetime.now(timezone.utc).astimezone()
    evening = datetime.combine(local.date() + timedelta(days=1), time(21, 0), tzinfo=local.tzinfo)
    now = [evening.astimezone(timezone.utc).replace(tzinfo=None)]  # a day on, no sync since: offline
    counter = Replica.open(till.data_dir, clock=lambda: now[0])
    try:
        bills.finalize(counter, number, make_bill((2, "1000.00"), redeem="150"))
        with pytest.raises(LoyaltyError) as limit:
            bills.finalize(counter, number, make_bill((2, "1000.00"), redeem="100"))
        assert limit.value.code == errors.OFFLINE_LIMIT
        assert bills.quote(counter, number, make_bill((2, "1000.00"))).max_redeemable_points == 0

        now[0] += timedelta(hours=12)  # the next morning, still offline
        assert bills.quote(counter, number, make_bill((2, "1000.00"))).max_redeemable_points == 15000
        bills.finalize(counter, number, make_bill((2, "1000.00"), redeem="150"))
    finally:
        counter.close()
