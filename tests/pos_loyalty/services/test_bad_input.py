"""Every kind of bad input gets its code, and the replica is left exactly as it was."""

import pytest

from support import dump_replica, make_bill
from pos_loyalty import errors
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.services import bills, cards, configuration

MISTYPED = "2900001000018"  # check digit should be 7


@pytest.fixture
def till(replica, referred_pair):
    inactive = cards.issue(replica, name="Gone Away", phone="9000000009").card_number
    with replica.writing() as uow:
        from pos_loyalty.replica.models import Card
        from sqlalchemy import update

        uow.session.execute(update(Card).where(Card.card_number == inactive).values(is_active=False))
        uow.commit()
    bills.finalize(replica, referred_pair[0], make_bill((2, "100.00")), bill_id="DONE")
    bills.finalize(replica, referred_pair[0], make_bill((2, "50.00")), bill_id="UNDONE")
    bills.reverse(replica, "UNDONE")
    return {"a": referred_pair[0], "b": referred_pair[1], "inactive": inactive}


CASES = {
    "unknown card": (errors.CARD_NOT_FOUND, lambda r, t: bills.finalize(r, "2999999999991", make_bill((2, "10")))),
    "mistyped card": (errors.INVALID_INPUT, lambda r, t: bills.finalize(r, MISTYPED, make_bill((2, "10")))),
    "inactive card": (errors.CARD_INACTIVE, lambda r, t: bills.finalize(r, t["inactive"], make_bill((2, "10")))),
    "too few points": (errors.MIN_POINTS_NOT_MET, lambda r, t: bills.finalize(r, t["a"], make_bill((2, "1000"), redeem="50"))),
    "more than balance": (errors.INSUFFICIENT_POINTS, lambda r, t: bills.finalize(r, t["b"], make_bill((2, "1000"), redeem="100"))),
    "over the cap": (errors.EXCEEDS_MAX_REDEMPTION, lambda r, t: bills.finalize(r, t["a"], make_bill((2, "100"), redeem="600"))),
    "unknown category": (errors.INVALID_INPUT, lambda r, t: bills.finalize(r, t["a"], make_bill((42, "10")))),
    "flat discount too big": (errors.INVALID_INPUT, lambda r, t: bills.finalize(r, t["a"], make_bill((2, "10"), flat="10.01"))),
    "phone already has a card": (errors.DUPLICATE_CARD, lambda r, t: cards.issue(r, name="Again", phone="9000000002")),
    "number already issued": (errors.DUPLICATE_CARD, lambda r, t: cards.issue(r, name="New", phone="9000000077", number=t["a"])),
    "unknown referrer": (errors.CARD_NOT_FOUND, lambda r, t: cards.issue(r, name="New", phone="9000000077", referrer="2999999999991")),
    "bad phone": (errors.INVALID_INPUT, lambda r, t: cards.issue(r, name="New", phone="12ab")),
    "bad email": (errors.INVALID_INPUT, lambda r, t: cards.issue(r, name="New", phone="9000000077", email="not-an-email")),
    "no name": (errors.INVALID_INPUT, lambda r, t: cards.issue(r, name="  ", phone="9000000077")),
    "reverse unknown bill": (errors.BILL_NOT_FOUND, lambda r, t: bills.reverse(r, "NOPE")),
    "reverse twice": (errors.ALREADY_REVERSED, lambda r, t: bills.reverse(r, "UNDONE")),
    "adjust below zero": (errors.INSUFFICIENT_POINTS, lambda r, t: cards.adjust(r, t["b"], "-1", reason="x")),
    "adjust without reason": (errors.INVALID_INPUT, lambda r, t: cards.adjust(r, t["a"], "5", reason="")),
    "adjust non-numeric": (errors.INVALID_INPUT, lambda r, t: cards.adjust(r, t["a"], "five", reason="x")),
    "adjust inactive": (errors.CARD_INACTIVE, lambda r, t: cards.adjust(r, t["inactive"], "5", reason="x")),
    "config not an object": (errors.INVALID_INPUT, lambda r, t: configuration.save(r, "nonsense")),
    "config bad field": (errors.INVALID_INPUT, lambda r, t: configuration.save(r, {"pointsToAmountRate": -1})),
    "bad bill id": (errors.INVALID_INPUT, lambda r, t: bills.finalize(r, t["a"], make_bill((2, "10")), bill_id="no spaces allowed")),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_refused_with_its_code_and_changes_nothing(replica, till, case):
    code, action = CASES[case]
    before = dump_replica(replica)
    with pytest.raises(LoyaltyError) as caught:
        action(replica, till)
    assert caught.value.code == code, caught.value.message
    assert caught.value.message  # a sentence for the cashier
    assert dump_replica(replica) == before


def test_disabled_programme_refuses_redemption_and_changes_nothing(replica, referred_pair):
    document = configuration.export(replica)
    configuration.save(replica, {**document, "isEnabled": False})
    before = dump_replica(replica)
    with pytest.raises(LoyaltyError) as caught:
        bills.finalize(replica, referred_pair[0], make_bill((2, "1000"), redeem="100"))
    assert caught.value.code == errors.PROGRAM_DISABLED
    assert dump_replica(replica) == before
