"""A configuration as a flat map of fields, for `config.changed` and the per-field merge.

`sync-protocol.md` merges configuration edits field by field. The fields are: each
top-level setting by its name (`maxRedemptionPercent`), each category's point setting
and discount by id (`categoryPointConfigs/3`, `categoryDiscounts/1`; `None` = removed),
each promotion and reward by its id (`promotions/1`, `rewards/GIFT-1`), and the tier
ladder as one field (`tiers`), since its order is one decision.
"""

from __future__ import annotations

from typing import Any

_LISTS = {
    "categoryPointConfigs": "categoryId",
    "categoryDiscounts": "categoryId",
    "promotions": "promotionId",
    "rewards": "rewardId",
}
_NOT_FIELDS = {"version", "tenantId"}


def flatten(document: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in document.items():
        if key in _NOT_FIELDS:
            continue
        if key in _LISTS:
            for entry in value or []:
                fields[f"{key}/{entry[_LISTS[key]]}"] = entry
        else:
            fields[key] = value
    return fields


def unflatten(fields: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {key: [] for key in _LISTS}
    for name, value in fields.items():
        list_name, _, _ = name.partition("/")
        if list_name in _LISTS and "/" in name:
            if value is not None:
                document[list_name].append(value)
        else:
            document[name] = value
    for key, id_field in _LISTS.items():
        document[key].sort(key=lambda entry: entry[id_field])
    return document


def diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(base, changes): the old and new value of every field that differs; None = absent."""
    before, after = flatten(old), flatten(new)
    names = sorted(set(before) | set(after))
    changed = [n for n in names if before.get(n) != after.get(n)]
    return {n: before.get(n) for n in changed}, {n: after.get(n) for n in changed}


def merge(
    server: dict[str, Any], base: dict[str, Any], changes: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A till's edit merged into the server's configuration, field by field.

    `base` and `changes` are a `config.changed` mutation's fields (the values the till
    started from, and its new values). A field the server still holds at its base value
    takes the till's value; a field the server has since changed keeps the server's
    value and becomes a conflict (both values, for an admin). Returns the merged
    document and the conflicts.
    """
    fields = flatten(server)
    conflicts = []
    for name, value in changes.items():
        current = fields.get(name)
        if current == value:
            continue
        if current == base.get(name):
            fields[name] = value
        else:
            conflicts.append({"field": name, "serverValue": current, "tillValue": value, "baseValue": base.get(name)})
    for name, value in list(fields.items()):
        if value is None:
            del fields[name]
    return unflatten(fields), conflicts
