"""Configuration documents: seed 002's JSON accepted as is, bad fields named, round trips exact."""

from decimal import Decimal

import pytest

from pos_loyalty import jsonio
from pos_loyalty.errors import ConfigInvalid
from pos_loyalty.rules import config_from_json, config_to_json
from pos_loyalty.rules.config import SAMPLE_CONFIG_JSON
from support import SEED_EXAMPLE

def problems_of(document):
    with pytest.raises(ConfigInvalid) as caught:
        config_from_json(document)
    return dict(caught.value.problems)


def test_seed_002_example_is_accepted_verbatim():
    config = config_from_json(jsonio.loads(SEED_EXAMPLE))
    assert config.is_enabled
    assert config.points_to_amount_rate == 1000
    assert config.max_redemption_percent == 5000
    assert config.referral_points_percent == 50
    assert config.min_points_to_redeem == 10000
    assert [c.category_name for c in config.category_points] == ["Medicines", "General", "Baby Care", "Cosmetics"]
    assert config == config_from_json(SAMPLE_CONFIG_JSON)


def test_export_then_import_gives_the_same_configuration():
    document = {
        **SAMPLE_CONFIG_JSON,
        "pointsToAmountRate": "0.0025",
        "tiers": [
            {"name": "Silver", "minLifetimePoints": 0},
            {"name": "Gold", "minLifetimePoints": "1000.50", "earnMultiplier": "1.25", "maxRedemptionPercent": 60},
        ],
        "offlineGraceSeconds": 3600,
        "offlineRedemptionLimitPoints": "250.5",
    }
    config = config_from_json(document)
    again = config_from_json(jsonio.loads(jsonio.dumps(config_to_json(config))))
    assert again == config
    assert config_to_json(config)["pointsToAmountRate"] == Decimal("0.0025")


@pytest.mark.parametrize(
    "change, field",
    [
        ({"pointsToAmountRate": 0}, "pointsToAmountRate"),
        ({"pointsToAmountRate": "-0.1"}, "pointsToAmountRate"),
        ({"pointsToAmountRate": "0.00001"}, "pointsToAmountRate"),
        ({"maxRedemptionPercent": 101}, "maxRedemptionPercent"),
        ({"referralPointsPercent": -1}, "referralPointsPercent"),
        ({"minPointsToRedeem": "lots"}, "minPointsToRedeem"),
        ({"isEnabled": "yes"}, "isEnabled"),
        ({"maxRedemptionPercnt": 10}, "maxRedemptionPercnt"),
        ({"categoryPointConfigs": [{"categoryId": 1, "categoryName": "A", "pointPercentage": 120}]}, "categoryPointConfigs[0].pointPercentage"),
        ({"categoryPointConfigs": [{"categoryId": 1, "categoryName": "A", "pointPercentage": 1}, {"categoryId": 1, "categoryName": "B", "pointPercentage": 2}]}, "categoryPointConfigs[1].categoryId"),
        ({"categoryPointConfigs": [{"categoryId": 0, "categoryName": "A", "pointPercentage": 1}]}, "categoryPointConfigs[0].categoryId"),
        ({"categoryPointConfigs": [{"categoryId": 1, "categoryName": "", "pointPercentage": 1}]}, "categoryPointConfigs[0].categoryName"),
        ({"categoryDiscounts": [{"categoryId": 1, "discountPercentage": "5.555"}]}, "categoryDiscounts[0].discountPercentage"),
        ({"tiers": [{"name": "Gold", "minLifetimePoints": 100}]}, "tiers[0].minLifetimePoints"),
        ({"tiers": [{"name": "A", "minLifetimePoints": 0}, {"name": "B", "minLifetimePoints": 0}]}, "tiers[1].minLifetimePoints"),
        ({"tiers": [{"name": "A", "minLifetimePoints": 0, "earnMultiplier": 0}]}, "tiers[0].earnMultiplier"),
        ({"tiers": [{"name": "A", "minLifetimePoints": 0}, {"name": "A", "minLifetimePoints": 5}]}, "tiers[1].name"),
        ({"offlineGraceSeconds": "1.5"}, "offlineGraceSeconds"),
    ],
)
def test_a_bad_value_is_refused_with_its_field_named(change, field):
    problems = problems_of({**SAMPLE_CONFIG_JSON, **change})
    assert field in problems, problems


def test_every_bad_field_is_reported_at_once():
    problems = problems_of({**SAMPLE_CONFIG_JSON, "pointsToAmountRate": 0, "maxRedemptionPercent": 200})
    assert set(problems) == {"pointsToAmountRate", "maxRedemptionPercent"}


def test_a_document_that_is_not_an_object_is_refused():
    assert "(document)" in problems_of([1, 2])


def test_a_discount_without_a_name_takes_the_category_name():
    config = config_from_json({**SAMPLE_CONFIG_JSON, "categoryDiscounts": [{"categoryId": 3, "discountPercentage": 10}]})
    assert config.category_discounts[0].category_name == "Baby Care"


def test_per_field_merge_takes_untouched_fields_and_reports_conflicts():
    from pos_loyalty.rules.config_fields import diff, merge

    server = config_to_json(config_from_json(SAMPLE_CONFIG_JSON))
    till_edit = jsonio.loads(jsonio.dumps(server))
    till_edit["maxRedemptionPercent"] = Decimal("40")
    till_edit["categoryPointConfigs"][0]["pointPercentage"] = Decimal("2")
    till_edit["categoryDiscounts"] = [d for d in till_edit["categoryDiscounts"] if d["categoryId"] != 3]
    base, changes = diff(server, till_edit)

    # Meanwhile an admin changed the cap too, and another field the till did not touch.
    moved = jsonio.loads(jsonio.dumps(server))
    moved["maxRedemptionPercent"] = Decimal("30")
    moved["minPointsToRedeem"] = Decimal("50")
    merged, conflicts = merge(moved, base, changes)
    result = config_from_json(merged)
    assert result.max_redemption_percent == 3000  # the server's newer value stands
    assert result.min_points_to_redeem == 5000  # untouched by the till: kept
    assert result.earning_percentage(1) == 200  # the till's edit applied
    assert result.discount_percentage(3) == 0  # the till's removal applied
    assert conflicts == [
        {"field": "maxRedemptionPercent", "serverValue": Decimal("30"), "tillValue": Decimal("40.00"), "baseValue": Decimal("50.00")}
    ]


def test_a_tier_problem_names_its_row_in_the_document_even_after_a_bad_row():
    problems = problems_of({
        **SAMPLE_CONFIG_JSON,
        "tiers": [
            {"name": "Silver", "minLifetimePoints": 0},
            {"name": "Broken", "minLifetimePoints": "lots"},
            {"name": "Gold", "minLifetimePoints": 0},
        ],
    })
    assert "tiers[1].minLifetimePoints" in problems and "tiers[2].minLifetimePoints" in problems
