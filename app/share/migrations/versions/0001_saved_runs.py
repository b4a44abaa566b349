"""Saved runs table.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_runs",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("history", sa.Text, nullable=False),
        sa.Column("weights", sa.Text, nullable=False),
        sa.Column("forked_from", sa.String(16), nullable=True),
        sa.Column("edit_token_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_saved_runs_created_at", "saved_runs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_saved_runs_created_at", table_name="saved_runs")
    op.drop_table("saved_runs")
