"""JSON with exact decimals: numbers are read as Decimal and Decimals written as numbers.

The standard library would turn 975.00 into a float on the way in and refuses Decimal
on the way out; money must never pass through a float, so every JSON document the
project reads or writes (CLI, outbox payloads, HTTP bodies) goes through here.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable

_string = json.encoder.encode_basestring  # type: ignore[attr-defined]


class JsonError(ValueError):
    """Text that is not the JSON it should be; the message says where."""


def loads(text: str | bytes) -> Any:
    """Parse JSON; numbers with a fraction or exponent become Decimal, NaN is refused."""

    def refuse_constant(name: str) -> Any:
        raise JsonError(f"{name} is not a number JSON allows")

    try:
        return json.loads(text, parse_float=Decimal, parse_constant=refuse_constant)
    except json.JSONDecodeError as error:
        raise JsonError(
            f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except UnicodeDecodeError:
        raise JsonError("not valid JSON: the text is not UTF-8") from None


# --- input from others: every value kept, the ones the input rules refuse marked ----------

#: The most digits a number sent to the project may have, and the deepest nesting.
MAX_DIGITS = 30
MAX_DEPTH = 32
#: Control characters in text: C0, DEL and C1, the line and paragraph separators, and the
#: bidirectional embeddings, overrides and isolates (which make a name read as another).
#: Zero-width joiners stay: Indian scripts need them.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class Unreadable:
    """A value of a document from outside that the input rules refuse (a number with an
    exponent or too many digits, an object with a key twice), kept where it stood so the
    reader can name its field (`input_problem`) or refuse just the part it is in."""

    __slots__ = ("reason", "text")

    def __init__(self, reason: str, text: str) -> None:
        self.reason = reason
        self.text = text[:40]

    def __repr__(self) -> str:
        return f"Unreadable({self.reason!r})"


class _Duplicated(dict):
    """An object that named a key twice: the key is kept to name the field."""

    duplicated: str = ""


#: What in a document's bytes may put a control character into its text: an escape (a raw C0
#: character is not JSON at all), or the UTF-8 of a C1, separator or bidirectional control.
_CONTROL_BYTES = re.compile(
    rb"\\(u00|u007|u202|u206|[bfnrt])|\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]", re.IGNORECASE
)


class Input:
    """A document from outside, read by `loads_input`: `document`, and whether anything in it
    may break the input rules (`suspect`); `problem` finds what and where."""

    __slots__ = ("document", "suspect")

    def __init__(self, document: Any, suspect: bool) -> None:
        self.document = document
        self.suspect = suspect

    def clean(self) -> bool:
        """Whether no part of the document breaks the input rules (then `problem` finds
        nothing in any of it); cheap unless the document is suspect."""
        return not self.suspect and _depth(self.document) <= MAX_DEPTH

    def problem(self, value: Any = None, field: str = "", *, skip: Callable[[str], bool] | None = None) -> tuple[str, str] | None:
        """The first (field, what is wrong) in `value` (a part of the document; all of it by
        default), or None. Cheap unless the document is suspect or deeply nested."""
        value = self.document if value is None else value
        if not self.suspect and _depth(value) <= MAX_DEPTH:
            return None
        return input_problem(value, field, skip=skip)


def loads_input(text: str | bytes) -> Input:
    """Parse a document from outside (an HTTP body): like `loads`, but a value the input rules
    refuse is kept as an `Unreadable` (or, for an object with a key twice, a marked dict)
    instead of failing the whole document; `Input.problem` finds them, naming the field."""
    marked = [False]

    def integer(digits: str) -> int | Unreadable:
        if len(digits) > MAX_DIGITS:  # cheap first: only a longer text can have more digits
            if len(digits.lstrip("-")) > MAX_DIGITS:
                marked[0] = True
                return Unreadable(f"has more than {MAX_DIGITS} digits", digits)
        return int(digits)

    def number(written: str) -> Decimal | Unreadable:
        if "e" in written or "E" in written:
            marked[0] = True
            return Unreadable("is written with an exponent (write the number out)", written)
        if len(written) > MAX_DIGITS and sum(c.isdigit() for c in written) > MAX_DIGITS:
            marked[0] = True
            return Unreadable(f"has more than {MAX_DIGITS} digits", written)
        return Decimal(written)

    def refuse_constant(name: str) -> Any:
        raise JsonError(f"{name} is not a number JSON allows")

    def an_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        made = dict(pairs)
        if len(made) == len(pairs):
            return made
        marked[0] = True
        seen: set[str] = set()
        twice = next(key for key, _value in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        duplicated = _Duplicated(made)
        duplicated.duplicated = twice
        return duplicated

    try:
        document = json.loads(
            text, parse_float=number, parse_int=integer, parse_constant=refuse_constant, object_pairs_hook=an_object
        )
    except json.JSONDecodeError as error:
        raise JsonError(f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except UnicodeDecodeError:
        raise JsonError("not valid JSON: the text is not UTF-8") from None
    except RecursionError:
        raise JsonError(f"nested far deeper than the {MAX_DEPTH} levels a request may have") from None
    raw = text.encode() if isinstance(text, str) else text
    return Input(document, marked[0] or _may_hold_control(raw) and _CONTROL_BYTES.search(raw) is not None)


def _may_hold_control(raw: bytes) -> bool:
    """Whether `raw` has a byte every match of `_CONTROL_BYTES` starts with: three scans at
    memory speed spare most documents the pattern (a tenth of a push's reading)."""
    return b"\\" in raw or b"\xc2" in raw or b"\xe2" in raw


def _depth(value: Any) -> int:
    """How deeply `value` nests (a scalar: 0), looking at containers only."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is not dict and kind is not list and kind is not _Duplicated:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        for inner in item.values() if kind is not list else item:
            if type(inner) in (dict, list, _Duplicated):
                stack.append((inner, depth + 1))
    return deepest


def input_problem(
    value: Any, field: str = "", *, depth: int = 0, skip: Callable[[str], bool] | None = None
) -> tuple[str, str] | None:
    """The first (field, what is wrong) of a document read by `loads_input`, or None.

    Refused: numbers marked `Unreadable`, keys given twice, control characters in text,
    and nesting deeper than `MAX_DEPTH`. `skip(field)` leaves a part unchecked (a sync
    push checks each mutation's payload on its own).
    """
    where = field or "(body)"
    if depth > MAX_DEPTH:
        return where, f"{where} is nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, Unreadable):
        return where, f"{where} {value.reason}: {value.text}"
    if isinstance(value, str):
        return (where, f"{where} contains control characters") if CONTROL_CHARACTERS.search(value) else None
    if isinstance(value, dict):
        if isinstance(value, _Duplicated):
            named = f"{field}.{value.duplicated}" if field else value.duplicated
            return named, f"{named} is given twice"
        for key in value:
            if CONTROL_CHARACTERS.search(key):
                return where, f"{where} has a key with control characters"
        parts = [(f"{field}.{key}" if field else key, item) for key, item in value.items()]
    elif isinstance(value, list):
        parts = [(f"{field}[{index}]", item) for index, item in enumerate(value)]
    else:
        return None
    for inner, item in parts:
        if skip is not None and skip(inner):
            continue
        found = input_problem(item, inner, depth=depth + 1, skip=skip)
        if found:
            return found
    return None


class Raw(str):
    """JSON text written as it stands, unparsed: a document this project wrote itself (an
    outbox payload) going on the wire inside another, without a round trip through Python."""

    __slots__ = ()


def dumps(value: Any, *, indent: int | None = None) -> str:
    """Serialise dicts, lists, strings, ints, bools, None, Decimals and datetimes."""
    if indent is None:
        return _compact(value)
    parts: list[str] = []
    _write(value, parts, indent, 0)
    return "".join(parts)


def _compact(value: Any) -> str:
    """`dumps` without indentation: the hot path (outbox payloads, HTTP bodies), so it
    dispatches on the exact type first and joins instead of appending piece by piece."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is Decimal:
        if not value.is_finite():
            raise ValueError(f"{value} cannot be written as JSON")
        return str(value)  # a finite Decimal's str is always a valid JSON number
    if kind is dict:
        return "{" + ",".join([(_KEYS.get(k) or _key(k)) + _compact(v) for k, v in value.items()]) + "}"
    if kind is list or kind is tuple:
        return "[" + ",".join([_compact(item) for item in value]) + "]"
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is datetime:
        return _string(iso(value))
    if kind is Raw:
        return value
    parts: list[str] = []
    _write(value, parts, None, 0)  # subclasses and the errors for what JSON cannot hold
    return "".join(parts)


#: Keys as `_compact` writes them ('"points":'), by key: a document's keys are few and come
#: again and again (on every ledger row, every line of a bill). Bounded: a document from
#: outside may bring any keys.
_KEYS: dict[str, str] = {}
_KEYS_KEPT = 4096


def _key(key: Any) -> str:
    written = _string(str(key)) + ":"
    if type(key) is str and len(_KEYS) < _KEYS_KEPT:
        _KEYS[key] = written
    return written


def iso(moment: datetime) -> str:
    """A UTC time as ISO 8601 with a Z: 2026-11-21T09:30:00.123456Z."""
    if moment.tzinfo is not None:
        moment = naive_utc(moment)
    return moment.isoformat(timespec="microseconds") + "Z"


def naive_utc(moment: datetime) -> datetime:
    """An aware time as the naive UTC the databases store."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _write(value: Any, parts: list[str], indent: int | None, depth: int) -> None:
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, Raw):
        if indent is None:
            parts.append(value)
        else:  # laid out like the rest
            _write(loads(value), parts, indent, depth)
    elif isinstance(value, str):
        parts.append(_string(value))
    elif isinstance(value, int):
        parts.append(str(int(value)))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be written as JSON")
        parts.append(str(value))
    elif isinstance(value, datetime):
        parts.append(_string(iso(value)))
    elif isinstance(value, dict):
        _write_items(
            [(_string(str(k)) + (": " if indent is not None else ":"), v) for k, v in value.items()],
            "{",
            "}",
            parts,
            indent,
            depth,
        )
    elif isinstance(value, (list, tuple)):
        _write_items([("", v) for v in value], "[", "]", parts, indent, depth)
    elif isinstance(value, Unreadable):  # a refused input, kept for a person to see (a flag's payload)
        parts.append(_string(f"(unreadable: {value.text})"))
    elif isinstance(value, float):
        raise TypeError("floats are never written: money and points are exact decimals")
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _write_items(
    items: list[tuple[str, Any]],
    opening: str,
    closing: str,
    parts: list[str],
    indent: int | None,
    depth: int,
) -> None:
    if not items:
        parts.append(opening + closing)
        return
    parts.append(opening)
    for position, (prefix, item) in enumerate(items):
        if position:
            parts.append(",")
        if indent is not None:
            parts.append("\n" + " " * (indent * (depth + 1)))
        parts.append(prefix)
        _write(item, parts, indent, depth + 1)
    if indent is not None:
        parts.append("\n" + " " * (indent * depth))
    parts.append(closing)
