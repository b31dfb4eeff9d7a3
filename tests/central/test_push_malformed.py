"""A malformed mutation in the middle of a push is rejected on its own; the rest of the batch is
applied, the sequence advances, and head office gets a MUTATION_REJECTED flag (SQLite and
PostgreSQL, a real server). Every other mutation here is one a real till wrote."""

from __future__ import annotations

import copy
import itertools
from decimal import Decimal

import pytest

from central_harness import body, till_batch
from pos_loyalty import jsonio
from pos_loyalty.services import bills, cards, open_replica
from pos_loyalty.rules import bill_from_json


@pytest.fixture
def till(tmp_path):
    replica = open_replica(tmp_path / "till")
    yield replica
    replica.close()


def real_mutations(replica) -> dict[str, dict]:
    """A card, an adjustment and a quantity-line bill, as the till queued them."""
    number = cards.issue(replica, name="Asha Customer", phone="9000000002").card_number
    cards.adjust(replica, number, "500", reason="opening balance")
    bill = bill_from_json({"items": [{"categoryId": 3, "quantity": "2", "unitPrice": "125.00"}]})
    bills.finalize(replica, number, bill, bill_id="Q-1")
    issued, adjusted, finalized = till_batch(replica)["mutations"]
    return {"issued": issued, "adjusted": adjusted, "finalized": finalized, "number": number}


def numbered(mutations: list[dict]) -> list[dict]:
    """The mutations as one push: consecutive deviceSeqs from 1, each its own id."""
    ids = itertools.count(1)
    out = []
    for seq, mutation in enumerate(mutations, 1):
        made = copy.deepcopy(mutation)
        made["deviceSeq"], made["mutationId"] = seq, f"m-{next(ids)}-{mutation['mutationId'][:8]}"
        out.append(made)
    return out


def with_payload(mutation: dict, **changes) -> dict:
    made = copy.deepcopy(mutation)
    made["payload"].update(changes)
    return made


#: Stand-ins replaced in the raw text by what no JSON writer of ours would produce.
HUGE_INTEGER = "HUGE-INTEGER-HERE"
DEEP = "DEEPLY-NESTED-HERE"


def raw_push(mutations: list[dict]) -> str:
    text = jsonio.dumps({"mutations": mutations})
    text = text.replace(f'"{HUGE_INTEGER}"', "9" * 5000)
    return text.replace(f'"{DEEP}"', "[" * 40 + "1" + "]" * 40)


def test_malformed_mutations_are_rejected_one_by_one_and_the_rest_applied(tenant, till):
    real = real_mutations(till)
    bill_line = real["finalized"]["payload"]["items"][0]
    batch = numbered(
        [
            real["issued"],  # 1
            with_payload(real["adjusted"], points=Decimal("1E+999999999")),  # 2: an exponent
            real["adjusted"],  # 3
            with_payload(real["finalized"], billId="Q-huge", items=[{**bill_line, "categoryId": 10**30}]),  # 4
            with_payload(real["adjusted"], points=HUGE_INTEGER, reason="huge"),  # 5: 5,000 digits
            with_payload(real["adjusted"], reason=DEEP),  # 6: nested 40 deep
            real["finalized"],  # 7
            with_payload(real["adjusted"], reason="two\u0000words"),  # 8: a control character
        ]
    )
    # 9: a bill whose configuration version no database column holds (found only on the way
    # into the database: the careful way, a savepoint per mutation, must reject it alone).
    batch.append({**with_payload(real["finalized"], billId="Q-9"), "deviceSeq": 9, "mutationId": "m-9"})
    batch[-1]["configVersion"] = 10**25
    batch.append({**copy.deepcopy(real["adjusted"]), "deviceSeq": 10, "mutationId": "m-10"})

    answer = tenant.device.post("/api/v1/sync/push", raw_push(batch))
    assert answer.status_code == 200, answer.text
    result = body(answer)
    statuses = {r["deviceSeq"]: r["status"] for r in result["results"]}
    assert statuses == {
        1: "applied", 2: "rejected", 3: "applied", 4: "rejected", 5: "rejected",
        6: "rejected", 7: "applied", 8: "rejected", 9: "rejected", 10: "applied",
    }
    assert result["lastAppliedSeq"] == 10
    errors = {r["deviceSeq"]: r["error"] for r in result["results"] if r["status"] == "rejected"}
    assert {seq: e["code"] for seq, e in errors.items()} == dict.fromkeys(errors, "INVALID_INPUT")
    assert "payload.points" in errors[2]["message"] and "exponent" in errors[2]["message"]
    assert "categoryId" in errors[4]["message"]
    assert "30 digits" in errors[5]["message"]
    assert "nested deeper" in errors[6]["message"]
    assert "control characters" in errors[8]["message"]
    assert "does not fit the database" in errors[9]["message"]

    # What was applied is exactly the good part: two adjustments of 500 and the bill's points.
    earned = real["finalized"]["payload"]["result"]["pointsEarned"]
    assert earned > 0
    card = body(tenant.admin.get(f"/api/v1/cards/by-number/{real['number']}"))
    assert card["pointsBalance"] == Decimal("1000.00") + earned

    flags = [f for f in body(tenant.admin.get("/api/v1/flags", params={"kind": "MUTATION_REJECTED"}))["content"]]
    assert sorted(f["details"]["deviceSeq"] for f in flags) == sorted(errors)
    by_seq = {f["details"]["deviceSeq"]: f for f in flags}
    assert by_seq[4]["details"]["payload"]["billId"] == "Q-huge" and by_seq[4]["billId"] == "Q-huge"
    assert by_seq[2]["details"]["code"] == "INVALID_INPUT"

    # The same push again: duplicates that remember what became of them; nothing written twice.
    again = body(tenant.device.post("/api/v1/sync/push", raw_push(batch)))
    assert {r["deviceSeq"]: r.get("originalStatus") for r in again["results"]} == statuses
    assert body(tenant.admin.get(f"/api/v1/cards/by-number/{real['number']}"))["pointsBalance"] == card["pointsBalance"]


def test_a_push_whose_envelope_is_malformed_is_refused_whole_with_the_field_named(tenant, till):
    real = real_mutations(till)
    batch = numbered([real["issued"]])
    text = raw_push(batch).replace('"deviceSeq":1', '"deviceSeq":1e0')
    answer = tenant.device.post("/api/v1/sync/push", text)
    assert answer.status_code == 400
    assert body(answer)["error"]["field"] == "mutations[0].deviceSeq"
