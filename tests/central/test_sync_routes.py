"""Push and pull against a real server (SQLite and PostgreSQL), with mutations a real till wrote."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from central.store.models import PointTransaction
from central_harness import Client, body, pull_all, till_batch
from pos_loyalty.services import bills, cards, configuration, open_replica
from support import make_bill

D = Decimal


@pytest.fixture
def till(tmp_path):
    replica = open_replica(tmp_path / "till")
    yield replica
    replica.close()


def sell_the_worked_example(replica) -> tuple[str, str]:
    """B refers A; A gets 1,000 points and buys the worked example (4 mutations)."""
    b = cards.issue(replica, name="Bina Referrer", phone="9000000001").card_number
    a = cards.issue(replica, name="Asha Customer", phone="9000000002", referrer=b).card_number
    cards.adjust(replica, a, "1000", reason="opening balance")
    bills.finalize(replica, a, make_bill((1, "500.00"), (2, "500.00"), redeem="200"), bill_id="B-1")
    return a, b


def server_cards(client: Client) -> dict[str, dict]:
    changes, _cursor, _pages = pull_all(client)
    return {c["card"]["cardNumber"]: c["card"] for c in changes if c["type"] == "card"}


def rows_on_server(tenant) -> int:
    return tenant.store.run(
        lambda unit: unit.connection.execute(
            select(func.count()).select_from(PointTransaction).where(PointTransaction.tenant_id == tenant.tenant_id)
        ).scalar_one(),
        write=False,
    )


def flags_of(tenant, kind: str) -> list[dict]:
    return [f for f in body(tenant.admin.get("/api/v1/flags"))["content"] if f["kind"] == kind]


def test_a_tills_mutations_are_applied_once_and_balances_agree(tenant, till):
    a, b = sell_the_worked_example(till)
    answer = tenant.device.post("/api/v1/sync/push", till_batch(till))
    assert answer.status_code == 200, answer.text
    result = body(answer)
    assert [r["status"] for r in result["results"]] == ["applied"] * 4
    assert result["lastAppliedSeq"] == 4
    on_server = server_cards(tenant.device)
    assert on_server[a]["pointsBalance"] == D("819.34") == D(cards.find(till, a).points_balance) / 100
    assert on_server[b]["pointsBalance"] == D("4.77")
    assert on_server[a]["totalPointsRedeemed"] == D("200.00")
    assert on_server[a]["referrerCardNumber"] == b
    assert flags_of(tenant, "RULES_MISMATCH") == []  # the service's recomputation agrees

    rows = rows_on_server(tenant)
    again = body(tenant.device.post("/api/v1/sync/push", till_batch(till)))
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 4
    assert [r["originalStatus"] for r in again["results"]] == ["applied"] * 4
    assert rows_on_server(tenant) == rows


def test_a_gap_is_409_with_last_applied_seq_and_applies_nothing(tenant, till):
    sell_the_worked_example(till)
    batch = till_batch(till)
    tenant.device.post("/api/v1/sync/push", {"mutations": batch["mutations"][:2]})
    rows = rows_on_server(tenant)
    gap = tenant.device.post("/api/v1/sync/push", {"mutations": batch["mutations"][3:]})
    assert gap.status_code == 409
    assert body(gap)["lastAppliedSeq"] == 2 and body(gap)["error"]["code"] == "SEQUENCE_GAP"
    assert rows_on_server(tenant) == rows
    resent = body(tenant.device.post("/api/v1/sync/push", {"mutations": batch["mutations"][2:]}))
    assert [r["status"] for r in resent["results"]] == ["applied", "applied"] and resent["lastAppliedSeq"] == 4


def test_a_rejected_mutation_still_advances_and_never_wedges_the_queue(tenant, till):
    a, _b = sell_the_worked_example(till)
    batch = till_batch(till)["mutations"]
    poisoned = [dict(m) for m in batch]
    poisoned[3] = {**poisoned[3], "payload": {**poisoned[3]["payload"], "cardNumber": "2999999999991"}}
    poisoned.append({**batch[2], "deviceSeq": 5, "mutationId": "extra-kind", "kind": "card.teleported"})
    after = {**batch[2], "deviceSeq": 6, "mutationId": "after-the-bad-ones"}
    answer = body(tenant.device.post("/api/v1/sync/push", {"mutations": [*poisoned, after]}))
    statuses = [(r["status"], r.get("error", {}).get("code")) for r in answer["results"]]
    assert statuses == [
        ("applied", None), ("applied", None), ("applied", None),
        ("rejected", "CARD_NOT_FOUND"),  # a card this tenant does not have
        ("rejected", "INVALID_INPUT"),  # a kind the service does not know
        ("applied", None),
    ]
    assert answer["lastAppliedSeq"] == 6
    assert server_cards(tenant.device)[a]["pointsBalance"] == D("2000.00")  # two adjustments, no bill


def test_bad_push_bodies_are_400_and_change_nothing(tenant, till):
    sell_the_worked_example(till)
    good = till_batch(till)["mutations"]
    for bad in (
        "not json",
        {"mutations": []},
        {"mutations": "no"},
        {"mutations": [{**good[0], "deviceSeq": 0}]},
        {"mutations": [good[0], good[2]]},  # not consecutive
        {"mutations": [{**good[0], "payload": []}]},
    ):
        answer = tenant.device.post("/api/v1/sync/push", bad)
        assert answer.status_code == 400, (bad, answer.text)
        assert body(answer)["error"]["code"] == "INVALID_INPUT"
    assert rows_on_server(tenant) == 0
    assert tenant.admin.post("/api/v1/sync/push", {"mutations": good}).status_code == 403


def test_pull_bootstraps_in_pages_then_brings_only_what_changed(tenant, till):
    numbers = [cards.issue(till, name=f"Customer {i}", phone=f"90000010{i:02d}").card_number for i in range(25)]
    tenant.device.post("/api/v1/sync/push", till_batch(till))
    changes, cursor, pages = pull_all(tenant.device, limit=7)
    assert pages == 4  # 1 configuration + 25 cards, 7 a page
    assert changes[0]["type"] == "config" and changes[0]["config"]["isEnabled"] is True
    assert sorted(c["card"]["cardNumber"] for c in changes[1:]) == sorted(numbers)
    nothing = body(tenant.device.get("/api/v1/sync/pull", params={"cursor": cursor}))
    assert nothing["changes"] == [] and nothing["hasMore"] is False and nothing["appliedSeq"] == 25

    cards.adjust(till, numbers[7], "10", reason="goodwill")
    tenant.device.post("/api/v1/sync/push", till_batch(till, from_seq=26))
    page = body(tenant.device.get("/api/v1/sync/pull", params={"cursor": cursor}))
    assert [c["card"]["cardNumber"] for c in page["changes"]] == [numbers[7]]
    assert page["changes"][0]["card"]["pointsBalance"] == D("10.00") and page["appliedSeq"] == 26


def test_pull_refuses_cursors_it_did_not_give(tenant, central_server):
    from central.store.tenants import add_device, create_tenant

    _changes, cursor, _pages = pull_all(tenant.device)
    epoch, seq, kind, ident = cursor.split(".")
    other = create_tenant(tenant.store, "Elsewhere")
    elsewhere = Client(central_server.base, add_device(tenant.store, other.tenant_id, "Till").token)
    foreign = elsewhere.get("/api/v1/sync/pull", params={"cursor": cursor})
    assert foreign.status_code == 410 and body(foreign)["error"]["code"] == "CURSOR_EXPIRED"
    ahead = tenant.device.get("/api/v1/sync/pull", params={"cursor": f"{epoch}.{int(seq) + 10**12}.0.0"})
    assert ahead.status_code == 410
    garbage = tenant.device.get("/api/v1/sync/pull", params={"cursor": "yesterday"})
    assert garbage.status_code == 400 and body(garbage)["error"]["field"] == "cursor"


def test_two_tills_spending_the_same_points_offline_are_flagged(tenant, tmp_path):
    first, second = open_replica(tmp_path / "one"), open_replica(tmp_path / "two")
    other_till = tenant.new_device("Counter 2")
    number = cards.issue(first, name="Double Spender", phone="9000000300").card_number
    cards.adjust(first, number, "300", reason="opening")
    tenant.device.post("/api/v1/sync/push", till_batch(first))
    card = server_cards(other_till)[number]
    # The second till learned the card by pull; now both sell while offline.
    with second.writing() as uow:
        from pos_loyalty.replica.models import Card
        from pos_loyalty.services import cards as till_cards  # noqa: F401

        uow.session.add(Card(card_number=number, customer_name=card["customerName"], customer_phone=card["customerPhone"],
                             points_balance=30000, total_points_earned=0, total_points_redeemed=0,
                             total_referral_points_earned=0, is_active=True, issued_at=uow.now, updated_at=uow.now))
        uow.commit()
    bills.finalize(first, number, make_bill((2, "1000.00"), redeem="300"), bill_id="ONE")
    bills.finalize(second, number, make_bill((2, "1000.00"), redeem="300"), bill_id="TWO")
    tenant.device.post("/api/v1/sync/push", till_batch(first, from_seq=3))
    answer = body(other_till.post("/api/v1/sync/push", till_batch(second)))
    assert [r["status"] for r in answer["results"]] == ["applied"]
    assert server_cards(tenant.device)[number]["pointsBalance"] == D("-241.80")  # 300 - 600 + 2 x 29.10 earned on 970.00 paid
    overdrafts = flags_of(tenant, "OVERDRAFT")
    assert len(overdrafts) == 1 and overdrafts[0]["billId"] == "TWO" and overdrafts[0]["cardNumber"] == number
    first.close(), second.close()


def test_the_same_phone_issued_at_two_tills_is_flagged_not_dropped(tenant, tmp_path):
    first, second = open_replica(tmp_path / "one"), open_replica(tmp_path / "two")
    other_till = tenant.new_device("Counter 2")
    one = cards.issue(first, name="Same Person", phone="9000000400").card_number
    two = cards.issue(second, name="Same Person", phone="9000000400").card_number
    tenant.device.post("/api/v1/sync/push", till_batch(first))
    assert [r["status"] for r in body(other_till.post("/api/v1/sync/push", till_batch(second)))["results"]] == ["applied"]
    assert {one, two} <= set(server_cards(tenant.device))
    duplicates = flags_of(tenant, "DUPLICATE_CUSTOMER")
    assert len(duplicates) == 1 and set(duplicates[0]["details"]["cardNumbers"]) == {one, two}
    first.close(), second.close()


def test_a_bill_that_does_not_match_the_rules_is_applied_and_flagged(tenant, till):
    a, _b = sell_the_worked_example(till)
    batch = till_batch(till)["mutations"]
    bill = batch[3]
    bill["payload"]["result"]["payable"] = D("954.99")
    answer = body(tenant.device.post("/api/v1/sync/push", {"mutations": batch}))
    assert answer["results"][3]["status"] == "applied"
    mismatch = flags_of(tenant, "RULES_MISMATCH")
    assert len(mismatch) == 1
    assert mismatch[0]["details"]["differences"]["payable"] == {"till": D("954.99"), "service": D("955.00")}


def test_a_reversal_at_the_till_reverses_the_bill_on_the_server(tenant, till):
    a, b = sell_the_worked_example(till)
    bills.reverse(till, "B-1")
    answer = body(tenant.device.post("/api/v1/sync/push", till_batch(till)))
    assert [r["status"] for r in answer["results"]] == ["applied"] * 5
    on_server = server_cards(tenant.device)
    assert on_server[a]["pointsBalance"] == D("1000.00") and on_server[b]["pointsBalance"] == D("0.00")
    assert on_server[a]["totalPointsRedeemed"] == D("0.00") and on_server[a]["totalPointsEarned"] == D("0.00")


def test_a_configuration_edit_at_a_till_merges_field_by_field(tenant, till):
    document = configuration.export(till)
    document["minPointsToRedeem"] = D("50")
    document["maxRedemptionPercent"] = D("40")
    configuration.save(till, document)
    # Meanwhile the admin changed the cap on the server.
    server_doc = body(tenant.admin.get("/api/v1/card-config"))
    tenant.admin.put("/api/v1/card-config", {**server_doc, "maxRedemptionPercent": 30})
    answer = body(tenant.device.post("/api/v1/sync/push", till_batch(till)))
    assert answer["results"][0]["status"] == "applied"
    merged = body(tenant.admin.get("/api/v1/card-config"))
    assert merged["minPointsToRedeem"] == D("50.00") and merged["maxRedemptionPercent"] == D("30.00")
    conflict = flags_of(tenant, "CONFIG_CONFLICT")
    assert len(conflict) == 1 and conflict[0]["details"]["field"] == "maxRedemptionPercent"


def test_a_till_can_ask_for_another_block_of_card_numbers(tenant):
    first = body(tenant.device.get("/api/v1/sync/pull"))["device"]["cardBlocks"]
    more = tenant.device.post("/api/v1/sync/card-blocks")
    assert more.status_code == 201
    blocks = body(tenant.device.get("/api/v1/sync/pull"))["device"]["cardBlocks"]
    assert len(blocks) == len(first) + 1 and blocks[-1] == body(more)


def test_flags_need_an_admin(tenant):
    assert tenant.device.get("/api/v1/flags").status_code == 403
    assert body(tenant.admin.get("/api/v1/flags"))["content"] == []


def test_a_till_sees_the_flags_about_its_own_mutations(tenant, tmp_path):
    first, second = open_replica(tmp_path / "one"), open_replica(tmp_path / "two")
    other_till = tenant.new_device("Counter 2")
    cards.issue(first, name="Same Person", phone="9000000500")
    cards.issue(second, name="Same Person", phone="9000000500")
    tenant.device.post("/api/v1/sync/push", till_batch(first))
    other_till.post("/api/v1/sync/push", till_batch(second))
    assert body(tenant.device.get("/api/v1/sync/flags"))["content"] == []  # the first card raised nothing
    mine = body(other_till.get("/api/v1/sync/flags"))["content"]
    assert [f["kind"] for f in mine] == ["DUPLICATE_CUSTOMER"]
    assert tenant.admin.get("/api/v1/sync/flags").status_code == 403
    first.close(), second.close()
