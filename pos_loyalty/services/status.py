"""The till's state for people and for the counter app: replica, queue, sync."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from pos_loyalty.replica import migrate
from pos_loyalty.replica.db import Replica
from pos_loyalty.replica.models import Bill, Card, SyncState, TillSetting
from pos_loyalty.services import configuration, outbox


def status(replica: Replica) -> dict[str, Any]:
    with replica.reading() as uow:
        session = uow.session
        sync = session.get(SyncState, 1)
        counts = outbox.counts(uow)
        settings = dict(session.execute(select(TillSetting.key, TillSetting.value)).all())
        config = configuration.current(uow)
        return {
            "replica": str(replica.path),
            "schemaRevision": migrate.current_revision(session.connection()),
            "configVersion": config.version,
            "programEnabled": config.is_enabled,
            "cards": session.execute(select(func.count()).select_from(Card)).scalar_one(),
            "bills": session.execute(select(func.count()).select_from(Bill)).scalar_one(),
            "pendingMutations": counts.get(outbox.PENDING, 0),
            "rejectedMutations": counts.get(outbox.REJECTED, 0),
            "nextDeviceSeq": sync.next_device_seq,
            "lastAppliedSeq": sync.last_applied_seq,
            "cursor": sync.pull_cursor,
            "lastPushAt": sync.last_push_at,
            "lastPullAt": sync.last_pull_at,
            "lastError": sync.last_error,
            "centralUrl": settings.get("central.url"),
        }
