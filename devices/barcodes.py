"""Card barcodes with python-barcode: EAN-13 where the number is one, Code128 otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import barcode
from barcode.writer import SVGWriter
from PIL import Image, ImageDraw, ImageFont

from pos_loyalty import cardnumber
from pos_loyalty.errors import InvalidInput

FORMATS = {".svg": SVGWriter}
DPI = 300
MODULE_PX = 3  # 0.25 mm at 300 dpi
QUIET_MODULES = 11
_MONO = str(Path(barcode.__file__).parent / "fonts" / "DejaVuSansMono.ttf")  # ships with python-barcode


@dataclass(frozen=True)
class Written:
    path: Path
    symbology: str  # "EAN-13" or "Code128"


def symbology_for(number: str) -> str:
    return "EAN-13" if len(number) == 13 and cardnumber.has_valid_check_digit(number) else "Code128"


def make(number: str, writer: object) -> barcode.Barcode:
    """The barcode object for a card number (EAN-13 takes the 12 digits and adds the check).

    A number that is not a card's (a wrong check digit, say) is refused with InvalidInput:
    a barcode of a mistyped number would print a card that opens nobody's account.
    """
    number = cardnumber.validate(number)
    if symbology_for(number) == "EAN-13":
        code = barcode.get("ean13", number[:12], writer=writer)
        if code.get_fullcode() != number:  # python-barcode computed a different check digit
            raise ValueError(f"EAN-13 encoding of {number} gave {code.get_fullcode()}")
        return code
    return barcode.get("code128", number, writer=writer)


def write_card_barcode(number: str, path: Path) -> Written:
    """Write the card's barcode to `path`; the suffix (.svg or .png) picks the format."""
    if path.suffix.lower() == ".png":
        try:
            barcode_image(number).save(path, "PNG", dpi=(DPI, DPI))
        except OSError as error:
            raise InvalidInput("out", f"Cannot write {path}: {error.strerror or error}") from None
        return Written(path, symbology_for(number))
    writer_class = FORMATS.get(path.suffix.lower())
    if writer_class is None:
        raise InvalidInput("out", f"{path.name}: the barcode file must end in .svg or .png (or .pdf for the printable card)")
    code = make(number, writer_class())
    try:
        with path.open("wb") as handle:
            code.write(handle)
    except OSError as error:
        raise InvalidInput("out", f"Cannot write {path}: {error.strerror}") from None
    return Written(path, symbology_for(number))


def modules(number: str) -> str:
    """The card's bars as python-barcode encodes them: '1' a dark module, '0' a light one."""
    return make(number, None).build()[0]


def draw_bars(draw: ImageDraw.ImageDraw, pattern: str, left: int, top: int, module_px: int, height: int, ink: object) -> None:
    """Paint the bars, each module a whole number of pixels: clean edges for a scanner.

    (python-barcode's own PNG writer truncates fractional pixel positions: 0.254 mm at
    300 dpi comes out 2.99... and is drawn 2 px wide, so its bars are uneven.)
    """
    for index, module in enumerate(pattern):
        if module != "0":
            x = left + index * module_px
            draw.rectangle((x, top, x + module_px - 1, top + height - 1), fill=ink)


def barcode_image(number: str, *, module_px: int = MODULE_PX, height: int = 150) -> Image.Image:
    """The card's barcode with its number underneath, 300 dpi, white quiet zones either side."""
    pattern = modules(number)
    width = (len(pattern) + 2 * QUIET_MODULES) * module_px
    image = Image.new("L", (width, height + 60), 255)
    draw = ImageDraw.Draw(image)
    draw_bars(draw, pattern, QUIET_MODULES * module_px, 10, module_px, height - 10, 0)
    draw.text((width // 2, height + 6), number, font=ImageFont.truetype(_MONO, 34), fill=0, anchor="mt")
    return image
