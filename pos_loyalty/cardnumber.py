"""Card numbers: 13 digits with a GS1 mod-10 check digit, so every card is a valid EAN-13.

Numbers this system makes start with `2` (GS1's prefix for numbers used inside one
organisation, never on retail products): `29` + a 5-digit block + a 5-digit serial
for blocks the central service reserves for a till, `28` + a random block for a till
that has never been connected. A pre-printed card may carry any 8 to 19 digits with a
valid check digit. Older cards of a billing system written against seed 002 may use
letters (`CARD001`); those have no check digit and are accepted as they are.
"""

from __future__ import annotations

import re

from pos_loyalty.errors import InvalidInput

SERVER_BLOCK_PREFIX = "29"
LOCAL_BLOCK_PREFIX = "28"
BLOCK_SIZE = 100_000

_DIGITS = re.compile(r"\d{8,19}")
_LEGACY = re.compile(r"[A-Z][A-Z0-9-]{2,31}")


def check_digit(body: str) -> str:
    """The GS1 mod-10 check digit for the digits before it (weights 3,1,3,... from the right)."""
    # From the right: the last digit, the third from last, ... weigh 3; the others 1.
    if body.isascii():  # ASCII digits: their codes less 48 (bulk imports check millions)
        codes = body.encode()
        tripled, single = codes[::-2], codes[-2::-2]
        total = 3 * (sum(tripled) - 48 * len(tripled)) + sum(single) - 48 * len(single)
    else:  # other scripts' digits, which the pattern of a number also takes
        total = 3 * sum(map(int, body[::-2])) + sum(map(int, body[-2::-2]))
    return str((10 - total % 10) % 10)


def has_valid_check_digit(number: str) -> bool:
    return bool(_DIGITS.fullmatch(number)) and check_digit(number[:-1]) == number[-1]


def normalize(raw: str) -> str:
    """A typed or scanned number as stored: spaces and dashes between digits dropped, upper case."""
    text = raw.strip().upper()
    if text.isascii() and text.isdigit():
        return text  # the common case, and what the substitution below would leave of it
    squeezed = re.sub(r"[\s-]", "", text)
    return squeezed if squeezed.isdigit() else text


def validate(raw: object, field: str = "cardNumber") -> str:
    """The normalised card number, or InvalidInput saying what is wrong with it."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput(field, "A card number is needed")
    number = normalize(raw)
    if number.isdigit():
        if not _DIGITS.fullmatch(number):
            raise InvalidInput(field, f"{number} is not a card number (cards have 8 to 19 digits)")
        if not has_valid_check_digit(number):
            raise InvalidInput(
                field,
                f"{number} has a wrong check digit; it was probably mistyped or misread",
                reason="CHECK_DIGIT",
            )
        return number
    if not _LEGACY.fullmatch(number):
        raise InvalidInput(field, f"{raw.strip()!r} is not a card number")
    return number


def from_block(prefix: str, block: int, serial: int) -> str:
    """The card number for `serial` within a till's `block`: prefix + 5 + 5 digits + check."""
    if not (0 <= block < 100_000 and 0 <= serial < BLOCK_SIZE):
        raise ValueError("block and serial must each fit in five digits")
    body = f"{prefix}{block:05d}{serial:05d}"
    return body + check_digit(body)
