"""What a till says of itself on every push and pull (issue 17): `User-Agent:
pos-loyalty/VERSION` and `X-Pending-Mutations`, kept on its device row for the tills page.

A real till (its own replica and the sync daemon's `Syncer`) against a real central
service, through the fault proxy.
"""

from __future__ import annotations

from sqlalchemy import select

from central.store.models import Device
from pos_loyalty import __version__
from tills import Cashier


def reported(pharmacy, till) -> tuple[str | None, int | None]:  # noqa: ANN001
    return pharmacy.store.run(
        lambda unit: unit.connection.execute(
            select(Device.app_version, Device.pending_mutations).where(Device.id == till.device_id)
        ).one(),
        write=False,
    )


def test_every_push_and_pull_says_the_version_and_what_waits(pharmacy, proxy):
    till = pharmacy.open_till("counter-7")
    assert tuple(reported(pharmacy, till)) == (None, None)
    till.connect(proxy.url)  # a pull: nothing queued yet
    assert tuple(reported(pharmacy, till)) == (__version__, 0)

    cashier = Cashier(till)
    number = cashier.issue(opening="500")
    for _ in range(4):
        cashier.sell(number, "300.00")
    assert till.pending() == 6

    proxy.drop_replies(1)  # the push is applied, its answer lost: the till still counts 6
    outcomes = till.sync_until_drained()
    assert any(not hasattr(outcome, "pushed") for outcome in outcomes)
    assert till.pending() == 0
    assert tuple(reported(pharmacy, till)) == (__version__, 0)
    assert proxy.count("/api/v1/sync/push") >= 2  # sent again, answered as duplicates


def test_a_push_records_what_is_left_after_it(pharmacy, proxy):
    till = pharmacy.open_till("counter-8")
    till.connect(proxy.url)
    cashier = Cashier(till)
    number = cashier.issue()
    for _ in range(5):
        cashier.sell(number, "120.00")
    syncer = till.daemon(push_batch=4)
    assert syncer.pending_count() == 6

    def offline_after_push(seen) -> None:  # noqa: ANN001
        if seen.path.startswith("/api/v1/sync/push"):
            proxy.offline = True

    proxy.on_answered = offline_after_push
    try:
        syncer.round()
    except Exception:  # noqa: BLE001  (the network went after the first push)
        pass
    assert syncer.pending_count() == 2
    assert tuple(reported(pharmacy, till)) == (__version__, 2)
