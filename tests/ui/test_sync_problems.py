"""The manager's view of sync problems: rejected changes kept here, flags from the central service."""

from pathlib import Path

from PySide6.QtCore import Qt

from central.store.tenants import add_device, create_tenant
from pos_loyalty.services import cards, central_link, status
from sync.daemon import Syncer
from sync.transport import CentralService
from ui.dialogs.sync_problems import SyncProblemsDialog


def test_rejections_and_flags_are_shown(qtbot, sqlite_central, tmp_path: Path):
    from pos_loyalty.services import open_replica

    server, store = sqlite_central
    tenant = create_tenant(store, "UI Sync Pharmacy", sample_config=True)
    first, second = open_replica(tmp_path / "one"), open_replica(tmp_path / "two")
    for replica, name in ((first, "Counter 1"), (second, "Counter 2")):
        central_link.remember(replica, server.base, add_device(store, tenant.tenant_id, name).token)
    cards.issue(first, name="Twice Issued", phone="9000000601", number="4006381333931")
    cards.issue(second, name="Twice Issued", phone="9000000601")  # same phone: flagged
    cards.issue(second, name="Other", phone="9000000602", number="4006381333931")  # same number: rejected
    for replica in (first, second):
        central = central_link.central(replica)
        Syncer(replica, CentralService(central.url, central.token)).round()
    assert status.status(second)["rejectedMutations"] == 1

    from ui.sync_status import SyncStatus

    bar = SyncStatus(second)
    qtbot.addWidget(bar)
    qtbot.waitUntil(lambda: bar.state.text().startswith("● Not up to date: 1 change rejected"), timeout=10_000)
    assert bar.rejected.isVisibleTo(bar) and "Ctrl+Y" in bar.rejected.text()

    dialog = SyncProblemsDialog(second)
    qtbot.addWidget(dialog)
    assert dialog.rejected.rowCount() == 1 and "DUPLICATE_CARD" in dialog.rejected.item(0, 3).text()
    qtbot.waitUntil(lambda: dialog.flags.rowCount() == 2, timeout=10_000)
    kinds = {dialog.flags.item(row, 0).text() for row in range(2)}
    assert kinds == {"Same customer twice", "Change refused"}  # in words; the codes in the tooltips
    assert {dialog.flags.item(row, 0).toolTip() for row in range(2)} == {"DUPLICATE_CUSTOMER", "MUTATION_REJECTED"}


def test_a_till_that_is_not_connected_says_so(qtbot, replica):
    dialog = SyncProblemsDialog(replica)
    qtbot.addWidget(dialog)
    assert dialog.rejected.rowCount() == 0 and "not connected" in dialog.flags_note.text()


def test_the_manager_sends_again_or_settles_a_rejected_change(qtbot, sqlite_central, tmp_path: Path):
    """The dialog says each rejected change in words; Send again queues it, Settle records a note
    and an adjustment; both leave the list and are kept with who did it."""
    from PySide6.QtCore import QTimer

    from pos_loyalty.services import open_replica
    from ui.dialogs.sync_problems import SettleDialog

    server, store = sqlite_central
    tenant = create_tenant(store, "UI Resolve Pharmacy", sample_config=True)
    first, second = open_replica(tmp_path / "one"), open_replica(tmp_path / "two")
    for replica, name in ((first, "Counter 1"), (second, "Counter 2")):
        central_link.remember(replica, server.base, add_device(store, tenant.tenant_id, name).token)
    cards.issue(first, name="First", phone="9000000611", number="4006381333931")
    cards.issue(second, name="Second", phone="9000000612", number="4006381333931")  # the same printed number
    for replica in (first, second):
        central = central_link.central(replica)
        Syncer(replica, CentralService(central.url, central.token)).round()
    assert status.status(second)["rejectedMutations"] == 1

    dialog = SyncProblemsDialog(second, operator="manager-1")
    qtbot.addWidget(dialog)
    assert dialog.rejected.item(0, 2).text() == "New card 4006381333931 for Second (9000000612)"
    assert "already been issued" in dialog.rejected.item(0, 3).text()

    qtbot.mouseClick(dialog.resend_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.rejected.rowCount() == 0, timeout=10_000)
    assert "queued again" in dialog.outcome.text()
    central = central_link.central(second)
    Syncer(second, CentralService(central.url, central.token)).round()  # still the same number: refused again
    dialog.refresh()
    assert dialog.rejected.rowCount() == 1

    def fill_and_settle() -> None:
        form = dialog.findChild(SettleDialog)
        qtbot.keyClicks(form.note, "card 4006381333931 belongs to First; Second gets a new card")
        form.accept()

    QTimer.singleShot(0, fill_and_settle)
    qtbot.mouseClick(dialog.settle_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.rejected.rowCount() == 0, timeout=10_000)
    assert "settled" in dialog.outcome.text()
    assert status.status(second)["rejectedMutations"] == 0
    with second.reading() as uow:
        kept = uow.connection.exec_driver_sql(
            "SELECT resolution, resolved_by, resolution_note FROM outbox WHERE resolution IS NOT NULL ORDER BY device_seq"
        ).all()
    assert [tuple(row) for row in kept] == [
        ("RESENT", "manager-1", "sent again from the counter"),
        ("SETTLED", "manager-1", "card 4006381333931 belongs to First; Second gets a new card"),
    ]


def test_a_till_restored_without_its_token_says_it_is_not_syncing(qtbot, replica):
    """A backup restored on a new PC has the service's address but no token (backups never
    hold it): the status bar must not say Online from the backup's last sync."""
    from pos_loyalty.replica import data_dir
    from pos_loyalty.services import replication
    from ui.sync_status import SyncStatus

    central_link.remember(replica, "http://central.invalid", "plt_token")
    replication.record_success(replica)  # the backup's last sync went well
    data_dir.forget_token(replica.path.parent)
    bar = SyncStatus(replica)
    qtbot.addWidget(bar)
    qtbot.waitUntil(lambda: bar.state.text().startswith("● Not syncing: no device token here"), timeout=10_000)
