"""`pos-loyalty connect` and `pos-loyalty sync`: joining a till to the central service, and the daemon."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable
from urllib.parse import urlparse

from cli.till_commands import Context, Output, Unavailable as SyncUnavailable
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.services import central_link, replication

log = logging.getLogger("pos_loyalty.sync")

NOT_CONNECTED = "NOT_CONNECTED"
TOKEN_REFUSED = "TOKEN_REFUSED"
OTHER_TENANT = "OTHER_TENANT"
OTHER_DEVICE = "OTHER_DEVICE"
TOKEN_MISSING = "TOKEN_MISSING"


def connect(args: argparse.Namespace, ctx: Context) -> Output:
    from sync.daemon import RoundReport, Syncer, SyncFailed, SyncStopped
    from sync.protocol import BOOTSTRAP_PAGE, Next, classify
    from sync.transport import CentralService, Unreachable

    url = _url(args.url)
    token = (args.token or "").strip()
    if not token:
        raise InvalidInput("token", "A device token is needed (pos-loyalty central add-device prints one)")
    replica = ctx.replica
    central = CentralService(url, token)
    try:
        try:
            first = central.pull("0", 1)
        except Unreachable as error:
            raise SyncUnavailable(f"{url}: {error}; nothing was changed") from None
        step = classify(first.status)
        if step is Next.STOP:
            raise LoyaltyError(TOKEN_REFUSED, f"{url} refused this token (HTTP {first.status}); nothing was changed")
        if step is not Next.OK or not isinstance(first.body, dict):
            raise SyncUnavailable(f"{url} did not answer as a pos-loyalty central service (HTTP {first.status})")
        device = first.body.get("device") or {}
        _check_same_till(central_link.joined(replica), str(device.get("tenantId")), str(device.get("id")), device.get("name"))
        known = central_link.central(replica)
        if known is None or (known.url, known.token) != (url, token):
            central_link.remember(replica, url, token)
        print(f"Connected to {url}; bringing this till up to date...", file=sys.stderr, flush=True)
        syncer = Syncer(replica, central, page=BOOTSTRAP_PAGE)
        report = RoundReport()
        try:
            syncer.push_all(report)
            syncer.pull_all(report, on_page=_progress())
        except SyncStopped as stop:
            raise LoyaltyError(TOKEN_REFUSED, str(stop)) from None
        except SyncFailed as failure:
            replication.record_failure(replica, str(failure))
            raise SyncUnavailable(f"Connected, but not up to date yet ({failure}); `pos-loyalty sync` will carry on") from None
        replication.record_success(replica)
    finally:
        central.close()
    settings = central_link.central(replica)
    doc = {
        "url": url,
        "tenantId": settings.tenant_id if settings else None,
        "deviceId": settings.device_id if settings else None,
        "deviceName": settings.device_name if settings else None,
        "pushed": report.pushed,
        "cardsPulled": report.cards_pulled,
        "configVersion": report.config_version,
    }
    return Output(doc, f"Connected as {doc['deviceName']!s} (pharmacy {doc['tenantId']}): {report.sentence()}.")


def _check_same_till(known: central_link.Joined, tenant: str, device: str, name: object) -> None:
    """A replica that has been a till of the central service connects again only as that
    same till: as another device, the service would take every change it ever sent for
    new ones (a restored till gets a new token for its own device: central device-token)."""
    if known.tenant_id not in (None, tenant):
        raise LoyaltyError(
            OTHER_TENANT,
            f"This till's data belongs to pharmacy {known.tenant_id}; the token is of pharmacy {tenant}. "
            "Use a new data folder (--data-dir) for another pharmacy.",
        )
    if known.device_id not in (None, device):
        raise LoyaltyError(
            OTHER_DEVICE,
            f"This till's data is device {known.device_id} ({known.device_name or 'no name'}) of pharmacy {tenant}; "
            f"the token is of device {device} ({name or 'no name'}). Its changes would reach the central service a "
            f"second time. Connect with a token of device {known.device_id}: "
            f"pos-loyalty central device-token --tenant {tenant} --device {known.device_id} prints a new one.",
        )


def _not_connected(known: central_link.Joined) -> LoyaltyError:
    if known.url is None:
        return LoyaltyError(NOT_CONNECTED, "This till is not connected: run pos-loyalty connect URL --token TOKEN first")
    device = f" --device {known.device_id}" if known.device_id else ""
    tenant = f" --tenant {known.tenant_id}" if known.tenant_id else ""
    return LoyaltyError(
        TOKEN_MISSING,
        f"This till has no device token here (a till restored from a backup: backups never hold the token). "
        f"Connect it again: pos-loyalty connect {known.url} --token TOKEN, with this till's token "
        f"(or a new one from pos-loyalty central device-token{tenant}{device}).",
    )


def _progress() -> Callable[[object], None]:
    """Print how many cards have arrived, every 50,000 (a chain's pharmacy takes a while)."""
    shown = [0]

    def tell(report) -> None:  # type: ignore[no-untyped-def]
        if report.cards_pulled >= shown[0] + 50_000:
            shown[0] = report.cards_pulled
            print(f"  {shown[0]:,} cards so far", file=sys.stderr, flush=True)

    return tell


def sync(args: argparse.Namespace, ctx: Context) -> Output:
    from sync.daemon import Syncer, SyncFailed, SyncStopped
    from sync.lock import SyncLock
    from sync.transport import CentralService

    replica = ctx.replica
    settings = central_link.central(replica)
    if settings is None:
        raise _not_connected(central_link.joined(replica))
    lock = SyncLock(ctx.data_dir)
    stop = threading.Event()
    if not lock.acquire():
        busy = f"Another sync is already running for this till (process {lock.holder() or '?'})"
        if args.once:
            raise SyncUnavailable(busy)
        # The daemon as a service: the counter app's own sync had the till first. It waits
        # its turn rather than exit (systemd would restart it again and again).
        _stop_on_signals(stop)
        print(f"{busy}; waiting for it to stop", file=sys.stderr, flush=True)
        log.info("%s; waiting for it to stop", busy)
        while not lock.acquire():
            if stop.wait(LOCK_POLL_S):
                return Output({"stopped": True}, "Sync stopped.")
    central = CentralService(settings.url, settings.token)
    syncer = Syncer(replica, central)
    try:
        if args.once:
            try:
                report = syncer.round()
            except SyncStopped as stop:
                raise LoyaltyError(TOKEN_REFUSED, str(stop)) from None
            except SyncFailed as failure:
                raise SyncUnavailable(f"Sync did not finish: {failure}") from None
            _refuse_up_to_date_with_rejections(replica, report.sentence())
            return Output({"pushed": report.pushed, "cardsPulled": report.cards_pulled, "configVersion": report.config_version}, f"Up to date: {report.sentence()}.")
        _stop_on_signals(stop)
        print(f"Syncing with {settings.url} (Ctrl+C stops)", file=sys.stderr, flush=True)
        try:
            syncer.run(stop, on_round=lambda report: log.info("sync round: %s", report.sentence()))
        except SyncStopped as stopped:
            raise LoyaltyError(TOKEN_REFUSED, str(stopped)) from None
        return Output({"stopped": True}, "Sync stopped.")
    finally:
        central.close()
        lock.release()


MUTATIONS_REJECTED = "MUTATIONS_REJECTED"


def _refuse_up_to_date_with_rejections(replica, done: str) -> None:  # type: ignore[no-untyped-def]
    """A till with rejected changes is not up to date, however well the round went: say which."""
    from pos_loyalty.services import rejections

    waiting = rejections.waiting(replica)
    if not waiting:
        return
    named = "; ".join(f"#{r['deviceSeq']} {r['what']} ({r['errorCode']}: {r['errorMessage']})" for r in waiting[:5])
    more = f" and {len(waiting) - 5} more" if len(waiting) > 5 else ""
    raise LoyaltyError(
        MUTATIONS_REJECTED,
        f"Synced ({done}), but NOT up to date: the central service rejected {len(waiting)} change"
        f"{'s' if len(waiting) != 1 else ''} that wait for a manager: {named}{more}. "
        "See pos-loyalty rejected (or Ctrl+Y in the counter app).",
        rejected=[{k: r[k] for k in ("deviceSeq", "kind", "what", "errorCode", "errorMessage")} for r in waiting],
    )


LOCK_POLL_S = 2.0  # how often a waiting daemon tries the sync lock again


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM (systemctl stop) and SIGINT (Ctrl+C) end the daemon after its current step."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())


def _url(raw: str) -> str:
    parsed = urlparse((raw or "").strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInput("url", f"{raw!r} is not the address of a central service (http:// or https://)")
    return parsed.geturl().rstrip("/")


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub = commands.add_parser(
        "connect", help="join this till to the central service and bring it up to date", parents=[common]
    )
    sub.add_argument("url", help="the central service, e.g. https://loyalty.example.com")
    sub.add_argument("--token", required=True, help="this till's device token (from central add-device)")
    sub.set_defaults(handler=connect)
    sub = commands.add_parser("sync", help="the sync daemon: send this till's changes, bring back the central service's", parents=[common])
    sub.add_argument("--once", action="store_true", help="one round, then exit (status 0: up to date)")
    sub.set_defaults(handler=sync)
