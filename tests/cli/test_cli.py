"""The `pos-loyalty` command end to end, in a temporary data dir, as a till operator uses it."""

from __future__ import annotations

import json
import os
from decimal import Decimal

import pytest

from cli_runs import in_process, ok_json, run
from support import SEED_EXAMPLE

SEED_CONFIG = json.loads(SEED_EXAMPLE)


def test_a_day_at_the_till(tmp_path):
    till = tmp_path / "till"
    config_file = tmp_path / "pharmacy.json"
    config_file.write_text(json.dumps({**SEED_CONFIG, "tiers": [{"name": "Member", "minLifetimePoints": 0}]}))
    saved = ok_json(till, "config", "import", str(config_file))
    assert saved["changed"] and saved["version"] == 2  # version 1 is the new till's default

    referrer = ok_json(till, "card", "issue", "--name", "Bina Referrer", "--phone", "9000000001")
    customer = ok_json(
        till, "card", "issue", "--name", "Asha Customer", "--phone", "+91 90000 00002",
        "--email", "asha@example.com", "--referrer", referrer["cardNumber"],
    )
    assert customer["referrerCardNumber"] == referrer["cardNumber"] and customer["tier"] == "Member"
    assert ok_json(till, "card", "find", "--phone", "+919000000002")["cardNumber"] == customer["cardNumber"]

    adjusted = ok_json(till, "card", "adjust", customer["cardNumber"], "1000", "--reason", "opening balance")
    assert adjusted["pointsBalance"] == Decimal("1000.00")

    items = ["--item", "1:500.00", "--item", "2:500"]
    quote = ok_json(till, "bill", "quote", "--card", customer["cardNumber"], *items, "--redeem", "200")
    assert (quote["payable"], quote["pointsEarned"], quote["referrerPointsEarned"]) == (
        Decimal("955.00"), Decimal("19.34"), Decimal("4.77"),
    )
    assert "newBalance" not in quote

    final = ok_json(till, "bill", "finalize", "--card", customer["cardNumber"], *items, "--redeem", "200", "--bill-id", "B-100")
    assert (final["billId"], final["newBalance"]) == ("B-100", Decimal("819.34"))
    again = ok_json(till, "bill", "finalize", "--card", customer["cardNumber"], *items, "--redeem", "200", "--bill-id", "B-100")
    assert again == final

    history = ok_json(till, "card", "history", customer["cardNumber"])
    assert [row["transactionType"] for row in history] == ["EARNED", "EARNED", "REDEEMED", "ADJUSTED"]
    assert history[0]["performedBy"] == "test-cashier"
    assert ok_json(till, "card", "show", referrer["cardNumber"])["pointsBalance"] == Decimal("4.77")

    status = ok_json(till, "status")
    # config.changed, 2 x card.issued, card.adjusted, bill.finalized
    assert status["pendingMutations"] == 5 and status["configVersion"] == 2

    reversed_bill = ok_json(till, "bill", "reverse", "B-100")
    assert len(reversed_bill["rows"]) == 4
    assert ok_json(till, "card", "show", customer["cardNumber"])["pointsBalance"] == Decimal("1000.00")

    exported = ok_json(till, "config", "export")
    assert exported["version"] == 2 and exported["tiers"][0]["name"] == "Member"

    text = run(till, "bill", "quote", "--card", customer["cardNumber"], *items)
    assert text.returncode == 0 and "TO PAY" in text.stdout and "975.00" in text.stdout
    assert "Member discount" in text.stdout and "Category discount" not in text.stdout  # the app's word


def test_the_console_script_is_installed_and_reports_its_version(tmp_path):
    done = run(tmp_path, "--version")
    assert done.returncode == 0 and done.stdout.startswith("pos-loyalty ")


def test_a_user_error_exits_2_with_the_error_envelope_and_no_traceback(tmp_path):
    done = run(tmp_path / "till", "card", "show", "2999999999991", "--json")
    assert done.returncode == 2
    assert json.loads(done.stderr)["error"]["code"] == "CARD_NOT_FOUND"
    assert "Traceback" not in done.stderr and done.stdout == ""
    plain = run(tmp_path / "till", "card", "show", "2999999999991")
    assert plain.returncode == 2 and plain.stderr.startswith("pos-loyalty: No card 2999999999991")


@pytest.mark.parametrize(
    "args, code, field",
    [
        (["bill", "quote", "--item", "1:abc"], "INVALID_INPUT", "items[0].amount"),
        (["bill", "quote", "--item", "1:-5"], "INVALID_INPUT", "items[0].amount"),
        (["bill", "quote", "--item", "garbage"], "INVALID_INPUT", "item[0]"),
        (["bill", "quote", "--item", "1:100", "--item", "x:5"], "INVALID_INPUT", "item[1]"),
        (["bill", "quote", "--item", "77:100"], "INVALID_INPUT", "items[0].categoryId"),
        (["bill", "quote", "--item", "1:100", "--flat-discount", "100.01"], "INVALID_INPUT", "flatDiscount"),
        (["bill", "quote"], "INVALID_INPUT", "item"),
        (["bill", "quote", "--item", "1:100", "--redeem", "100"], "INVALID_INPUT", "redeemPoints"),
        (["bill", "quote", "--card", "2900001000018", "--item", "1:100"], "INVALID_INPUT", "cardNumber"),
        (["bill", "reverse", "NO-SUCH-BILL"], "BILL_NOT_FOUND", None),
        (["card", "issue", "--name", "X"], "INVALID_INPUT", "arguments"),
        (["card", "issue", "--name", "X", "--phone", "call me"], "INVALID_INPUT", "customerPhone"),
        (["card", "adjust", "2999999999991", "ten", "--reason", "x"], "INVALID_INPUT", "points"),
        (["no-such-command"], "INVALID_INPUT", "arguments"),
    ],
)
def test_bad_input_from_the_command_line(capsys, tmp_path, args, code, field):
    status, out, err = in_process(capsys, tmp_path / "till", *args, "--json")
    assert status == 2 and out == ""
    error = json.loads(err)["error"]
    assert error["code"] == code and error["message"]
    if field:
        assert error["field"] == field


def test_a_config_file_that_is_not_json_or_has_a_bad_field_changes_nothing(capsys, tmp_path):
    till = tmp_path / "till"
    broken = tmp_path / "broken.json"
    broken.write_text('{"isEnabled": true,')
    status, _, err = in_process(capsys, till, "config", "import", str(broken), "--json")
    assert status == 2 and "not valid JSON" in json.loads(err)["error"]["message"]

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**SEED_CONFIG, "maxRedemptionPercent": 150}))
    status, _, err = in_process(capsys, till, "config", "import", str(bad), "--json")
    assert status == 2 and json.loads(err)["error"]["field"] == "maxRedemptionPercent"

    status, _, err = in_process(capsys, till, "config", "import", str(tmp_path / "missing.json"))
    assert status == 2 and "Cannot read" in err

    status, out, _ = in_process(capsys, till, "status", "--json")
    assert json.loads(out)["configVersion"] == 1 and json.loads(out)["pendingMutations"] == 0


def test_config_from_standard_input(capsys, tmp_path, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({**SEED_CONFIG, "minPointsToRedeem": 50})))
    status, out, _ = in_process(capsys, tmp_path / "till", "config", "import", "-", "--json")
    assert status == 0 and json.loads(out)["changedFields"] == ["minPointsToRedeem"]


def test_card_barcode_files(capsys, tmp_path):
    till = tmp_path / "till"
    status, out, _ = in_process(capsys, till, "card", "issue", "--name", "Bar Code", "--phone", "9000000700", "--json")
    number = json.loads(out)["cardNumber"]
    for suffix, magic in ((".svg", b"<?xml"), (".png", b"\x89PNG")):
        target = tmp_path / f"card{suffix}"
        status, out, _ = in_process(capsys, till, "card", "barcode", number, "--out", str(target), "--json")
        assert status == 0 and json.loads(out)["symbology"] == "EAN-13"
        assert target.read_bytes().startswith(magic)
    status, _, err = in_process(capsys, till, "card", "barcode", number, "--out", str(tmp_path / "x.gif"))
    assert status == 2 and ".svg or .png" in err


def test_an_unwritable_data_dir_is_a_message_not_a_traceback(tmp_path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    done = run(blocker / "till", "status")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stderr.startswith("pos-loyalty: ")


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files through /proc")
def test_a_command_that_fails_closes_the_replica_it_opened(capsys, tmp_path):
    """main() run again and again in one process (a script, the fuzz test) must not pile up
    open replica files: a user error closed nothing until the garbage collector came by."""
    in_process(capsys, tmp_path / "till", "status")
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        status, _, _ = in_process(capsys, tmp_path / "till", "card", "show", "2999999999991")
        assert status == 2
    assert len(os.listdir("/proc/self/fd")) <= before


def test_a_line_priced_per_unit_says_its_quantity_and_unit_price_in_quote_finalize_and_show(tmp_path):
    till = tmp_path / "till"

    def under_medicines(*args: str) -> str:
        done = run(till, *args)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        at = next(i for i, line in enumerate(lines) if line.strip().startswith("Medicines"))
        assert not any(" x " in line for line in lines[at + 2:] if "Reward" not in line)  # 80.00 was an amount
        return lines[at + 1].strip()

    items = ("--item", "1:1.5x33.33", "--item", "2:80")
    assert under_medicines("bill", "quote", *items) == "1.5 x 33.33"
    assert under_medicines("bill", "finalize", *items) == "1.5 x 33.33"
    assert under_medicines("bill", "show", "T1-000001") == "1.5 x 33.33"
    assert ok_json(till, "bill", "show", "T1-000001")["items"][0]["quantity"] == Decimal("1.5")
