"""Money, points, percentages and rates as exact integers.

Nothing here or anywhere in the core is a float. Each kind of quantity is an int
counting a fixed fraction of its unit:

| quantity                | unit of the int         | example            |
|-------------------------|-------------------------|--------------------|
| money                   | 0.01 (paisa / cent)     | 975.00 -> 97500    |
| points                  | 0.01 point              | 19.34  -> 1934     |
| percentage              | 0.01 %                  | 0.5 %  -> 50       |
| points-to-amount rate   | 0.0001 money per point  | 0.10   -> 1000     |
| tier earn multiplier    | 0.01                    | 1.5    -> 150      |
| bill line quantity      | 0.001                   | 2.5    -> 2500     |

Values arrive as `int`, `Decimal` or `str` (JSON numbers are parsed as `Decimal`) and
are refused when they carry more decimals than their kind allows. `round_half_up`
and `round_down` are the two roundings of `spec/loyalty-rules.md`, done by integer
division so the result is exact.
"""

from __future__ import annotations

import re
from decimal import Decimal

from pos_loyalty.errors import InvalidInput

MONEY_PLACES = 2
POINTS_PLACES = 2
PERCENT_PLACES = 2
RATE_PLACES = 4
MULTIPLIER_PLACES = 2
QUANTITY_PLACES = 3

#: ASCII digits only (Python's \d and Decimal() also take Arabic-Indic or fullwidth digits), no
#: spaces: a screen or command strips what a person typed before it gets here.
_PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")

#: Largest money or points figure accepted anywhere (one hundred billion).
MAX_FIGURE = 10**11


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest integer, halves away from zero."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def round_down(numerator: int, denominator: int) -> int:
    """numerator / denominator truncated toward zero."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient = abs(numerator) // denominator
    return quotient if numerator >= 0 else -quotient


def to_decimal(value: int, places: int) -> Decimal:
    """The scaled int as a Decimal with exactly `places` decimals (97500, 2 -> 975.00)."""
    return Decimal(value).scaleb(-places)


def money(value: int) -> Decimal:
    return to_decimal(value, MONEY_PLACES)


def points(value: int) -> Decimal:
    return to_decimal(value, POINTS_PLACES)


def percent(value: int) -> Decimal:
    return to_decimal(value, PERCENT_PLACES)


def parse_scaled(
    value: object,
    *,
    field: str,
    places: int,
    minimum: int | None = 0,
    maximum: int | None = None,
    what: str = "a number",
) -> int:
    """A user-supplied number as an int of 10**-places units, or InvalidInput naming `field`.

    `minimum` and `maximum` are in the scaled unit (so minimum=1 means "more than zero").
    """
    if isinstance(value, bool) or value is None:
        raise InvalidInput(field, f"{field} must be {what}, not {_shown(value)}")
    if isinstance(value, float):
        # A float has already lost the exact figure; callers parse JSON with Decimal.
        raise InvalidInput(field, f"{field} must be an exact decimal number, not a float")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        if len(value) > 40 or not _PLAIN_NUMBER.fullmatch(value):
            raise InvalidInput(field, f"{field} must be {what} written with the digits 0-9, not {value[:40]!r}")
        number = Decimal(value)
    else:
        raise InvalidInput(field, f"{field} must be {what}, not {_shown(value)}")
    if not number.is_finite():
        raise InvalidInput(field, f"{field} must be {what}, not {value!r}")
    scaled = number.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise InvalidInput(
            field, f"{field} has too many decimals: {value} (at most {places} allowed)"
        )
    result = int(scaled)
    if minimum is not None and result < minimum:
        if minimum == 0:
            raise InvalidInput(field, f"{field} must not be negative (got {value})")
        if minimum == 1:
            raise InvalidInput(field, f"{field} must be greater than zero (got {value})")
        raise InvalidInput(
            field, f"{field} must be at least {to_decimal(minimum, places)} (got {value})"
        )
    limit = MAX_FIGURE * 10**places if maximum is None else maximum
    if result > limit:
        raise InvalidInput(
            field, f"{field} must be at most {to_decimal(limit, places)} (got {value})"
        )
    return result


def parse_money(value: object, field: str, *, minimum: int = 0) -> int:
    return parse_scaled(value, field=field, places=MONEY_PLACES, minimum=minimum, what="an amount")


def parse_points(value: object, field: str, *, minimum: int = 0) -> int:
    return parse_scaled(
        value, field=field, places=POINTS_PLACES, minimum=minimum, what="a number of points"
    )


def parse_percent(value: object, field: str) -> int:
    return parse_scaled(
        value,
        field=field,
        places=PERCENT_PLACES,
        minimum=0,
        maximum=100 * 10**PERCENT_PLACES,
        what="a percentage from 0 to 100",
    )


def _shown(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    return f"a {type(value).__name__}"
