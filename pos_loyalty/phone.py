"""Customers' phone numbers as stored and looked up: digits, with a leading + if given."""

from __future__ import annotations

import re

from pos_loyalty.errors import InvalidInput

_SEPARATORS = re.compile(r"[\s().-]")


def normalize_phone(raw: object, field: str = "customerPhone") -> str:
    """'+91 98765-43210' -> '+919876543210'; InvalidInput unless it is 7 to 15 digits."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput(field, "A phone number is needed")
    text = _SEPARATORS.sub("", raw.strip())
    plus = text.startswith("+")
    digits = text[1:] if plus else text
    if not (digits.isascii() and digits.isdigit()) or not 7 <= len(digits) <= 15:
        raise InvalidInput(field, f"{raw.strip()!r} is not a phone number (7 to 15 digits)")
    return ("+" if plus else "") + digits


def looks_like_phone(raw: str) -> bool:
    try:
        normalize_phone(raw)
    except InvalidInput:
        return False
    return True


def masked(phone: str) -> str:
    """What the counter screen shows: all but the last four digits hidden."""
    return "•" * max(len(phone) - 4, 0) + phone[-4:]
