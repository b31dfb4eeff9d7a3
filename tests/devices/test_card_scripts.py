"""Names in Indian scripts on the printable card: real glyphs, shaped, in the PDF too.

These fail (they do not skip) on a machine without Debian's fonts-noto-core or Pillow's
libraqm (libfribidi0): scripts/system-packages.txt installs both, and a till without them
prints its customers' names as boxes.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, features

from barcode_reading import decode_ean13
from devices import card_sheet, script_fonts
from pos_loyalty import cardnumber

NAMES = {
    "Devanagari": "अनन्या शर्मा",
    "Tamil": "தமிழ்செல்வி",
    "Bengali": "অনিন্দিতা",
    "Telugu": "శ్రీనివాస్",
    "Kannada": "ಕನ್ನಡ",
    "Malayalam": "മലയാളം",
}
NUMBER = cardnumber.from_block("29", 1, 7)
NO_NOTO = "Noto Sans {script} is not installed: apt-get install fonts-noto-core (scripts/system-packages.txt)"


def name_band(image: Image.Image) -> Image.Image:
    """The strip of the card the customer's name is drawn in, as grey levels."""
    return image.convert("L").crop((0, card_sheet.NAME_TOP - 10, card_sheet.SIZE[0], card_sheet.BARS_TOP - 4))


def ink(band: Image.Image) -> Image.Image:
    """The band cut to its ink (dark pixels)."""
    box = band.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert box, "nothing drawn where the name goes"
    return band.crop(box)


def drawn(text: str, font: ImageFont.FreeTypeFont) -> Image.Image:
    """The text drawn by itself, cut to its ink: what the card must show (or must not)."""
    image = Image.new("L", (card_sheet.SIZE[0] * 2, 200), 255)
    ImageDraw.Draw(image).text((20, 20), text, font=font, fill=0)
    return ink(image)


def difference(a: Image.Image, b: Image.Image) -> float:
    """How unlike two ink images are: 0 the same, 255 opposite (b scaled to a's size; both
    blurred a little, so that a letter drawn half a pixel further along is the same letter)."""
    soft = ImageFilter.GaussianBlur(2)
    delta = ImageChops.difference(a.filter(soft), b.resize(a.size).filter(soft))
    return sum(delta.histogram()[v] * v for v in range(256)) / (a.width * a.height)


def noto(script: str) -> ImageFont.FreeTypeFont:
    """The script's font as fontconfig finds it (not through card_sheet): the test's own look-up."""
    assert shutil.which("fc-match"), "fontconfig's fc-match is missing (libfontconfig1, fontconfig)"
    found = subprocess.run(["fc-match", "-f", "%{file}", f"Noto Sans {script}:style=Regular"], capture_output=True, text=True)
    path = Path(found.stdout.strip())
    assert path.name == f"NotoSans{script}-Regular.ttf", NO_NOTO.format(script=script)
    return ImageFont.truetype(str(path), card_sheet.NAME_SIZE)


def test_pillow_shapes_indian_scripts_with_libraqm():
    assert features.check("raqm"), "Pillow has no libraqm: apt-get install libfribidi0 (scripts/system-packages.txt)"
    assert script_fonts.shapes()
    font = noto("Devanagari")
    # न्य is a conjunct: half न joined to य, narrower than न, ् and य side by side unshaped.
    basic = ImageFont.truetype(font.path, card_sheet.NAME_SIZE, layout_engine=ImageFont.Layout.BASIC)
    assert font.getlength("न्य") < basic.getlength("न्य") - 5
    # ि is written before the consonant it follows in the text: shaping moves it.
    assert bytes(font.getmask("कि")) != bytes(basic.getmask("कि"))


@pytest.mark.parametrize("script", NAMES)
def test_each_script_is_drawn_in_its_noto_font_with_a_glyph_for_every_letter(script):
    name = NAMES[script]
    assert script_fonts.runs(name) == [(name, script)]
    font = script_fonts.font_for(name, card_sheet.NAME_SIZE)
    assert Path(font.path).name == f"NotoSans{script}-Regular.ttf", NO_NOTO.format(script=script)
    missing = [char for char in name if not char.isspace() and not script_fonts.covers(font, char)]
    assert not missing, f"no glyph for {missing}"
    bold = script_fonts.font_for(name, 62, script_fonts.SANS_BOLD, bold=True)
    assert Path(bold.path).name == f"NotoSans{script}-Bold.ttf"


@pytest.mark.parametrize("script", NAMES)
def test_the_cards_name_is_the_shaped_text_not_boxes(script):
    name = NAMES[script]
    card = ink(name_band(card_sheet.card_image(NUMBER, name, "Asha Pharmacy")))
    shaped = drawn(name, noto(script))
    boxes = drawn(name, ImageFont.truetype("DejaVuSans.ttf", card_sheet.NAME_SIZE))  # DejaVu has no Indian script
    assert abs(card.width - shaped.width) <= 2 and abs(card.height - shaped.height) <= 2
    assert difference(card, shaped) < 12  # the same letters, drawn a fraction of a pixel apart
    assert difference(card, boxes) > 4 * difference(card, shaped) + 20


def pdf_image(pdf: bytes) -> Image.Image:
    """The page's picture out of a PDF Pillow wrote (one image XObject, JPEG or Flate)."""
    match = re.search(rb"/Subtype\s*/Image(.*?)stream\r?\n", pdf, re.S)
    assert match, "no image in the PDF"
    header, start = match[1], match.end()
    length = int(re.search(rb"/Length\s+(\d+)", header)[1])
    data = pdf[start : start + length]
    if b"DCTDecode" in header:
        return Image.open(BytesIO(data)).convert("RGB")
    width, height = (int(re.search(rb"/%s\s+(\d+)" % key, header)[1]) for key in (b"Width", b"Height"))
    return Image.frombytes("RGB", (width, height), zlib.decompress(data))


@pytest.mark.parametrize("script", NAMES)
def test_the_printable_pdf_shows_the_name_in_its_script(tmp_path, script):
    name = NAMES[script]
    pdf = card_sheet.write_card_sheet(NUMBER, name, "Asha Pharmacy", tmp_path / f"{script}.pdf")
    page = pdf_image(pdf.read_bytes())
    assert page.size == card_sheet.SIZE
    card = ink(name_band(page))
    shaped, boxes = drawn(name, noto(script)), drawn(name, ImageFont.truetype("DejaVuSans.ttf", card_sheet.NAME_SIZE))
    assert abs(card.width - shaped.width) <= 3
    assert difference(card, shaped) < 18  # JPEG in the PDF blurs the edges a little
    assert difference(card, boxes) > 3 * difference(card, shaped) + 20


def test_the_pdfs_barcode_still_reads_back(tmp_path):
    spec = importlib.util.spec_from_file_location("card_sheet_tests", Path(__file__).with_name("test_card_sheet.py"))
    tests = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tests)
    read_bars = tests.read_bars
    pdf = card_sheet.write_card_sheet(NUMBER, NAMES["Devanagari"], "आशा फार्मेसी", tmp_path / "card.pdf")
    assert decode_ean13(read_bars(pdf_image(pdf.read_bytes()))) == NUMBER


def test_a_name_in_two_scripts_is_drawn_in_two_fonts():
    parts = script_fonts.runs("Dr. अनन्या (Sharma) & Co")
    assert parts == [("Dr. ", None), ("अनन्या (", "Devanagari"), ("Sharma) & Co", None)]
    assert [Path(script_fonts.font_for(part, 40).path).name for part, _ in parts] == [
        "DejaVuSans.ttf",
        "NotoSansDevanagari-Regular.ttf",
        "DejaVuSans.ttf",
    ]
    assert script_fonts.runs("অনিন্দিতা। রায়") == [("অনিন্দিতা। রায়", "Bengali")]  # the danda stays Bengali


def test_a_long_name_is_cut_between_letters_not_inside_one():
    image = Image.new("RGB", card_sheet.SIZE)
    parts, _size = card_sheet.fitted(ImageDraw.Draw(image), "अनन्या " * 40, card_sheet.NAME_SIZE, 900)
    text = "".join(part for part, _ in parts)
    assert text.endswith("…")
    assert not text[:-1].endswith(("्", " ", "\u200d"))
