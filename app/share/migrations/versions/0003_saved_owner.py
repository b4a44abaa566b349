"""Saved runs: who saved each (a hash of the client key) and its size, for the per-client quota.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("saved_runs", sa.Column("owner", sa.String(64), nullable=True))
    op.add_column("saved_runs", sa.Column("size", sa.Integer, nullable=False, server_default="0"))
    op.create_index("ix_saved_runs_owner", "saved_runs", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_saved_runs_owner", table_name="saved_runs")
    with op.batch_alter_table("saved_runs") as batch:
        batch.drop_column("size")
        batch.drop_column("owner")
