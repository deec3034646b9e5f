"""First registry schema: data_runs, train_runs, generation_runs.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _run_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("host", sa.String(255)),
        sa.Column("pid", sa.Integer),
        sa.Column("git_commit", sa.String(64)),
        sa.Column("config", sa.JSON),
        sa.Column("config_hash", sa.String(64), index=True),
        sa.Column("error", sa.Text),
    ]


def upgrade() -> None:
    op.create_table(
        "data_runs", *_run_columns(),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("params", sa.JSON),
        sa.Column("n_rows", sa.Integer),
        sa.Column("output_path", sa.Text),
    )
    op.create_table(
        "train_runs", *_run_columns(),
        sa.Column("data_run_id", sa.Integer, sa.ForeignKey("data_runs.id")),
        sa.Column("model_name", sa.String(64)),
        sa.Column("batch_size", sa.Integer),
        sa.Column("learning_rate", sa.Float),
        sa.Column("max_epochs", sa.Integer),
        sa.Column("num_train_timesteps", sa.Integer),
        sa.Column("window_size", sa.Integer),
        sa.Column("stride", sa.Integer),
        sa.Column("num_scales", sa.Integer),
        sa.Column("seed", sa.Integer),
        sa.Column("epochs_completed", sa.Integer, nullable=False),
        sa.Column("global_step", sa.Integer, nullable=False),
        sa.Column("final_train_loss", sa.Float),
        sa.Column("final_val_loss", sa.Float),
        sa.Column("run_dir", sa.Text),
        sa.Column("tensorboard_dir", sa.Text),
        sa.Column("checkpoint_path", sa.Text),
    )
    op.create_table(
        "generation_runs", *_run_columns(),
        sa.Column("train_run_id", sa.Integer, sa.ForeignKey("train_runs.id"), index=True),
        sa.Column("checkpoint_path", sa.Text),
        sa.Column("epoch", sa.Integer),
        sa.Column("sampler", sa.String(32)),
        sa.Column("network_evals", sa.Integer),
        sa.Column("n_samples", sa.Integer),
        sa.Column("png_path", sa.Text),
        sa.Column("paths_png_path", sa.Text),
        sa.Column("npz_path", sa.Text),
        sa.Column("summary", sa.JSON),
    )


def downgrade() -> None:
    for table in ("generation_runs", "train_runs", "data_runs"):
        op.drop_table(table)
