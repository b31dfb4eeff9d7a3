"""The printable card: its size, its files, and bars that read back as the card's number.

The barcode is read back from the drawn pixels and decoded with the symbologies' own
tables (python-barcode's `charsets`), so a drawing mistake or a wrong encoding fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from barcode_reading import decode_code128, decode_ean13
from devices import card_sheet
from pos_loyalty import cardnumber
from pos_loyalty.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]


def with_check(body: str) -> str:
    return body + cardnumber.check_digit(body)


def read_bars(image: Image.Image) -> str:
    """The modules drawn across the bars ('1' dark), read from the pixels of the card."""
    gray = image.convert("L")
    top, height = card_sheet.BARS_TOP, card_sheet.BARS_HEIGHT
    rows = {tuple(gray.getpixel((x, y)) < 128 for x in range(image.width)) for y in (top + 2, top + height // 2, top + height - 3)}
    assert len(rows) == 1, "bars are not straight vertical lines"
    (row,) = rows
    first, last = row.index(True), len(row) - 1 - row[::-1].index(True)
    runs, start = [], first
    for x in range(first + 1, last + 2):
        if x == last + 1 or row[x] != row[start]:
            runs.append((row[start], x - start))
            start = x
    module = min(length for _dark, length in runs)
    assert all(length % module == 0 for _dark, length in runs), "modules are not whole pixels"
    assert first >= 11 * module and image.width - 1 - last >= 11 * module, "no quiet zone"
    assert not any(row[:first]) and not any(row[last + 1 :])
    return "".join(("1" if dark else "0") * (length // module) for dark, length in runs)


def test_the_card_is_credit_card_sized_at_300_dpi():
    image = card_sheet.card_image(cardnumber.from_block("29", 1, 1), "Asha Rao", "Test Pharmacy")
    assert image.mode == "RGB"
    assert image.size == card_sheet.SIZE
    width_mm, height_mm = (pixels / card_sheet.DPI * 25.4 for pixels in image.size)
    assert round(width_mm, 1) == 85.6 and round(height_mm, 1) == 54.0


@pytest.mark.parametrize(
    "number",
    [cardnumber.from_block("29", 1, 1), cardnumber.from_block("28", 73019, 99999), with_check("400638133393")],
)
def test_an_ean13_number_is_drawn_as_bars_that_read_back_as_it(number):
    drawn = read_bars(card_sheet.card_image(number, "Asha Rao", "Test Pharmacy"))
    assert drawn == card_sheet.modules(number)  # python-barcode's own encoding, unaltered
    assert decode_ean13(drawn) == number


def test_an_older_billing_systems_number_is_drawn_as_code128():
    drawn = read_bars(card_sheet.card_image("CARD001", "Bina Shah", "Test Pharmacy"))
    assert decode_code128(drawn) == "CARD001"


def test_the_longest_card_numbers_still_fit_with_their_quiet_zones():
    for number in (with_check("1" * 18), "CARD-" + "7" * 27):
        assert read_bars(card_sheet.card_image(number, "A Customer", "Pharmacy")) == card_sheet.modules(number)


def test_a_pdf_and_a_png_are_written_by_suffix(tmp_path):
    number = cardnumber.from_block("29", 1, 2)
    pdf = card_sheet.write_card_sheet(number, "Asha Rao", "Test Pharmacy", tmp_path / "cards" / "card.pdf")
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF")
    box = re.search(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", content)
    assert box and (round(float(box[1]) / 72 * 25.4, 1), round(float(box[2]) / 72 * 25.4, 1)) == (85.6, 54.0)

    png = card_sheet.write_card_sheet(number, "Asha Rao", "Test Pharmacy", tmp_path / "card.PNG")
    with Image.open(png) as written:
        assert written.format == "PNG" and written.size == card_sheet.SIZE
        assert round(written.info["dpi"][0]) == 300
        assert decode_ean13(read_bars(written.convert("RGB"))) == number

    with pytest.raises(InvalidInput, match="must end in .pdf or .png"):
        card_sheet.write_card_sheet(number, "Asha Rao", "Test Pharmacy", tmp_path / "card.jpg")


def test_a_card_that_cannot_be_written_says_so(tmp_path):
    blocker = tmp_path / "cards"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(InvalidInput, match="Cannot write"):
        card_sheet.write_card_sheet(cardnumber.from_block("29", 1, 3), "Asha", "Pharmacy", blocker / "card.pdf")


def test_the_card_sheet_never_loads_qt():
    """The CLI draws cards too: the module must not pull Qt in."""
    code = "import sys, devices.card_sheet; sys.exit(any(m.startswith(('PySide6', 'shiboken6')) for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
