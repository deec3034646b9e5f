"""LightningModule: an injected denoising network trained by a DDPM loss on representation images."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import hydra
import lightning as L
import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler
from omegaconf import DictConfig, OmegaConf
from torch import Tensor

from wavediff.data.labels import WindowLabels, build_labels
from wavediff.errors import ConfigError, require_int
from wavediff.config.instantiate import instantiate
from wavediff.models.ema import make_ema
from wavediff.models.noise import Noise, build_noise, check_noise_fits
from wavediff.models.parameterization import Parameterization
from wavediff.models.preconditioning import Preconditioning, build_preconditioning
from wavediff.transforms import build_representation
from wavediff.transforms.base import Representation

DEFAULT_NET = "wavediff.models.nets.UNet2D"
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
FUSED_OPTIMIZERS = ("torch.optim.Adam", "torch.optim.AdamW", "torch.optim.SGD")


def optimizer_config(config: Mapping[str, Any], device: torch.device) -> dict[str, Any]:
    """The optimizer config to instantiate on ``device``: torch's fused Adam/AdamW/SGD kernel on
    CUDA (one launch per step instead of one per parameter tensor: the small UNet's step is
    launch-bound) unless the config sets ``fused`` itself; unchanged elsewhere."""
    config = dict(config)
    if device.type == "cuda" and config.get("_target_") in FUSED_OPTIMIZERS and "fused" not in config:
        config["fused"] = True
    return config


def _plain(value: Any) -> Any:
    """OmegaConf nodes -> plain containers, so hyper-parameters pickle and log cleanly."""
    return OmegaConf.to_container(value, resolve=True) if isinstance(value, DictConfig) else value


class DiffusionModule(L.LightningModule):
    """Diffusion training of ``net(x, t, cond)`` (discrete DDPM or EDM) with an EMA copy for sampling.

    The module holds the pieces every sampler uses — the network (and its EMA), the noise, the
    parameterization, the training noise schedule, the fitted representation and, for
    conditional models, the fitted window labeler — and knows nothing about how sampling is done
    (:mod:`wavediff.sampling`).

    Args:
        net: the network config: ``_target_`` (an adapter from :mod:`wavediff.models.nets`) plus
            its size arguments; ``image_shape`` and ``num_classes`` are filled in here. Without
            ``_target_`` (checkpoints before networks were injected) the arguments go to ``UNet2D``.
        noise_scheduler: ``DDPMScheduler`` keyword arguments (training noise schedule).
        optimizer: Hydra config of the optimizer (``_target_`` + kwargs, without ``params``).
        representation: the fitted :class:`~wavediff.transforms.base.Representation`, or its
            ``config()`` dict when rebuilding from a checkpoint (fitted state from the state dict).
        noise: the ``model/noise`` config (``_target_`` + arguments; ``white``/``range`` strings
            of older checkpoints also load).
        prediction: what the network predicts: ``epsilon``, ``sample`` or ``v_prediction`` on the
            discrete DDPM schedule, or ``edm`` (continuous σ, :class:`EDMPreconditioning`).
        edm: ``EDMPreconditioning`` arguments (``sigma_data``, ``p_mean``, ...) when ``prediction=edm``.
        condition: ``None`` (unconditional), a fitted :class:`~wavediff.data.labels.WindowLabels`,
            or a labeler config (``jumps``, ``volatility`` or its ``config()`` dict).
        cond_drop_prob: share of training labels replaced by "no label", so one network is both
            conditional and unconditional (classifier-free guidance).
        lr_warmup_steps: linear learning-rate warm-up, in optimizer steps.
        ema_decay: maximum EMA decay (warmed up as ``(1 + n) / (10 + n)``).
        compile: ``torch.compile`` the training network in place (state-dict keys unchanged):
            ``True`` or a mode (``default``, ``reduce-overhead``: CUDA graphs, ``max-autotune``).
    """

    def __init__(self, net: Mapping[str, Any], noise_scheduler: Mapping[str, Any],
                 optimizer: Mapping[str, Any], representation: Representation | Mapping[str, Any],
                 noise: Mapping[str, Any] | str = "white", prediction: str = "epsilon",
                 edm: Mapping[str, Any] | None = None,
                 condition: WindowLabels | Mapping[str, Any] | str | None = None, cond_drop_prob: float = 0.1,
                 lr_warmup_steps: int = 100, ema_decay: float = 0.999, compile: bool | str = False) -> None:
        super().__init__()
        if not isinstance(representation, Representation):
            representation = build_representation(_plain(representation))
        labeler = condition if isinstance(condition, WindowLabels) or condition is None else \
            build_labels(_plain(condition))
        self.check_arguments(noise_scheduler, optimizer, representation, noise, prediction, cond_drop_prob, compile,
                             edm=edm)
        self.save_hyperparameters(ignore=["representation", "condition"])
        self.hparams["representation"] = representation.config()
        self.hparams["condition"] = labeler.config() if labeler is not None else None
        for key in ("net", "noise_scheduler", "optimizer", "noise", "edm"):
            self.hparams[key] = _plain(self.hparams[key])

        self.representation = representation
        self.labeler = labeler
        # None for EDM: its network predicts neither noise nor images but EDM's scaled residual
        self.parameterization = Parameterization(prediction) if prediction != "edm" else None
        self.noise: Noise = build_noise(self.hparams.noise)
        net_cfg = {"_target_": DEFAULT_NET, **self.hparams.net}
        self.net = instantiate(net_cfg, "model.net", image_shape=tuple(representation.image_shape),
                               num_classes=labeler.num_classes if labeler is not None else 0)
        self.ema_net = make_ema(self.net, ema_decay)
        if compile:
            self.net.compile(**({} if compile is True else {"mode": compile}))
        self.noise_scheduler = DDPMScheduler(**{**self.hparams.noise_scheduler, "prediction_type":
                                                self.parameterization.prediction if self.parameterization else "epsilon"})
        # The schedule as a buffer: on the module's device, no host copy per training step.
        self.register_buffer("alphas_cumprod", self.noise_scheduler.alphas_cumprod.clone().float(),
                             persistent=False)
        self.preconditioning: Preconditioning = build_preconditioning(prediction, self.alphas_cumprod,
                                                                      self.hparams.edm)

    @staticmethod
    def check_arguments(noise_scheduler: Mapping[str, Any], optimizer: Mapping[str, Any],
                        representation: Representation, noise: Mapping[str, Any] | str = "white",
                        prediction: str = "epsilon", cond_drop_prob: float = 0.1, compile: bool | str = False,
                        edm: Mapping[str, Any] | None = None, **_: Any) -> None:
        """The constructor's checks, without building the network: one-line :class:`ConfigError`
        for the first bad argument (the training job calls this before any data is made)."""
        lr = optimizer.get("lr", 1e-3)  # absent: the optimizer's own default
        if not isinstance(lr, (int, float)) or isinstance(lr, bool) or lr <= 0:
            raise ConfigError(f"model.optimizer.lr={lr!r}: must be a positive number")
        require_int(noise_scheduler.get("num_train_timesteps", 1000), "model.noise_scheduler.num_train_timesteps", 2)
        if not isinstance(cond_drop_prob, (int, float)) or not 0.0 <= cond_drop_prob < 1.0:
            raise ConfigError(f"model.cond_drop_prob={cond_drop_prob!r}: must be in [0, 1)")
        if compile not in (True, False) and compile not in COMPILE_MODES:
            raise ConfigError(f"model.compile={compile!r}: true, false or one of {', '.join(COMPILE_MODES)}")
        build_preconditioning(prediction, torch.ones(2), _plain(edm))
        check_noise_fits(build_noise(_plain(noise)), representation)

    @property
    def image_shape(self) -> tuple[int, ...]:
        return tuple(self.representation.image_shape)

    @property
    def num_classes(self) -> int:
        return self.labeler.num_classes if self.labeler is not None else 0

    def sample_noise(self, count: int, generator: torch.Generator | None = None) -> Tensor:
        """Diffusion noise ``(count, *image_shape)`` on the module's device (see :mod:`~wavediff.models.noise`)."""
        return self.noise.sample(count, self.representation, generator).to(self.device)

    def diffusion_loss(self, images: Tensor, labels: Tensor | None = None,
                       generator: torch.Generator | None = None, drop_labels: bool = True) -> Tensor:
        """MSE between the network's output and the preconditioning's target for clean images
        ``(B, *image_shape)`` at random noise levels (uniform timesteps, or EDM's log-normal σ)."""
        count, device = images.shape[0], images.device
        gen_device = generator.device if generator is not None else device
        noise = self.sample_noise(count, generator).to(device)
        noisy, time, target = self.preconditioning.training_example(images, noise, generator)
        cond = None
        if self.labeler is not None and labels is not None:
            cond = labels.to(device)
            if drop_labels and self.hparams.cond_drop_prob > 0:
                drop = torch.rand(count, generator=generator, device=gen_device).to(device) < self.hparams.cond_drop_prob
                cond = torch.where(drop, torch.full_like(cond, self.num_classes), cond)
        return F.mse_loss(self.net(noisy, time, cond), target)

    @staticmethod
    def _unpack(batch: Any) -> tuple[Tensor, Tensor | None]:
        return batch[0], (batch[1] if len(batch) > 1 else None)

    def training_step(self, batch: Any, batch_idx: int) -> Tensor:
        images, labels = self._unpack(batch)
        loss = self.diffusion_loss(images, labels)
        self.log("train/loss", loss, prog_bar=True, on_step=True, on_epoch=True, sync_dist=True,
                 batch_size=len(images))
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> Tensor:
        # Same noise and timesteps at every validation so the curve measures the model only.
        images, labels = self._unpack(batch)
        generator = torch.Generator().manual_seed(batch_idx)
        loss = self.diffusion_loss(images, labels, generator=generator, drop_labels=False)
        self.log("val/loss", loss, prog_bar=True, on_epoch=True, sync_dist=True, batch_size=len(images))
        return loss

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        self.ema_net.update_parameters(self.net)

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # Before networks were injected, the module held UNet2DModel itself as ``net``.
        state = checkpoint.get("state_dict", {})
        if "_target_" not in (checkpoint.get("hyper_parameters", {}).get("net") or {}) and \
                any(k.startswith("net.") and not k.startswith("net.unet.") for k in state):
            for prefix in ("net.", "ema_net.module."):
                for key in [k for k in state if k.startswith(prefix) and not k.startswith(prefix + "unet.")]:
                    state[prefix + "unet." + key[len(prefix):]] = state.pop(key)

    def configure_optimizers(self) -> dict[str, Any]:
        optimizer = hydra.utils.instantiate(optimizer_config(self.hparams.optimizer, self.device),
                                            params=self.net.parameters())
        warmup = max(1, int(self.hparams.lr_warmup_steps))
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / warmup))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
