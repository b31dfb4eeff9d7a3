"""Cards from an older system's CSV file at the till, connected or not, and the till's cards to CSV.

The file is read and checked by `pos_loyalty.card_csv` (before the write lock is taken),
then checked against the replica's cards and written in one writing unit of work: all of
it or none. Each card is queued as the `card.issued` mutation a card issued here would be
(with `openingPoints` when it has an opening balance), so a till that imported while not
connected later pushes its cards with their balances; the opening balance is an ADJUSTED
row (`rules.postings.adjustment_posting`, reason `opening balance`) carried by that
mutation. A million cards take one statement per table (`exec_driver_sql`'s executemany),
not one unit of work each.

A card without a number gets the next numbers of this till's blocks (as `cards.issue`), a
block of its own when they run out. The write lock is held while the cards are written
(half a minute for a million): a sale at this till meanwhile waits for it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pos_loyalty import card_csv, cardnumber
from pos_loyalty.amounts import points
from pos_loyalty.card_csv import CardLine, ExportRow, Progress
from pos_loyalty.opening_balances import Figures, Imported, opening_rows
from pos_loyalty.replica.db import Replica, UnitOfWork
from pos_loyalty.services import configuration, outbox

#: Values per `IN (...)` list (SQLite allows 32,766 variables a statement).
CHUNK = 10_000
#: SQLite's page cache while an import writes (KiB).
IMPORT_CACHE_KIB = 512 * 1024


def import_cards(replica: Replica, data: bytes, *, performed_by: str | None, progress: Progress | None = None) -> Imported:
    """Import a whole file, or nothing (`card_csv.ImportRefused` naming every bad row)."""
    parsed = card_csv.read(data, progress=progress)
    with replica.writing() as uow, _big_cache(uow):
        say = card_csv.for_long_files(progress, len(parsed.cards))
        say(f"checking {len(parsed.cards):,} cards against this till's")
        numbers = set(parsed.numbers) | parsed.referrers_outside
        here, phones, customers = _known(uow, parsed, numbers)
        parsed.check_against({number: active for number, (_id, active) in here.items()}, phones, customers)
        ordered = parsed.referrers_first()
        parsed.refuse_if_any()
        unnumbered = parsed.unnumbered()
        given = dict(zip((card.line for card in unnumbered), new_numbers(uow, len(unnumbered), numbers)))
        say(f"writing {len(ordered):,} cards")
        done = _write(uow, ordered, given, {number: card_id for number, (card_id, _active) in here.items()}, performed_by)
        uow.commit()
    say(f"imported {done.cards:,} cards")
    return done


def export_rows(replica: Replica) -> list[ExportRow]:
    """Every card of this replica in the columns of `card_csv`, in the order they came here."""
    with replica.reading() as uow:
        rows = uow.connection.exec_driver_sql(
            "SELECT card_number, customer_name, customer_phone, customer_email, customer_id, points_balance,"
            " referrer_number FROM cards ORDER BY id"
        )
        return [ExportRow(*row) for row in rows]


@contextmanager
def _big_cache(uow: UnitOfWork) -> Iterator[None]:
    """A page cache big enough for a million cards' indexes while they are written (SQLite's
    2 MB default has random inserts into the outbox's index of mutation ids go to the file)."""
    before = uow.connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    uow.connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        uow.connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


# --- what the replica holds already ---------------------------------------------------------


def _known(
    uow: UnitOfWork, parsed: card_csv.Parsed, numbers: set[str]
) -> tuple[dict[str, tuple[int, bool]], dict[str, str], dict[str, str]]:
    """What this till's cards hold of the file's numbers (id, is active), phones and customer
    ids (the card that has each): read in one pass over a replica smaller than the file
    (a new till), else looked up a chunk at a time."""
    phones = {card.customer_phone for card in parsed.cards}
    customers = {card.customer_id for card in parsed.cards if card.customer_id is not None}
    count = uow.connection.exec_driver_sql("SELECT count(*) FROM cards").scalar_one()
    if count > len(numbers) + len(phones):
        return _existing_cards(uow, numbers), _holders(uow, "customer_phone", phones), _customers(uow, customers)
    here: dict[str, tuple[int, bool]] = {}
    phone_holders: dict[str, str] = {}
    customer_holders: dict[str, str] = {}
    rows = uow.connection.exec_driver_sql(
        "SELECT card_number, id, is_active, customer_phone, customer_id FROM cards ORDER BY id"
    )
    for number, card_id, active, phone, customer_id in rows:
        if number in numbers:
            here[number] = (card_id, bool(active))
        if phone in phones:
            phone_holders.setdefault(phone, number)
        if customer_id in customers:
            customer_holders.setdefault(customer_id, number)
    return here, phone_holders, customer_holders


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _existing_cards(uow: UnitOfWork, numbers: set[str]) -> dict[str, tuple[int, bool]]:
    """(id, is active) of each of these numbers that is a card here."""
    found: dict[str, tuple[int, bool]] = {}
    for chunk in _chunks(numbers):
        marks = ",".join("?" * len(chunk))
        rows = uow.connection.exec_driver_sql(
            f"SELECT card_number, id, is_active FROM cards WHERE card_number IN ({marks})", tuple(chunk)
        )
        found.update((number, (card_id, bool(active))) for number, card_id, active in rows)
    return found


def _holders(uow: UnitOfWork, column: str, values: set[str]) -> dict[str, str]:
    """The card (its number) that holds each of these values of an indexed column."""
    found: dict[str, str] = {}
    for chunk in _chunks(values):
        marks = ",".join("?" * len(chunk))
        rows = uow.connection.exec_driver_sql(
            f"SELECT {column}, card_number FROM cards WHERE {column} IN ({marks}) ORDER BY id", tuple(chunk)
        )
        for value, number in rows:
            found.setdefault(value, number)
    return found


def _customers(uow: UnitOfWork, wanted: set[str]) -> dict[str, str]:
    """The card of each of these customer ids held here (the column has no index at the till:
    one pass over the cards that have one, rather than a scan per chunk)."""
    if not wanted:
        return {}
    rows = uow.connection.exec_driver_sql(
        "SELECT customer_id, card_number FROM cards WHERE customer_id IS NOT NULL ORDER BY id"
    )
    found: dict[str, str] = {}
    for customer_id, number in rows:
        if customer_id in wanted:
            found.setdefault(customer_id, number)
    return found


def new_numbers(uow: UnitOfWork, count: int, taken: set[str]) -> list[str]:
    """`count` unused numbers of this till's blocks, in the order `cards.issue` would give
    them (server-given blocks first, then its own; a new block of its own when they run
    out), skipping numbers already cards here or in `taken`; the blocks move on past them."""
    found: list[str] = []
    while len(found) < count:
        block = uow.connection.exec_driver_sql(
            "SELECT id, prefix, block, next_serial FROM card_number_blocks WHERE next_serial < ?"
            " ORDER BY origin DESC, id LIMIT 1",
            (cardnumber.BLOCK_SIZE,),
        ).first()
        if block is None:
            _new_local_block(uow)
            continue
        block_id, prefix, block_number, serial = block
        end = min(cardnumber.BLOCK_SIZE, serial + count - len(found))
        candidates = [cardnumber.from_block(prefix, block_number, s) for s in range(serial, end)]
        used = set(_existing_cards(uow, set(candidates))) | (taken & set(candidates))
        found += [number for number in candidates if number not in used]
        uow.connection.exec_driver_sql("UPDATE card_number_blocks SET next_serial = ? WHERE id = ?", (end, block_id))
    return found


def _new_local_block(uow: UnitOfWork) -> None:
    """A random block of this till's own (prefix 28), as `cards.issue` takes when it has none left."""
    while True:
        block = secrets.randbelow(100_000)
        taken = uow.connection.exec_driver_sql(
            "SELECT 1 FROM card_number_blocks WHERE prefix = ? AND block = ?", (cardnumber.LOCAL_BLOCK_PREFIX, block)
        ).first()
        if taken is None:
            break
    uow.connection.exec_driver_sql(
        "INSERT INTO card_number_blocks (prefix, block, next_serial, origin) VALUES (?, ?, 0, 'local')",
        (cardnumber.LOCAL_BLOCK_PREFIX, block),
    )


# --- writing ------------------------------------------------------------------------------


def _write(
    uow: UnitOfWork, cards: Sequence[CardLine], given: dict[int, str], ids_here: dict[str, int], performed_by: str | None
) -> Imported:
    """The cards (referrers first, so each referrer's row exists before it is referred to),
    their `card.issued` mutations and their opening balances' rows. `given`: the numbers
    of the cards that came without one, by line."""
    connection = uow.connection
    first_id = connection.exec_driver_sql("SELECT coalesce(max(id), 0) + 1 FROM cards").scalar_one()
    numbers = [card.card_number or given[card.line] for card in cards]
    ids = dict(ids_here)
    ids.update(zip(numbers, range(first_id, first_id + len(cards))))
    figures = [Figures(first_id + offset) for offset in range(len(cards))]
    openings = list(opening_rows(zip(figures, (card.points for card in cards))))
    now = uow.stored_time(uow.now)
    connection.exec_driver_sql(
        "INSERT INTO cards (id, card_number, customer_id, customer_name, customer_phone, customer_email,"
        " referrer_id, referrer_number, points_balance, total_points_earned, total_points_redeemed,"
        " total_referral_points_earned, is_active, issued_at, last_transaction_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
        [
            (
                figure.id, number, card.customer_id, card.customer_name, card.customer_phone, card.customer_email,
                ids[card.referrer_number] if card.referrer_number else None, card.referrer_number,
                figure.points_balance, figure.total_points_earned, figure.total_points_redeemed,
                figure.total_referral_points_earned, now, now if card.points else None, now,
            )
            for card, number, figure in zip(cards, numbers, figures)
        ],
    )  # fmt: skip
    first_seq = outbox.append_many(
        uow,
        "card.issued",
        [_issued(card, number, uow.now, performed_by) for card, number in zip(cards, numbers)],
        configuration.current(uow).version,
    )
    if openings:
        columns = [*openings[0], "performed_by", "device_seq", "created_at"]
        seq_of_id = first_seq - first_id  # card ids and their mutations' deviceSeqs run in step
        connection.exec_driver_sql(
            f"INSERT INTO ledger ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [(*row.values(), performed_by, row["card_id"] + seq_of_id, now) for row in openings],
        )
    return Imported(len(cards), len(openings), sum(row["points"] for row in openings), len(given))


def _issued(card: CardLine, number: str, now: Any, performed_by: str | None) -> dict[str, Any]:
    """The `card.issued` payload of `cards.issue`, with the opening balance when there is one."""
    payload = {
        "cardNumber": number,
        "customerId": card.customer_id,
        "customerName": card.customer_name,
        "customerPhone": card.customer_phone,
        "customerEmail": card.customer_email,
        "referrerCardNumber": card.referrer_number,
        "issuedAt": now,
        "performedBy": performed_by,
    }
    if card.points:
        payload["openingPoints"] = points(card.points)
    return payload
