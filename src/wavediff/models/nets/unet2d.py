"""Adapter around diffusers' ``UNet2DModel`` for ``(B, C, H, W)`` images (the default network)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from wavediff.errors import ConfigError


class UNet2D(nn.Module):
    """diffusers ``UNet2DModel`` with a non-square ``sample_size`` and in/out channels from the image;
    with ``num_classes > 0``, a class embedding (``num_classes + 1`` rows, the last = no label)
    added to the time embedding.

    Args:
        image_shape: ``(C, H, W)`` from the representation, e.g. ``(2, 32, 256)``.
        num_classes: classes of ``cond``; 0 for an unconditional network.
        **unet_kwargs: ``UNet2DModel`` arguments (``block_out_channels``, block types, ...).
    """

    def __init__(self, image_shape: tuple[int, ...], num_classes: int = 0, **unet_kwargs: Any) -> None:
        super().__init__()
        from diffusers import UNet2DModel

        if len(image_shape) != 3:
            raise ConfigError(f"model/net=unet2d needs 2-D images (C, H, W); this transform gives {tuple(image_shape)}: "
                              "use model/net=unet1d")
        channels, height, width = image_shape
        levels = len(unet_kwargs.get("block_out_channels", (224, 448, 672, 896))) - 1
        for name, size, keys in (("height", height, "data.transform.num_scales or image_size"),
                                 ("width", width, "data.window_size")):
            if size % 2**levels:
                raise ConfigError(f"image {name} {size} ({keys}): must be a multiple of {2**levels} (the UNet "
                                  f"halves the image {levels} times)")
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in unet_kwargs.items()
                  if k not in ("sample_size", "in_channels", "out_channels", "num_class_embeds")}
        self.num_classes = int(num_classes)
        self.unet = UNet2DModel(sample_size=(height, width), in_channels=channels, out_channels=channels,
                                num_class_embeds=self.num_classes + 1 if self.num_classes else None, **kwargs)

    def forward(self, x: Tensor, t: Tensor, cond: Tensor | None = None) -> Tensor:
        """Network output ``(B, C, H, W)`` for images ``x`` at timesteps ``t`` ``(B,)`` or scalar."""
        if self.num_classes and cond is None:
            cond = torch.full((x.shape[0],), self.num_classes, dtype=torch.long, device=x.device)
        return self.unet(x, t, class_labels=cond if self.num_classes else None).sample
