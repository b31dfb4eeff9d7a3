"""What a newcomer tripped on, through the `pos-loyalty` command and a real central service:
a quantity-line bill syncs and both sides agree; a change the service rejects is never
"up to date", is named in words, and a manager resolves it (resend or settle), recorded."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

from central_harness import Client, body
from cli_runs import connect_new_pharmacy, ok_json, run
from pos_loyalty import jsonio
from pos_loyalty.replica.db import FILE_NAME


def test_the_newcomers_quantity_line_bill_syncs_and_both_sides_agree(sqlite_central, tmp_path):
    data = tmp_path / "till"
    tenant, _device = connect_new_pharmacy(sqlite_central, data, "Quantity Line Pharmacy")
    card = ok_json(data, "card", "issue", "--name", "Asha", "--phone", "9000000701")["cardNumber"]
    ok_json(data, "card", "adjust", card, "700", "--reason", "opening balance")
    sold = ok_json(data, "bill", "finalize", "--card", card, "--item", "3:2x250", "--item", "1:99.99", "--redeem", "100")
    assert sold["billAmount"] == Decimal("599.99")

    synced = ok_json(data, "sync", "--once")
    assert synced["pushed"] == {"applied": 3, "duplicate": 0, "rejected": 0}
    admin = Client(sqlite_central[0].base, tenant.admin_token)
    on_server = body(admin.get(f"/api/v1/cards/by-number/{card}"))
    at_till = ok_json(data, "card", "show", card)
    for figure in ("pointsBalance", "totalPointsEarned", "totalPointsRedeemed"):
        assert on_server[figure] == at_till[figure], figure
    assert on_server["pointsBalance"] == sold["newBalance"]
    assert body(admin.get("/api/v1/flags"))["content"] == []


def break_pending_bill(data, bill_id: str) -> None:
    """What a till of an earlier version wrote: a quantity line whose amount does not agree."""
    with sqlite3.connect(data / FILE_NAME) as connection:
        (seq, payload), = connection.execute(
            "SELECT device_seq, payload FROM outbox WHERE kind = 'bill.finalized' AND status = 'PENDING'"
        ).fetchall()
        doc = jsonio.loads(payload)
        assert doc["billId"] == bill_id
        doc["items"][0]["amount"] = Decimal(doc["items"][0]["amount"]) + 1
        connection.execute("UPDATE outbox SET payload = ? WHERE device_seq = ?", (jsonio.dumps(doc), seq))


def test_a_rejected_change_is_never_up_to_date_until_a_manager_resolves_it(sqlite_central, tmp_path):
    data = tmp_path / "till"
    tenant, _device = connect_new_pharmacy(sqlite_central, data, "Rejected Change Pharmacy")
    admin = Client(sqlite_central[0].base, tenant.admin_token)
    card = ok_json(data, "card", "issue", "--name", "Bina", "--phone", "9000000702")["cardNumber"]
    ok_json(data, "bill", "finalize", "--card", card, "--item", "3:2x250", "--bill-id", "T1-7")
    break_pending_bill(data, "T1-7")

    refused = run(data, "sync", "--once")
    assert refused.returncode == 2
    assert "NOT up to date" in refused.stderr and "#2 Bill T1-000001" in refused.stderr  # its number here, not its id
    assert "Up to date" not in refused.stdout + refused.stderr
    as_json = run(data, "sync", "--once", "--json")
    error = json.loads(as_json.stderr)["error"]
    assert error["code"] == "MUTATIONS_REJECTED" and error["rejected"][0]["deviceSeq"] == 2
    status = run(data, "status")
    assert "NOT up to date" in status.stdout and "Bill T1-000001, card" in status.stdout
    flags = body(admin.get("/api/v1/flags", params={"kind": "MUTATION_REJECTED"}))["content"]
    assert [f["billId"] for f in flags] == ["T1-7"] and flags[0]["details"]["code"] == "INVALID_INPUT"
    assert body(admin.get(f"/api/v1/cards/by-number/{card}"))["pointsBalance"] == 0

    # Resending what is still wrong is rejected again: the service is not fooled, nothing is lost.
    resent = ok_json(data, "rejected", "resend", "2", "--note", "try again")
    assert resent["resentAs"] == 3
    assert run(data, "sync", "--once").returncode == 2
    listed = ok_json(data, "rejected")["rejected"]
    assert [r["deviceSeq"] for r in listed] == [3]

    # Settled with an adjustment: the customer gets the points the receipt promised.
    shown = ok_json(data, "bill", "list")
    promised = next(b for b in shown if b["billId"] == "T1-7")["pointsEarned"]
    settled = ok_json(data, "rejected", "settle", "3", "--note", "points given by hand", "--adjust", f" {promised} ")  # spaces as typed
    assert settled["resolution"] == "SETTLED"
    again = run(data, "rejected", "settle", "3", "--note", "twice")
    assert again.returncode == 2 and "already dealt with" in again.stderr
    synced = ok_json(data, "sync", "--once")
    assert synced["pushed"]["applied"] == 1
    assert ok_json(data, "status")["rejectedMutations"] == 0
    assert body(admin.get(f"/api/v1/cards/by-number/{card}"))["pointsBalance"] == promised
    assert ok_json(data, "card", "show", card)["pointsBalance"] == promised
    with sqlite3.connect(data / FILE_NAME) as connection:
        recorded = connection.execute(
            "SELECT device_seq, status, resolution, resolution_note, resolved_by, resent_as FROM outbox"
            " WHERE resolution IS NOT NULL ORDER BY device_seq"
        ).fetchall()
    assert recorded == [
        (2, "RESOLVED", "RESENT", "try again", "test-cashier", 3),
        (3, "RESOLVED", "SETTLED", "points given by hand", "test-cashier", None),
    ]


def test_resending_a_change_puts_its_points_back_on_the_till_until_the_service_has_it(sqlite_central, tmp_path):
    """A bill rejected and then accepted once sent right: none of its points lost or doubled."""
    data = tmp_path / "till"
    tenant, _device = connect_new_pharmacy(sqlite_central, data, "Resend Pharmacy")
    admin = Client(sqlite_central[0].base, tenant.admin_token)
    card = ok_json(data, "card", "issue", "--name", "Chitra", "--phone", "9000000703")["cardNumber"]
    sold = ok_json(data, "bill", "finalize", "--card", card, "--item", "2:1000", "--bill-id", "T1-8")
    with sqlite3.connect(data / FILE_NAME) as connection:
        (seq, good), = connection.execute("SELECT device_seq, payload FROM outbox WHERE kind = 'bill.finalized'")
        connection.execute(  # a till of an earlier version wrote the bill's id with a newline
            "UPDATE outbox SET payload = ? WHERE device_seq = ?", (good.replace('"T1-8"', '"T1-8\\n"', 1), seq)
        )
    assert run(data, "sync", "--once").returncode == 2
    assert ok_json(data, "card", "show", card)["pointsBalance"] == 0  # the service has none of it
    with sqlite3.connect(data / FILE_NAME) as connection:  # the upgraded till's own words
        connection.execute("UPDATE outbox SET payload = ? WHERE device_seq = ?", (good, seq))
    ok_json(data, "rejected", "resend", str(seq))
    assert ok_json(data, "card", "show", card)["pointsBalance"] == sold["pointsEarned"]  # read your writes
    ok_json(data, "sync", "--once")
    assert body(admin.get(f"/api/v1/cards/by-number/{card}"))["pointsBalance"] == sold["pointsEarned"]
    assert ok_json(data, "card", "show", card)["pointsBalance"] == sold["pointsEarned"]
