"""data versions: which pending flags a publish cleared (and a restore opened again)

Revision ID: 0005_ingest
Revises: 0004
Create Date: 2026-12-01 00:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005_ingest'
down_revision = '0004'
branch_labels = None
depends_on = None

_NEW = ('pending_cleared', 'pending_reopened')  # space-separated indicator ids


def upgrade() -> None:
    with op.batch_alter_table('data_versions') as batch:
        for name in _NEW:
            batch.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('data_versions') as batch:
        for name in reversed(_NEW):
            batch.drop_column(name)
