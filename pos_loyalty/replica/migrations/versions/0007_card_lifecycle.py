"""Card lifecycle: a replaced or merged card names its successor; TRANSFER rows move totals.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cards') as cards:
        # The number of the card that replaced this one (a lost card, or a merge), as known.
        cards.add_column(sa.Column('replaced_by_number', sa.String(length=32), nullable=True))
    with op.batch_alter_table('ledger') as rows:
        # What a TRANSFER row moves of the card's totals (earned, redeemed, referral).
        rows.add_column(sa.Column('moved_earned', sa.Integer(), nullable=True))
        rows.add_column(sa.Column('moved_redeemed', sa.Integer(), nullable=True))
        rows.add_column(sa.Column('moved_referral', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ledger') as rows:
        for column in ('moved_referral', 'moved_redeemed', 'moved_earned'):
            rows.drop_column(column)
    with op.batch_alter_table('cards') as cards:
        cards.drop_column('replaced_by_number')
