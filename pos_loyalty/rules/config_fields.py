"""A configuration as a flat map of fields, for `config.changed` and the per-field merge.

`sync-protocol.md` merges configuration edits field by field. The fields are: each
top-level setting by its name (`maxRedemptionPercent`), each category's point setting
and discount by id (`categoryPointConfigs/3`, `categoryDiscounts/1`; `None` = removed),
and the tier ladder as one field (`tiers`), since its order is one decision.
"""

from __future__ import annotations

from typing import Any

_LISTS = {"categoryPointConfigs": "categoryId", "categoryDiscounts": "categoryId"}
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
