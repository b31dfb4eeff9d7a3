"""JSON with exact decimals: numbers are read as Decimal and Decimals written as numbers.

The standard library would turn 975.00 into a float on the way in and refuses Decimal
on the way out; money must never pass through a float, so every JSON document the
project reads or writes (CLI, outbox payloads, HTTP bodies) goes through here.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

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
        return "{" + ",".join([_string(str(k)) + ":" + _compact(v) for k, v in value.items()]) + "}"
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
    parts: list[str] = []
    _write(value, parts, None, 0)  # subclasses and the errors for what JSON cannot hold
    return "".join(parts)


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
