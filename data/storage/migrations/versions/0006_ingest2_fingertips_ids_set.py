"""data versions: the Fingertips ids a publish set on catalogue indicators (a map_to choice)

Revision ID: 0006_ingest2
Revises: 0005_ingest
Create Date: 2026-12-01 01:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_ingest2'
down_revision = '0005_ingest'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('data_versions') as batch:
        # space-separated "indicator_id=fingertips_id" pairs
        batch.add_column(sa.Column('fingertips_ids_set', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('data_versions') as batch:
        batch.drop_column('fingertips_ids_set')
