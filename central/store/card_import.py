"""A pharmacy's cards from an older system's CSV file, in one transaction; and its cards as CSV.

The file is read and checked by the core (`pos_loyalty.card_csv`, the same rules as at a
till) before the unit of work starts; inside it the file is checked against the tenant's
cards (a number, phone or customer id already taken, a referrer that is neither a row of
the file nor a card here, or is closed), then written in bulk: the cards with their
referrers and figures, then one ADJUSTED `opening balance` row for each card that has
points (`opening_balances.opening_rows`, the rule's row). Every new card carries this
transaction's change number, written with the row, so tills pull them; a million cards
are a handful of statements (COPY on PostgreSQL, executemany on SQLite), not a million.

Card ids are taken before the cards are written (the cards' sequence on PostgreSQL; on
SQLite, whose writer holds the database, the ids after the largest), so a card can name
its referrer by id whichever of the two comes first in the file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import DateTime, String, any_, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY

from central.store.db import Unit
from central.store.models import Card, CardBlock, Tenant
from central.store.tenants import allocate_block
from pos_loyalty import card_csv, cardnumber
from pos_loyalty.card_csv import CardLine, ExportRow, Parsed, Progress
from pos_loyalty.opening_balances import Figures, Imported, opening_rows
from pos_loyalty.errors import LoyaltyError

#: Values per lookup: an `IN (...)` list on SQLite (at most 32,766 variables), an array on PostgreSQL.
SQLITE_CHUNK = 10_000
POSTGRESQL_CHUNK = 100_000
#: The columns an imported card is written with (the others keep their defaults).
CARD_COLUMNS = (
    "id", "tenant_id", "card_number", "customer_id", "customer_name", "customer_phone", "customer_email",
    "referrer_card_id", "points_balance", "total_points_earned", "total_points_redeemed",
    "total_referral_points_earned", "is_active", "issued_at", "last_transaction_at", "created_at", "updated_at",
    "issued_by_device_id", "change_seq",
)  # fmt: skip


def import_cards(unit: Unit, parsed: Parsed, *, performed_by: str, progress: Progress | None = None) -> Imported:
    """Import a file read by `card_csv.read` into the unit's tenant, or refuse all of it
    (`card_csv.ImportRefused` naming every bad row). `parsed` is not changed, so a unit of
    work run again (a deadlock) starts from the same file."""
    say = card_csv.for_long_files(progress, len(parsed.cards))
    parsed = dataclasses.replace(parsed, problems=list(parsed.problems))
    say(f"checking {len(parsed.cards):,} cards against the pharmacy's")
    numbers = set(parsed.numbers) | parsed.referrers_outside
    here, phones, customers = _known(unit, parsed, numbers)
    parsed.check_against({number: active for number, (_id, active) in here.items()}, phones, customers)
    ordered = parsed.referrers_first()
    parsed.refuse_if_any()
    unnumbered = parsed.unnumbered()
    given = dict(zip((card.line for card in unnumbered), service_numbers(unit, len(unnumbered), numbers)))
    say(f"writing {len(ordered):,} cards")
    return _write(unit, ordered, given, {number: card_id for number, (card_id, _active) in here.items()}, performed_by)


def export_rows(unit: Unit) -> Iterator[ExportRow]:
    """Every card of the tenant in the columns of `card_csv`, in the order they were issued here."""
    referrer = Card.__table__.alias("referrer")
    rows = unit.connection.execute(
        select(
            Card.card_number,
            Card.customer_name,
            Card.customer_phone,
            Card.customer_email,
            Card.customer_id,
            Card.points_balance,
            referrer.c.card_number,
        )
        .outerjoin(referrer, Card.referrer_card_id == referrer.c.id)
        .where(Card.tenant_id == unit.tenant)
        .order_by(Card.id)
        .execution_options(yield_per=10_000)
    )
    for row in rows:
        yield ExportRow(*row)


def require_tenant(unit: Unit) -> None:
    """NOT_FOUND unless the unit's tenant is in this database (the command line names it)."""
    if unit.connection.execute(select(Tenant.id).where(Tenant.id == unit.tenant)).scalar() is None:
        raise LoyaltyError("NOT_FOUND", f"No tenant {unit.tenant} in this database")


# --- what the pharmacy holds already --------------------------------------------------------


def _known(
    unit: Unit, parsed: Parsed, numbers: set[str]
) -> tuple[dict[str, tuple[int, bool]], dict[str, str], dict[str, str]]:
    """What the tenant's cards hold of the file's numbers (id, is active), phones and customer
    ids (the card that has each): one pass over a pharmacy with fewer cards than the file
    (a first import), else indexed lookups a chunk at a time."""
    phones = {card.customer_phone for card in parsed.cards}
    customers = {card.customer_id for card in parsed.cards if card.customer_id is not None}
    count = unit.connection.execute(select(func.count()).select_from(Card).where(Card.tenant_id == unit.tenant)).scalar_one()
    if count > len(numbers) + len(phones):
        found = {number: (card_id, active) for number, (card_id, active, _holder) in _lookup(unit, Card.card_number, numbers).items()}
        by_phone = {phone: holder for phone, (_id, _active, holder) in _lookup(unit, Card.customer_phone, phones).items()}
        by_customer = {key: holder for key, (_id, _active, holder) in _lookup(unit, Card.customer_id, customers).items()}
        return found, by_phone, by_customer
    here: dict[str, tuple[int, bool]] = {}
    by_phone, by_customer = {}, {}
    rows = unit.connection.execute(
        select(Card.card_number, Card.id, Card.is_active, Card.customer_phone, Card.customer_id)
        .where(Card.tenant_id == unit.tenant)
        .order_by(Card.id)
    )
    for number, card_id, active, phone, customer_id in rows:
        if number in numbers:
            here[number] = (card_id, active)
        if phone in phones:
            by_phone.setdefault(phone, number)
        if customer_id in customers:
            by_customer.setdefault(customer_id, number)
    return here, by_phone, by_customer


def _lookup(unit: Unit, column: Any, values: Iterable[str]) -> dict[str, tuple[int, bool, str]]:
    """(id, is active, card number) of the first card of the tenant with each of these values."""
    postgresql = unit.connection.dialect.name == "postgresql"
    ordered = sorted(values)
    size = POSTGRESQL_CHUNK if postgresql else SQLITE_CHUNK
    found: dict[str, tuple[int, bool, str]] = {}
    for start in range(0, len(ordered), size):
        chunk = ordered[start : start + size]
        matches = column == any_(bindparam("values", chunk, type_=ARRAY(String))) if postgresql else column.in_(chunk)
        rows = unit.connection.execute(
            select(column, Card.id, Card.is_active, Card.card_number)
            .where(Card.tenant_id == unit.tenant, matches)
            .order_by(Card.id)
        )
        for value, card_id, active, number in rows:
            found.setdefault(value, (card_id, active, number))
    return found


def service_numbers(unit: Unit, count: int, taken: set[str]) -> list[str]:
    """`count` unused numbers of the blocks the service keeps for its own cards, in the order
    `cards.next_service_number` gives them one at a time (a new block when they run out),
    skipping the tenant's cards and `taken`; the blocks move on past them."""
    found: list[str] = []
    while len(found) < count:
        block = unit.connection.execute(
            select(CardBlock.id, CardBlock.prefix, CardBlock.block, CardBlock.next_serial)
            .where(CardBlock.tenant_id == unit.tenant, CardBlock.device_id.is_(None))
            .where(CardBlock.next_serial < cardnumber.BLOCK_SIZE)
            .order_by(CardBlock.id)
            .limit(1)
            .with_for_update()
        ).first()
        if block is None:
            block = allocate_block(unit, None)
        end = min(cardnumber.BLOCK_SIZE, block.next_serial + count - len(found))
        candidates = [cardnumber.from_block(block.prefix, block.block, serial) for serial in range(block.next_serial, end)]
        used = set(_lookup(unit, Card.card_number, candidates)) | (taken & set(candidates))
        found += [number for number in candidates if number not in used]
        unit.connection.execute(update(CardBlock).where(CardBlock.id == block.id).values(next_serial=end))
    return found


# --- writing ------------------------------------------------------------------------------


def _write(unit: Unit, cards: Sequence[CardLine], given: dict[int, str], ids_here: dict[str, int], performed_by: str) -> Imported:
    """The cards (with their referrers' ids and their figures), then their opening rows."""
    ids = _new_ids(unit, len(cards))
    numbers = [card.card_number or given[card.line] for card in cards]
    by_number = dict(ids_here)
    by_number.update(zip(numbers, ids))
    figures = [Figures(card_id) for card_id in ids]
    openings = list(opening_rows(zip(figures, (card.points for card in cards))))
    change = unit.change_number()
    if not isinstance(change, int):  # PostgreSQL: the transaction's id, as a figure to write
        change = unit.connection.execute(select(change)).scalar_one()
    now, tenant = unit.now, unit.tenant
    _insert(
        unit,
        "cards",
        CARD_COLUMNS,
        (
            (
                figure.id, tenant, number, card.customer_id, card.customer_name, card.customer_phone,
                card.customer_email, by_number[card.referrer_number] if card.referrer_number else None,
                figure.points_balance, figure.total_points_earned, figure.total_points_redeemed,
                figure.total_referral_points_earned, True, now, now if card.points else None, now, now, None, change,
            )
            for card, number, figure in zip(cards, numbers, figures)
        ),
    )  # fmt: skip
    if openings:
        columns = ("tenant_id", *openings[0], "performed_by", "device_id", "created_at")
        _insert(unit, "point_transactions", columns, ((tenant, *row.values(), performed_by, None, now) for row in openings))
    return Imported(len(cards), len(openings), sum(row["points"] for row in openings), len(given))


def _new_ids(unit: Unit, count: int) -> list[int]:
    """Ids for `count` new cards: the sequence's next values (PostgreSQL), or the ids after
    the largest (SQLite, whose one writer is this unit of work)."""
    if not count:
        return []
    if unit.connection.dialect.name == "postgresql":
        # The sequence named once: pg_get_serial_sequence per row took four fifths of the time.
        sequence = unit.connection.execute(text("SELECT pg_get_serial_sequence('cards', 'id')")).scalar_one()
        cursor = unit.connection.connection.driver_connection.cursor()
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", (sequence, count))
        return [card_id for (card_id,) in cursor.fetchall()]
    first = unit.connection.execute(select(func.coalesce(func.max(Card.id), 0) + 1)).scalar_one()
    return list(range(first, first + count))


def _insert(unit: Unit, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Rows (values in `columns` order) in bulk: COPY on PostgreSQL, executemany on SQLite
    (times written as SQLAlchemy writes them there)."""
    connection = unit.connection
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    to_text = DateTime().dialect_impl(connection.dialect).bind_processor(connection.dialect)
    times = [position for position, name in enumerate(columns) if name.endswith("_at")]

    def stored(row: Sequence[Any]) -> tuple[Any, ...]:
        values = list(row)
        for position in times:
            if values[position] is not None:
                values[position] = to_text(values[position])
        return tuple(values)

    connection.exec_driver_sql(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [stored(row) for row in rows],
    )

