"""head office console: staff accounts and their sessions

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Also: how each flag was dealt with (`flag_resolutions`), the rows and bills of a pharmacy
by time (the summary report), and on PostgreSQL the card search's trigram index (pg_trgm,
which Debian's postgresql package ships; a trusted extension, so the database's owner
may create it).
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('staff_accounts',
    sa.Column('id', ID, nullable=False),
    sa.Column('tenant_id', ID, nullable=False),
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_staff_accounts_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_accounts')),
    sa.UniqueConstraint('login', name=op.f('uq_staff_accounts_login'))
    )
    op.create_index(op.f('ix_staff_accounts_tenant_id'), 'staff_accounts', ['tenant_id'], unique=False)
    op.create_table('console_sessions',
    sa.Column('id', ID, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', ID, nullable=False),
    sa.Column('staff_id', ID, nullable=True),
    sa.Column('api_token_id', ID, nullable=True),
    sa.Column('performed_by', sa.String(length=255), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['api_token_id'], ['api_tokens.id'], name=op.f('fk_console_sessions_api_token_id_api_tokens')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_accounts.id'], name=op.f('fk_console_sessions_staff_id_staff_accounts')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_console_sessions_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_console_sessions_token_hash'))
    )
    op.create_index(op.f('ix_console_sessions_staff_id'), 'console_sessions', ['staff_id'], unique=False)
    op.create_index(op.f('ix_console_sessions_expires_at'), 'console_sessions', ['expires_at'], unique=False)
    op.create_table('flag_resolutions',
    sa.Column('id', ID, nullable=False),
    sa.Column('tenant_id', ID, nullable=False),
    sa.Column('flag_id', ID, nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('resolved_by', sa.String(length=255), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['flag_id'], ['flags.id'], name=op.f('fk_flag_resolutions_flag_id_flags')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flag_resolutions')),
    sa.UniqueConstraint('flag_id', name=op.f('uq_flag_resolutions_flag_id'))
    )
    op.create_index('ix_point_transactions_tenant_id_created_at', 'point_transactions', ['tenant_id', 'created_at'])
    op.create_index('ix_bills_tenant_id_created_at', 'bills', ['tenant_id', 'created_at'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('CREATE INDEX ix_cards_number_start ON cards (tenant_id, lower(card_number) text_pattern_ops)')
        op.execute('CREATE INDEX ix_cards_phone_end ON cards (tenant_id, reverse(customer_phone) text_pattern_ops)')
    op.create_index(
        'ix_cards_search_name', 'cards', ['customer_name'], postgresql_using='gin',
        postgresql_ops={'customer_name': 'gin_trgm_ops'},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_cards_phone_end', table_name='cards')
        op.drop_index('ix_cards_number_start', table_name='cards')
    op.drop_index('ix_cards_search_name', table_name='cards')
    op.drop_index('ix_bills_tenant_id_created_at', table_name='bills')
    op.drop_index('ix_point_transactions_tenant_id_created_at', table_name='point_transactions')
    op.drop_table('flag_resolutions')
    op.drop_index(op.f('ix_console_sessions_expires_at'), table_name='console_sessions')
    op.drop_index(op.f('ix_console_sessions_staff_id'), table_name='console_sessions')
    op.drop_table('console_sessions')
    op.drop_index(op.f('ix_staff_accounts_tenant_id'), table_name='staff_accounts')
    op.drop_table('staff_accounts')
