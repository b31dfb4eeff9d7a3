"""Exact figures: the two roundings, and refusing what is not an exact amount."""

from decimal import Decimal

import pytest

from pos_loyalty import jsonio
from pos_loyalty.amounts import parse_money, round_down, round_half_up, to_decimal
from pos_loyalty.errors import InvalidInput


@pytest.mark.parametrize(
    "numerator, denominator, half_up, down",
    [(5, 10, 1, 0), (4, 10, 0, 0), (15, 10, 2, 1), (-5, 10, -1, 0), (-15, 10, -2, -1), (0, 7, 0, 0)],
)
def test_roundings(numerator, denominator, half_up, down):
    assert round_half_up(numerator, denominator) == half_up
    assert round_down(numerator, denominator) == down


def test_money_parses_exactly_and_prints_two_places():
    assert parse_money("975.00", "a") == 97500
    assert parse_money(Decimal("0.1"), "a") == 10
    assert parse_money(12, "a") == 1200
    assert str(to_decimal(97500, 2)) == "975.00"


@pytest.mark.parametrize("bad", [0.1, "1e3", "12.345", "NaN", "Infinity", True, None, "", " ", "1,000", [1]])
def test_money_refuses_what_is_not_an_exact_amount(bad):
    with pytest.raises(InvalidInput):
        parse_money(bad, "amount")


def test_json_numbers_never_become_floats():
    document = jsonio.loads('{"amount": 0.10, "n": 3, "deep": [1.005]}')
    assert document == {"amount": Decimal("0.10"), "n": 3, "deep": [Decimal("1.005")]}
    assert jsonio.dumps(document) == '{"amount":0.10,"n":3,"deep":[1.005]}'
    with pytest.raises(TypeError):
        jsonio.dumps({"amount": 0.1})
    with pytest.raises(jsonio.JsonError):
        jsonio.loads('{"amount": NaN}')
