"""A bill's short number ("T1-000123") and the fields of a bad input said in a cashier's words."""

import pytest

from pos_loyalty import bill_numbers
from pos_loyalty.errors import InvalidInput
from pos_loyalty.field_words import in_words, words
from pos_loyalty.rules import bill_from_json


def test_a_number_is_its_tills_prefix_and_six_digits():
    assert bill_numbers.name("T1", 123) == "T1-000123"
    assert bill_numbers.name("C2", 1_234_567) == "C2-1234567"  # past a million bills it grows, never wraps


@pytest.mark.parametrize(
    "setting, device, prefix",
    [
        (None, None, "T1"),  # a till never joined to a central service
        (None, "Counter 2", "T2"),  # the device name the till got when it joined
        (None, "Till 10", "T10"),
        (None, "c3", "C3"),  # a device name that is a short code already
        (None, "Front desk", "T1"),  # nothing in it to tell tills apart
        ("b7", "Counter 2", "B7"),  # the till's own setting comes first
        ("not a prefix!", "Counter 4", "T4"),  # a bad setting is passed over, never a broken number
    ],
)
def test_the_prefix_names_the_till(setting, device, prefix):
    assert bill_numbers.prefix_of(setting, device) == prefix


@pytest.mark.parametrize("typed, read", [("T1-000123", ("T1", 123)), (" t1-123 ", ("T1", 123)), ("C2-7", ("C2", 7))])
def test_a_typed_number_is_read_whatever_its_case_and_zeros(typed, read):
    assert bill_numbers.parse_typed(typed) == read


@pytest.mark.parametrize("typed", ["81624eb9-4c2e-4a55-9f3e-0c8a1f2d3e4b", "123", "T1-0", "T1-", "-12", "T1 000123", None])
def test_what_is_not_a_short_number_is_left_for_a_bill_id(typed):
    assert bill_numbers.parse_typed(typed) is None


def test_a_bad_prefix_is_refused_in_words():
    with pytest.raises(InvalidInput, match="letter and up to 5 more letters or digits"):
        bill_numbers.parse_prefix("1T")


@pytest.mark.parametrize(
    "field, said",
    [
        ("items[0].amount", "line 1: the amount"),
        ("items[2].unitPrice", "line 3: the unit price"),
        ("items[0].categoryId", "line 1: the category"),
        ("rewards[1].quantity", "reward product 2: the quantity"),
        ("redeemPoints", "points to redeem"),
        ("customerName", "customer name"),
        ("pointsToAmountRate", "pointsToAmountRate"),  # a configuration file's own name stays
    ],
)
def test_fields_in_a_cashiers_words(field, said):
    assert words(field) == said


def test_a_bad_bill_says_its_line_in_words_and_keeps_the_field_for_programs():
    with pytest.raises(InvalidInput) as caught:
        bill_from_json({"items": [{"categoryId": 1, "amount": "5.00"}, {"categoryId": 1, "amount": "abc"}]})
    assert caught.value.message.startswith("Line 2: the amount must be an amount")
    assert caught.value.to_json()["error"]["field"] == "items[1].amount"  # --json and the API: the spec's name
    with pytest.raises(InvalidInput) as caught:
        bill_from_json({"items": [{"categoryId": 1, "amount": "5"}], "redeemPoints": "lots"})
    assert caught.value.message.startswith("Points to redeem must be") and "redeemPoints" not in caught.value.message


def test_a_message_that_lists_a_files_columns_keeps_their_names():
    listed = "Nothing was imported: line 2: customerName: Customer name is needed"
    assert in_words(listed, "customerName") == listed
