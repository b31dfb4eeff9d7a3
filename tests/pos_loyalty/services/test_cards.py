"""Issuing and finding cards at the till."""

import pytest

from pos_loyalty import cardnumber, errors, jsonio
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.services import cards
from support import statements_traced


def test_issued_numbers_are_unique_valid_and_from_one_block(replica):
    numbers = [cards.issue(replica, name=f"C{i}", phone=f"90000001{i:02d}").card_number for i in range(30)]
    assert len(set(numbers)) == 30
    assert all(cardnumber.has_valid_check_digit(n) for n in numbers)
    assert len({n[:7] for n in numbers}) == 1  # prefix 28 + this till's block


def test_a_pre_printed_card_keeps_its_number(replica):
    issued = cards.issue(replica, name="Pre Printed", phone="9000000200", number="4006381333931")
    assert issued.card_number == "4006381333931"
    assert cards.find(replica, "4006381333931").customer_name == "Pre Printed"


def test_find_by_phone_accepts_the_phone_as_people_write_it(replica):
    issued = cards.issue(replica, name="Phone Person", phone="+91 98765-43210")
    found = cards.find_by_phone(replica, "+919876543210")
    assert [view.card_number for view in found] == [issued.card_number]
    with pytest.raises(LoyaltyError) as caught:
        cards.find_by_phone(replica, "9999999999")
    assert caught.value.code == errors.CARD_NOT_FOUND


def test_issuing_queues_a_card_issued_mutation(replica):
    import sqlite3

    referrer = cards.issue(replica, name="Referrer", phone="9000000300")
    issued = cards.issue(replica, name="New One", phone="9000000301", email="new@example.com", referrer=referrer.card_number)
    with sqlite3.connect(replica.path) as connection:
        kind, payload = connection.execute("SELECT kind, payload FROM outbox ORDER BY device_seq DESC LIMIT 1").fetchone()
    body = jsonio.loads(payload)
    assert kind == "card.issued"
    assert body["cardNumber"] == issued.card_number
    assert body["referrerCardNumber"] == referrer.card_number
    assert body["customerEmail"] == "new@example.com"


def test_adjustment_moves_balance_not_totals(replica):
    issued = cards.issue(replica, name="Adjusted", phone="9000000400")
    view = cards.adjust(replica, issued.card_number, "25.50", reason="goodwill")
    assert view.points_balance == 2550 and view.total_points_earned == 0
    view = cards.adjust(replica, issued.card_number, "-0.50", reason="correction")
    assert view.points_balance == 2500
    rows = cards.history(replica, issued.card_number)
    assert [(r["transactionType"], r["description"]) for r in rows] == [("ADJUSTED", "correction"), ("ADJUSTED", "goodwill")]


def test_tier_and_progress_are_shown(replica):
    from pos_loyalty.services import configuration

    configuration.save(
        replica,
        {**configuration.export(replica), "tiers": [{"name": "Silver", "minLifetimePoints": 0}, {"name": "Gold", "minLifetimePoints": 100}]},
    )
    issued = cards.issue(replica, name="Tiered", phone="9000000500")
    assert (issued.tier, issued.next_tier, issued.points_to_next_tier) == ("Silver", "Gold", 10000)


def test_lookup_takes_a_card_number_or_a_phone_and_explains_a_miss(replica):
    issued = cards.issue(replica, name="Looked Up", phone="+91 98450 12345")
    assert cards.lookup(replica, issued.card_number).id == issued.id
    assert cards.lookup(replica, f" {issued.card_number[:4]} {issued.card_number[4:]} ").id == issued.id
    assert cards.lookup(replica, "+919845012345").id == issued.id
    mistyped = issued.card_number[:-1] + str((int(issued.card_number[-1]) + 1) % 10)
    with pytest.raises(LoyaltyError) as caught:
        cards.lookup(replica, mistyped)
    assert caught.value.code == errors.INVALID_INPUT and "check digit" in caught.value.message
    with pytest.raises(LoyaltyError) as caught:
        cards.lookup(replica, "9845099999")
    assert caught.value.code == errors.CARD_NOT_FOUND and "phone" in caught.value.message
    with pytest.raises(LoyaltyError) as caught:
        cards.lookup(replica, "2999999999991")
    assert caught.value.code == errors.CARD_NOT_FOUND


def test_a_lookup_shows_one_moment_of_a_card_while_another_process_writes_it(replica):
    """A lookup's figures agree with each other even when a write lands between its
    statements: the balance and the points expiring come from one snapshot (had the lots
    been read after the write, 20 of the 120 would be shown expiring)."""
    from pos_loyalty.services import configuration

    number = cards.issue(replica, name="Expiring", phone="9000000600").card_number
    cards.adjust(replica, number, "120", reason="welcome")
    assert cards.find(replica, number).expiring_points == 0  # points do not expire yet
    configuration.save(replica, {**configuration.export(replica), "pointsExpiryDays": 30})
    cards.issue(replica, name="Next Customer", phone="9000000601")  # shown with the new programme
    written = []

    def write_between(statement: str) -> None:  # the card is read, its lots are next: a write lands
        if "FROM card_lots" in statement and not written:
            written.append(cards.adjust(replica, number, "-100", reason="meanwhile"))

    with statements_traced(replica, write_between):
        seen = cards.find(replica, number)
    assert written, "the lookup read no lots"
    assert (seen.points_balance, seen.expiring_points, seen.available_points) == (120_00, 120_00, 120_00)
    seen = cards.find(replica, number)  # the next lookup sees the write, lots and balance alike
    assert (seen.points_balance, seen.expiring_points, seen.next_expiry_at is None) == (20_00, 20_00, False)
    configuration.save(replica, {**configuration.export(replica), "pointsExpiryDays": 0})
    seen = cards.find(replica, number)
    assert (seen.expiring_points, seen.next_expiry_at, seen.points_balance) == (0, None, 20_00)


def test_a_card_as_shown_has_every_figure_and_cannot_be_changed(replica):
    import dataclasses

    issued = cards.issue(replica, name="Shown", phone="9000000700")
    seen = cards.find(replica, issued.card_number)
    assert vars(seen).keys() == {field.name for field in dataclasses.fields(cards.CardView)}
    assert seen == cards.CardView(**dataclasses.asdict(seen)) == issued
    with pytest.raises(dataclasses.FrozenInstanceError):
        seen.points_balance = 1  # type: ignore[misc]
