"""The offline redemption allowance of `sync-protocol.md`.

Earning is always allowed. Redemption while the till is offline (connected to a central
service, but with no successful sync for `offlineGraceSeconds`) is limited per card per
day to `offlineRedemptionLimitPoints`, so the most a card can be overdrawn by two tills
spending the same points is bounded and known. What counts against the allowance: this
card's redemptions at this till since the till's local midnight that the server has not
acknowledged yet (they are what the server may not know about). A till that was never
connected has nobody to disagree with, and no limit.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select, text

from pos_loyalty.replica.db import UnitOfWork
from pos_loyalty.replica.models import SyncState, TillSetting
from pos_loyalty.rules.config import LoyaltyConfig
from pos_loyalty.services import central_link

#: How the till stands with the central service, as columns of a statement on its counter
#: row: the last sync that went through, and whether it is connected to one at all. A
#: finalize reads them in its first statement (`services.bills`) and gives them here.
STANDING = (SyncState.last_success_at, select(TillSetting.key).where(TillSetting.key == central_link.URL).exists())
_SYNC = select(*STANDING).where(SyncState.id == 1)
_SPENT_UNCONFIRMED = text(
    "SELECT COALESCE(-SUM(l.points), 0) FROM ledger l JOIN outbox o ON o.device_seq = l.device_seq"
    " WHERE l.card_id = :card AND l.transaction_type = 'REDEEMED' AND l.created_at >= :since"
    " AND o.status = 'PENDING'"
)


def is_offline(uow: UnitOfWork, config: LoyaltyConfig, standing: tuple[object, bool] | None = None) -> bool:
    """Whether redemption is limited now; `standing`: the two columns of `STANDING`, when read."""
    last_success, connected = uow.connection.execute(_SYNC).one() if standing is None else standing
    if not connected:
        return False
    return last_success is None or uow.now - last_success > timedelta(seconds=config.offline_grace_seconds)


def allowance(
    uow: UnitOfWork, card_id: int, config: LoyaltyConfig, standing: tuple[object, bool] | None = None
) -> int | None:
    """Points this card may still redeem today at this till; None when there is no limit."""
    if not is_offline(uow, config, standing):
        return None
    since = _local_midnight_utc(uow.now)
    spent = uow.connection.execute(
        _SPENT_UNCONFIRMED, {"card": card_id, "since": since.strftime("%Y-%m-%d %H:%M:%S.%f")}
    ).scalar_one()
    return max(config.offline_redemption_limit_points - spent, 0)


def _local_midnight_utc(now_utc: datetime) -> datetime:
    """The start of the till's local day, as the naive UTC the replica stores."""
    local = now_utc.replace(tzinfo=timezone.utc).astimezone()
    midnight = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
    return midnight.astimezone(timezone.utc).replace(tzinfo=None)
