"""Which central service this till syncs with, as which pharmacy and device, and its token.

The address, pharmacy (tenant) and device are in the replica's `till_settings`; the
device token is not: it is in `DATA_DIR/central-token` (`replica/data_dir.py`), so no
backup carries it. A till restored from a backup on another PC knows its service,
pharmacy and device (`joined`) but has no token (`central` is None) until it is
connected again with `pos-loyalty connect URL --token TOKEN`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from pos_loyalty.replica import data_dir
from pos_loyalty.replica.db import Replica
from pos_loyalty.replica.models import TillSetting

URL = "central.url"
TENANT, DEVICE_ID, DEVICE_NAME = "central.tenant_id", "central.device_id", "central.device_name"
#: Where an older version kept the device token, in the replica (so in every backup); the
#: replica migration 0005 moves it to `DATA_DIR/central-token`.
LEGACY_TOKEN = "central.token"


@dataclass(frozen=True)
class Joined:
    """What the replica remembers of the central service, with or without a token here."""

    url: str | None
    tenant_id: str | None
    device_id: str | None
    device_name: str | None


@dataclass(frozen=True)
class Central:
    url: str
    token: str
    tenant_id: str | None
    device_id: str | None
    device_name: str | None


def joined(replica: Replica) -> Joined:
    with replica.reading() as uow:
        settings = dict(uow.connection.execute(select(TillSetting.key, TillSetting.value)).all())
    return Joined(settings.get(URL), settings.get(TENANT), settings.get(DEVICE_ID), settings.get(DEVICE_NAME))


def central(replica: Replica) -> Central | None:
    """The central service this till syncs with, or None if it was never connected or has
    no device token here (a backup restored on another PC: see `joined`)."""
    known = joined(replica)
    token = data_dir.read_token(replica.path.parent)
    if known.url is None or token is None:
        return None
    return Central(known.url, token, known.tenant_id, known.device_id, known.device_name)


def remember(replica: Replica, url: str, token: str) -> None:
    """Remember the service (in the replica) and this till's token (beside it, never in it)."""
    data_dir.write_token(replica.path.parent, token)
    with replica.writing() as uow:
        uow.session.merge(TillSetting(key=URL, value=url))
        uow.commit()
