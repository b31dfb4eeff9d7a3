"""central schema

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
    op.create_table('idempotency_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scope', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_records')),
    sa.UniqueConstraint('tenant_id', 'scope', name=op.f('uq_idempotency_records_tenant_id_scope'))
    )
    op.create_table('tenants',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('epoch', sa.String(length=32), nullable=False),
    sa.Column('change_seq', sa.BigInteger(), nullable=False),
    sa.Column('next_card_block', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenants'))
    )
    op.create_table('config_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('points_to_amount_rate', sa.BigInteger(), nullable=False),
    sa.Column('max_redemption_percent', sa.BigInteger(), nullable=False),
    sa.Column('referral_points_percent', sa.BigInteger(), nullable=False),
    sa.Column('min_points_to_redeem', sa.BigInteger(), nullable=False),
    sa.Column('offline_grace_seconds', sa.BigInteger(), nullable=False),
    sa.Column('offline_redemption_limit_points', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=True),
    sa.Column('change_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_config_versions_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_config_versions')),
    sa.UniqueConstraint('tenant_id', 'version', name=op.f('uq_config_versions_tenant_id_version'))
    )
    op.create_table('devices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('last_applied_seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_push_at', sa.DateTime(), nullable=True),
    sa.Column('last_pull_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_devices_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('device_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_api_tokens_device_id_devices')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_api_tokens_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('card_blocks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('device_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('prefix', sa.String(length=2), nullable=False),
    sa.Column('block', sa.Integer(), nullable=False),
    sa.Column('next_serial', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_card_blocks_device_id_devices')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_card_blocks_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_blocks')),
    sa.UniqueConstraint('tenant_id', 'prefix', 'block', name=op.f('uq_card_blocks_tenant_id_prefix_block'))
    )
    with op.batch_alter_table('card_blocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_blocks_device_id'), ['device_id'], unique=False)

    op.create_table('cards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('card_number', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('customer_name', sa.String(length=255), nullable=False),
    sa.Column('customer_phone', sa.String(length=20), nullable=False),
    sa.Column('customer_email', sa.String(length=255), nullable=True),
    sa.Column('referrer_card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('points_balance', sa.BigInteger(), nullable=False),
    sa.Column('total_points_earned', sa.BigInteger(), nullable=False),
    sa.Column('total_points_redeemed', sa.BigInteger(), nullable=False),
    sa.Column('total_referral_points_earned', sa.BigInteger(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('last_transaction_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by_device_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('change_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['issued_by_device_id'], ['devices.id'], name=op.f('fk_cards_issued_by_device_id_devices')),
    sa.ForeignKeyConstraint(['referrer_card_id'], ['cards.id'], name=op.f('fk_cards_referrer_card_id_cards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cards')),
    sa.UniqueConstraint('tenant_id', 'card_number', name=op.f('uq_cards_tenant_id_card_number')),
    sa.UniqueConstraint('tenant_id', 'customer_id', name=op.f('uq_cards_tenant_id_customer_id'))
    )
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.create_index('ix_cards_referrer_card_id', ['referrer_card_id'], unique=False)
        batch_op.create_index('ix_cards_tenant_id_change_seq_id', ['tenant_id', 'change_seq', 'id'], unique=False)
        batch_op.create_index('ix_cards_tenant_id_customer_phone', ['tenant_id', 'customer_phone'], unique=False)

    op.create_table('category_discounts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('config_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('category_id', sa.BigInteger(), nullable=False),
    sa.Column('category_name', sa.String(length=255), nullable=False),
    sa.Column('discount_percentage', sa.BigInteger(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['config_id'], ['config_versions.id'], name=op.f('fk_category_discounts_config_id_config_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category_discounts')),
    sa.UniqueConstraint('config_id', 'category_id', name=op.f('uq_category_discounts_config_id_category_id'))
    )
    op.create_table('category_point_configs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('config_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('category_id', sa.BigInteger(), nullable=False),
    sa.Column('category_name', sa.String(length=255), nullable=False),
    sa.Column('point_percentage', sa.BigInteger(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['config_id'], ['config_versions.id'], name=op.f('fk_category_point_configs_config_id_config_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category_point_configs')),
    sa.UniqueConstraint('config_id', 'category_id', name=op.f('uq_category_point_configs_config_id_category_id'))
    )
    op.create_table('sync_mutations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('device_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('device_seq', sa.BigInteger(), nullable=False),
    sa.Column('mutation_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('applied_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_sync_mutations_device_id_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_mutations')),
    sa.UniqueConstraint('device_id', 'device_seq', name=op.f('uq_sync_mutations_device_id_device_seq'))
    )
    op.create_table('tiers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('config_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('min_lifetime_points', sa.BigInteger(), nullable=False),
    sa.Column('earn_multiplier', sa.BigInteger(), nullable=False),
    sa.Column('max_redemption_percent', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['config_id'], ['config_versions.id'], name=op.f('fk_tiers_config_id_config_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tiers')),
    sa.UniqueConstraint('config_id', 'position', name=op.f('uq_tiers_config_id_position'))
    )
    op.create_table('bills',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bill_id', sa.String(length=64), nullable=False),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('device_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('config_version', sa.BigInteger(), nullable=True),
    sa.Column('payable', sa.BigInteger(), nullable=True),
    sa.Column('result_json', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('reversed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_bills_card_id_cards')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_bills_device_id_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bills')),
    sa.UniqueConstraint('tenant_id', 'bill_id', name=op.f('uq_bills_tenant_id_bill_id'))
    )
    op.create_table('flags',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('bill_id', sa.String(length=64), nullable=True),
    sa.Column('device_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('mutation_id', sa.String(length=64), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('details_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_flags_card_id_cards')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_flags_device_id_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flags'))
    )
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index('ix_flags_tenant_id_id', ['tenant_id', 'id'], unique=False)

    op.create_table('point_transactions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transaction_type', sa.String(length=20), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('balance_after', sa.BigInteger(), nullable=False),
    sa.Column('reference_type', sa.String(length=20), nullable=False),
    sa.Column('reference_id', sa.String(length=64), nullable=True),
    sa.Column('bill_amount', sa.BigInteger(), nullable=True),
    sa.Column('category_id', sa.BigInteger(), nullable=True),
    sa.Column('category_name', sa.String(length=255), nullable=True),
    sa.Column('point_percentage', sa.BigInteger(), nullable=True),
    sa.Column('referred_card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('referred_bill_id', sa.String(length=64), nullable=True),
    sa.Column('reverses_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('performed_by', sa.String(length=255), nullable=True),
    sa.Column('device_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_point_transactions_card_id_cards')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_point_transactions_device_id_devices')),
    sa.ForeignKeyConstraint(['referred_card_id'], ['cards.id'], name=op.f('fk_point_transactions_referred_card_id_cards')),
    sa.ForeignKeyConstraint(['reverses_id'], ['point_transactions.id'], name=op.f('fk_point_transactions_reverses_id_point_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_transactions'))
    )
    with op.batch_alter_table('point_transactions', schema=None) as batch_op:
        batch_op.create_index('ix_point_transactions_card_id_id', ['card_id', 'id'], unique=False)
        batch_op.create_index('ix_point_transactions_tenant_id_reference_id', ['tenant_id', 'reference_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('point_transactions', schema=None) as batch_op:
        batch_op.drop_index('ix_point_transactions_tenant_id_reference_id')
        batch_op.drop_index('ix_point_transactions_card_id_id')

    op.drop_table('point_transactions')
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index('ix_flags_tenant_id_id')

    op.drop_table('flags')
    op.drop_table('bills')
    op.drop_table('tiers')
    op.drop_table('sync_mutations')
    op.drop_table('category_point_configs')
    op.drop_table('category_discounts')
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_index('ix_cards_tenant_id_customer_phone')
        batch_op.drop_index('ix_cards_tenant_id_change_seq_id')
        batch_op.drop_index('ix_cards_referrer_card_id')

    op.drop_table('cards')
    with op.batch_alter_table('card_blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_blocks_device_id'))

    op.drop_table('card_blocks')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_tenant_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_devices_tenant_id'))

    op.drop_table('devices')
    op.drop_table('config_versions')
    op.drop_table('tenants')
    op.drop_table('idempotency_records')
