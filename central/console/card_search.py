"""Finding a card from what a manager types: its number, the customer's phone or name.

One box, three kinds of search, as a person expects:

- a whole card number, or a whole phone (as typed, `+91 98450-12345` or `9845012345`):
  the card itself, by the unique number index or the phone index;
- any part of at least `MIN_PART` characters of a number, a phone or a name: every word
  typed must appear in the card's number, phone or name, case-folded. On PostgreSQL each
  word is one probe of the trigram index `ix_cards_search` (pg_trgm, migration 0004); on
  SQLite (a single pharmacy's cards) a scan.

At most `limit` cards come back, the exact matches first, then the others by name;
`more` says there were others, so the page can ask for more of the name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import or_

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
    statement = cards.query(unit)
    for word in words:
        pattern = "%" + _escaped(word) + "%"
        statement = statement.where(
            or_(*(column.ilike(pattern, escape="\\") for column in (Card.card_number, Card.customer_phone, Card.customer_name)))
        )
    known = {card.id for card in exact}
    found = [card for card in cards.rows(unit, statement.limit(limit + 1 + len(known))) if card.id not in known]
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


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
