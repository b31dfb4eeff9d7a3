"""A bill's short number per till, "T1-000123": what a person reads, types and says.

The bill's id (a UUID) stays its id everywhere a machine looks (the central service, the
sync protocol); the short number is the till's own name for it, given in the finalize
transaction from a counter in the replica (`services/bill_names.py`). Pure: no I/O.

The prefix names the till: the till's setting `bills.prefix` if set, else one made from the
device name the till got when it joined the central service ("Counter 2" -> "T2", a name
that is itself a short code like "C3" as it is), else "T1".
"""

from __future__ import annotations

import re

from pos_loyalty.errors import InvalidInput

DEFAULT_PREFIX = "T1"
#: A prefix: a letter, then up to 5 letters or digits (upper case), so "T1-000123" reads back.
_PREFIX = re.compile(r"[A-Z][A-Z0-9]{0,5}")
_TYPED = re.compile(r"\s*([A-Za-z][A-Za-z0-9]{0,5})-([0-9]{1,9})\s*")
_LAST_NUMBER = re.compile(r"([0-9]{1,5})\D*$")
DIGITS = 6  # T1-000123: six digits, more once a till passes 999,999 bills


def name(prefix: str, number: int) -> str:
    """("T1", 123) -> "T1-000123"."""
    return f"{prefix}-{number:0{DIGITS}d}"


def parse_prefix(value: object, field: str = "prefix") -> str:
    """A prefix as typed ("t2" -> "T2"), or InvalidInput saying what a prefix is."""
    cleaned = value.strip().upper() if isinstance(value, str) else ""
    if not cleaned.isascii() or not _PREFIX.fullmatch(cleaned):
        raise InvalidInput(
            field, f"A bill number's prefix is a letter and up to 5 more letters or digits (like T1 or C2), not {value!r}"
        )
    return cleaned


def prefix_of(setting: str | None, device_name: str | None) -> str:
    """The prefix for the next bill: the setting, else from the device name, else "T1"."""
    for candidate in (setting, _from_device(device_name)):
        if candidate:
            try:
                return parse_prefix(candidate)
            except InvalidInput:
                continue
    return DEFAULT_PREFIX


def _from_device(device_name: str | None) -> str | None:
    """"Counter 2" -> "T2"; "c3" -> "C3" (already a short code); "Front desk" -> None."""
    if not device_name or not device_name.strip():
        return None
    shown = device_name.strip().upper()
    if shown.isascii() and _PREFIX.fullmatch(shown) and any(ch.isdigit() for ch in shown):
        return shown
    last = _LAST_NUMBER.search(shown)
    return f"T{int(last.group(1))}" if last and shown.isascii() else None


def parse_typed(text: object) -> tuple[str, int] | None:
    """What a person typed as a bill's short number ("T1-000123", "t1-123"): (prefix,
    number); None when it is not one (then it may be a bill's id)."""
    if not isinstance(text, str):
        return None
    match = _TYPED.fullmatch(text)
    if match is None or int(match.group(2)) == 0:
        return None
    return match.group(1).upper(), int(match.group(2))
