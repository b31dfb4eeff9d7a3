"""The manager's view of sync problems: rejected changes kept here, flags from the central service."""

from pathlib import Path

from central.store.tenants import add_device, create_tenant
from pos_loyalty.services import cards, replication, status
from sync.daemon import Syncer
from sync.transport import CentralService
from ui.dialogs.sync_problems import SyncProblemsDialog


def test_rejections_and_flags_are_shown(qtbot, sqlite_central, tmp_path: Path):
    from pos_loyalty.services import open_replica

    server, store = sqlite_central
    tenant = create_tenant(store, "UI Sync Pharmacy", sample_config=True)
    first, second = open_replica(tmp_path / "one"), open_replica(tmp_path / "two")
    for replica, name in ((first, "Counter 1"), (second, "Counter 2")):
        replication.remember_central(replica, server.base, add_device(store, tenant.tenant_id, name).token)
    cards.issue(first, name="Twice Issued", phone="9000000601", number="4006381333931")
    cards.issue(second, name="Twice Issued", phone="9000000601")  # same phone: flagged
    cards.issue(second, name="Other", phone="9000000602", number="4006381333931")  # same number: rejected
    for replica in (first, second):
        central = replication.central(replica)
        Syncer(replica, CentralService(central.url, central.token)).round()
    assert status.status(second)["rejectedMutations"] == 1

    dialog = SyncProblemsDialog(second)
    qtbot.addWidget(dialog)
    assert dialog.rejected.rowCount() == 1 and "DUPLICATE_CARD" in dialog.rejected.item(0, 3).text()
    qtbot.waitUntil(lambda: dialog.flags.rowCount() == 1, timeout=10_000)
    assert dialog.flags.item(0, 0).text() == "DUPLICATE_CUSTOMER"


def test_a_till_that_is_not_connected_says_so(qtbot, replica):
    dialog = SyncProblemsDialog(replica)
    qtbot.addWidget(dialog)
    assert dialog.rejected.rowCount() == 0 and "not connected" in dialog.flags_note.text()
