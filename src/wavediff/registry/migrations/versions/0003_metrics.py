"""Evaluation metrics (value, noise floor, ratio) keyed to a training run and/or a generation.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metrics",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("train_run_id", sa.Integer, sa.ForeignKey("train_runs.id"), index=True),
        sa.Column("generation_run_id", sa.Integer, sa.ForeignKey("generation_runs.id"), index=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False, index=True),
        sa.Column("value", sa.Float),
        sa.Column("floor", sa.Float),
        sa.Column("ratio", sa.Float),
        sa.Column("epoch", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("metrics")
