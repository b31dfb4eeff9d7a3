"""The tills page (issue 17): what each till still has to send, and its app's version, as the
till itself says on every push and pull (`User-Agent`, `X-Pending-Mutations`).

A real till (its replica, the sync daemon's `Syncer` and transport) syncs with the real
central service on 127.0.0.1 through the fault proxy of the sync tests, which cuts the
network after the first push of a batch, so part of the till's queue stays behind.
"""

from __future__ import annotations

import re
import sys
from html import unescape
from pathlib import Path

import pytest
import requests

from central.store.tenants import add_device
from central_harness import till_batch
from pos_loyalty import __version__, jsonio
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import bills, cards, central_link, open_replica
from support import make_bill
from sync.daemon import Syncer, SyncFailed
from sync.transport import CentralService

sys.path.insert(0, str(Path(__file__).parents[2] / "sync"))
from faultproxy import FaultProxy  # noqa: E402


def cells(page: str, till: str) -> list[str]:
    """The tills page's row of one till, cell by cell as a person reads it."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        texts = [" ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if texts and texts[0] == till:
            return texts
    raise AssertionError(f"no row for {till}")


def heading(page: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'<th scope="col">(.*?)</th>', page)]


@pytest.fixture
def till(pharmacy, tmp_path):
    """A till named Front counter, connected through a fault proxy; (replica, syncer, proxy)."""
    made = add_device(pharmacy.access.store, pharmacy.access.tenant_id, "Front counter")
    proxy = FaultProxy(pharmacy.access.server.port).start()
    replica = open_replica(tmp_path / "till")
    central_link.remember(replica, proxy.url, made.token)
    syncer = Syncer(Replica.open(tmp_path / "till"), CentralService(proxy.url, made.token), push_batch=2)
    syncer.round()
    yield replica, syncer, proxy, made.token
    syncer.central.close()
    syncer.replica.close()
    replica.close()
    proxy.stop()


def test_the_tills_page_shows_what_a_till_still_has_to_send_and_its_version(pharmacy, till):
    replica, syncer, proxy, _token = till
    page = pharmacy.console.get("/console/tills").text
    columns = heading(page)
    assert "Pending" in columns and "Version" in columns
    row = dict(zip(columns, cells(page, "Front counter")))
    assert row["Pending"] == "0" and row["Version"] == __version__
    never = dict(zip(columns, cells(page, "Counter 1")))  # the pharmacy's other till never synced
    assert never["Pending"] == "—" and never["Version"] == "—"

    number = cards.issue(replica, name="Meena Iyer", phone="9123400001").card_number
    for n in range(6):  # offline at the counter: 7 changes queued
        bills.finalize(replica, number, make_bill((2, "250.00")), bill_id=f"TILLS-{n}")
    assert syncer.pending_count() == 7

    def cut_after_push(seen) -> None:  # noqa: ANN001
        if seen.path.startswith("/api/v1/sync/push"):
            proxy.offline = True

    proxy.on_answered = cut_after_push
    with pytest.raises(SyncFailed):
        syncer.round()  # the first push of 2 went through; then the network went
    assert syncer.pending_count() == 5
    row = dict(zip(columns, cells(pharmacy.console.get("/console/tills").text, "Front counter")))
    assert row["Pending"] == "5" and row["Version"] == __version__ and row["Changes applied"] != "0"

    export = pharmacy.console.get("/console/exports/devices.csv").text.splitlines()
    names = export[0].split(",")
    assert "pending_mutations" in names and "app_version" in names
    front = next(line.split(",") for line in export[1:] if "Front counter" in line)
    assert front[names.index("pending_mutations")] == "5" and front[names.index("app_version")] == __version__

    proxy.heal()
    syncer.round()
    row = dict(zip(columns, cells(pharmacy.console.get("/console/tills").text, "Front counter")))
    assert row["Pending"] == "0" and syncer.pending_count() == 0


BAD = [
    {"X-Pending-Mutations": "abc"},
    {"X-Pending-Mutations": "-3"},
    {"X-Pending-Mutations": "1e3"},
    {"X-Pending-Mutations": "99999999999999999999999"},
    {"X-Pending-Mutations": "3000000000"},
    {"X-Pending-Mutations": "٣"},  # an Arabic-Indic three: a digit, not one a till sends
    {"User-Agent": "pos-loyalty/" + "1" * 300},
    {"User-Agent": "pos-loyalty/<script>"},
    {"User-Agent": "curl/8.0"},
]


def test_bad_header_values_are_ignored_and_the_sync_goes_on(pharmacy, till):
    replica, syncer, _proxy, token = till
    base = pharmacy.access.server.base
    number = cards.issue(replica, name="Ravi Menon", phone="9123400002").card_number
    bills.finalize(replica, number, make_bill((2, "120.00")), bill_id="TILLS-BAD")
    pushed = jsonio.dumps({"mutations": till_batch(replica, 1)["mutations"]})
    for headers in BAD:
        sent = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        sent.update({name: value.encode() for name, value in headers.items()})  # as bytes, whatever they hold
        pull = requests.get(base + "/api/v1/sync/pull", params={"cursor": "0", "limit": 10}, headers=sent, timeout=30)
        assert pull.status_code == 200, (headers, pull.text)
        push = requests.post(base + "/api/v1/sync/push", data=pushed, headers=sent, timeout=30)
        assert push.status_code == 200, (headers, push.text)
        assert {r["status"] for r in push.json()["results"]} <= {"applied", "duplicate"}
    row = dict(zip(heading(pharmacy.console.get("/console/tills").text), cells(pharmacy.console.page, "Front counter")))
    assert row["Pending"] == "0" and row["Version"] == __version__  # what the till last said, kept
