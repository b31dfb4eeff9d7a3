"""The console's pages do what a head office manager asks, through the API's own rules."""

from __future__ import annotations

from decimal import Decimal as D

from central_data import EARN, SEED_EARN, issue
from central_harness import body, till_batch
from pos_loyalty.services import cards as till_cards
from pos_loyalty.services import open_replica


def test_find_a_customer_by_phone_see_why_and_fix_the_balance(pharmacy):
    """Issue 17's 'done': find by phone, read the history in words, adjust with a note."""
    admin, console = pharmacy.admin, pharmacy.console
    made = body(admin.post("/api/v1/cards", {"customerName": "Meena Rao", "customerPhone": "+91 98450 12345",
                                             "cardNumber": "CARD001"}))
    assert admin.post(EARN, SEED_EARN).status_code == 200
    found = console.get("/console/cards", params={"q": "98450 12345"})  # one card: straight to it
    assert found.url.endswith(f"/console/cards/{made['id']}")
    words = console.text()
    assert "Earned 5.00 points on Medicines at 1.00 %, bill 123" in words
    assert "Earned 15.00 points on General at 3.00 %, bill 123" in words
    assert "Balance 20.00 points" in words

    too_many = console.post(f"/console/cards/{made['id']}/adjust", {"points": "-25", "reason": "error"})
    assert too_many.status_code == 422 and "The card has only 20.00 points; it cannot lose 25.00" in console.text()
    no_reason = console.post(f"/console/cards/{made['id']}/adjust", {"points": "30", "reason": " "})
    assert no_reason.status_code == 400 and 'aria-invalid="true"' in console.page
    done = console.post(f"/console/cards/{made['id']}/adjust", {"points": "30", "reason": "Goodwill for a late delivery"})
    assert done.status_code == 200 and "The adjustment is recorded." in console.text()
    assert f"Adjusted by +30.00 points: Goodwill for a late delivery (by staff:{pharmacy.login})" in console.text()
    assert body(admin.get(f"/api/v1/cards/{made['id']}"))["pointsBalance"] == D("50.00")


def test_search_by_part_of_a_name_or_the_last_digits_of_a_phone(sqlite_pharmacy):
    admin, console = sqlite_pharmacy.admin, sqlite_pharmacy.console
    for name, phone in (("Meena Rao", "9845012345"), ("Meenakshi Iyer", "9845099999"), ("Ravi Rao", "9000011111")):
        assert admin.post("/api/v1/cards", {"customerName": name, "customerPhone": phone}).status_code == 201
    console.get("/console/cards", params={"q": "meena"})
    assert "2 cards found" in console.text() and "Meenakshi Iyer" in console.text() and "Ravi Rao" not in console.text()
    console.get("/console/cards", params={"q": "rao meena"})
    assert "Meena Rao" in console.text() and "Meenakshi" not in console.text()
    console.get("/console/cards", params={"q": "99999"})
    assert "Meenakshi Iyer" in console.text() and "Meena Rao" not in console.text()
    short = console.get("/console/cards", params={"q": "ra"})
    assert short.status_code == 400 and "Type at least 3 letters or digits of each word" in console.text()


def test_replace_merge_deactivate_and_anonymise_from_the_card_page(sqlite_pharmacy):
    access, console = sqlite_pharmacy.access, sqlite_pharmacy.console
    lost = issue(access, "LOST001", balance="70")
    console.get(f"/console/cards/{lost.id}")
    console.post(f"/console/cards/{lost.id}/replace", {"newCardNumber": "NEW0001"})
    assert "This is the new card" in console.text() and "Balance 70.00 points" in console.text()
    new_id = int(console.page.split('action="/console/cards/')[1].split("/")[0])
    other = issue(access, "OTHER01", balance="5")
    console.post(f"/console/cards/{new_id}/merge", {"otherCardNumber": "OTHER01"})
    assert "Balance 75.00 points" in console.text()
    assert body(access.admin.get(f"/api/v1/cards/{other.id}"))["replacedByCardNumber"] == "NEW0001"
    refused = console.post(f"/console/cards/{new_id}/anonymise", {})
    assert refused.status_code == 400 and "Tick the box to confirm" in console.text()
    console.post(f"/console/cards/{new_id}/anonymise", {"confirm": "yes"})
    assert "Anonymised" in console.text() and "The customer's details are erased" in console.text()
    kept = issue(access, "KEEP001")
    console.get(f"/console/cards/{kept.id}")
    console.post(f"/console/cards/{kept.id}/deactivate", {})
    assert body(access.admin.get(f"/api/v1/cards/{kept.id}"))["isActive"] is False


def test_the_configuration_form_saves_through_the_tills_validation(sqlite_pharmacy):
    admin, console = sqlite_pharmacy.admin, sqlite_pharmacy.console
    before = body(admin.get("/api/v1/card-config"))
    console.get("/console/config")
    form = {"isEnabled": "on", "pointsToAmountRate": "0.25", "maxRedemptionPercent": "50", "referralPointsPercent": "0.5",
            "minPointsToRedeem": "100", "pointsExpiryDays": "365", "offlineGraceSeconds": "86400",
            "offlineRedemptionLimitPoints": "500", "timeZone": "Asia/Kolkata",
            "categoryPointConfigs.0.categoryId": "1", "categoryPointConfigs.0.categoryName": "Medicines",
            "categoryPointConfigs.0.pointPercentage": "1", "categoryPointConfigs.0.isActive": "on",
            "tiers.0.name": "Silver", "tiers.0.minLifetimePoints": "0",
            "tiers.1.name": "Gold", "tiers.1.minLifetimePoints": "abc", "tiers.1.earnMultiplier": "1.5"}
    refused = console.post("/console/config", form)
    assert refused.status_code == 400 and "tiers[1].minLifetimePoints" in console.text()
    assert 'name="tiers.1.minLifetimePoints" value="abc"' in console.page.replace(' aria-label="From lifetime points, row 2"', "")
    assert body(admin.get("/api/v1/card-config"))["version"] == before["version"]
    console.post("/console/config", {**form, "tiers.1.minLifetimePoints": "5000"})
    assert "The configuration is saved." in console.text()
    saved = body(admin.get("/api/v1/card-config"))
    assert saved["version"] == before["version"] + 1 and saved["pointsToAmountRate"] == D("0.25")
    assert [(t["name"], t["minLifetimePoints"], t["earnMultiplier"]) for t in saved["tiers"]] == [
        ("Silver", 0, 1), ("Gold", 5000, D("1.5"))
    ]
    assert saved["timeZone"] == "Asia/Kolkata" and [c["categoryId"] for c in saved["categoryPointConfigs"]] == [1]
    assert saved["categoryDiscounts"] == []  # the sample's discount rows were not in the form: removed


def test_a_duplicate_customer_is_resolved_by_merging_with_a_note(sqlite_pharmacy, tmp_path):
    access, console = sqlite_pharmacy.access, sqlite_pharmacy.console
    first, second = open_replica(tmp_path / "one"), open_replica(tmp_path / "two")
    one = till_cards.issue(first, name="Same Person", phone="9000000400").card_number
    two = till_cards.issue(second, name="Same Person", phone="9000000400").card_number
    access.device.post("/api/v1/sync/push", till_batch(first))
    access.new_device("Counter 2").post("/api/v1/sync/push", till_batch(second))
    first.close(), second.close()
    console.get("/console/flags")
    assert "1 flag waiting for someone" in console.text() and f"now has cards {one}, {two}" in console.text()
    flag_id = int(console.page.split('action="/console/flags/')[1].split("/")[0])
    no_note = console.post(f"/console/flags/{flag_id}/resolve", {"action": "merge", "note": ""})
    assert no_note.status_code == 400 and "note" in console.text()
    console.post(f"/console/flags/{flag_id}/resolve", {"action": "merge", "note": "Same customer, two counters"})
    assert "The flag is resolved." in console.text() and "0 flags waiting" in console.text()
    assert body(access.admin.get(f"/api/v1/cards/by-number/{one}"))["isActive"] is True
    assert access.admin.get(f"/api/v1/cards/by-number/{two}").status_code == 409  # replaced: merged into the first
    console.get("/console/flags", params={"show": "all"})
    assert f"by staff:{sqlite_pharmacy.login}: merge — “Same customer, two counters”" in console.text()
    again = console.post(f"/console/flags/{flag_id}/resolve", {"action": "keep-both", "note": "twice"})
    assert again.status_code == 409 and "already resolved" in console.text()


def test_tills_and_exports(sqlite_pharmacy):
    access, console = sqlite_pharmacy.access, sqlite_pharmacy.console
    access.device.get("/api/v1/sync/pull")
    console.get("/console/tills")
    assert "Counter 1" in console.text() and "never" in console.text()
    issue(access, "EXPORT01", balance="12.5")
    csv = console.get("/console/exports/cards.csv")
    assert csv.headers["content-type"].startswith("text/csv") and "attachment" in csv.headers["content-disposition"]
    header, *rows = csv.text.splitlines()
    assert "card_number" in header and any("EXPORT01" in row and ",12.50," in row for row in rows)
    staff_csv = console.get("/console/exports/staff_accounts.csv").text
    assert sqlite_pharmacy.login in staff_csv and "password_hash" not in staff_csv and "$argon2" not in staff_csv
    assert console.get("/console/exports/api_tokens.csv").status_code == 404


def test_an_overdraft_is_written_off_and_a_config_conflict_takes_the_tills_value(sqlite_pharmacy):
    from central.store.flags import CONFIG_CONFLICT, OVERDRAFT, Flags
    from central.store.ledger import Postings
    from pos_loyalty.rules.postings import adjustment_posting

    access, console = sqlite_pharmacy.access, sqlite_pharmacy.console
    overdrawn = issue(access, "OVER001", balance="10")

    def two_flags(unit):  # as a push raises them: a card below zero, a till's edit that met a newer value
        from central.store import cards

        postings = Postings(unit)
        postings.post(adjustment_posting(cards.by_id(unit, overdrawn.id, lock=True), -4000, "offline redemption"),
                      performed_by="device:Counter 1", device_id=None)
        postings.flush()
        flags = Flags(unit)
        flags.raise_flag(OVERDRAFT, "Card OVER001 is at -30.00 points", card_id=overdrawn.id)
        flags.raise_flag(CONFIG_CONFLICT, "A till changed minPointsToRedeem", field="minPointsToRedeem",
                         serverValue=D("100.00"), tillValue=D("50.00"), baseValue=D("80.00"))
        flags.flush()

    access.store.run(two_flags, write=True, tenant_id=access.tenant_id)
    console.get("/console/flags")
    ids = [int(part.split("/")[0]) for part in console.page.split('action="/console/flags/')[1:]]
    conflict, overdraft = ids  # newest first
    console.post(f"/console/flags/{overdraft}/resolve", {"action": "write-off", "note": "Two counters offline"})
    assert "The flag is resolved." in console.text()
    assert body(access.admin.get(f"/api/v1/cards/{overdrawn.id}"))["pointsBalance"] == 0
    console.post(f"/console/flags/{conflict}/resolve", {"action": "take-till", "note": "The till was right"})
    assert body(access.admin.get("/api/v1/card-config"))["minPointsToRedeem"] == D("50.00")
    console.get(f"/console/cards/{overdrawn.id}")
    assert "Adjusted by +30.00 points: Overdraft written off: Two counters offline" in console.text()
