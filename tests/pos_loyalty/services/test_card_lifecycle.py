"""A lost card replaced and two cards merged at a till with no connection: everything moves
by one TRANSFER pair, the books add up, the old card opens the new one, and what reaches the
old card later (a return of a bill sold on it) is forwarded."""

from __future__ import annotations

import pytest

from pos_loyalty import cardnumber, errors
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.rules import bill_from_json
from pos_loyalty.rules.returns import ReturnLineAsk
from pos_loyalty.services import bills, card_lifecycle, cards, returns

PREPRINTED = cardnumber.from_block("27", 12, 34)


def figures(replica, number: str) -> tuple[int, int, int, int]:
    card = cards.find(replica, number)
    return card.points_balance, card.total_points_earned, card.total_points_redeemed, card.total_referral_points_earned


@pytest.fixture
def asha(replica) -> str:
    """Asha, referred by Bina, referring Chitra, with a bill and a redemption behind her."""
    bina = cards.issue(replica, name="Bina", phone="9000000001").card_number
    number = cards.issue(replica, name="Asha Rao", phone="9845012345", referrer=bina, customer_id="C-9").card_number
    cards.issue(replica, name="Chitra", phone="9000000003", referrer=number)
    cards.adjust(replica, number, "500", reason="opening")
    bills.finalize(replica, number, bill_from_json({"items": [{"categoryId": 1, "amount": "800.00"}], "redeemPoints": "100"}), bill_id="A-1")
    return number


def test_a_replaced_card_gives_everything_to_the_new_one(replica, asha, data_dir, audit):
    before = figures(replica, asha)
    new = card_lifecycle.replace(replica, asha, new_number=PREPRINTED, performed_by="manager")
    assert (new.card_number, new.customer_name, new.customer_id, new.referrer_number) == (PREPRINTED, "Asha Rao", "C-9", cards.find_by_phone(replica, "9000000001")[0].card_number)
    assert figures(replica, PREPRINTED) == before and figures(replica, asha) == (0, 0, 0, 0)
    assert cards.find_by_phone(replica, "9000000003")[0].referrer_number == PREPRINTED
    old = cards.find(replica, asha)
    assert not old.is_active and old.replaced_by_number == PREPRINTED and old.customer_id is None
    opened = cards.lookup(replica, asha)
    assert opened.card_number == PREPRINTED and opened.replaced_from == asha
    assert [card.card_number for card in cards.find_by_phone(replica, "9845012345")] == [PREPRINTED]
    history = cards.history(replica, PREPRINTED)
    assert history[0]["referenceType"] == "TRANSFER" and history[0]["performedBy"] == "manager"
    kinds = [(kind, payload["cardNumber"], payload["newCardNumber"]) for _seq, kind, payload in audit(data_dir / "replica.sqlite3").outbox() if kind == "card.replaced"]
    assert kinds == [("card.replaced", asha, PREPRINTED)]
    audit(data_dir / "replica.sqlite3").check()


def test_what_reaches_the_old_card_later_is_forwarded(replica, asha, data_dir, audit):
    new = card_lifecycle.replace(replica, asha, performed_by="manager").card_number
    newest = card_lifecycle.replace(replica, new, performed_by="manager").card_number  # lost again
    assert cards.find(replica, asha).replaced_by_number == newest  # the chain points at the last card
    before = figures(replica, newest)
    back = returns.return_lines(replica, "A-1", [ReturnLineAsk(0)], return_id="R-1")
    assert figures(replica, asha) == (0, 0, 0, 0) and figures(replica, new) == (0, 0, 0, 0)
    after = figures(replica, newest)
    assert after[0] == before[0] + int(back["pointsRefunded"] * 100) - int(back["pointsReversed"] * 100)
    audit(data_dir / "replica.sqlite3").check()


def test_refusals_change_nothing(replica, asha, data_dir, audit):
    other = cards.issue(replica, name="Devi", phone="9000000004", number=PREPRINTED).card_number
    rows = audit(data_dir / "replica.sqlite3").count("ledger")
    with pytest.raises(LoyaltyError) as taken:
        card_lifecycle.replace(replica, asha, new_number=other)
    assert taken.value.code == errors.DUPLICATE_CARD and taken.value.details["field"] == "newCardNumber"
    with pytest.raises(LoyaltyError) as itself:
        card_lifecycle.merge(replica, asha, asha)
    assert itself.value.details["field"] == "other"
    with pytest.raises(LoyaltyError) as bad:
        card_lifecycle.replace(replica, asha, new_number="2900000000011")
    assert bad.value.details["field"] == "newCardNumber"
    assert audit(data_dir / "replica.sqlite3").count("ledger") == rows and cards.find(replica, asha).is_active
    new = card_lifecycle.replace(replica, asha).card_number
    for attempt in (lambda: card_lifecycle.replace(replica, asha), lambda: card_lifecycle.merge(replica, new, asha)):
        with pytest.raises(LoyaltyError) as replaced:
            attempt()
        assert replaced.value.code == errors.CARD_REPLACED and new in replaced.value.message
    with pytest.raises(LoyaltyError) as adjusting:
        cards.adjust(replica, asha, "10", reason="x")
    assert adjusting.value.code == errors.CARD_REPLACED


def test_two_cards_merge_into_one(replica, asha, data_dir, audit):
    other = cards.issue(replica, name="Asha R", phone="9845099999").card_number
    cards.adjust(replica, other, "75.25", reason="opening")
    cards.issue(replica, name="Esha", phone="9000000005", referrer=other)
    expected = tuple(a + b for a, b in zip(figures(replica, asha), figures(replica, other)))
    kept = card_lifecycle.merge(replica, asha, other, performed_by="manager")
    assert figures(replica, asha) == expected and figures(replica, other) == (0, 0, 0, 0)
    assert kept.customer_id == "C-9" and cards.find(replica, other).replaced_by_number == asha
    assert cards.find_by_phone(replica, "9000000005")[0].referrer_number == asha
    audit(data_dir / "replica.sqlite3").check()
