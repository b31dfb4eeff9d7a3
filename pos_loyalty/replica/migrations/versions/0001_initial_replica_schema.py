"""initial replica schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('card_number_blocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=2), nullable=False),
    sa.Column('block', sa.Integer(), nullable=False),
    sa.Column('next_serial', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_number_blocks')),
    sa.UniqueConstraint('prefix', 'block', name=op.f('uq_card_number_blocks_prefix_block'))
    )
    op.create_table('cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_number', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('customer_name', sa.String(length=255), nullable=False),
    sa.Column('customer_phone', sa.String(length=20), nullable=False),
    sa.Column('customer_email', sa.String(length=255), nullable=True),
    sa.Column('referrer_id', sa.Integer(), nullable=True),
    sa.Column('points_balance', sa.Integer(), nullable=False),
    sa.Column('total_points_earned', sa.Integer(), nullable=False),
    sa.Column('total_points_redeemed', sa.Integer(), nullable=False),
    sa.Column('total_referral_points_earned', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('last_transaction_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['referrer_id'], ['cards.id'], name=op.f('fk_cards_referrer_id_cards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cards')),
    sa.UniqueConstraint('card_number', name=op.f('uq_cards_card_number'))
    )
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cards_customer_phone'), ['customer_phone'], unique=False)

    op.create_table('config_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('points_to_amount_rate', sa.Integer(), nullable=False),
    sa.Column('max_redemption_percent', sa.Integer(), nullable=False),
    sa.Column('referral_points_percent', sa.Integer(), nullable=False),
    sa.Column('min_points_to_redeem', sa.Integer(), nullable=False),
    sa.Column('offline_grace_seconds', sa.Integer(), nullable=False),
    sa.Column('offline_redemption_limit_points', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_config_versions'))
    )
    with op.batch_alter_table('config_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_config_versions_version'), ['version'], unique=False)

    op.create_table('outbox',
    sa.Column('device_seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('mutation_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('config_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('acked_at', sa.DateTime(), nullable=True),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('device_seq', name=op.f('pk_outbox')),
    sa.UniqueConstraint('mutation_id', name=op.f('uq_outbox_mutation_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_status'), ['status'], unique=False)

    sync_state = op.create_table('sync_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('next_device_seq', sa.Integer(), nullable=False),
    sa.Column('last_applied_seq', sa.Integer(), nullable=False),
    sa.Column('pull_cursor', sa.String(), nullable=False),
    sa.Column('last_push_at', sa.DateTime(), nullable=True),
    sa.Column('last_pull_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_state'))
    )
    op.create_table('till_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_till_settings'))
    )
    op.create_table('bills',
    sa.Column('bill_id', sa.String(length=64), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('config_version', sa.Integer(), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('result_json', sa.Text(), nullable=False),
    sa.Column('bill_amount', sa.Integer(), nullable=False),
    sa.Column('payable', sa.Integer(), nullable=False),
    sa.Column('points_earned', sa.Integer(), nullable=False),
    sa.Column('points_redeemed', sa.Integer(), nullable=False),
    sa.Column('performed_by', sa.String(length=255), nullable=True),
    sa.Column('finalized_at', sa.DateTime(), nullable=False),
    sa.Column('reversed_at', sa.DateTime(), nullable=True),
    sa.Column('reversed_by', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_bills_card_id_cards')),
    sa.PrimaryKeyConstraint('bill_id', name=op.f('pk_bills'))
    )
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bills_card_id'), ['card_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bills_finalized_at'), ['finalized_at'], unique=False)

    op.create_table('category_discounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('category_name', sa.String(length=255), nullable=False),
    sa.Column('discount_percentage', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['config_id'], ['config_versions.id'], name=op.f('fk_category_discounts_config_id_config_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category_discounts')),
    sa.UniqueConstraint('config_id', 'category_id', name=op.f('uq_category_discounts_config_id_category_id'))
    )
    op.create_table('category_point_configs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('category_name', sa.String(length=255), nullable=False),
    sa.Column('point_percentage', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['config_id'], ['config_versions.id'], name=op.f('fk_category_point_configs_config_id_config_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category_point_configs')),
    sa.UniqueConstraint('config_id', 'category_id', name=op.f('uq_category_point_configs_config_id_category_id'))
    )
    op.create_table('ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('transaction_type', sa.String(length=20), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('balance_after', sa.Integer(), nullable=False),
    sa.Column('reference_type', sa.String(length=20), nullable=False),
    sa.Column('reference_id', sa.String(length=64), nullable=True),
    sa.Column('bill_amount', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('category_name', sa.String(length=255), nullable=True),
    sa.Column('point_percentage', sa.Integer(), nullable=True),
    sa.Column('referred_card_id', sa.Integer(), nullable=True),
    sa.Column('referred_bill_id', sa.String(length=64), nullable=True),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('performed_by', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('device_seq', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_ledger_card_id_cards')),
    sa.ForeignKeyConstraint(['device_seq'], ['outbox.device_seq'], name=op.f('fk_ledger_device_seq_outbox'), initially='DEFERRED', deferrable=True),
    sa.ForeignKeyConstraint(['referred_card_id'], ['cards.id'], name=op.f('fk_ledger_referred_card_id_cards')),
    sa.ForeignKeyConstraint(['reverses_id'], ['ledger.id'], name=op.f('fk_ledger_reverses_id_ledger')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger'))
    )
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_card_id_id', ['card_id', 'id'], unique=False)
        batch_op.create_index('ix_ledger_reference_type_reference_id', ['reference_type', 'reference_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_device_seq'), ['device_seq'], unique=False)

    op.create_table('tiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('min_lifetime_points', sa.Integer(), nullable=False),
    sa.Column('earn_multiplier', sa.Integer(), nullable=False),
    sa.Column('max_redemption_percent', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['config_id'], ['config_versions.id'], name=op.f('fk_tiers_config_id_config_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tiers')),
    sa.UniqueConstraint('config_id', 'position', name=op.f('uq_tiers_config_id_position'))
    )
    # The till's one sync-state row: the first mutation it writes is deviceSeq 1.
    op.bulk_insert(sync_state, [
        {"id": 1, "next_device_seq": 1, "last_applied_seq": 0, "pull_cursor": "0"},
    ])


def downgrade() -> None:
    op.drop_table('tiers')
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_device_seq'))
        batch_op.drop_index('ix_ledger_reference_type_reference_id')
        batch_op.drop_index('ix_ledger_card_id_id')

    op.drop_table('ledger')
    op.drop_table('category_point_configs')
    op.drop_table('category_discounts')
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bills_finalized_at'))
        batch_op.drop_index(batch_op.f('ix_bills_card_id'))

    op.drop_table('bills')
    op.drop_table('till_settings')
    op.drop_table('sync_state')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_status'))

    op.drop_table('outbox')
    with op.batch_alter_table('config_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_config_versions_version'))

    op.drop_table('config_versions')
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cards_customer_phone'))

    op.drop_table('cards')
    op.drop_table('card_number_blocks')
