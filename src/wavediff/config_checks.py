"""Checks on a composed config that Lightning, diffusers or Hydra would accept silently or report badly."""

from __future__ import annotations

from omegaconf import DictConfig

from wavediff.errors import ConfigError


def _positive_int(value: object, key: str, minimum: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"{key}={value!r}: must be an integer >= {minimum}")
    return value


def check_train_config(cfg: DictConfig) -> None:
    """Raise :class:`ConfigError` with one line naming the first bad key."""
    _positive_int(cfg.trainer.get("max_epochs"), "trainer.max_epochs")
    window = _positive_int(cfg.data.window_size, "data.window_size", 16)
    _positive_int(cfg.data.stride, "data.stride")
    _positive_int(cfg.data.batch_size, "data.batch_size")
    scales = _positive_int(cfg.data.transform.num_scales, "data.transform.num_scales", 2)
    levels = len(cfg.model.net.get("block_out_channels", [])) - 1
    factor = 2 ** max(levels, 0)
    if cfg.data.transform.get("kind", "complex_cwt") == "seed_scalogram":  # square resized image
        if cfg.model.get("noise", "white") == "range":
            raise ConfigError("model.noise=range needs a linear transform (complex_cwt); the seed's magnitude "
                              "scalogram has no range noise: add model.noise=white (experiment=seed_baseline does)")
        side = _positive_int(cfg.data.transform.get("image_size"), "data.transform.image_size", 2)
        sizes = (("data.transform.image_size", side),)
    else:
        sizes = (("data.window_size", window), ("data.transform.num_scales", scales))
    for key, size in sizes:
        if size % factor:
            raise ConfigError(f"{key}={size}: must be a multiple of {factor} (the UNet halves the "
                              f"image {levels} times)")
    lr = cfg.model.optimizer.get("lr")
    if not isinstance(lr, (int, float)) or lr <= 0:
        raise ConfigError(f"model.optimizer.lr={lr!r}: must be a positive number")
    _positive_int(cfg.model.noise_scheduler.num_train_timesteps, "model.noise_scheduler.num_train_timesteps", 2)
