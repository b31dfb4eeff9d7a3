"""Card barcodes as files: written SVG and PNG read back as the card's number.

The bars are read from the file (the SVG's rectangles, the PNG's pixels) and decoded
with the symbologies' own tables, so a wrong encoding or a drawing mistake fails here.
"""

from __future__ import annotations

import pytest
from PIL import Image

from barcode_reading import decode_code128, decode_ean13, modules_from_png, modules_from_svg
from devices import barcodes
from pos_loyalty import cardnumber
from pos_loyalty.errors import InvalidInput

LOCAL = cardnumber.from_block("28", 12, 345)  # a till's own 13 digits: EAN-13


def with_check(body: str) -> str:
    return body + cardnumber.check_digit(body)


DECODERS = {"EAN-13": decode_ean13, "Code128": decode_code128}
READERS = {".svg": modules_from_svg, ".png": modules_from_png}


@pytest.mark.parametrize("suffix", [".svg", ".png"])
@pytest.mark.parametrize(
    "number, symbology",
    [
        (LOCAL, "EAN-13"),
        (cardnumber.from_block("29", 99999, 99999), "EAN-13"),
        (with_check("2" * 15), "Code128"),  # 16 digits: too long for EAN-13
        ("CARD001", "Code128"),  # an older billing system's card
    ],
)
def test_a_written_barcode_reads_back_as_its_card_number(tmp_path, suffix, number, symbology):
    written = barcodes.write_card_barcode(number, tmp_path / f"card{suffix}")
    assert written.symbology == symbology and written.path.stat().st_size > 0
    assert DECODERS[symbology](READERS[suffix](written.path)) == number


def test_the_png_has_whole_pixel_modules_at_300_dpi(tmp_path):
    path = barcodes.write_card_barcode(LOCAL, tmp_path / "card.png").path
    with Image.open(path) as image:
        assert round(image.info["dpi"][0]) == barcodes.DPI
        gray = image.convert("L")
    row = [gray.getpixel((x, gray.height // 3)) < 128 for x in range(gray.width)]
    first = row.index(True)
    assert first == barcodes.QUIET_MODULES * barcodes.MODULE_PX  # the quiet zone before the bars
    edges = [x for x in range(1, len(row)) if row[x] != row[x - 1]]
    assert all((x - first) % barcodes.MODULE_PX == 0 for x in edges)


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_a_wrong_check_digit_is_refused_and_nothing_is_written(tmp_path, suffix):
    wrong = LOCAL[:-1] + str((int(LOCAL[-1]) + 1) % 10)
    target = tmp_path / f"card{suffix}"
    with pytest.raises(InvalidInput, match="wrong check digit"):
        barcodes.write_card_barcode(wrong, target)
    assert not target.exists()


def test_a_number_that_is_no_card_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="not a card number"):
        barcodes.write_card_barcode("12345", tmp_path / "card.svg")


def test_an_unknown_file_type_is_refused_with_the_ones_that_work(tmp_path):
    with pytest.raises(InvalidInput, match=r"\.svg or \.png"):
        barcodes.write_card_barcode(LOCAL, tmp_path / "card.gif")
    assert not (tmp_path / "card.gif").exists()
