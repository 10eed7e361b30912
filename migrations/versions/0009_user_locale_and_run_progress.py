"""pages: a user's chosen language; a run's live progress for the coordinator's page

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 10:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=8), nullable=True))
    with op.batch_alter_table("matching_runs") as batch:
        batch.add_column(sa.Column("progress", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("matching_runs") as batch:
        batch.drop_column("progress")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locale")
