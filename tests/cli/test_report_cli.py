"""`pos-loyalty report day`: the end-of-day report as a table, a JSON document, an A4 PDF, and
(--print) on the till's receipt printer, a real one on 127.0.0.1 that keeps what it is sent."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import timedelta
from decimal import Decimal

from cli import render
from cli_runs import SCRIPT, in_process
from day_reports import assert_every_figure_printed, busy_day, printed_figures
from escpos_bytes import decode
from pos_loyalty.services import day_report
from receipt_printers import closed_port


def test_the_json_is_the_report_of_today_per_cashier(capsys, replica, data_dir):
    busy_day(replica)
    code, out, err = in_process(capsys, data_dir, "report", "day", "--json")
    assert code == 0, err
    doc = json.loads(out, parse_float=Decimal)
    expected = day_report.report(replica).to_json()
    assert doc["date"] == expected["date"] == day_report.today(replica).isoformat()
    assert doc["timeZone"] == "UTC" and doc["complete"] is False
    assert [c["cashier"] for c in doc["cashiers"]] == ["asha", "manager", "ravi"]
    assert doc["total"] == expected["total"]  # Decimals with their two places, counts as ints
    ravi = doc["cashiers"][2]
    assert ravi["bills"] == 3 and ravi["returns"] == 1 and ravi["cashBack"] == Decimal("240.00")
    assert doc["cashiers"][1]["billsReversed"] == 1 and doc["cashiers"][1]["adjustments"] == 1


def test_without_json_it_is_a_table_with_a_column_per_cashier(capsys, replica, data_dir):
    busy_day(replica)
    code, out, _err = in_process(capsys, data_dir, "report", "day")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("End of day report, Pharmacy: ") and "(UTC)" in lines[0]
    header = next(line for line in lines if "All cashiers" in line)
    assert header.split() == ["asha", "manager", "ravi", "All", "cashiers"]
    paid = next(line for line in lines if line.strip().startswith("Money paid "))
    report = day_report.report(replica)
    money_paid = next(f for f in day_report.FIELDS if f.key == "payable")
    written = [render.figure(f.value(money_paid)) for f in (*(c.figures for c in report.cashiers), report.total)]
    assert paid.split()[2:] == written


def test_another_day_and_a_bad_one(capsys, replica, data_dir):
    busy_day(replica)
    yesterday = (day_report.today(replica) - timedelta(days=1)).isoformat()
    code, out, _err = in_process(capsys, data_dir, "report", "day", "--date", yesterday, "--json")
    assert code == 0 and json.loads(out)["cashiers"] == []
    code, out, _err = in_process(capsys, data_dir, "report", "day", "--date", yesterday)
    assert code == 0 and "Nothing was recorded at this till on that day." in out
    for bad in ("2025-13-01", "14-03-2025", "tomorrow"):
        code, _out, err = in_process(capsys, data_dir, "report", "day", "--date", bad, "--json")
        assert code == 2
        error = json.loads(err)["error"]
        assert error["code"] == "INVALID_INPUT" and error["field"] == "date" and "YYYY-MM-DD" in error["message"]
    code, _out, err = in_process(capsys, data_dir, "report", "day", "--date", "2025-02-30")
    assert code == 2 and err.startswith("pos-loyalty: date must be a day written YYYY-MM-DD")
    later = (day_report.today(replica) + timedelta(days=1)).isoformat()
    code, _out, err = in_process(capsys, data_dir, "report", "day", "--date", later)
    assert code == 2 and "after today" in err
    code, _out, err = in_process(capsys, data_dir, "report", "day", "--out", "day.txt", "--json")
    assert code == 2 and json.loads(err)["error"]["field"] == "out"


def test_out_writes_the_pdf_where_the_command_was_started(replica, data_dir, tmp_path):
    busy_day(replica)
    folder = tmp_path / "here"
    folder.mkdir()
    done = subprocess.run(
        [str(SCRIPT), "--data-dir", str(data_dir), "report", "day", "--out", "reports/today.pdf", "--json"],
        capture_output=True, text=True, cwd=folder, timeout=120,
        env={k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM", "WAYLAND_DISPLAY")},
    )
    assert done.returncode == 0, done.stderr
    written = folder / "reports" / "today.pdf"
    assert json.loads(done.stdout)["file"] == "reports/today.pdf"
    assert written.read_bytes().startswith(b"%PDF-") and written.stat().st_size > 5000
    assert done.stderr == ""


def test_print_sends_the_report_to_the_receipt_printer(capsys, replica, data_dir, tcp_printer):
    busy_day(replica)
    code, _out, err = in_process(capsys, data_dir, "report", "day", "--print")
    assert code == 2 and "This till has no receipt printer set up: pos-loyalty devices setup-printer" in err
    assert tcp_printer.jobs == []  # nothing was sent anywhere

    code, _out, err = in_process(capsys, data_dir, "devices", "setup-printer", "--network", tcp_printer.address,
                                 "--width", "32", "--no-check")
    assert code == 0, err
    code, out, err = in_process(capsys, data_dir, "report", "day", "--print")
    assert code == 0, err
    assert out.startswith("End of day report, Pharmacy: ")  # the table on the terminal, as without --print
    assert out.rstrip().endswith(f"on the receipt printer at {tcp_printer.address}.")
    printed = decode(tcp_printer.wait_for_jobs(1)[0])
    assert all(len(line) <= 32 for line in printed.lines) and printed.cuts == [0]
    assert_every_figure_printed(printed_figures(printed.lines), day_report.report(replica))

    yesterday = (day_report.today(replica) - timedelta(days=1)).isoformat()
    code, out, err = in_process(capsys, data_dir, "report", "day", "--date", yesterday, "--print", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["printed"] is True and doc["printer"]["address"] == tcp_printer.address and doc["cashiers"] == []
    assert "Nothing was recorded at this till on that day." in " ".join(decode(tcp_printer.wait_for_jobs(2)[1]).lines)


def test_a_printer_that_cannot_print_exits_1_and_says_why(capsys, replica, data_dir):
    nobody = f"127.0.0.1:{closed_port()}"
    code, _out, err = in_process(capsys, data_dir, "devices", "setup-printer", "--network", nobody, "--no-check")
    assert code == 0, err
    code, _out, err = in_process(capsys, data_dir, "report", "day", "--print")
    assert code == 1 and f"The receipt printer at {nobody} is not reachable (connection refused)" in err
    assert "Traceback" not in err
