"""Card import and export (`POST /cards/import`, `GET /cards/export`): the answer and the examples."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field

from central.schemas.values import Closed, Figure

#: A file as an older billing system exports it (also the export's shape).
FILE = (
    "cardNumber,customerName,customerPhone,customerEmail,customerId,points,referrerCardNumber\n"
    "4006381333931,Asha Customer,+91 98765 43210,asha@example.com,C-1001,1250.50,4006381333948\n"
    "4006381333948,Bina Referrer,098765-43211,,C-1002,0,\n"
    ",Chitra New,9876543212,,,75,4006381333931\n"
)


class CardImport(Closed):
    """What an import wrote: every row of the file, or (refused) nothing."""

    imported: int = Field(description="Cards issued, one per row of the file")
    openingBalances: int = Field(description="Cards with points: one ADJUSTED 'opening balance' row each")
    openingPoints: Figure = Field(description="The points of all the opening balances")
    numbersGiven: int = Field(description="Rows without a cardNumber, given the next numbers of the service's own")


def examples() -> dict[str, tuple[str, Any]]:
    """The examples of `central/schemas/examples.py`, by name: (summary, value)."""
    return {
        "cardsCsv": ("Three cards: one referred by a later row, one to be numbered by the service", FILE),
        "cardImport": (
            "The three cards imported",
            {"imported": 3, "openingBalances": 2, "openingPoints": Decimal("1325.50"), "numbersGiven": 1},
        ),
    }
