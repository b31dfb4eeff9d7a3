"""Cards in CSV, as an older billing system exports them: read and checked, and written back.

Pure: bytes in, checked rows or every problem out (each with its line, the header being
line 1), and rows in, CSV text out. No database: the till (`services/card_import.py`)
and the central service (`central/store/card_import.py`) read a file by the same rules
and only add what their own cards say (`Parsed.check_against`), then store the rows.

The file: a header row naming the columns (`COLUMNS`, any order, any case; only
`customerName` and `customerPhone` required), UTF-8 with or without a byte-order mark,
cells separated by commas or semicolons (whichever the header uses). Every cell is read
by the parser the rest of the project uses for that field (`customer`, `phone`,
`cardnumber`, `amounts.parse_points`), so a file refuses what a cashier's typing would.
Within the file a card number, a phone and a customer id may each appear once, and a
`referrerCardNumber` names another row of the file (earlier or later) or an existing card.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple, TextIO

from pos_loyalty import cardnumber, customer
from pos_loyalty.amounts import parse_points, points
from pos_loyalty.errors import InvalidInput
from pos_loyalty.phone import normalize_phone

COLUMNS = ("cardNumber", "customerName", "customerPhone", "customerEmail", "customerId", "points", "referrerCardNumber")
REQUIRED = ("customerName", "customerPhone")
#: Problems listed in the refusal's message and body; the rest are counted.
MAX_LISTED = 100
#: Rows between two progress reports of a long file.
PROGRESS_EVERY = 100_000

Progress = Callable[[str], None]


def for_long_files(progress: Progress | None, cards: int) -> Progress:
    """`progress` for a file of at least `PROGRESS_EVERY` cards; for a short one, nothing said."""
    if progress is None or cards < PROGRESS_EVERY:
        return lambda _message: None
    return progress


class Problem(NamedTuple):
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


class ImportRefused(InvalidInput):
    """A file with one or more bad rows: nothing of it was imported. `problems` are every
    one found, in line order; the message and the body list the first `MAX_LISTED`."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        ordered = sorted(problems, key=lambda problem: problem.line)  # each line's in the order found
        shown = ordered[:MAX_LISTED]
        count = len(ordered)
        listed = "\n".join(f"  {problem}" for problem in shown)
        more = f"\n  ... and {count - len(shown):,} more" if count > len(shown) else ""
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            shown[0].field,
            f"Nothing was imported: the file has {count:,} {noun}:\n{listed}{more}",
            line=shown[0].line,
            problemCount=count,
            problems=[{"line": p.line, "field": p.field, "message": p.message} for p in shown],
        )
        self.problems = ordered


@dataclass(slots=True)
class CardLine:
    """One good row of the file, as its cells were read (points in hundredths)."""

    line: int
    card_number: str | None  # None: the store gives it the next number of its own
    customer_name: str
    customer_phone: str
    customer_email: str | None
    customer_id: str | None
    points: int
    referrer_number: str | None


@dataclass
class Parsed:
    """A file read: its good rows, and the problems of the others (not yet refused)."""

    cards: list[CardLine]
    problems: list[Problem]
    #: Every card number the file gives, good row or not, with its line.
    numbers: dict[str, int] = field(default_factory=dict)
    rows: int = 0  # data rows read, good and bad

    @property
    def referrers_outside(self) -> set[str]:
        """Referrers the file names that are not rows of the file: existing cards, or unknown."""
        return {c.referrer_number for c in self.cards if c.referrer_number and c.referrer_number not in self.numbers}

    def check_against(
        self,
        cards_here: Mapping[str, bool],
        phones_here: Mapping[str, str],
        customers_here: Mapping[str, str],
    ) -> None:
        """Add what the store's own cards refuse: a number, phone or customer id already taken
        (`cards_here`: number -> is active, for the file's numbers and outside referrers;
        `phones_here`, `customers_here`: the card that has each), an unknown or closed referrer."""
        for card in self.cards:
            if card.card_number is not None and card.card_number in cards_here:
                self._refuse(card, "cardNumber", f"card {card.card_number} has already been issued")
            holder = phones_here.get(card.customer_phone)
            if holder is not None:
                self._refuse(card, "customerPhone", f"phone {card.customer_phone} already has card {holder}")
            holder = customers_here.get(card.customer_id) if card.customer_id is not None else None
            if holder is not None:
                self._refuse(card, "customerId", f"customer {card.customer_id} already has card {holder}")
            referrer = card.referrer_number
            if referrer is None or referrer in self.numbers:
                continue
            if referrer not in cards_here:
                self._refuse(card, "referrerCardNumber", f"no card {referrer}, neither in the file nor here")
            elif not cards_here[referrer]:
                self._refuse(card, "referrerCardNumber", f"referrer card {referrer} is not active")

    def refuse_if_any(self) -> None:
        if self.problems:
            raise ImportRefused(self.problems)

    def unnumbered(self) -> list[CardLine]:
        return [card for card in self.cards if card.card_number is None]

    def referrers_first(self) -> list[CardLine]:
        """The good rows with each row's referrer (a row of the file) before it: the order to
        issue them in, so a card's referrer always exists when the card is issued. A loop of
        referrers within the file is a problem of each of its rows (call before refusing)."""
        by_number = {card.card_number: card for card in self.cards if card.card_number is not None}
        placed: set[int] = set()  # lines
        ordered: list[CardLine] = []
        for start in self.cards:
            chain: list[CardLine] = []
            on_chain: set[int] = set()
            card: CardLine | None = start
            while card is not None and card.line not in placed:
                if card.line in on_chain:
                    loop = chain[chain.index(card):]
                    lines = ", ".join(str(c.line) for c in loop)
                    for member in loop:
                        self._refuse(member, "referrerCardNumber", f"the rows on lines {lines} refer to each other in a loop")
                    break
                chain.append(card)
                on_chain.add(card.line)
                card = by_number.get(card.referrer_number) if card.referrer_number else None
            for member in reversed(chain):
                placed.add(member.line)
                ordered.append(member)
        return ordered

    def _refuse(self, card: CardLine, field: str, message: str) -> None:
        self.problems.append(Problem(card.line, field, message))


def read(data: bytes, *, progress: Progress | None = None) -> Parsed:
    """Read and check a whole file; ImportRefused at once if it cannot be read as cards at all
    (not UTF-8, no header, unknown or missing columns), else every row's problems collected."""
    text = _text(data)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise ImportRefused([Problem(1, "(header)", f"the header row is not CSV: {error}")]) from None
    if header is None or not any(cell.strip() for cell in header):
        raise ImportRefused([Problem(1, "(header)", "the file has no header row (the first row names the columns)")])
    positions = _columns(header)
    width = len(header)
    # A column the header leaves out reads as the empty cell after the row's last.
    at = [positions.get(name, width) for name in COLUMNS]
    parsed = Parsed(cards=[], problems=[])
    cards, numbers = parsed.cards, parsed.numbers
    phones: dict[str, int] = {}
    customers: dict[str, int] = {}
    bad: list[CardLine] = []  # what could be read of the bad rows
    repeated = False
    line = reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cells) or (not cells[0].strip() and not "".join(cells).strip()):
                continue  # a blank line
            parsed.rows += 1
            if progress is not None and parsed.rows % PROGRESS_EVERY == 0:
                progress(f"read {parsed.rows:,} rows")
            if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                parsed.problems.append(
                    Problem(start, "(row)", f"the row has {len(cells)} cells but the header names {width} columns")
                )
                continue
            cells += [""] * (width + 1 - len(cells))
            try:  # every cell at once; a bad row is read again cell by cell, for all its problems
                card = CardLine(start, *[read_cell(cells[position].strip()) for read_cell, position in zip(_READERS, at)])
            except InvalidInput:
                bad.append(_bad_row(start, [cells[position].strip() for position in at], parsed.problems))
                continue
            cards.append(card)
            if card.card_number is not None and numbers.setdefault(card.card_number, start) != start:
                repeated = True
            if phones.setdefault(card.customer_phone, start) != start:
                repeated = True
            if card.customer_id is not None and customers.setdefault(card.customer_id, start) != start:
                repeated = True
            if card.referrer_number is not None and card.referrer_number == card.card_number:
                parsed.problems.append(Problem(start, "referrerCardNumber", f"card {card.card_number} cannot refer itself"))
                repeated = True  # refused below, with the repeats
    except csv.Error as error:
        parsed.problems.append(Problem(line + 1, "(file)", f"not CSV from here on: {error}"))
    if parsed.rows == 0 and not parsed.problems:
        raise ImportRefused([Problem(1, "(file)", "the file has a header but no cards")])
    if repeated or bad:
        _refuse_repeats(parsed, bad, phones, customers)
    return parsed


def _bad_row(line: int, raw: list[str], problems: list[Problem]) -> CardLine:
    """A row with a bad cell: a problem for each bad cell, and what could be read of it (the
    others None), so a later row repeating it, or naming it as referrer, is told so."""
    values: list[object] = []
    for (name, read_cell), cell in zip(zip(COLUMNS, _READERS), raw):
        try:
            values.append(read_cell(cell))
        except InvalidInput as error:
            problems.append(Problem(line, name, error.message))
            values.append(None)
    return CardLine(line, *values)  # type: ignore[arg-type]


def _refuse_repeats(parsed: Parsed, bad: list[CardLine], phones: dict[str, int], customers: dict[str, int]) -> None:
    """Drop the good rows that repeat an earlier row's (good or bad) card number, phone or
    customer id, or that refer to themselves, naming the earlier line; bad rows that repeat
    an earlier row are told so too."""
    keys = (("cardNumber", "card", parsed.numbers), ("customerPhone", "phone", phones), ("customerId", "customer", customers))

    def values(card: CardLine) -> tuple[str | None, ...]:
        return card.card_number, card.customer_phone, card.customer_id

    for row in bad:  # the good rows' first lines are in the dicts already
        for (name, what, seen), value in zip(keys, values(row)):
            if value is None:
                continue
            earlier = seen.setdefault(value, row.line)
            if earlier > row.line:
                seen[value] = row.line
    for row in bad:
        for (name, what, seen), value in zip(keys, values(row)):
            if value is not None and seen[value] != row.line:
                parsed.problems.append(Problem(row.line, name, f"{what} {value} is also on line {seen[value]}"))
    kept = []
    for card in parsed.cards:
        good = card.referrer_number is None or card.referrer_number != card.card_number
        for (name, what, seen), value in zip(keys, values(card)):
            if value is not None and seen[value] != card.line:
                parsed.problems.append(Problem(card.line, name, f"{what} {value} is also on line {seen[value]}"))
                good = False
        if good:
            kept.append(card)
    parsed.cards[:] = kept


def _text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRefused([Problem(1, "(file)", "the file is UTF-16 text; save it as UTF-8 (CSV UTF-8) and import that")])
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ImportRefused(
            [Problem(line, "(file)", "the file is not UTF-8 text; save it as UTF-8 (CSV UTF-8) and import that")]
        ) from None


def _columns(header: list[str]) -> dict[str, int]:
    """Each known column's position; ImportRefused naming every unknown, repeated or missing one."""
    known = {name.lower(): name for name in COLUMNS}
    positions: dict[str, int] = {}
    problems = []
    for position, cell in enumerate(header):
        name = known.get(cell.strip().lower())
        if name is None:
            if cell.strip():
                problems.append(Problem(1, cell.strip(), f"{cell.strip()!r} is not a column of cards ({', '.join(COLUMNS)})"))
            elif position < len(header) - 1:  # a trailing empty cell is only a trailing separator
                problems.append(Problem(1, "(header)", f"column {position + 1} has no name"))
        elif name in positions:
            problems.append(Problem(1, name, f"the header names {name} twice"))
        else:
            positions[name] = position
    for name in REQUIRED:
        if name not in positions:
            problems.append(Problem(1, name, f"the header has no {name} column (it is required)"))
    if problems:
        raise ImportRefused(problems)
    return positions


def _card_number(raw: str) -> str | None:
    return cardnumber.validate(raw, "cardNumber") if raw else None


def _referrer_number(raw: str) -> str | None:
    return cardnumber.validate(raw, "referrerCardNumber") if raw else None


def _name(raw: str) -> str:
    return customer.text(raw, "customerName", required=True)  # type: ignore[return-value]


def _customer_id(raw: str) -> str | None:
    return customer.text(raw, "customerId", required=False, limit=64) if raw else None


def _points(raw: str) -> int:
    return parse_points(raw, "points") if raw else 0


#: How each column's cell is read, in `COLUMNS` order (CardLine's fields after `line`).
_READERS: tuple[Callable[[str], object], ...] = (
    _card_number,
    _name,
    normalize_phone,
    customer.email,
    _customer_id,
    _points,
    _referrer_number,
)


# --- writing ----------------------------------------------------------------------------


class ExportRow(NamedTuple):
    card_number: str
    customer_name: str
    customer_phone: str
    customer_email: str | None
    customer_id: str | None
    points: int  # hundredths
    referrer_number: str | None


def write(rows: Iterable[ExportRow], out: TextIO, *, progress: Progress | None = None) -> int:
    """The header and one line per card, in `COLUMNS` order, points as `123.45`; how many."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        writer.writerow(
            (
                row.card_number,
                row.customer_name,
                row.customer_phone,
                row.customer_email or "",
                row.customer_id or "",
                points(row.points),
                row.referrer_number or "",
            )
        )
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(f"wrote {count:,} cards")
    return count


def written(rows: Iterable[ExportRow]) -> str:
    """`write` into a string."""
    out = io.StringIO()
    write(rows, out)
    return out.getvalue()
