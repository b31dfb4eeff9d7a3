"""holds on points for pending payments, and webhooks with their delivery outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    # Points held for a payment still pending: no ledger row until confirmed (store/holds.py).
    op.create_table('point_holds',
    sa.Column('id', Id, nullable=False),
    sa.Column('tenant_id', Id, nullable=False),
    sa.Column('card_id', Id, nullable=False),
    sa.Column('bill_id', sa.String(length=64), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('amount_deducted', sa.BigInteger(), nullable=False),
    sa.Column('bill_amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('answer_json', sa.Text(), nullable=False),
    sa.Column('confirmed_json', sa.Text(), nullable=True),
    sa.Column('performed_by', sa.String(length=255), nullable=True),
    sa.Column('device_id', Id, nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_point_holds_card_id_cards')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_point_holds_device_id_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_holds'))
    )
    op.create_index('ix_point_holds_tenant_id_bill_id', 'point_holds', ['tenant_id', 'bill_id'])
    op.create_index('ix_point_holds_card_id_status_expires_at', 'point_holds', ['card_id', 'status', 'expires_at'])
    # A pharmacy's receivers of events, the outbox of events and each event's delivery to each.
    op.create_table('webhooks',
    sa.Column('id', Id, nullable=False),
    sa.Column('tenant_id', Id, nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('events_json', sa.Text(), nullable=False),
    sa.Column('secret', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_webhooks_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks'))
    )
    op.create_index(op.f('ix_webhooks_tenant_id'), 'webhooks', ['tenant_id'])
    op.create_table('webhook_events',
    sa.Column('id', Id, nullable=False),
    sa.Column('tenant_id', Id, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('card_id', Id, nullable=True),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_webhook_events_event_id')),
    sa.UniqueConstraint('tenant_id', 'dedupe_key', name=op.f('uq_webhook_events_tenant_id_dedupe_key'))
    )
    op.create_table('webhook_deliveries',
    sa.Column('id', Id, nullable=False),
    sa.Column('webhook_id', Id, nullable=False),
    sa.Column('event_row_id', Id, nullable=False),
    sa.Column('card_id', Id, nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_row_id'], ['webhook_events.id'], name=op.f('fk_webhook_deliveries_event_row_id_webhook_events')),
    sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'], name=op.f('fk_webhook_deliveries_webhook_id_webhooks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries'))
    )
    op.create_index(op.f('ix_webhook_deliveries_event_row_id'), 'webhook_deliveries', ['event_row_id'])
    op.create_index('ix_webhook_deliveries_status_webhook_id_id', 'webhook_deliveries', ['status', 'webhook_id', 'id'])
    op.create_index('ix_webhook_deliveries_webhook_id_id', 'webhook_deliveries', ['webhook_id', 'id'])


def downgrade() -> None:
    op.drop_index('ix_webhook_deliveries_webhook_id_id', 'webhook_deliveries')
    op.drop_index('ix_webhook_deliveries_status_webhook_id_id', 'webhook_deliveries')
    op.drop_index(op.f('ix_webhook_deliveries_event_row_id'), 'webhook_deliveries')
    op.drop_table('webhook_deliveries')
    op.drop_table('webhook_events')
    op.drop_index(op.f('ix_webhooks_tenant_id'), 'webhooks')
    op.drop_table('webhooks')
    op.drop_index('ix_point_holds_card_id_status_expires_at', 'point_holds')
    op.drop_index('ix_point_holds_tenant_id_bill_id', 'point_holds')
    op.drop_table('point_holds')
