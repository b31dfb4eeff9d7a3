"""A printable loyalty card: the pharmacy, the customer, the number in text and as a barcode.

Credit-card size (85.6 x 54 mm) at 300 dpi, drawn with Pillow so the till and the CLI
make the same card without Qt. The bars are painted from python-barcode's own module
pattern (`barcodes.make`: EAN-13 where the number is one, else Code128), each module a
whole number of pixels so a scanner reads clean edges.

Names are written in their own scripts: each run of an Indian script in its Noto Sans font,
shaped by libraqm (`script_fonts.py`; docs/decisions.md, "Indian scripts, numbers and times").
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from PIL import Image, ImageDraw

from devices import barcodes, script_fonts
from devices.script_fonts import SANS, SANS_BOLD, font_for
from pos_loyalty.errors import InvalidInput

DPI = 300
SIZE = (1011, 638)  # 85.6 mm x 54.0 mm at 300 dpi
MARGIN = 48
QUIET_MODULES = 11  # white on each side of the bars (GS1 asks 11 left, 7 right for EAN-13)
MAX_MODULE_PX = 5  # 0.42 mm: EAN-13 at 95 modules is 40 mm wide
BARS_TOP, BARS_HEIGHT = 300, 210
INK, PALE, PAPER = (0, 0, 0), (90, 90, 90), (255, 255, 255)
NAME_TOP, NAME_SIZE = 188, 54  # the customer's name: its tallest letters' top, its largest size
MONO = (barcodes._MONO,)

Parts = list[tuple[str, "str | None"]]


def _width(draw: ImageDraw.ImageDraw, parts: Parts, size: int, latin: tuple[str, ...], bold: bool) -> float:
    return sum(draw.textlength(part, font=font_for(part, size, latin, bold)) for part, _script in parts)


def _shorter(text: str) -> str:
    """The text a character shorter, never ending on a mark, a virama or a joiner (half a
    letter), nor on a space."""
    text = text[:-1]
    while text and (unicodedata.category(text[-1]).startswith("M") or text[-1] in script_fonts.JOINERS or text[-1].isspace()):
        text = text[:-1]
    return text


def fitted(draw: ImageDraw.ImageDraw, text: str, size: int, width: int, latin: tuple[str, ...] = SANS, bold: bool = False):
    """The text's runs and the largest size (down to half `size`) they fit `width` in; a text
    still too long is cut, with an ellipsis."""
    smallest = size // 2
    while True:
        parts = script_fonts.runs(text, latin, bold)
        if _width(draw, parts, size, latin, bold) <= width:
            return parts, size
        if size <= smallest:
            break
        size -= 2
    while len(text) > 1 and _width(draw, script_fonts.runs(text + "…", latin, bold), size, latin, bold) > width:
        text = _shorter(text)
    return script_fonts.runs(text.rstrip() + "…", latin, bold), size


def _centred(draw: ImageDraw.ImageDraw, y: int, text: str, size: int, fill, latin: tuple[str, ...] = SANS, bold: bool = False) -> None:
    """The text centred across the card, the top of its tallest font at `y`, each run in its font."""
    script_fonts.shapes()
    parts, size = fitted(draw, text, size, SIZE[0] - 2 * MARGIN, latin, bold)
    fonts = [font_for(part, size, latin, bold) for part, _script in parts]
    x = (SIZE[0] - sum(draw.textlength(part, font=font) for (part, _s), font in zip(parts, fonts))) / 2
    baseline = y + max(font.getmetrics()[0] for font in fonts)
    for (part, _script), font in zip(parts, fonts):
        draw.text((x, baseline), part, font=font, fill=fill, anchor="ls")
        x += draw.textlength(part, font=font)


modules = barcodes.modules


def module_px(pattern: str) -> int:
    """How many pixels wide one module is drawn, so the bars and quiet zones fit the card."""
    room = SIZE[0] - 2 * MARGIN
    return max(1, min(MAX_MODULE_PX, room // (len(pattern) + 2 * QUIET_MODULES)))


def _draw_bars(draw: ImageDraw.ImageDraw, pattern: str) -> None:
    width = module_px(pattern)
    barcodes.draw_bars(draw, pattern, (SIZE[0] - len(pattern) * width) // 2, BARS_TOP, width, BARS_HEIGHT, INK)


def card_image(number: str, customer: str, pharmacy: str) -> Image.Image:
    """The card as an RGB image, SIZE pixels at 300 dpi."""
    image = Image.new("RGB", SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((4, 4, SIZE[0] - 5, SIZE[1] - 5), radius=36, outline=(176, 190, 197), width=4)
    _centred(draw, 44, pharmacy, 62, INK, SANS_BOLD, bold=True)
    _centred(draw, 128, "Loyalty card", 32, PALE)
    _centred(draw, NAME_TOP, customer, NAME_SIZE, INK)
    _draw_bars(draw, modules(number))
    _centred(draw, BARS_TOP + BARS_HEIGHT + 18, number, 46, INK, MONO)
    return image


def write_card_sheet(number: str, customer: str, pharmacy: str, path: Path) -> Path:
    """Write the card to `path`: a card-sized PDF page (.pdf) or a 300 dpi PNG (.png)."""
    path = Path(path)
    formats = {".pdf": ("PDF", {"resolution": DPI}), ".png": ("PNG", {"dpi": (DPI, DPI)})}
    if path.suffix.lower() not in formats:
        raise InvalidInput("out", f"{path.name}: the card file must end in .pdf or .png")
    kind, options = formats[path.suffix.lower()]
    image = card_image(number, customer, pharmacy)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, kind, **options)
    except OSError as error:
        raise InvalidInput("out", f"Cannot write {path}: {error.strerror or error}") from None
    return path
