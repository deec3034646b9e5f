"""The training job's check of a composed config: compose and construct, before any data is made.

Each component checks its own arguments when it is constructed (the data module its windows,
splits and batch size; the representation its scales; the model its optimizer, schedule, noise,
prediction and condition). This module only builds the cheap ones and adds what Lightning would
accept silently: a run with no epoch or step budget.
"""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from wavediff.config.instantiate import instantiate
from wavediff.errors import require_int
from wavediff.models.diffusion import DiffusionModule


def check_trainer_budget(trainer: DictConfig) -> None:
    """``max_steps`` (when set) or else ``max_epochs`` ends the run: a positive integer."""
    max_steps = trainer.get("max_steps")
    if max_steps is None or max_steps == -1:  # the epoch count ends the run
        require_int(trainer.get("max_epochs"), "trainer.max_epochs")
    else:
        require_int(max_steps, "trainer.max_steps")
        if trainer.get("max_epochs") not in (None, -1):
            require_int(trainer.get("max_epochs"), "trainer.max_epochs")


def check_train_config(cfg: DictConfig) -> None:
    """Raise :class:`~wavediff.errors.ConfigError` (or ``DataError``) with one line naming the
    first bad key, before any data is simulated or loaded."""
    check_trainer_budget(cfg.trainer)
    datamodule = instantiate(cfg.data, "data", condition=cfg.model.get("condition"))  # cheap: nothing loaded
    model = OmegaConf.to_container(cfg.model, resolve=True)
    model.pop("_target_", None)
    DiffusionModule.check_arguments(representation=datamodule.representation, **model)
