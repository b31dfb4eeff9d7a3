"""The manager's PIN, parked bills and the demo pharmacy."""

import sqlite3

import pytest

from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.services import bills, cards, demo, manager, parked, status


def test_the_pin_is_stored_hashed_and_checked(replica):
    assert not manager.has_pin(replica)
    manager.set_pin(replica, "2468")
    assert manager.has_pin(replica)
    with sqlite3.connect(replica.path) as connection:
        (stored,) = connection.execute("SELECT value FROM till_settings WHERE key = 'manager.pin'").fetchone()
    assert "2468" not in stored and stored.startswith("pbkdf2_sha256$")
    assert manager.check_pin(replica, "2468") and not manager.check_pin(replica, "1357")


@pytest.mark.parametrize("bad", ["123", "123456789", "12a4", "", None])
def test_a_pin_is_four_to_eight_digits(replica, bad):
    with pytest.raises(InvalidInput):
        manager.set_pin(replica, bad)


def test_too_many_wrong_pins_lock_the_till_for_a_while(replica):
    manager.set_pin(replica, "2468")
    for _ in range(manager.MAX_TRIES):
        assert not manager.check_pin(replica, "0000")
    with pytest.raises(LoyaltyError) as locked:
        manager.check_pin(replica, "2468")
    assert locked.value.code == manager.PIN_LOCKED


def test_a_parked_bill_survives_and_comes_back_once(replica):
    document = {"cardNumber": None, "items": [{"categoryId": 1, "amount": "12.50"}], "flatDiscount": "1.00"}
    first = parked.park(replica, document, "Asha Rao")
    parked.park(replica, {"items": []}, "Walk-in")
    assert [p.label for p in parked.parked(replica)] == ["Asha Rao", "Walk-in"]
    assert parked.resume(replica, first) == document
    assert [p.label for p in parked.parked(replica)] == ["Walk-in"]
    with pytest.raises(LoyaltyError):
        parked.resume(replica, first)
    parked.discard(replica, parked.parked(replica)[0].id)
    assert parked.parked(replica) == []


def test_the_demo_fills_an_empty_till_once(replica):
    assert demo.fill(replica)
    assert not demo.fill(replica)
    asha = cards.find_by_phone(replica, "9845012345")[0]
    assert asha.tier == "Silver" and asha.next_tier == "Gold"
    assert len(bills.recent(replica, limit=50)) == len(demo.BILLS)
    assert status.status(replica)["cards"] == len(demo.CUSTOMERS)
    bina = cards.find_by_phone(replica, "9845023456")[0]
    assert bina.referrer_number == asha.card_number


def test_the_demo_leaves_a_till_with_sales_alone(replica):
    cards.issue(replica, name="Real Customer", phone="9000000999")
    assert not demo.fill(replica)


def test_the_demo_shows_prescriptions_a_promotion_today_and_rewards(replica):
    from pos_loyalty.rules.programme import local_date
    from pos_loyalty.services import configuration
    from support import make_bill

    assert demo.fill(replica)
    config = configuration.in_use(replica)
    assert not config.is_redeemable(5) and config.is_redeemable(1)
    today = local_date(replica.clock(), config.time_zone)
    (promotion,) = config.promotions
    assert promotion.applies(3, today) and not promotion.applies(1, today)
    assert {reward.reward_id for reward in config.rewards} == {"LOTION-100", "BP-CHECK"}
    divya = cards.find_by_phone(replica, "9845045678")[0]
    quote = bills.quote(replica, divya.card_number, make_bill((3, "100.00"), (5, "400.00"))).to_json()
    assert quote["earnBreakdown"][0]["promotionId"] == demo.PROMOTION_ID
    assert [line["isRedeemable"] for line in quote["lines"]] == [True, False]
