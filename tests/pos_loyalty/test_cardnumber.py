"""Card numbers carry a check digit; a mistyped one is refused before any lookup."""

import pytest

from pos_loyalty import cardnumber
from pos_loyalty.errors import InvalidInput


def test_numbers_from_a_block_are_valid_ean13():
    number = cardnumber.from_block("29", 42, 7)
    assert number.startswith("2900042") and len(number) == 13
    assert cardnumber.has_valid_check_digit(number)
    assert cardnumber.validate(number) == number


def test_a_known_ean13_checks():
    assert cardnumber.has_valid_check_digit("4006381333931")


@pytest.mark.parametrize("position", range(13))
def test_any_single_mistyped_digit_is_caught(position):
    number = cardnumber.from_block("29", 1, 1)
    wrong = str((int(number[position]) + 1) % 10)
    typo = number[:position] + wrong + number[position + 1 :]
    with pytest.raises(InvalidInput) as caught:
        cardnumber.validate(typo)
    assert caught.value.details.get("reason") == "CHECK_DIGIT"


def test_spaces_and_dashes_from_a_printed_card_are_ignored():
    assert cardnumber.validate(" 2900-0010 00017 ") == "2900001000017"


def test_legacy_alphanumeric_numbers_are_accepted_in_upper_case():
    assert cardnumber.validate("card001") == "CARD001"


@pytest.mark.parametrize("bad", ["", "   ", "123", "12345678901234567890", "ab", "CARD 001!", None, 42])
def test_not_card_numbers(bad):
    with pytest.raises(InvalidInput):
        cardnumber.validate(bad)
