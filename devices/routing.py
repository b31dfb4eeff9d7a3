"""What a scanned code is: a loyalty card (opened at the counter) or something else.

A card is recognised by its format and its check digit: this system's numbers and
pre-printed stock are in GS1's "2" range (numbers for use inside one business, never
on a product), 8 to 19 digits with a valid check digit; an older card system's
letters-and-digits numbers (seed 002's `CARD001`) count too. Anything else, a product's
EAN for one, is reported as not a card (product codes come later).
"""

from __future__ import annotations

from dataclasses import dataclass

from pos_loyalty import cardnumber
from pos_loyalty.errors import InvalidInput


@dataclass(frozen=True)
class Scanned:
    code: str
    card_number: str | None  # set when the code is a card
    reason: str = ""  # why it is not one


def route(code: str) -> Scanned:
    try:
        number = cardnumber.validate(code)
    except InvalidInput as error:
        return Scanned(code, None, error.message)
    if number.isdigit() and not number.startswith("2"):
        return Scanned(code, None, f"{number} is a product's barcode, not a loyalty card")
    return Scanned(code, number)
