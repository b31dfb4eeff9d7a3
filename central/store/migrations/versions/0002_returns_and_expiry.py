"""returns and expiry: a bill's lines kept for its returns, the returns, pointsExpiryDays

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('bills') as bills:
        # What a return needs of a bill: a till's bill (its items) or a billing system's
        # earn (its items, the multiplier and the referral percentage it earned at).
        bills.add_column(sa.Column('bill_json', sa.Text(), nullable=True))
    with op.batch_alter_table('config_versions') as config_versions:
        config_versions.add_column(sa.Column('points_expiry_days', sa.BigInteger(), nullable=False, server_default='0'))
        # The programme's time zone, promotions and reward products (`rules/programme.py`).
        config_versions.add_column(sa.Column('time_zone', sa.String(length=64), nullable=False, server_default='UTC'))
        config_versions.add_column(sa.Column('promotions_json', sa.Text(), nullable=False, server_default='[]'))
        config_versions.add_column(sa.Column('rewards_json', sa.Text(), nullable=False, server_default='[]'))
    with op.batch_alter_table('category_point_configs') as categories:
        categories.add_column(sa.Column('is_redeemable', sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table('point_transactions') as rows:
        rows.add_column(sa.Column('reward_id', sa.String(length=32), nullable=True))
    op.create_table('bill_returns',
    sa.Column('id', Id, nullable=False),
    sa.Column('tenant_id', Id, nullable=False),
    sa.Column('bill_id', sa.String(length=64), nullable=False),
    sa.Column('return_id', sa.String(length=64), nullable=False),
    sa.Column('device_id', Id, nullable=True),
    sa.Column('request_json', sa.Text(), nullable=False),
    sa.Column('back_json', sa.Text(), nullable=False),
    sa.Column('answer_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_bill_returns_device_id_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_returns')),
    sa.UniqueConstraint('tenant_id', 'return_id', name=op.f('uq_bill_returns_tenant_id_return_id'))
    )
    op.create_index('ix_bill_returns_bill', 'bill_returns', ['tenant_id', 'bill_id'])


def downgrade() -> None:
    op.drop_index('ix_bill_returns_bill', 'bill_returns')
    op.drop_table('bill_returns')
    with op.batch_alter_table('point_transactions') as rows:
        rows.drop_column('reward_id')
    with op.batch_alter_table('category_point_configs') as categories:
        categories.drop_column('is_redeemable')
    with op.batch_alter_table('config_versions') as config_versions:
        for column in ('rewards_json', 'promotions_json', 'time_zone', 'points_expiry_days'):
            config_versions.drop_column(column)
    with op.batch_alter_table('bills') as bills:
        bills.drop_column('bill_json')
