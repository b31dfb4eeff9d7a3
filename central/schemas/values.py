"""The values inside the service's JSON: exact decimals as JSON numbers, ids, card numbers,
text; and the two kinds of object (`Closed` takes only its fields, `Open` ignores others)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from pos_loyalty.amounts import MAX_FIGURE
from pos_loyalty.jsonio import MAX_DIGITS
from pos_loyalty.rules.bill import MAX_CATEGORY_ID

MAX_ID = 2**63 - 1
#: `jsonio.CONTROL_CHARACTERS`, as a JSON Schema pattern's character class.
_CONTROL = r"\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069"


def number(description: str, *, places: int, minimum: Any = None, maximum: Any = None, above: Any = None) -> Any:
    """A Decimal as a JSON number with at most `places` decimals (`above`: exclusive minimum)."""
    schema: dict[str, Any] = {"type": "number", "description": description, "x-decimal-places": places}
    for keyword, value in (("minimum", minimum), ("maximum", maximum), ("exclusiveMinimum", above)):
        if value is not None:
            schema[keyword] = value
    return Annotated[Decimal, WithJsonSchema(schema)]


def defaulted(kind: Any, value: Decimal) -> Any:
    """`kind` (made by `number`) with the default a field left out takes, kept exact: pydantic
    would write a Decimal default as text."""
    schema = {**kind.__metadata__[0].json_schema, "default": value}
    return Annotated[Decimal, WithJsonSchema(schema)]


def absent() -> Any:
    """A field that may be left out, with no default to show (null is not allowed either)."""
    return Field(default_factory=_nothing)


def _nothing() -> None:
    return None


# --- the quantities (pos_loyalty/amounts.py) ---------------------------------------------

Money = number("Money, at most 2 decimals", places=2, minimum=0, maximum=MAX_FIGURE)
PositiveMoney = number("Money, more than 0, at most 2 decimals", places=2, above=0, maximum=MAX_FIGURE)
Points = number("Points, at most 2 decimals", places=2, minimum=0, maximum=MAX_FIGURE)
PositivePoints = number("Points, more than 0, at most 2 decimals", places=2, above=0, maximum=MAX_FIGURE)
Percent = number("A percentage from 0 to 100, at most 2 decimals", places=2, minimum=0, maximum=100)
Rate = number("Money per point, more than 0, at most 4 decimals", places=4, above=0, maximum=10**6)
Multiplier = number("A multiplier (1.5 = x1.5), at most 2 decimals", places=2, minimum=Decimal("0.01"), maximum=100)
Quantity = number("A quantity, more than 0, at most 3 decimals", places=3, above=0, maximum=10**6)
#: A figure as the service reports it (a balance may be below zero after a reversal).
Figure = number("A figure the service worked out, at most 2 decimals", places=2)
ShownRate = number("Money per point, at most 4 decimals", places=4)
ShownMultiplier = number("A multiplier, at most 2 decimals", places=2)

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
CategoryId = Annotated[int, Field(ge=1, le=MAX_CATEGORY_ID, description="The billing system's category number")]
CardNumber = Annotated[
    str,
    Field(
        pattern=r"^([0-9]{8,19}|[A-Z][A-Z0-9-]{2,31})$",
        description="8 to 19 digits ending in a GS1 check digit, or an older card's letters and digits (CARD001)",
        examples=["CARD001", "2900000000018"],
    ),
]
BillId = Annotated[
    Annotated[int, Field(ge=0, le=10**MAX_DIGITS - 1)]
    | Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")],
    Field(description="A whole number (seed 002's 123) or 1 to 64 letters, digits, '.', '_', ':' or '-'"),
]
Text = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        pattern=rf"^[^{_CONTROL}]*\S[^{_CONTROL}]*$",
        description="Text without control characters (C0, C1, line separators, bidirectional controls)",
    ),
]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9]{7,15}$", description="7 to 15 digits, a leading + if international")]
Email = Annotated[str, Field(max_length=255, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
#: Text left empty: taken as not given.
Blank = Literal[""]
CustomerId = Annotated[
    Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\u0000-\u001f\u007f]*\S[^\u0000-\u001f\u007f]*$")]
    | Annotated[int, Field(ge=-(10**MAX_DIGITS - 1), le=10**MAX_DIGITS - 1)],
    Field(description="The billing system's customer id: text (a number is taken as its digits)"),
]


class Closed(BaseModel):
    """A JSON object that takes only the fields listed."""

    model_config = ConfigDict(extra="forbid")


class Open(BaseModel):
    """A JSON object whose other fields are ignored."""

    model_config = ConfigDict(extra="allow")


class Page(Closed):
    page: int
    size: int
    totalElements: int
    totalPages: int
