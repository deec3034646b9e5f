"""LightningModule: a diffusers ``UNet2DModel`` trained to predict noise on CWT images."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import hydra
import lightning as L
import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler, UNet2DModel
from omegaconf import DictConfig, OmegaConf

from wavediff.models.ema import make_ema
from wavediff.transforms import build_representation
from wavediff.transforms.base import Representation


def _plain(value: Any) -> Any:
    """OmegaConf nodes -> plain containers, so hyper-parameters pickle and log cleanly."""
    return OmegaConf.to_container(value, resolve=True) if isinstance(value, DictConfig) else value


class DiffusionModule(L.LightningModule):
    """DDPM training (MSE on predicted noise) with an EMA copy of the network for sampling.

    The LightningModule knows nothing about samplers: :mod:`wavediff.sampling` reads ``ema_net``,
    ``noise_scheduler`` and ``representation`` from it.

    Args:
        net: ``UNet2DModel`` keyword arguments; ``sample_size``, ``in_channels`` and
            ``out_channels`` are taken from the representation's image shape ``(2, S, T)``.
        noise_scheduler: ``DDPMScheduler`` keyword arguments (training noise schedule).
        optimizer: Hydra config of the optimizer (``_target_`` + kwargs, without ``params``).
        lr_warmup_steps: linear learning-rate warm-up, in optimizer steps.
        ema_decay: maximum EMA decay (warmed up as ``(1 + n) / (10 + n)``).
        compile: ``torch.compile`` the training network in place (state-dict keys unchanged, so
            checkpoints load either way); worth it on GPUs, slow to start on CPUs.
        noise: ``white`` (i.i.d. Gaussian pixels, the usual DDPM) or ``range`` (Gaussian noise on
            the representation's range: see :meth:`sample_noise`).
        representation: the fitted :class:`~wavediff.transforms.base.Representation`, or its ``config()`` dict when
            rebuilding from a checkpoint (its fitted scalers then come from the state dict).
    """

    def __init__(self, net: Mapping[str, Any], noise_scheduler: Mapping[str, Any],
                 optimizer: Mapping[str, Any], representation: Representation | Mapping[str, Any],
                 lr_warmup_steps: int = 100, ema_decay: float = 0.999, compile: bool = False,
                 noise: str = "white") -> None:
        super().__init__()
        if not isinstance(representation, Representation):
            representation = build_representation(_plain(representation))
        self.save_hyperparameters(ignore=["representation"])
        self.hparams["representation"] = representation.config()
        for key in ("net", "noise_scheduler", "optimizer"):
            self.hparams[key] = _plain(self.hparams[key])

        self.representation = representation
        channels, scales, time = representation.image_shape
        net_kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in self.hparams.net.items()}
        for key in ("sample_size", "in_channels", "out_channels"):
            net_kwargs.pop(key, None)
        self.net = UNet2DModel(sample_size=(scales, time), in_channels=channels,
                               out_channels=channels, **net_kwargs)
        self.ema_net = make_ema(self.net, ema_decay)
        if compile:
            self.net.compile()
        self.noise_scheduler = DDPMScheduler(**self.hparams.noise_scheduler)
        if noise not in ("white", "range"):
            raise ValueError(f"model.noise={noise!r}: white or range")

    def sample_noise(self, count: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Diffusion noise for ``count`` images, on the module's device: i.i.d. Gaussian pixels
        (``noise: white``) or images of white-noise series (``noise: range``, so every noisy image
        stays an image of some series and the network never sees directions no data has)."""
        if self.hparams.get("noise", "white") == "range":
            return self.representation.range_noise(count, generator).to(self.device)
        if generator is None:
            return torch.randn((count, *self.image_shape), device=self.device)
        return torch.randn((count, *self.image_shape), generator=generator).to(self.device)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return self.representation.image_shape

    def diffusion_loss(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Noise-prediction MSE for clean images ``(B, 2, S, T)`` at uniform random timesteps."""
        noise = self.sample_noise(images.shape[0], generator).to(images.device)
        steps = torch.randint(0, self.noise_scheduler.config.num_train_timesteps, (images.shape[0],),
                              generator=generator).to(images.device)
        noisy = self.noise_scheduler.add_noise(images, noise, steps)
        return F.mse_loss(self.net(noisy, steps).sample, noise)

    def training_step(self, batch: tuple[torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self.diffusion_loss(batch[0])
        self.log("train/loss", loss, prog_bar=True, on_step=True, on_epoch=True, sync_dist=True,
                 batch_size=len(batch[0]))
        return loss

    def validation_step(self, batch: tuple[torch.Tensor], batch_idx: int) -> torch.Tensor:
        # Same noise and timesteps at every validation so the curve measures the model only.
        generator = torch.Generator().manual_seed(batch_idx)
        loss = self.diffusion_loss(batch[0], generator=generator)
        self.log("val/loss", loss, prog_bar=True, on_epoch=True, sync_dist=True, batch_size=len(batch[0]))
        return loss

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        self.ema_net.update_parameters(self.net)

    def configure_optimizers(self) -> dict[str, Any]:
        optimizer = hydra.utils.instantiate(self.hparams.optimizer, params=self.net.parameters())
        warmup = max(1, int(self.hparams.lr_warmup_steps))
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / warmup))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
