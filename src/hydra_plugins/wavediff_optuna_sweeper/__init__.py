"""Hydra sweeper plugin ``hydra/sweeper=wavediff_optuna``: Optuna search (see wavediff.jobs.search)."""
