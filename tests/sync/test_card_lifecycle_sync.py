"""A card replaced or merged at one till reaches a real central service and every other till
(`card.replaced`, `card.merged`); points an offline till posts to the old card meanwhile
are forwarded to the new one: none lost, none doubled. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from central_harness import body
from pos_loyalty import errors
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.rules import bill_from_json
from pos_loyalty.services import bills, card_lifecycle, cards

BACKENDS = pytest.mark.parametrize("server", ["sqlite", "postgresql"], indirect=True)


def figures(view) -> tuple[int, int, int, int]:
    return view.points_balance, view.total_points_earned, view.total_points_redeemed, view.total_referral_points_earned


def central_figures(pharmacy, number: str) -> tuple[int, ...]:
    card = pharmacy.card(number)
    keys = ("pointsBalance", "totalPointsEarned", "totalPointsRedeemed", "totalReferralPointsEarned")
    return tuple(int(card[key] * 100) for key in keys)


def sell(till, number: str, bill_id: str, amount: str, redeem: str | None = None):
    doc = {"items": [{"categoryId": 2, "amount": amount}]} | ({"redeemPoints": redeem} if redeem else {})
    return bills.finalize(till.replica, number, bill_from_json(doc), bill_id=bill_id).result


def books_hold(pharmacy, number: str) -> None:
    """On the central service, the card's balance is the sum of its ledger rows."""
    card = pharmacy.card(number)
    answer = pharmacy.admin.get(f"/api/v1/cards/{card['id']}/transactions", params={"size": 200})
    assert answer.status_code == 200, answer.text
    assert sum(row["points"] for row in body(answer)["content"]) == card["pointsBalance"]


@BACKENDS
def test_a_card_replaced_at_one_till_while_another_sells_on_it_offline(pharmacy):
    first, second = pharmacy.open_till("counter-1"), pharmacy.open_till("counter-2")
    for till in (first, second):
        till.connect(pharmacy.server.base)
    referrer = cards.issue(first.replica, name="Bina Referrer", phone="9000000801").card_number
    old = cards.issue(first.replica, name="Asha", phone="9000000802", referrer=referrer).card_number
    cards.adjust(first.replica, old, "300", reason="opening balance")
    sold = [sell(first, old, "LC-1", "1000.00")]
    first.sync_until_drained()
    second.sync_until_drained()

    # Counter 2 goes offline and sells on the old card twice, once with a redemption.
    sold.append(sell(second, old, "LC-2", "400.00"))
    sold.append(sell(second, old, "LC-3", "400.00", redeem="100"))
    # Meanwhile counter 1 replaces the lost card; the customer carries on with the new one.
    before = figures(cards.find(first.replica, old))
    new = card_lifecycle.replace(first.replica, old, performed_by="manager-1")
    assert new.referrer_number == referrer and figures(new) == before
    old_at_first = cards.find(first.replica, old)
    assert old_at_first.replaced_by_number == new.card_number and not old_at_first.is_active
    assert cards.lookup(first.replica, old).card_number == new.card_number  # a scan opens the new card
    assert cards.lookup(first.replica, old).replaced_from == old
    with pytest.raises(LoyaltyError) as refused:
        sell(first, old, "LC-X", "10.00")
    assert refused.value.code == errors.CARD_REPLACED and new.card_number in refused.value.message
    sold.append(sell(first, new.card_number, "LC-4", "100.00"))
    first.sync_until_drained()

    # Counter 2 comes back: its bills on the old card are applied there and forwarded.
    second.sync_until_drained()
    first.sync_until_drained()
    second.sync_until_drained()
    expected_new = central_figures(pharmacy, new.card_number)
    assert central_figures(pharmacy, old) == (0, 0, 0, 0)
    for till in (first, second):
        assert figures(cards.find(till.replica, new.card_number)) == expected_new
        assert figures(cards.find(till.replica, old)) == (0, 0, 0, 0)
        assert cards.find(till.replica, old).replaced_by_number == new.card_number
    for number in (old, new.card_number, referrer):
        books_hold(pharmacy, number)
    # Every bill's points are on the new card exactly once: opening 300, four bills, one redemption.
    earned = sum(int(result["pointsEarned"] * 100) for result in sold)
    assert expected_new[0] == 300_00 + earned - 100_00
    assert expected_new[1] == earned and expected_new[2] == 100_00
    assert pharmacy.flags("MUTATION_REJECTED") == []
    assert pharmacy.flags("RULES_MISMATCH") == []


@BACKENDS
def test_two_cards_of_one_customer_merged_at_a_till_reach_every_till(pharmacy):
    first, second = pharmacy.open_till("counter-1"), pharmacy.open_till("counter-2")
    for till in (first, second):
        till.connect(pharmacy.server.base)
    keep = cards.issue(first.replica, name="Asha", phone="9000000811").card_number
    # The same customer got a second card at counter 2 while it was offline.
    other = cards.issue(second.replica, name="Asha K", phone="9000000811").card_number
    cards.adjust(second.replica, other, "120.50", reason="opening balance")
    sell(second, other, "MG-1", "500.00")
    for till in (first, second, first):
        till.sync_until_drained()
    assert pharmacy.flags("DUPLICATE_CUSTOMER")

    merged = card_lifecycle.merge(first.replica, keep, other, performed_by="manager-1")
    expected = central_figures(pharmacy, other)
    assert figures(merged) == expected
    for till in (first, second, first, second):
        till.sync_until_drained()
    assert central_figures(pharmacy, keep) == expected and central_figures(pharmacy, other) == (0, 0, 0, 0)
    assert figures(cards.find(second.replica, keep)) == expected
    assert cards.find(second.replica, other).replaced_by_number == keep
    assert all(flag["resolvedAt"] for flag in pharmacy.flags("DUPLICATE_CUSTOMER"))
    # A phone look-up finds the one card left.
    assert [view.card_number for view in cards.find_by_phone(second.replica, "9000000811")] == [keep]
    books_hold(pharmacy, keep)
    books_hold(pharmacy, other)


@BACKENDS
def test_a_customer_anonymised_on_the_central_is_erased_at_every_till_and_in_later_backups(pharmacy, tmp_path):
    from pos_loyalty.services import backup

    till = pharmacy.open_till("counter-1")
    till.connect(pharmacy.server.base)
    number = cards.issue(till.replica, name="Meera Secret", phone="9000000821", email="meera@example.in").card_number
    cards.adjust(till.replica, number, "40", reason="opening balance")
    till.sync_until_drained()
    card_id = pharmacy.card(number)["id"]

    answer = pharmacy.admin.post(f"/api/v1/cards/{card_id}/anonymize")
    assert answer.status_code == 200, answer.text
    till.sync_until_drained()
    shown = cards.find(till.replica, number)
    assert (shown.customer_name, shown.customer_phone, shown.customer_email) == ("Anonymised", "", None)
    assert shown.points_balance == 40_00 and not shown.is_active
    with pytest.raises(LoyaltyError):
        cards.find_by_phone(till.replica, "9000000821")
    made = backup.backup(till.replica, tmp_path / "after.sqlite3")
    kept = made.path.read_bytes()
    for secret in (b"Meera Secret", b"9000000821", b"meera@example.in"):
        assert secret not in kept
    books_hold(pharmacy, number)
