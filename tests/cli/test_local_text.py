"""The command's text for people is in the pharmacy's locale and time zone (en_IN: 1,23,456.00;
times with their zone); `--json` stays plain decimals and UTC ISO-8601."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from cli_runs import in_process


def kolkata_till(capsys, tmp_path):  # type: ignore[no-untyped-def]
    till = tmp_path / "till"
    part = tmp_path / "zone.json"
    part.write_text(json.dumps({"timeZone": "Asia/Kolkata"}))
    status, _out, err = in_process(capsys, till, "config", "import", str(part))
    assert status == 0, err
    return till


def test_a_bills_text_is_in_lakhs_and_ist_and_its_json_plain_and_utc(capsys, tmp_path):
    till = kolkata_till(capsys, tmp_path)
    status, out, err = in_process(capsys, till, "card", "issue", "--name", "अनन्या शर्मा", "--phone", "9000000888")
    assert status == 0, err
    assert "Customer   अनन्या शर्मा" in out
    assert re.search(r"Issued +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d IST", out), out
    number = re.search(r"Card (\d+)", out)[1]

    status, out, err = in_process(capsys, till, "bill", "finalize", "--card", number, "--item", "1:123456.00", "--json")
    assert status == 0, err
    doc = json.loads(out, parse_float=Decimal)
    assert doc["billAmount"] == Decimal("123456.00")
    assert '"billAmount": 123456.00' in out  # JSON: no grouping, ever
    assert doc["finalizedAt"].endswith("Z")

    status, out, err = in_process(capsys, till, "bill", "list")
    assert status == 0, err
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d IST +T1-000001 .* \d,\d\d,\d{3}\.\d\d  ", out, re.M), out

    status, out, err = in_process(capsys, till, "bill", "quote", "--item", "1:123456.00")
    assert status == 0, err
    assert re.search(r"^  Bill amount +1,23,456\.00$", out, re.M), out

    status, out, err = in_process(capsys, till, "card", "history", number)
    assert status == 0, err
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d IST ", out.splitlines()[1]), out


def test_a_till_in_utc_says_utc(capsys, tmp_path):
    status, out, err = in_process(capsys, tmp_path / "till", "card", "issue", "--name", "Asha", "--phone", "9000000889")
    assert status == 0, err
    assert re.search(r"Issued +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", out), out
