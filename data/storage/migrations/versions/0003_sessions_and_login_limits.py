"""sign-out ends sessions on the server, accounts can be disabled, tokens revoked; sign-in limits as atomic counters

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 23:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('api_tokens') as batch:
        batch.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('login_limits',
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('login_limits')
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_column('revoked_at')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('disabled_at')
        batch.drop_column('session_generation')
