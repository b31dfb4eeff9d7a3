"""Sync columns: each card as the central service last reported it; the sync's health.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referrer_number', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('server_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('synced_balance', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('synced_earned', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('synced_redeemed', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('synced_referral', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('synced_seq', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_success_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('stopped_reason', sa.Text(), nullable=True))

    # Cards issued before this revision know their referrer by row only.
    op.execute(
        "UPDATE cards SET referrer_number = (SELECT r.card_number FROM cards r WHERE r.id = cards.referrer_id)"
        " WHERE referrer_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.drop_column('stopped_reason')
        batch_op.drop_column('failures')
        batch_op.drop_column('last_attempt_at')
        batch_op.drop_column('last_success_at')

    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_column('synced_seq')
        batch_op.drop_column('synced_referral')
        batch_op.drop_column('synced_redeemed')
        batch_op.drop_column('synced_earned')
        batch_op.drop_column('synced_balance')
        batch_op.drop_column('server_id')
        batch_op.drop_column('referrer_number')

