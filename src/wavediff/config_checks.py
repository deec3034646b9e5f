"""Checks on a composed config that Lightning, diffusers or Hydra would accept silently or report badly."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from wavediff.data.labels import build_labels
from wavediff.data.windows import check_split_dates, check_splits
from wavediff.errors import ConfigError
from wavediff.models.diffusion import COMPILE_MODES
from wavediff.models.noise import build_noise, check_noise_fits
from wavediff.models.parameterization import Parameterization
from wavediff.transforms import build_representation


def _positive_int(value: object, key: str, minimum: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"{key}={value!r}: must be an integer >= {minimum}")
    return value


def check_train_config(cfg: DictConfig) -> None:
    """Raise :class:`ConfigError` (or :class:`DataError`) with one line naming the first bad key,
    before any data is simulated or loaded."""
    max_steps = cfg.trainer.get("max_steps")
    if max_steps is None or max_steps == -1:  # the epoch count ends the run
        _positive_int(cfg.trainer.get("max_epochs"), "trainer.max_epochs")
    else:
        _positive_int(max_steps, "trainer.max_steps")
        if cfg.trainer.get("max_epochs") not in (None, -1):
            _positive_int(cfg.trainer.get("max_epochs"), "trainer.max_epochs")
    _positive_int(cfg.data.window_size, "data.window_size", 16)
    _positive_int(cfg.data.stride, "data.stride")
    _positive_int(cfg.data.batch_size, "data.batch_size")
    _positive_int(cfg.data.transform.get("num_scales", 2), "data.transform.num_scales", 2)
    if cfg.data.transform.get("kind", "complex_cwt") in ("magnitude_scalogram", "seed_scalogram"):
        _positive_int(cfg.data.transform.get("image_size"), "data.transform.image_size", 2)
    # image sizes a network cannot take are refused by the network adapter (models/nets)
    lr = cfg.model.optimizer.get("lr")
    if not isinstance(lr, (int, float)) or lr <= 0:
        raise ConfigError(f"model.optimizer.lr={lr!r}: must be a positive number")
    _positive_int(cfg.model.noise_scheduler.num_train_timesteps, "model.noise_scheduler.num_train_timesteps", 2)
    drop = cfg.model.get("cond_drop_prob", 0.0)
    if not isinstance(drop, (int, float)) or not 0 <= drop < 1:
        raise ConfigError(f"model.cond_drop_prob={drop!r}: must be in [0, 1)")
    if cfg.data.get("split_dates"):
        check_split_dates(cfg.data.split_dates)
    else:
        check_splits(OmegaConf.to_container(cfg.data.get("splits") or {"train": 0.8, "val": 0.1, "test": 0.1}))
    compile_ = cfg.model.get("compile", False)
    if compile_ not in (True, False) and compile_ not in COMPILE_MODES:
        raise ConfigError(f"model.compile={compile_!r}: true, false or one of {', '.join(COMPILE_MODES)}")
    # the model's own checks, on objects that cost nothing to build
    Parameterization(cfg.model.get("prediction", "epsilon"))
    noise = build_noise(OmegaConf.to_container(cfg.model.noise, resolve=True)
                        if OmegaConf.is_config(cfg.model.get("noise")) else cfg.model.get("noise", "white"))
    transform = OmegaConf.to_container(cfg.data.transform, resolve=True)
    check_noise_fits(noise, build_representation({**transform, "window_size": cfg.data.window_size}))
    build_labels(cfg.model.get("condition"))
