"""A printable loyalty card: the pharmacy, the customer, the number in text and as a barcode.

Credit-card size (85.6 x 54 mm) at 300 dpi, drawn with Pillow so the till and the CLI
make the same card without Qt. The bars are painted from python-barcode's own module
pattern (`barcodes.make`: EAN-13 where the number is one, else Code128), each module a
whole number of pixels so a scanner reads clean edges.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from devices import barcodes
from pos_loyalty.errors import InvalidInput

DPI = 300
SIZE = (1011, 638)  # 85.6 mm x 54.0 mm at 300 dpi
MARGIN = 48
QUIET_MODULES = 11  # white on each side of the bars (GS1 asks 11 left, 7 right for EAN-13)
MAX_MODULE_PX = 5  # 0.42 mm: EAN-13 at 95 modules is 40 mm wide
BARS_TOP, BARS_HEIGHT = 300, 210
INK, PALE, PAPER = (0, 0, 0), (90, 90, 90), (255, 255, 255)

_SANS = ("DejaVuSans.ttf", "Arial.ttf", "arial.ttf")
_SANS_BOLD = ("DejaVuSans-Bold.ttf", "Arial Bold.ttf", "arialbd.ttf")
_MONO = barcodes._MONO


def _font(names: tuple[str, ...], size: int) -> ImageFont.FreeTypeFont:
    for name in names:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _fitted(draw: ImageDraw.ImageDraw, text: str, names: tuple[str, ...], size: int, width: int):
    """The largest font (down to half `size`) the text fits in; a text still too long is cut."""
    smallest = size // 2
    while True:
        font = _font(names, size)
        if draw.textlength(text, font=font) <= width:
            return text, font
        if size <= smallest:
            break
        size -= 2
    while len(text) > 1 and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…", font


def _centred(draw: ImageDraw.ImageDraw, y: int, text: str, names: tuple[str, ...], size: int, fill) -> None:
    shown, font = _fitted(draw, text, names, size, SIZE[0] - 2 * MARGIN)
    draw.text((SIZE[0] // 2, y), shown, font=font, fill=fill, anchor="mt")


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
    _centred(draw, 44, pharmacy, _SANS_BOLD, 62, INK)
    _centred(draw, 128, "Loyalty card", _SANS, 32, PALE)
    _centred(draw, 188, customer, _SANS, 54, INK)
    _draw_bars(draw, modules(number))
    _centred(draw, BARS_TOP + BARS_HEIGHT + 18, number, (_MONO,), 46, INK)
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
