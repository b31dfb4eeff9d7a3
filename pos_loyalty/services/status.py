"""The till's state for people and for the counter app: replica, queue, sync."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from pos_loyalty.replica import migrate
from pos_loyalty.replica.db import Replica
from pos_loyalty.replica.models import Bill, Card, SyncState, TillSetting
from pos_loyalty.replica import data_dir
from pos_loyalty import bill_numbers
from pos_loyalty.services import bill_names, central_link, configuration, offline, outbox


def status(replica: Replica) -> dict[str, Any]:
    with replica.reading() as uow:
        session = uow.session
        sync = session.get(SyncState, 1)
        counts = outbox.counts(uow)
        settings = dict(session.execute(select(TillSetting.key, TillSetting.value)).all())
        config = configuration.current(uow)
        connected = central_link.URL in settings
        # connected once, but no device token here (a backup restored on another PC)
        token_missing = connected and data_dir.read_token(replica.path.parent) is None
        return {
            "replica": str(replica.path),
            "schemaRevision": migrate.current_revision(session.connection()),
            "configVersion": config.version,
            "programEnabled": config.is_enabled,
            "cards": session.execute(select(func.count()).select_from(Card)).scalar_one(),
            "bills": session.execute(select(func.count()).select_from(Bill)).scalar_one(),
            "nextBillNumber": bill_numbers.name(bill_names.prefix(uow), sync.next_bill_number),
            "pendingMutations": counts.get(outbox.PENDING, 0),
            "rejectedMutations": counts.get(outbox.REJECTED, 0),
            "centralUrl": settings.get(central_link.URL),
            "deviceId": settings.get(central_link.DEVICE_ID),
            "deviceName": settings.get(central_link.DEVICE_NAME),
            "tenantId": settings.get(central_link.TENANT),
            "tokenMissing": token_missing,
            # online: the last attempt to reach the central service went through.
            "online": connected and not token_missing and sync.failures == 0 and sync.last_success_at is not None,
            # offline: no success for offlineGraceSeconds, so redemption is limited.
            "redemptionLimited": offline.is_offline(uow, config),
            "lastSuccessAt": sync.last_success_at,
            "lastPushAt": sync.last_push_at,
            "lastPullAt": sync.last_pull_at,
            "lastAttemptAt": sync.last_attempt_at,
            "failures": sync.failures,
            "lastError": sync.last_error,
            "stoppedReason": sync.stopped_reason,
            "nextDeviceSeq": sync.next_device_seq,
            "lastAppliedSeq": sync.last_applied_seq,
            "cursor": sync.pull_cursor,
        }
