"""The fields of the specs' documents in a cashier's words: `items[0].amount` is "line 1:
the amount", `redeemPoints` is "points to redeem", `customerName` is "customer name".

A bad-input error keeps the spec's name in its `field` (what `--json` and the API give a
program) and says it in these words in its message (what a person reads): `InvalidInput`
does it, once, for every error. A field not listed here is said as it is (a configuration's
fields are the names of the file a manager edits). No imports: `errors` uses it.
"""

from __future__ import annotations

import re

_TERMS = {
    "customerName": "customer name",
    "customerPhone": "phone number",
    "customerEmail": "email",
    "customerId": "customer id",
    "cardNumber": "card number",
    "referrerCardNumber": "referrer's card number",
    "redeemPoints": "points to redeem",
    "flatDiscount": "flat discount",
    "billId": "bill id",
    "billAmount": "bill amount",
    "isActive": "open or closed",
    "returnId": "return id",
    "rewardId": "reward product's code",
}
_PARTS = {"amount": "amount", "quantity": "quantity", "unitPrice": "unit price", "categoryId": "category", "rewardId": "code"}
_LISTS = {"items": "line", "rewards": "reward product"}
_LISTED = re.compile(r"(items|rewards)\[([0-9]{1,6})\](?:\.([A-Za-z]+))?")


def words(field: str) -> str:
    """`items[2].unitPrice` -> "line 3: the unit price"; an unknown field as it is."""
    listed = _LISTED.fullmatch(field)
    if listed is None:
        return _TERMS.get(field, field)
    head = f"{_LISTS[listed.group(1)]} {int(listed.group(2)) + 1}"
    part = listed.group(3)
    return f"{head}: the {_PARTS.get(part, part)}" if part else head


def in_words(message: str, field: str) -> str:
    """A message that starts with its field ("items[0].amount must be...") starting with it
    in words instead, with a capital ("Line 1: the amount must be..."); one that starts with
    the field's list entry ("items[0]: ...") with that ("Line 1: ..."). Any other message as
    it is (one that lists a file's problems names their columns on purpose)."""
    listed = _LISTED.fullmatch(field)
    for named in (field, f"{listed.group(1)}[{listed.group(2)}]" if listed else field):
        said = words(named)
        if said != named and message.startswith(named):
            text = said + message[len(named) :]
            return text[0].upper() + text[1:]
    return message
