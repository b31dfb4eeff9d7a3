"""A customer's details as typed at a till or sent to the central service, cleaned and checked."""

from __future__ import annotations

import re

from pos_loyalty.errors import InvalidInput
from pos_loyalty.jsonio import CONTROL_CHARACTERS

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def text(value: object, field: str, *, required: bool, limit: int = 255, numbers: bool = False) -> str | None:
    """Inner whitespace squeezed; None when empty and not required; InvalidInput naming `field`.

    `numbers`: a whole number is taken as its digits (seed 002's `customerId` is a number;
    here it is text, so an id from any billing system fits).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(field, f"{field} is needed")
        return None
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidInput(field, f"{field} must be text")
    if CONTROL_CHARACTERS.search(value):
        raise InvalidInput(field, f"{field} contains control characters")
    cleaned = " ".join(value.split())
    if len(cleaned) > limit:
        raise InvalidInput(field, f"{field} must be at most {limit} characters")
    return cleaned


def email(value: object, field: str = "customerEmail") -> str | None:
    cleaned = text(value, field, required=False)
    if cleaned is not None and not _EMAIL.fullmatch(cleaned):
        raise InvalidInput(field, f"{cleaned!r} is not an email address")
    return cleaned
