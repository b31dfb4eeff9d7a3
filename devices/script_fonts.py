"""Fonts for names in Indian scripts, for the cards Pillow draws (no Qt).

A text is cut where its script changes (`runs`); each run of Devanagari, Bengali, Gurmukhi,
Gujarati, Oriya, Tamil, Telugu, Kannada or Malayalam letters is drawn with the Noto Sans font
of its script (Debian's fonts-noto-core; Nirmala UI on Windows), the rest with the Latin font
asked for (DejaVu Sans). Pillow shapes each run with libraqm where it has it (conjuncts such as
न्य, vowel signs before their consonant); without it the letters come out in the wrong places,
which `shapes()` says in the log.
"""

from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont, features

log = logging.getLogger(__name__)

SANS = ("DejaVuSans.ttf", "Arial.ttf", "arial.ttf")
SANS_BOLD = ("DejaVuSans-Bold.ttf", "Arial Bold.ttf", "arialbd.ttf")

#: The Indian scripts' Unicode blocks and the Noto Sans family of each (fonts-noto-core).
SCRIPTS = (
    (0x0900, 0x097F, "Devanagari"),
    (0x0980, 0x09FF, "Bengali"),
    (0x0A00, 0x0A7F, "Gurmukhi"),
    (0x0A80, 0x0AFF, "Gujarati"),
    (0x0B00, 0x0B7F, "Oriya"),
    (0x0B80, 0x0BFF, "Tamil"),
    (0x0C00, 0x0C7F, "Telugu"),
    (0x0C80, 0x0CFF, "Kannada"),
    (0x0D00, 0x0D7F, "Malayalam"),
    (0x1CD0, 0x1CFF, "Devanagari"),  # Vedic extensions
    (0xA8E0, 0xA8FF, "Devanagari"),  # Devanagari extended
)
SHARED = frozenset("\u0964\u0965")  # danda, double danda: the full stop of most north Indian scripts
JOINERS = frozenset("\u200c\u200d")  # ZWNJ, ZWJ: they change how the letters around them join
_NO_GLYPH = "\U0010fffd"  # a private-use code point no font draws: what the font's box looks like


def script_of(char: str) -> str | None:
    """The Indian script a character belongs to ('Tamil'), or None (Latin, digits, spaces...)."""
    point = ord(char)
    for first, last, script in SCRIPTS:
        if first <= point <= last:
            return script
    return None


def faces(script: str | None, latin: tuple[str, ...], bold: bool = False) -> tuple[str, ...]:
    """Font files to try for a run, best first: the script's Noto Sans, Nirmala UI, then `latin`."""
    if script is None:
        return latin
    nirmala = ("NirmalaB.ttf", "Nirmala.ttc") if bold else ("Nirmala.ttf", "Nirmala.ttc")
    return (f"NotoSans{script}-{'Bold' if bold else 'Regular'}.ttf", *nirmala, *latin)


@lru_cache(maxsize=256)
def load(names: tuple[str, ...], size: int) -> ImageFont.FreeTypeFont:
    """The first of the font files that opens (by path, or by name in the system's font
    folders), else Pillow's own font."""
    for name in names:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)  # type: ignore[return-value]


def font_for(text: str, size: int, latin: tuple[str, ...] = SANS, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The font a run (one script, as `runs` cuts them) is drawn with. A script whose font is
    missing is said in the log once: its letters would print as boxes."""
    script = next((found for found in map(script_of, text) if found), None)
    font = load(faces(script, latin, bold), size)
    if script is not None and Path(str(getattr(font, "path", ""))).name in {Path(name).name for name in latin}:
        _missing(script)
    return font


@lru_cache(maxsize=None)
def _missing(script: str) -> None:
    log.warning("no %s font here: names in it print as boxes (install fonts-noto-core)", script)


@lru_cache(maxsize=None)
def shapes() -> bool:
    """Pillow lays text out with libraqm, which the Indian scripts need."""
    have = bool(features.check("raqm"))
    if not have:
        log.warning("Pillow has no libraqm here: names in Indian scripts are drawn unshaped (install libfribidi0)")
    return have


def covers(font: ImageFont.FreeTypeFont, char: str) -> bool:
    """The font has a glyph of its own for the character (it is not drawn as the font's box)."""
    return _glyph(font, char) != _glyph(font, _NO_GLYPH)


@lru_cache(maxsize=4096)
def _glyph(font: ImageFont.FreeTypeFont, char: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(char)
    return mask.size, bytes(mask)


def runs(text: str, latin: tuple[str, ...] = SANS, bold: bool = False) -> list[tuple[str, str | None]]:
    """The text cut where its script changes: [(part, script or None)]. Marks, joiners and a
    danda stay with the letters before them; a space, digit or punctuation too, when that
    script's font has it (else it is drawn in the Latin font)."""
    parts: list[tuple[str, str | None]] = []
    for char in text:
        script = script_of(char)
        if parts:
            part, current = parts[-1]
            mark = unicodedata.category(char).startswith("M") or char in JOINERS
            shared = current is not None and (
                char in SHARED or (script is None and not char.isalpha() and covers(font_for(part, 40, latin, bold), char))
            )
            if script == current or mark or shared:
                parts[-1] = (part + char, current)
                continue
        parts.append((char, script))
    return parts
