"""Hyper-parameter searches: study, objective and best parameters.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweep_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("host", sa.String(255)),
        sa.Column("pid", sa.Integer),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.Column("git_commit", sa.String(64)),
        sa.Column("config", sa.JSON),
        sa.Column("config_hash", sa.String(64), index=True),
        sa.Column("error", sa.Text),
        sa.Column("study_name", sa.String(128), nullable=False, index=True),
        sa.Column("storage", sa.Text),
        sa.Column("objective", sa.String(64)),
        sa.Column("direction", sa.String(16)),
        sa.Column("n_trials", sa.Integer),
        sa.Column("n_complete", sa.Integer),
        sa.Column("best_value", sa.Float),
        sa.Column("best_params", sa.JSON),
        sa.Column("results_path", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("sweep_runs")
