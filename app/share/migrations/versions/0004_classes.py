"""Live classes: the class (code, preset, locked fields, challenge), its learners and each learner's best run.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classes",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("code", sa.String(8), nullable=False, unique=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("teacher_token_hash", sa.String(64), nullable=False),
        sa.Column("preset", sa.Text, nullable=False),
        sa.Column("locked", sa.Text, nullable=False),
        sa.Column("challenge", sa.Text, nullable=True),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("frozen", sa.Boolean, nullable=False),
        sa.Column("spotlight", sa.String(16), nullable=True),
    )
    op.create_table(
        "class_members",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("class_id", sa.String(16), nullable=False),
        sa.Column("client", sa.String(80), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("class_id", "client", name="uq_class_members_client"),
    )
    op.create_index("ix_class_members_class_id", "class_members", ["class_id"])
    op.create_index("ix_class_members_client", "class_members", ["client"])
    op.create_table(
        "class_results",
        sa.Column("class_id", sa.String(16), primary_key=True),
        sa.Column("learner_id", sa.String(16), primary_key=True),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("train_loss", sa.Float, nullable=True),
        sa.Column("test_loss", sa.Float, nullable=True),
        sa.Column("test_accuracy", sa.Float, nullable=True),
        sa.Column("weights_count", sa.Integer, nullable=False),
        sa.Column("reached", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("class_results")
    op.drop_index("ix_class_members_client", table_name="class_members")
    op.drop_index("ix_class_members_class_id", table_name="class_members")
    op.drop_table("class_members")
    op.drop_table("classes")
