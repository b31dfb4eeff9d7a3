"""Figures and times as the pharmacy reads them: amounts grouped the way its locale writes them
(`en_IN`: 1,23,456.00), times in its time zone with the zone said (03 Dec 2026, 17:45 IST).

Pure: no Qt, no session, no clock. The counter app (`ui/style.py`), its receipts
(`ui/receipt_text.py`) and the command line's text (`cli/render.py`) all show figures and
times through here; JSON never does (plain decimals, UTC ISO-8601).

Values are never floats. A figure is a `Decimal`, a decimal `str` (as JSON gives it), or an
`int` of hundredths, the core's unit for money and points (`amounts.py`: 97500 is 975.00).
Stored times are naive UTC; an aware time is taken as it is.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberPattern

from pos_loyalty.errors import InvalidInput

DEFAULT_LOCALE = "en_IN"
DEFAULT_TIME_ZONE = "UTC"
PLACES = 2  # money and points both have two decimals
_HUNDREDTH = Decimal("0.01")
#: English month names whatever the process's C locale is (Qt sets LC_ALL from the desktop's):
#: a receipt's words are English, so are its months.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_locale(value: object, field: str = "locale") -> str:
    """A locale Babel knows ("en_IN", "en-in", "hi_IN"), as its canonical name; else InvalidInput."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, f"{field} must be a locale's name, such as en_IN")
    try:
        return str(Locale.parse(value.strip().replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        raise InvalidInput(field, f"{field} {value!r} is not a locale this program knows (e.g. en_IN)") from None


@lru_cache(maxsize=32)
def _patterns(locale: str) -> tuple[Locale, NumberPattern, str, str]:
    """The locale, its decimal pattern held to two decimals, and where its currency sign goes."""
    babel_locale = Locale.parse(locale)
    decimal = copy.copy(babel_locale.decimal_formats[None])
    decimal.frac_prec = (PLACES, PLACES)
    currency = babel_locale.currency_formats["standard"]
    before, after = currency.prefix[0], currency.suffix[0]  # e.g. ("¤", "") or ("", "\xa0¤")
    return babel_locale, decimal, before, after


def decimal_of(value: object) -> Decimal:
    """The figure as a Decimal: an int counts hundredths, a str is a decimal; floats are refused."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"a figure is a Decimal, a decimal string or an int of hundredths, not {value!r}")
    if isinstance(value, int):
        return Decimal(value).scaleb(-PLACES)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal figure: {value!r}") from None
    raise TypeError(f"a figure is a Decimal, a decimal string or an int of hundredths, not {value!r}")


def number(value: object, locale: str = DEFAULT_LOCALE) -> str:
    """Two decimals, grouped as the locale groups: 12345650 -> '1,23,456.50' in en_IN.

    Rounded half up to hundredths (figures here already have two decimals; nothing is
    rounded in practice). Digits are always 0-9, whatever the locale's own digits are: the
    receipt printer and the cashier's keyboard use them. Zero is never '-0.00'.
    """
    amount = decimal_of(value).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
    if not amount:
        amount = abs(amount)
    babel_locale, pattern, _before, _after = _patterns(locale)
    return pattern.apply(amount, babel_locale, numbering_system="latn")


def points(value: object, locale: str = DEFAULT_LOCALE) -> str:
    """Points as money is written, with no sign: '1,00,000.00'."""
    return number(value, locale)


def money(value: object, locale: str = DEFAULT_LOCALE, sign: str = "") -> str:
    """An amount, with the pharmacy's currency sign where its locale puts one: '₹1,23,456.00'
    in en_IN, '1.234,50 ₹' in de_DE; without a sign, the figure alone."""
    shown = number(value, locale)
    if not sign:
        return shown
    _locale, _pattern, before, after = _patterns(locale)
    negative = shown.startswith("-")
    body = shown[1:] if negative else shown
    if "¤" in after:
        text = body + after.replace("¤", sign)
    else:
        text = before.replace("¤", sign) + body
    return ("-" if negative else "") + text


# --- times ----------------------------------------------------------------------------------------


def parse_moment(value: datetime | str) -> datetime:
    """A stored or JSON time as an aware datetime: naive means UTC; 'Z' is UTC."""
    if isinstance(value, str):
        text = value.strip()
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    if not isinstance(value, datetime):
        raise TypeError(f"not a time: {value!r}")
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("timeZone", f"timeZone {time_zone!r} is not a time zone this computer knows") from None


def local_time(value: datetime | str, time_zone: str = DEFAULT_TIME_ZONE) -> datetime:
    """The time in the pharmacy's zone (aware)."""
    return parse_moment(value).astimezone(_zone(time_zone))


def zone_label(local: datetime) -> str:
    """'IST', 'UTC', 'CET'; a zone with no abbreviation as its offset ('UTC+04')."""
    name = local.tzname() or ""
    if name and name[0] in "+-":
        return "UTC" + name
    return name or "UTC"


def when(value: datetime | str, time_zone: str = DEFAULT_TIME_ZONE) -> str:
    """A receipt's time: '03 Dec 2026, 17:45 IST'."""
    local = local_time(value, time_zone)
    return f"{local.day:02d} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M} {zone_label(local)}"


def stamp(value: datetime | str, time_zone: str = DEFAULT_TIME_ZONE, *, seconds: bool = True) -> str:
    """A table's time, sortable: '2026-12-03 17:45:00 IST' (without seconds: '2026-12-03 17:45 IST')."""
    local = local_time(value, time_zone)
    return f"{local:%Y-%m-%d %H:%M{':%S' if seconds else ''}} {zone_label(local)}"


def day(value: datetime | date | str, time_zone: str = DEFAULT_TIME_ZONE) -> str:
    """The local day of a time (a date is taken as it is): '31 Jan'."""
    if isinstance(value, date) and not isinstance(value, datetime):
        on = value
    else:
        on = local_time(value, time_zone).date()
    return f"{on.day:02d} {MONTHS[on.month - 1]}"


@dataclass(frozen=True)
class Local:
    """One pharmacy's way of showing figures and times: its locale and its time zone."""

    locale: str = DEFAULT_LOCALE
    time_zone: str = DEFAULT_TIME_ZONE

    def number(self, value: object) -> str:
        return number(value, self.locale)

    def points(self, value: object) -> str:
        return points(value, self.locale)

    def money(self, value: object, sign: str = "") -> str:
        return money(value, self.locale, sign)

    def when(self, value: datetime | str) -> str:
        return when(value, self.time_zone)

    def stamp(self, value: datetime | str, *, seconds: bool = True) -> str:
        return stamp(value, self.time_zone, seconds=seconds)

    def day(self, value: datetime | date | str) -> str:
        return day(value, self.time_zone)
