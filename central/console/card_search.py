"""Finding a card from what a manager types: its number, the customer's phone or name.

One box, three kinds of search, as a person expects:

- a whole card number, or a whole phone (as typed, `+91 98450-12345` or `9845012345`):
  the card itself, by the unique number index or the phone index;
- words of at least `MIN_PART` characters, each of which must be in the card: a word of
  digits is the start of its number or the end of its phone (the last digits a customer
  says); any other word the start of its number (an older card's `CARD001`) or any part
  of the customer's name, case-folded. On PostgreSQL each is one probe of an index of
  migration 0004 (`ix_cards_number_start`, `ix_cards_phone_end`, the name's trigrams
  `ix_cards_search_name`); on SQLite (one pharmacy's cards) a scan.

At most `limit` cards come back, the exact matches first, then the others by name;
`more` says there were others, so the page can ask for more of the name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from typing import Any

from sqlalchemy import func, or_, select, text

from central.store import cards
from central.store.cards import CardRow
from central.store.db import Unit
from central.store.models import Card
from pos_loyalty import cardnumber
from pos_loyalty.errors import InvalidInput
from pos_loyalty.phone import normalize_phone

MIN_PART = 3
LIMIT = 50
_PHONE_LIKE = re.compile(r"\+?[0-9][0-9\s().-]*")
_SEPARATORS = re.compile(r"[\s().-]")


@dataclass(frozen=True)
class Found:
    query: str
    cards: list[CardRow]
    more: bool  # more cards matched than are shown


def parts(query: str) -> list[str]:
    """The words to look for: a phone typed with spaces or dashes is one word of digits."""
    text = " ".join(query.split())
    if _PHONE_LIKE.fullmatch(text):
        return [_SEPARATORS.sub("", text)]
    return text.split(" ") if text else []


def search(unit: Unit, query: object, limit: int = LIMIT) -> Found:
    """The cards of the unit's pharmacy that `query` names (see the module's words)."""
    if not isinstance(query, str) or not query.strip():
        raise InvalidInput("q", "Type a card number, a phone number or a name")
    text = query.strip()[:100]
    words = parts(text)
    exact = _exact(unit, text)
    if any(len(word) < MIN_PART for word in words):
        if exact:
            return Found(text, exact, False)
        raise InvalidInput("q", f"Type at least {MIN_PART} letters or digits of each word")
    _use_the_indexes(unit)
    wanted = select(Card.id).where(Card.tenant_id == unit.tenant, *(_matches(unit, word) for word in words))
    known = {card.id for card in exact}
    ids = [i for i in unit.connection.execute(wanted.limit(limit + 1 + len(known))).scalars() if i not in known]
    found = cards.rows(unit, cards.query(unit).where(Card.id.in_(ids))) if ids else []
    more = len(exact) + len(found) > limit
    found.sort(key=lambda card: (card.customer_name.casefold(), card.card_number))
    return Found(text, (exact + found)[:limit], more)


def _exact(unit: Unit, text: str) -> list[CardRow]:
    """The card whose whole number this is, and the cards of this whole phone."""
    found: list[CardRow] = []
    try:
        found += cards.rows(unit, cards.query(unit).where(Card.card_number == cardnumber.validate(text)))
    except InvalidInput:
        pass
    try:
        phone = normalize_phone(text)
    except InvalidInput:
        return found
    phones = {phone, phone.lstrip("+")}
    rows = cards.rows(unit, cards.query(unit).where(Card.customer_phone.in_(sorted(phones))).order_by(Card.id))
    return found + [card for card in rows if card.id not in {c.id for c in found}]


def _use_the_indexes(unit: Unit) -> None:
    """PostgreSQL: every word has its index, but the planner, guessing how many cards match
    a prefix, may walk the whole table (or another index) hoping the first `limit` come
    early: 300 to 600 ms over a million cards when they do not. Within this read-only
    transaction it may only read the words' indexes (bitmap scans), which bounds the cost
    by the cards that match."""
    if unit.connection.dialect.name == "postgresql":
        unit.connection.execute(text("SET LOCAL enable_seqscan = off"))
        unit.connection.execute(text("SET LOCAL enable_indexscan = off"))


def _matches(unit: Unit, word: str) -> Any:
    """The card has this word: the start of its number, and the end of its phone (digits) or
    a part of its name (other words). SQLite has no reverse(): it scans anyway."""
    number = func.lower(Card.card_number).like(_escaped(word.lower()) + "%", escape="\\")
    if word.lstrip("+").isdigit():
        if unit.connection.dialect.name != "postgresql":
            return or_(number, Card.customer_phone.like("%" + _escaped(word), escape="\\"))
        return or_(number, func.reverse(Card.customer_phone).like(_escaped(word[::-1]) + "%", escape="\\"))
    return or_(number, Card.customer_name.ilike("%" + _escaped(word) + "%", escape="\\"))


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
