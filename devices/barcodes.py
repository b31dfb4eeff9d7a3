"""Card barcodes with python-barcode: EAN-13 where the number is one, Code128 otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import barcode
from barcode.writer import ImageWriter, SVGWriter

from pos_loyalty import cardnumber
from pos_loyalty.errors import InvalidInput

FORMATS = {".svg": SVGWriter, ".png": ImageWriter}


@dataclass(frozen=True)
class Written:
    path: Path
    symbology: str  # "EAN-13" or "Code128"


def symbology_for(number: str) -> str:
    return "EAN-13" if len(number) == 13 and cardnumber.has_valid_check_digit(number) else "Code128"


def make(number: str, writer: object) -> barcode.Barcode:
    """The barcode object for a card number (EAN-13 takes the 12 digits and adds the check)."""
    if symbology_for(number) == "EAN-13":
        code = barcode.get("ean13", number[:12], writer=writer)
        if code.get_fullcode() != number:  # python-barcode computed a different check digit
            raise ValueError(f"EAN-13 encoding of {number} gave {code.get_fullcode()}")
        return code
    return barcode.get("code128", number, writer=writer)


def write_card_barcode(number: str, path: Path) -> Written:
    """Write the card's barcode to `path`; the suffix (.svg or .png) picks the format."""
    writer_class = FORMATS.get(path.suffix.lower())
    if writer_class is None:
        raise InvalidInput("out", f"{path.name}: the barcode file must end in .svg or .png")
    code = make(number, writer_class())
    try:
        with path.open("wb") as handle:
            code.write(handle)
    except OSError as error:
        raise InvalidInput("out", f"Cannot write {path}: {error.strerror}") from None
    return Written(path, symbology_for(number))
