"""Configuration routes against a real server (SQLite and PostgreSQL)."""

from decimal import Decimal

from central_harness import body


def test_health_answers_without_a_token(tenant):
    answer = tenant.anonymous.get("/health")
    assert answer.status_code == 200 and body(answer) == {"status": "ok"}


def test_get_config_returns_the_seed_shape_with_exact_decimals(tenant):
    answer = tenant.admin.get("/api/v1/card-config")
    assert answer.status_code == 200
    assert b'"pointsToAmountRate":0.10' in answer.content  # a JSON number, not a string
    config = body(answer)
    assert config["tenantId"] == tenant.tenant_id and config["isEnabled"] is True
    assert [c["categoryName"] for c in config["categoryPointConfigs"]] == ["Medicines", "General", "Baby Care", "Cosmetics"]


def test_put_config_saves_a_new_version_and_a_bad_value_saves_nothing(tenant):
    config = body(tenant.admin.get("/api/v1/card-config"))
    config["maxRedemptionPercent"] = Decimal("40")
    saved = body(tenant.admin.put("/api/v1/card-config", config))
    assert saved["version"] == config["version"] + 1 and saved["maxRedemptionPercent"] == Decimal("40.00")
    config["referralPointsPercent"] = Decimal("101")
    refused = tenant.admin.put("/api/v1/card-config", config)
    assert refused.status_code == 400
    assert body(refused)["error"]["field"] == "referralPointsPercent"
    assert body(tenant.admin.get("/api/v1/card-config"))["version"] == saved["version"]


def test_categories_discounts_tiers_and_switches(tenant):
    added = tenant.admin.post("/api/v1/card-config/categories", {"categoryId": 9, "categoryName": "Vitamins", "pointPercentage": "2.5"})
    vitamins = {"categoryId": 9, "categoryName": "Vitamins", "pointPercentage": Decimal("2.50"), "isActive": True, "isRedeemable": True}
    assert added.status_code == 200 and vitamins in body(added)
    assert tenant.admin.delete("/api/v1/card-config/categories/9").status_code == 200
    assert tenant.admin.delete("/api/v1/card-config/categories/9").status_code == 404
    discounts = body(tenant.admin.post("/api/v1/card-config/discounts", {"categoryId": 2, "discountPercentage": 7}))
    assert {"categoryId": 2, "categoryName": "General", "discountPercentage": Decimal("7.00"), "isActive": True} in discounts
    tiers = [{"name": "Silver", "minLifetimePoints": 0}, {"name": "Gold", "minLifetimePoints": 1000, "earnMultiplier": "1.5"}]
    assert [t["name"] for t in body(tenant.admin.put("/api/v1/card-config/tiers", tiers))] == ["Silver", "Gold"]
    unordered = tenant.admin.put("/api/v1/card-config/tiers", list(reversed(tiers)))
    assert unordered.status_code == 400
    assert body(tenant.admin.post("/api/v1/card-config/disable"))["isEnabled"] is False
    assert body(tenant.admin.post("/api/v1/card-config/enable"))["isEnabled"] is True


def test_config_needs_an_admin_token(tenant):
    assert tenant.anonymous.get("/api/v1/card-config").status_code == 401
    bad = tenant.anonymous.get("/api/v1/card-config", headers={"Authorization": "Bearer plt_nonsense"})
    assert bad.status_code == 401 and body(bad)["error"]["code"] == "UNAUTHORIZED"
    forbidden = tenant.device.get("/api/v1/card-config")
    assert forbidden.status_code == 403 and body(forbidden)["error"]["code"] == "FORBIDDEN"


def test_malformed_json_is_a_clear_400(tenant):
    answer = tenant.admin.put("/api/v1/card-config", '{"isEnabled": tru')
    assert answer.status_code == 400 and "not valid JSON" in body(answer)["error"]["message"]


def test_another_tenants_configuration_is_never_visible(tenant, central_server):
    from central.store.tenants import create_tenant
    from central_harness import Client

    other = create_tenant(tenant.store, "Other Pharmacy")
    theirs = Client(central_server.base, other.admin_token)
    theirs.post("/api/v1/card-config/categories", {"categoryId": 42, "categoryName": "Secret", "pointPercentage": 9})
    mine = body(tenant.admin.get("/api/v1/card-config"))
    assert all(c["categoryId"] != 42 for c in mine["categoryPointConfigs"])


def test_promotions_and_rewards_are_added_replaced_and_removed_by_their_ids(tenant):
    promotion = {"promotionId": 1, "name": "Double Baby Care", "startsOn": "2026-12-01", "endsOn": "2026-12-31", "multiplier": 2, "categoryIds": [3]}
    added = tenant.admin.post("/api/v1/card-config/promotions", promotion)
    assert added.status_code == 200, added.text
    assert [p["multiplier"] for p in body(added)] == [Decimal("2.00")]
    replaced = body(tenant.admin.post("/api/v1/card-config/promotions", {**promotion, "multiplier": "1.5"}))
    assert [p["multiplier"] for p in replaced] == [Decimal("1.50")]
    unknown = tenant.admin.post("/api/v1/card-config/promotions", {**promotion, "promotionId": 2, "categoryIds": [99]})
    assert unknown.status_code == 400 and body(unknown)["error"]["field"] == "promotions[1].categoryIds[0]"
    backwards = tenant.admin.post("/api/v1/card-config/promotions", {**promotion, "promotionId": 2, "endsOn": "2026-11-01"})
    assert backwards.status_code == 400 and body(backwards)["error"]["field"] == "promotions[1].endsOn"
    reward = {"rewardId": "TOTE-BAG", "name": "Tote bag", "pointsPrice": 150}
    assert body(tenant.admin.post("/api/v1/card-config/rewards", reward))[0]["pointsPrice"] == Decimal("150.00")
    config = body(tenant.admin.get("/api/v1/card-config"))
    assert [p["promotionId"] for p in config["promotions"]] == [1] and [r["rewardId"] for r in config["rewards"]] == ["TOTE-BAG"]
    assert body(tenant.admin.delete("/api/v1/card-config/rewards/TOTE-BAG")) == []
    assert tenant.admin.delete("/api/v1/card-config/rewards/TOTE-BAG").status_code == 404
    assert tenant.admin.delete("/api/v1/card-config/promotions/1").status_code == 200
    assert tenant.device.post("/api/v1/card-config/rewards", reward).status_code == 403
