"""card lifecycle: a replaced or merged card names its successor; TRANSFER rows move totals

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cards') as cards:
        cards.add_column(sa.Column('replaced_by_card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        cards.create_foreign_key(op.f('fk_cards_replaced_by_card_id_cards'), 'cards', ['replaced_by_card_id'], ['id'])
    with op.batch_alter_table('point_transactions') as rows:
        # What a TRANSFER row moves of the card's totals (earned, redeemed, referral).
        rows.add_column(sa.Column('moved_earned', sa.BigInteger(), nullable=True))
        rows.add_column(sa.Column('moved_redeemed', sa.BigInteger(), nullable=True))
        rows.add_column(sa.Column('moved_referral', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('flags') as flags:
        # A flag someone dealt with (a merge resolves its pair's DUPLICATE_CUSTOMER flags).
        flags.add_column(sa.Column('resolved_at', sa.DateTime(), nullable=True))
        flags.add_column(sa.Column('resolved_by', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('flags') as flags:
        flags.drop_column('resolved_by')
        flags.drop_column('resolved_at')
    with op.batch_alter_table('point_transactions') as rows:
        for column in ('moved_referral', 'moved_redeemed', 'moved_earned'):
            rows.drop_column(column)
    with op.batch_alter_table('cards') as cards:
        cards.drop_constraint(op.f('fk_cards_replaced_by_card_id_cards'), type_='foreignkey')
        cards.drop_column('replaced_by_card_id')
