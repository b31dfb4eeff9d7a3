"""`pos-loyalty config import` of part of a configuration: what the file leaves out stays,
an empty list removes, every change is named, and bad numbers are a user error (exit 2)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from cli_runs import in_process
from support import dump_replica


@pytest.fixture
def till(tmp_path):
    return tmp_path / "till"


def imported(capsys, till, tmp_path, text: str, *extra: str) -> tuple[int, str, str]:
    source = tmp_path / "part.json"
    source.write_text(text, encoding="utf-8")
    return in_process(capsys, till, "config", "import", str(source), *extra)


def exported(capsys, till) -> dict:
    code, out, _ = in_process(capsys, till, "config", "export", "--json")
    assert code == 0
    return json.loads(out, parse_float=Decimal)


def test_a_file_without_categories_keeps_every_category_and_names_what_it_changed(capsys, till, tmp_path):
    code, out, _ = imported(capsys, till, tmp_path, '{"maxRedemptionPercent": 40}')
    assert code == 0
    assert out.splitlines() == ["Saved configuration version 2 (1 change):", "  maxRedemptionPercent: 50.00 -> 40.00"]
    after = exported(capsys, till)
    assert [c["categoryName"] for c in after["categoryPointConfigs"]] == ["Medicines", "General", "Baby Care", "Cosmetics"]
    assert len(after["categoryDiscounts"]) == 2 and after["minPointsToRedeem"] == Decimal("100.00")
    code, _, _ = in_process(capsys, till, "bill", "quote", "--item", "2:100")  # General can still be sold
    assert code == 0


def test_the_json_answer_lists_each_change_with_before_and_after(capsys, till, tmp_path):
    document = {
        "categoryPointConfigs": [
            {"categoryId": 1, "categoryName": "Medicines", "pointPercentage": 1.5},
            {"categoryId": 5, "categoryName": "Vitamins", "pointPercentage": 2},
        ]
    }
    code, out, _ = imported(capsys, till, tmp_path, json.dumps(document), "--json")
    assert code == 0
    answer = json.loads(out, parse_float=Decimal)
    assert answer["changedFields"] == [
        "categoryPointConfigs/1", "categoryPointConfigs/2", "categoryPointConfigs/3", "categoryPointConfigs/4",
        "categoryPointConfigs/5",
    ]
    changes = {change["field"]: change for change in answer["changes"]}
    assert changes["categoryPointConfigs/1"]["before"]["pointPercentage"] == Decimal("1.00")
    assert changes["categoryPointConfigs/1"]["after"]["pointPercentage"] == Decimal("1.50")
    assert changes["categoryPointConfigs/2"]["after"] is None and changes["categoryPointConfigs/5"]["before"] is None

    code, out, _ = imported(capsys, till, tmp_path, '{"categoryDiscounts": [], "tiers": [{"name": "Silver", "minLifetimePoints": 0}]}')
    assert code == 0
    assert out.splitlines()[1:] == [
        "  categoryDiscounts/1 (Medicines): removed",
        "  categoryDiscounts/3 (Baby Care): removed",
        "  tiers: (none) -> Silver from 0.00",
    ]
    after = exported(capsys, till)
    assert after["categoryDiscounts"] == [] and [c["categoryId"] for c in after["categoryPointConfigs"]] == [1, 5]


def test_an_empty_list_removes_every_category(capsys, till, tmp_path):
    code, out, _ = imported(capsys, till, tmp_path, '{"categoryPointConfigs": [], "categoryDiscounts": []}')
    assert code == 0 and "categoryPointConfigs/2 (General): removed" in out
    after = exported(capsys, till)
    assert after["categoryPointConfigs"] == [] and after["categoryDiscounts"] == []


def test_importing_the_configuration_as_it_is_says_nothing_changed_and_exits_0(capsys, till, tmp_path):
    document = exported(capsys, till)
    code, out, err = imported(capsys, till, tmp_path, json.dumps(document, default=str))
    assert code == 0 and err == ""
    assert out.strip() == "Nothing changed: the file holds what the configuration already is (version 1)."
    assert exported(capsys, till)["version"] == 1


@pytest.mark.parametrize(
    "text, field",
    [
        ('{"maxRedemptionPercent": 1e999999999}', "maxRedemptionPercent"),
        ('{"pointsToAmountRate": 1e-999999999}', "pointsToAmountRate"),
        ('{"minPointsToRedeem": ' + "1" * 5000 + "}", "minPointsToRedeem"),
        ('{"categoryPointConfigs": [{"categoryId": 1000000000000000000000000000000, "categoryName": "X", "pointPercentage": 1}]}',
         "categoryPointConfigs[0].categoryId"),
        ('{"categoryPointConfigs": [{"categoryId": 100000000000, "categoryName": "X", "pointPercentage": 1}]}',
         "categoryPointConfigs[0].categoryId"),
        ('{"isEnabled": true, "isEnabled": false}', "isEnabled"),
        ('{"categoryPointConfigs": null}', "categoryPointConfigs"),
        ('{"tiers": null}', "tiers"),
        ("[" * 5000 + "]" * 5000, None),
        ('{"categoryPointConfigs": [{"categoryId": 7, "categoryName": "Bad\\u202eName", "pointPercentage": 1}]}', None),
    ],
)
def test_numbers_and_shapes_the_input_rules_refuse_exit_2_and_change_nothing(capsys, till, tmp_path, text, field):
    in_process(capsys, till, "status")  # the till exists before the import
    before = dump_replica_at(till)
    code, out, err = imported(capsys, till, tmp_path, text, "--json")
    assert code == 2 and out == "", err
    error = json.loads(err)["error"]
    assert error["code"] == "INVALID_INPUT" and error["message"]
    if field:
        assert error["field"] == field, error
    assert dump_replica_at(till) == before


def dump_replica_at(till):  # type: ignore[no-untyped-def]
    class At:
        path = till / "replica.sqlite3"

    return dump_replica(At)
