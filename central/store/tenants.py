"""Tenants, devices and their tokens; the card-number blocks tills issue from offline."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from central.auth import ADMIN, DEVICE, new_token, token_hash
from central.store import config as configs
from central.store.db import Store, Unit
from central.store.models import ApiToken, CardBlock, Device, Tenant
from pos_loyalty import cardnumber
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.rules.config import SAMPLE_CONFIG_JSON, LoyaltyConfig, config_from_json


@dataclass(frozen=True)
class NewTenant:
    tenant_id: int
    name: str
    admin_token: str  # shown once; only its hash is stored
    config_version: int


@dataclass(frozen=True)
class NewDevice:
    tenant_id: int
    device_id: int
    name: str
    token: str  # shown once; only its hash is stored
    card_block: str  # e.g. "29-00003": numbers 2900003xxxxxC


def create_tenant(store: Store, name: str, *, sample_config: bool = False) -> NewTenant:
    """A pharmacy with an admin token and configuration version 1."""
    name = _name(name)
    token = new_token()

    def work(unit: Unit) -> NewTenant:
        tenant_id = unit.connection.execute(
            insert(Tenant)
            .values(name=name, epoch=secrets.token_hex(8), change_seq=0, next_card_block=0, created_at=unit.now)
            .returning(Tenant.id)
        ).scalar_one()
        unit.tenant_id = tenant_id
        unit.connection.execute(
            insert(ApiToken).values(
                tenant_id=tenant_id,
                kind=ADMIN,
                name=f"{name} admin",
                token_hash=token_hash(token),
                created_at=unit.now,
            )
        )
        first = config_from_json(SAMPLE_CONFIG_JSON) if sample_config else LoyaltyConfig()
        saved = configs.save(unit, first, "create-tenant")
        return NewTenant(tenant_id, name, token, saved.version)

    return store.run(work, write=True)


def add_device(store: Store, tenant_id: int, name: str) -> NewDevice:
    """A till (or a billing integration) with its own token and a block of card numbers."""
    name = _name(name)
    token = new_token()

    def work(unit: Unit) -> NewDevice:
        exists = unit.connection.execute(select(Tenant.id).where(Tenant.id == tenant_id)).scalar()
        if exists is None:
            raise LoyaltyError("NOT_FOUND", f"No tenant {tenant_id} in this database")
        device_id = unit.connection.execute(
            insert(Device)
            .values(tenant_id=tenant_id, name=name, last_applied_seq=0, created_at=unit.now)
            .returning(Device.id)
        ).scalar_one()
        _insert_token(unit, tenant_id, device_id, name, token)
        block = allocate_block(unit, device_id)
        return NewDevice(tenant_id, device_id, name, token, f"{block.prefix}-{block.block:05d}")

    return store.run(work, write=True, tenant_id=tenant_id)


@dataclass(frozen=True)
class NewToken:
    name: str
    token: str  # shown once; only its hash is stored
    revoked: int  # how many earlier tokens of the device stopped working


def new_device_token(store: Store, tenant_id: int, device_id: int, *, revoke_others: bool = True) -> NewToken:
    """Another token for a till the service knows (restored on a new PC, or its token lost):
    the same device, so its numbering of changes goes on; its earlier tokens are revoked
    unless `revoke_others` is False."""
    token = new_token()

    def work(unit: Unit) -> NewToken:
        name = unit.connection.execute(
            select(Device.name).where(Device.tenant_id == tenant_id, Device.id == device_id)
        ).scalar()
        if name is None:
            raise LoyaltyError("NOT_FOUND", f"No device {device_id} of tenant {tenant_id} in this database")
        revoked = 0
        if revoke_others:
            revoked = unit.connection.execute(
                update(ApiToken)
                .where(ApiToken.tenant_id == tenant_id, ApiToken.device_id == device_id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=unit.now)
            ).rowcount
        _insert_token(unit, tenant_id, device_id, name, token)
        return NewToken(name, token, revoked)

    return store.run(work, write=True, tenant_id=tenant_id)


def _insert_token(unit: Unit, tenant_id: int, device_id: int, name: str, token: str) -> None:
    unit.connection.execute(
        insert(ApiToken).values(
            tenant_id=tenant_id,
            kind=DEVICE,
            device_id=device_id,
            name=name,
            token_hash=token_hash(token),
            created_at=unit.now,
        )
    )


def allocate_block(unit: Unit, device_id: int | None) -> CardBlock:
    """Reserve the tenant's next block of 100,000 card numbers (for a till, or the service)."""
    block = unit.connection.execute(
        update(Tenant)
        .where(Tenant.id == unit.tenant)
        .values(next_card_block=Tenant.next_card_block + 1)
        .returning(Tenant.next_card_block - 1)
    ).scalar_one()
    if block >= 100_000:
        raise LoyaltyError("CARD_NUMBERS_EXHAUSTED", "This pharmacy has used every block of card numbers")
    row = unit.connection.execute(
        insert(CardBlock)
        .values(
            tenant_id=unit.tenant,
            device_id=device_id,
            prefix=cardnumber.SERVER_BLOCK_PREFIX,
            block=block,
            next_serial=0,
            created_at=unit.now,
        )
        .returning(CardBlock)
    ).one()
    return row


def device_blocks(unit: Unit, device_id: int) -> list[dict]:
    rows = unit.connection.execute(
        select(CardBlock.prefix, CardBlock.block).where(CardBlock.device_id == device_id).order_by(CardBlock.id)
    )
    return [{"prefix": prefix, "block": block} for prefix, block in rows]


def _name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 255:
        raise InvalidInput("name", "A name of 1 to 255 characters is needed")
    return " ".join(name.split())
