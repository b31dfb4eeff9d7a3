"""`pos-loyalty card import|export` and `central import-cards|export-cards`, as a shell runs them."""

from __future__ import annotations

import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path

from cli_runs import SCRIPT, ok_json, run
from pos_loyalty import card_csv, cardnumber


def number(serial: int) -> str:
    body = f"40{serial:010d}"
    return body + cardnumber.check_digit(body)


GOOD = (
    "\ufeffcardNumber;customerName;customerPhone;customerEmail;customerId;points;referrerCardNumber\r\n"
    f"{number(1)};Asha Customer;+91 98765 43210;asha@example.com;C-1001;1250.50;{number(2)}\r\n"
    f"{number(2)};Bina Referrer;098765-43211;;;;\r\n"
)


def in_folder(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """The command started in `folder`, as a manager runs it there."""
    return subprocess.run(
        [str(SCRIPT), *args], cwd=folder, capture_output=True, text=True, timeout=300,
        env={**os.environ, "POS_LOYALTY_HOME": str(folder / "till"), "POS_LOYALTY_OPERATOR": "manager"},
    )  # fmt: skip


def test_a_file_named_relative_to_the_folder_imports_and_exports(tmp_path):
    (tmp_path / "cards.csv").write_text(GOOD, encoding="utf-8")
    done = in_folder(tmp_path, "card", "import", "cards.csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Imported 2 cards: 1 with an opening balance, 1,250.50 points in all."
    assert done.stderr == ""  # a short file says nothing of its progress

    shown = in_folder(tmp_path, "card", "show", number(1), "--json")
    assert json.loads(shown.stdout, parse_float=Decimal)["pointsBalance"] == Decimal("1250.50")

    written = in_folder(tmp_path, "card", "export", "--out", "export.csv")
    assert written.returncode == 0 and written.stdout.strip() == "Wrote 2 cards to export.csv."
    lines = (tmp_path / "export.csv").read_text(encoding="utf-8").splitlines()
    assert lines == [
        ",".join(card_csv.COLUMNS),
        f"{number(2)},Bina Referrer,09876543211,,,0.00,",
        f"{number(1)},Asha Customer,+919876543210,asha@example.com,C-1001,1250.50,{number(2)}",
    ]
    printed = in_folder(tmp_path, "card", "export")
    assert printed.stdout.splitlines() == lines


def test_bad_input_exits_2_saying_what_and_where(tmp_path):
    till = tmp_path / "till"
    missing = run(till, "card", "import", str(tmp_path / "missing.csv"))
    assert missing.returncode == 2 and "Cannot read" in missing.stderr and "No such file or directory" in missing.stderr

    header = tmp_path / "header.csv"
    header.write_text("name,phone\nAsha,9876543210\n")
    wrong = run(till, "card", "import", str(header))
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert "line 1: name: 'name' is not a column of cards" in wrong.stderr
    assert "line 1: customerPhone: the header has no customerPhone column (it is required)" in wrong.stderr

    rows = tmp_path / "rows.csv"
    rows.write_text(GOOD + f"{number(3)};Chitra;12;;;-5;\r\n", encoding="utf-8")
    refused = run(till, "card", "import", str(rows), "--json")
    assert refused.returncode == 2
    error = json.loads(refused.stderr)["error"]
    assert error["code"] == "INVALID_INPUT" and error["problemCount"] == 2
    assert [(p["line"], p["field"]) for p in error["problems"]] == [(4, "customerPhone"), (4, "points")]
    assert ok_json(till, "status")["pendingMutations"] == 0  # nothing of the file was imported

    as_json = run(till, "card", "export", "--json")
    assert as_json.returncode == 2 and "--json needs --out" in as_json.stderr


def test_a_long_file_reports_progress_on_stderr(tmp_path):
    count = card_csv.PROGRESS_EVERY
    lines = ["customerName,customerPhone,points"] + [f"Customer {i},{9_000_000_000 + i},1" for i in range(count)]
    (tmp_path / "long.csv").write_text("\n".join(lines) + "\n")
    done = in_folder(tmp_path, "card", "import", "long.csv")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"pos-loyalty: read {count:,} rows",
        f"pos-loyalty: checking {count:,} cards against this till's",
        f"pos-loyalty: writing {count:,} cards",
        f"pos-loyalty: imported {count:,} cards",
    ]
    assert done.stdout.startswith(f"Imported {count:,} cards")


def test_central_import_cards_and_export_cards_work_on_the_database(tmp_path):
    (tmp_path / "cards.csv").write_text(GOOD, encoding="utf-8")
    db = "central.sqlite3"
    made = json.loads(in_folder(tmp_path, "central", "create-tenant", "--db", db, "--name", "Asha Pharmacy", "--json").stdout)
    tenant = str(made["tenantId"])
    done = in_folder(tmp_path, "central", "import-cards", "--db", db, "--tenant", tenant, "cards.csv", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout, parse_float=Decimal) | {"database": None} == {
        "tenantId": int(tenant), "imported": 2, "openingBalances": 1, "openingPoints": Decimal("1250.50"),
        "numbersGiven": 0, "database": None,
    }  # fmt: skip
    again = in_folder(tmp_path, "central", "import-cards", "--db", db, "--tenant", tenant, "cards.csv")
    assert again.returncode == 2 and f"line 2: cardNumber: card {number(1)} has already been issued" in again.stderr

    exported = in_folder(tmp_path, "central", "export-cards", "--db", db, "--tenant", tenant, "--out", "out.csv")
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "out.csv").read_text().splitlines()[2] == (
        f"{number(1)},Asha Customer,+919876543210,asha@example.com,C-1001,1250.50,{number(2)}"
    )
    nobody = in_folder(tmp_path, "central", "export-cards", "--db", db, "--tenant", "99")
    assert nobody.returncode == 2 and "No tenant 99" in nobody.stderr
