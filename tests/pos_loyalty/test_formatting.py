"""Figures in the pharmacy's locale (Babel) and times in its zone: what a receipt, the counter
and the command line's text show."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from pos_loyalty import formatting
from pos_loyalty.errors import InvalidInput
from pos_loyalty.formatting import Local


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("123456"), "1,23,456.00"),
        (Decimal("100000"), "1,00,000.00"),
        (Decimal("99999.99"), "99,999.99"),
        (Decimal("1234.5"), "1,234.50"),
        (Decimal("975"), "975.00"),
        (Decimal("0.05"), "0.05"),
        (Decimal("0"), "0.00"),
        (Decimal("-0.00"), "0.00"),
        (Decimal("-123456.78"), "-1,23,456.78"),
        (Decimal("-0.05"), "-0.05"),
        (Decimal("12345678901.23"), "12,34,56,78,901.23"),  # a crore and more: groups of two go on
        (Decimal("100000000000"), "1,00,00,00,00,000.00"),  # amounts.MAX_FIGURE
        ("1234567.5", "12,34,567.50"),  # as JSON gives it
        (12345600, "1,23,456.00"),  # an int counts hundredths (amounts.py)
        (5, "0.05"),
        (-10000000, "-1,00,000.00"),
    ],
)
def test_en_in_groups_lakhs_and_crores(value, shown):
    assert formatting.number(value, "en_IN") == shown
    assert formatting.points(value, "en_IN") == shown


def test_other_locales_group_their_own_way_with_digits_0_to_9():
    assert formatting.number(Decimal("123456.5"), "en_US") == "123,456.50"
    assert formatting.number(Decimal("-123456.5"), "de_DE") == "-123.456,50"
    assert formatting.number(Decimal("123456.5"), "hi_IN") == "1,23,456.50"
    assert formatting.number(Decimal("123456.5"), "bn_IN") == "1,23,456.50"  # not Bengali digits
    assert formatting.number(Decimal("123456.5"), "mr_IN").isascii()  # not Devanagari digits


def test_money_puts_the_currency_sign_where_the_locale_does():
    assert formatting.money(Decimal("123456"), "en_IN", "₹") == "₹1,23,456.00"
    assert formatting.money(Decimal("-50"), "en_IN", "₹") == "-₹50.00"
    assert formatting.money(Decimal("123456"), "en_IN", "Rs ") == "Rs 1,23,456.00"
    assert formatting.money(Decimal("1234.5"), "de_DE", "₹") == "1.234,50\xa0₹"
    assert formatting.money(Decimal("1234.5"), "en_IN") == "1,234.50"  # no sign: the figure alone


def test_rounding_is_half_up_to_hundredths():
    assert formatting.number(Decimal("0.005")) == "0.01"
    assert formatting.number(Decimal("0.015")) == "0.02"
    assert formatting.number(Decimal("-0.005")) == "-0.01"
    assert formatting.number(Decimal("0.004")) == "0.00"


@pytest.mark.parametrize("bad", [1.5, 0.1, True, None, [1]])
def test_floats_and_other_things_are_never_figures(bad):
    with pytest.raises(TypeError):
        formatting.number(bad)


def test_a_locale_is_checked_and_named_canonically():
    assert formatting.parse_locale("en_IN") == "en_IN"
    assert formatting.parse_locale(" en-in ") == "en_IN"
    assert formatting.parse_locale("hi_IN") == "hi_IN"
    for bad in ("", "xx_YY", "english", 7):
        with pytest.raises(InvalidInput) as raised:
            formatting.parse_locale(bad)
        assert raised.value.field == "locale"


# --- times ----------------------------------------------------------------------------------------


def test_a_receipts_time_is_the_pharmacys_with_its_zone():
    stored = datetime(2026, 12, 3, 12, 15)  # naive: UTC, as the replica keeps it
    assert formatting.when(stored, "Asia/Kolkata") == "03 Dec 2026, 17:45 IST"
    assert formatting.when(stored, "UTC") == "03 Dec 2026, 12:15 UTC"
    assert formatting.when("2026-12-03T12:15:00Z", "Asia/Kolkata") == "03 Dec 2026, 17:45 IST"
    assert formatting.when("2026-12-03T12:15:00+00:00", "Asia/Kolkata") == "03 Dec 2026, 17:45 IST"
    assert formatting.when("2026-12-03T12:15:00", "Asia/Kolkata") == "03 Dec 2026, 17:45 IST"
    aware = datetime(2026, 12, 3, 17, 45, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert formatting.when(aware, "Asia/Kolkata") == "03 Dec 2026, 17:45 IST"


def test_a_bill_after_half_past_six_in_the_evening_utc_is_the_next_day_in_kolkata():
    assert formatting.when(datetime(2026, 12, 31, 18, 29), "Asia/Kolkata") == "31 Dec 2026, 23:59 IST"
    assert formatting.when(datetime(2026, 12, 31, 18, 30), "Asia/Kolkata") == "01 Jan 2027, 00:00 IST"
    assert formatting.stamp(datetime(2026, 12, 31, 18, 30), "Asia/Kolkata") == "2027-01-01 00:00:00 IST"
    assert formatting.stamp("2026-12-31T18:30:00Z", "Asia/Kolkata", seconds=False) == "2027-01-01 00:00 IST"
    assert formatting.day(datetime(2027, 1, 31, 18, 30), "Asia/Kolkata") == "01 Feb"
    assert formatting.day(datetime(2027, 1, 31, 18, 29), "Asia/Kolkata") == "31 Jan"
    assert formatting.day(date(2027, 1, 31), "Asia/Kolkata") == "31 Jan"  # a date is a day already


def test_zones_with_summer_time_and_without_an_abbreviation():
    assert formatting.when(datetime(2026, 7, 1, 12, 0), "Europe/London") == "01 Jul 2026, 13:00 BST"
    assert formatting.when(datetime(2026, 1, 1, 12, 0), "Europe/London") == "01 Jan 2026, 12:00 GMT"
    assert formatting.when(datetime(2026, 1, 1, 12, 0), "Asia/Dubai") == "01 Jan 2026, 16:00 UTC+04"
    assert formatting.when(datetime(2026, 1, 1, 12, 0), "Asia/Kathmandu") == "01 Jan 2026, 17:45 UTC+0545"


def test_months_are_english_whatever_the_process_locale():
    assert [formatting.day(date(2026, month, 1)) for month in (1, 6, 12)] == ["01 Jan", "01 Jun", "01 Dec"]


def test_local_bundles_a_pharmacys_locale_and_zone():
    local = Local("en_IN", "Asia/Kolkata")
    assert local.money(Decimal("123456"), "₹") == "₹1,23,456.00"
    assert local.points(Decimal("100000")) == "1,00,000.00"
    assert local.when(datetime(2026, 12, 3, 12, 15)) == "03 Dec 2026, 17:45 IST"
    assert Local() == Local("en_IN", "UTC")
