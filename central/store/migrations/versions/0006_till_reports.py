"""what each till says of itself when it syncs: its app's version and its queue

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Sent by the till on every push and pull (User-Agent, X-Pending-Mutations): the tills page.
    op.add_column('devices', sa.Column('app_version', sa.String(length=32), nullable=True))
    op.add_column('devices', sa.Column('pending_mutations', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('devices') as batch:
        batch.drop_column('pending_mutations')
        batch.drop_column('app_version')
