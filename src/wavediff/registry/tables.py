"""SQLAlchemy 2 ORM tables of the run registry: data, training and generation runs, and metrics.

Every change here needs a migration in ``migrations/versions/`` (Alembic).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

RUN_STATES = ("running", "finished", "failed", "interrupted")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class RunMixin:
    """Columns every kind of run has: state, times, who ran it, and what went wrong."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # revision 0002
    git_commit: Mapped[str | None] = mapped_column(String(64))
    config: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # full composed config
    config_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    error: Mapped[str | None] = mapped_column(Text)


class DataRun(RunMixin, Base):
    """A simulated or loaded price data set (seed: MJD params, row count, status)."""

    __tablename__ = "data_runs"
    source: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    n_rows: Mapped[int | None] = mapped_column(Integer)
    output_path: Mapped[str | None] = mapped_column(Text)  # CSV written, if any


class TrainRun(RunMixin, Base):
    """A training run (seed: all hyper-parameters, epochs, checkpoint path, status)."""

    __tablename__ = "train_runs"
    data_run_id: Mapped[int | None] = mapped_column(ForeignKey("data_runs.id"))
    model_name: Mapped[str | None] = mapped_column(String(64))
    batch_size: Mapped[int | None] = mapped_column(Integer)
    learning_rate: Mapped[float | None] = mapped_column(Float)
    max_epochs: Mapped[int | None] = mapped_column(Integer)
    num_train_timesteps: Mapped[int | None] = mapped_column(Integer)
    window_size: Mapped[int | None] = mapped_column(Integer)
    stride: Mapped[int | None] = mapped_column(Integer)
    num_scales: Mapped[int | None] = mapped_column(Integer)
    seed: Mapped[int | None] = mapped_column(Integer)
    epochs_completed: Mapped[int] = mapped_column(Integer, default=0)
    global_step: Mapped[int] = mapped_column(Integer, default=0)
    final_train_loss: Mapped[float | None] = mapped_column(Float)
    final_val_loss: Mapped[float | None] = mapped_column(Float)
    run_dir: Mapped[str | None] = mapped_column(Text)
    tensorboard_dir: Mapped[str | None] = mapped_column(Text)
    checkpoint_path: Mapped[str | None] = mapped_column(Text)


class GenerationRun(RunMixin, Base):
    """Generated samples of a training run (seed: train run, PNG path, status) and their arrays."""

    __tablename__ = "generation_runs"
    train_run_id: Mapped[int | None] = mapped_column(ForeignKey("train_runs.id"), index=True)
    checkpoint_path: Mapped[str | None] = mapped_column(Text)
    epoch: Mapped[int | None] = mapped_column(Integer)  # set when made by the sampling callback
    sampler: Mapped[str | None] = mapped_column(String(32))
    network_evals: Mapped[int | None] = mapped_column(Integer)
    n_samples: Mapped[int | None] = mapped_column(Integer)
    png_path: Mapped[str | None] = mapped_column(Text)  # scalogram PNG
    paths_png_path: Mapped[str | None] = mapped_column(Text)  # price paths (for scenarios after a history: the fan chart)
    npz_path: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Metric(Base):
    """One evaluation number of a training run or of one generation: value, noise floor, ratio.

    ``source`` says what computed it (``evaluate`` for scripts/evaluate.py, ``callback`` for the
    evaluation callback during training). Revision 0003.
    """

    __tablename__ = "metrics"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    train_run_id: Mapped[int | None] = mapped_column(ForeignKey("train_runs.id"), index=True)
    generation_run_id: Mapped[int | None] = mapped_column(ForeignKey("generation_runs.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64), index=True)
    value: Mapped[float | None] = mapped_column(Float)
    floor: Mapped[float | None] = mapped_column(Float)
    ratio: Mapped[float | None] = mapped_column(Float)
    epoch: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SweepRun(RunMixin, Base):
    """A hyper-parameter search (``hparams_search=optuna``): its study and best trial. Revision 0004."""

    __tablename__ = "sweep_runs"
    study_name: Mapped[str] = mapped_column(String(128), index=True)
    storage: Mapped[str | None] = mapped_column(Text)
    objective: Mapped[str | None] = mapped_column(String(64))
    direction: Mapped[str | None] = mapped_column(String(16))
    n_trials: Mapped[int | None] = mapped_column(Integer)
    n_complete: Mapped[int | None] = mapped_column(Integer)
    best_value: Mapped[float | None] = mapped_column(Float)
    best_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    results_path: Mapped[str | None] = mapped_column(Text)
