"""Bills as a person names them: "T1-000123, Asha Rao, ₹1,234.50".

A bill takes its short number inside the finalize transaction (`TAKE_NUMBER`, in the
finalize's first statement), from the counter in `sync_state` (never MAX(number): a number
is never used twice, and a rolled-back sale gives its number back). `named` reads the names
of bills for a screen or a command; `find` turns what a person typed (a short number, or a
bill's id) into the bill.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from pos_loyalty import bill_numbers, errors
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.formatting import Local
from pos_loyalty.replica.db import Replica, UnitOfWork
from pos_loyalty.replica.models import Bill, Card, SyncState, TillSetting
from pos_loyalty.rules.bill import parse_bill_id
from pos_loyalty.services import settings
from pos_loyalty.services.central_link import DEVICE_NAME

#: The till's setting for its bills' prefix ("T2"); without it, from the device name, else "T1".
PREFIX = "bills.prefix"

#: Taking the next bill's number: what an UPDATE of the counter row sets and the number it
#: took (a finalize takes it with its deviceSeq, in one statement: `services.bills`).
TAKE_NUMBER = {"next_bill_number": SyncState.next_bill_number + 1}
NUMBER_TAKEN = SyncState.next_bill_number - 1
#: The settings the prefix is made from, as two columns (of `_NAMING`, or of a finalize's
#: first statement); given to `bill_numbers.prefix_of` in that order.
NAMING = tuple(select(TillSetting.value).where(TillSetting.key == key).scalar_subquery() for key in (PREFIX, DEVICE_NAME))
_NAMING = select(*NAMING)
_NAMED = select(Bill.bill_id, Bill.number_prefix, Bill.number, Card.customer_name, Bill.payable).outerjoin(
    Card, Bill.card_id == Card.id
)


@dataclass(frozen=True)
class BillName:
    bill_id: str
    number: str  # "T1-000123"
    customer: str | None  # the card's customer; None for a bill without a card
    payable: int  # what the customer paid, hundredths

    def said(self, local: Local | None = None, currency: str = "") -> str:
        return say(self.number, self.customer, self.payable, local, currency)


def say(number: str, customer: str | None, payable: object, local: Local | None = None, currency: str = "") -> str:
    """"T1-000123, Asha Rao, ₹1,234.50": the bill's number, its customer (none on a bill
    without a card) and what they paid (hundredths, or a Decimal of a result)."""
    money = (local or Local()).money(payable, currency)
    return ", ".join(part for part in (number, customer, money) if part)


def prefix(uow: UnitOfWork) -> str:
    """The prefix the next bill gets (`bill_numbers.prefix_of`)."""
    return bill_numbers.prefix_of(*uow.connection.execute(_NAMING).one())


def set_prefix(replica: Replica, value: object) -> str:
    """The till's prefix for its next bills (bills already numbered keep theirs)."""
    chosen = bill_numbers.parse_prefix(value)
    settings.write(replica, **{PREFIX: chosen})
    return chosen


def next_number(replica: Replica) -> str:
    """The short number the next bill at this till will get ("T1-000124")."""
    with replica.reading() as uow:
        following = uow.connection.execute(select(SyncState.next_bill_number)).scalar_one()
        return bill_numbers.name(prefix(uow), following)


def of(uow: UnitOfWork, bill_ids: Iterable[str]) -> dict[str, BillName]:
    """The names of those of `bill_ids` that are bills of this till."""
    wanted = sorted({bill_id for bill_id in bill_ids if bill_id})
    found: dict[str, BillName] = {}
    for start in range(0, len(wanted), 500):  # SQLite's limit on bound values, with room
        rows = uow.connection.execute(_NAMED.where(Bill.bill_id.in_(wanted[start : start + 500])))
        for bill_id, number_prefix, number, customer, payable in rows:
            found[bill_id] = BillName(bill_id, bill_numbers.name(number_prefix, number), customer, payable)
    return found


def named(replica: Replica, bill_ids: Iterable[str]) -> dict[str, BillName]:
    with replica.reading() as uow:
        return of(uow, bill_ids)


def find(replica: Replica, typed: object) -> BillName:
    """The bill a person named: its short number ("T1-000123", "t1-123") or its id; a bill
    whose id is exactly what was typed comes first. BILL_NOT_FOUND otherwise."""
    short = bill_numbers.parse_typed(typed)
    with replica.reading() as uow:
        if isinstance(typed, str) and typed.strip():
            by_id = of(uow, [typed.strip()]).get(typed.strip())
            if by_id is not None:
                return by_id
        if short is not None:
            bill_id = uow.connection.execute(
                select(Bill.bill_id).where(Bill.number == short[1], Bill.number_prefix == short[0])
            ).scalar()
            if bill_id is not None:
                return of(uow, [bill_id])[bill_id]
            shown = bill_numbers.name(*short)
            raise LoyaltyError(errors.BILL_NOT_FOUND, f"No bill {shown} at this till", billNumber=shown)
    bill_id = parse_bill_id(typed, "bill")
    raise LoyaltyError(errors.BILL_NOT_FOUND, f"No bill {bill_id} at this till", billId=bill_id)


def shown(replica: Replica) -> tuple[Local, str]:
    """How this till writes a bill's amount: its locale and zone, and its currency sign."""
    return settings.local(replica), settings.read(replica)[settings.CURRENCY]
