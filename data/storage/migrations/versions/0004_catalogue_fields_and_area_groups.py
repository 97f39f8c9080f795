"""catalogue: short display name, period basis, expected-by date, pending reason; comparator groups

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 00:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_NEW = ('short_name', 'period_basis', 'expected_by', 'pending_reason')


def upgrade() -> None:
    with op.batch_alter_table('indicators') as batch:
        for name in _NEW:
            batch.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=''))
    op.create_table('area_groups',
    sa.Column('group_name', sa.String(length=200), nullable=False),
    sa.Column('area_code', sa.String(length=64), nullable=False),
    sa.Column('area_name', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=320), nullable=False),
    sa.PrimaryKeyConstraint('group_name', 'area_code')
    )


def downgrade() -> None:
    op.drop_table('area_groups')
    with op.batch_alter_table('indicators') as batch:
        for name in reversed(_NEW):
            batch.drop_column(name)
