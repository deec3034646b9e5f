"""A small 1-D UNet over time, for returns ``(B, 1, T)`` or images flattened to ``(B, C*H, T)``."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from wavediff.errors import ConfigError


def timestep_embedding(t: Tensor, dim: int) -> Tensor:
    """Sinusoidal embedding ``(B, dim)`` of timesteps ``(B,)`` (Vaswani et al.; DDPM)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([args.sin(), args.cos()], dim=-1)


class ResBlock1D(nn.Module):
    """GroupNorm-SiLU-conv twice, the embedding added in between, with a residual connection."""

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int, groups: int) -> None:
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(min(groups, in_ch), in_ch), nn.Conv1d(in_ch, out_ch, 3, padding=1)
        self.emb = nn.Linear(emb_dim, out_ch)
        self.norm2, self.conv2 = nn.GroupNorm(min(groups, out_ch), out_ch), nn.Conv1d(out_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv1d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        h = self.conv1(nn.functional.silu(self.norm1(x)))
        h = h + self.emb(emb)[:, :, None]
        h = self.conv2(nn.functional.silu(self.norm2(h)))
        return h + self.skip(x)


class UNet1D(nn.Module):
    """1-D UNet: ``len(channels)`` levels, halving time at each but the last, skip connections,
    timestep (and class) embedding in every residual block.

    Args:
        image_shape: ``(C, T)`` or ``(C, H, T)`` (then ``C * H`` input channels).
        num_classes: classes of ``cond``; 0 for an unconditional network.
        channels: width of each level. layers_per_block: residual blocks per level.
        norm_num_groups: GroupNorm groups.
    """

    def __init__(self, image_shape: tuple[int, ...], num_classes: int = 0,
                 channels: tuple[int, ...] = (32, 64, 128), layers_per_block: int = 2,
                 norm_num_groups: int = 8) -> None:
        super().__init__()
        self.image_shape = tuple(image_shape)
        in_ch, length = math.prod(self.image_shape[:-1]), self.image_shape[-1]
        channels = tuple(channels)
        if length % 2 ** (len(channels) - 1):
            raise ConfigError(f"data.window_size={length}: must be a multiple of {2 ** (len(channels) - 1)} "
                              f"(the 1-D UNet halves time {len(channels) - 1} times)")
        self.num_classes = int(num_classes)
        emb_dim = 4 * channels[0]
        self.time_dim = channels[0]
        self.time_mlp = nn.Sequential(nn.Linear(channels[0], emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.class_emb = nn.Embedding(self.num_classes + 1, emb_dim) if self.num_classes else None
        self.conv_in = nn.Conv1d(in_ch, channels[0], 3, padding=1)
        self.down, self.downsample = nn.ModuleList(), nn.ModuleList()
        prev = channels[0]
        for i, ch in enumerate(channels):
            self.down.append(nn.ModuleList(
                ResBlock1D(prev if j == 0 else ch, ch, emb_dim, norm_num_groups) for j in range(layers_per_block)))
            last = i == len(channels) - 1
            self.downsample.append(nn.Identity() if last else nn.Conv1d(ch, ch, 3, stride=2, padding=1))
            prev = ch
        self.mid = ResBlock1D(prev, prev, emb_dim, norm_num_groups)
        self.up, self.upsample = nn.ModuleList(), nn.ModuleList()
        for i in reversed(range(len(channels))):
            ch = channels[i]
            self.upsample.append(nn.Identity() if i == len(channels) - 1 else
                                 nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                               nn.Conv1d(prev, prev, 3, padding=1)))
            self.up.append(nn.ModuleList(
                ResBlock1D(prev + ch if j == 0 else ch, ch, emb_dim, norm_num_groups) for j in range(layers_per_block)))
            prev = ch
        self.out = nn.Sequential(nn.GroupNorm(min(norm_num_groups, prev), prev), nn.SiLU(),
                                 nn.Conv1d(prev, in_ch, 3, padding=1))

    def forward(self, x: Tensor, t: Tensor, cond: Tensor | None = None) -> Tensor:
        """Output shaped like ``x`` for inputs ``x`` at timesteps ``t`` ``(B,)`` or scalar."""
        shape = x.shape
        h = self.conv_in(x.reshape(shape[0], -1, shape[-1]))
        t = t.reshape(-1).expand(shape[0]) if t.numel() == 1 else t
        emb = self.time_mlp(timestep_embedding(t.to(x.device), self.time_dim))
        if self.class_emb is not None:
            if cond is None:
                cond = torch.full((shape[0],), self.num_classes, dtype=torch.long, device=x.device)
            emb = emb + self.class_emb(cond)
        skips = []
        for blocks, down in zip(self.down, self.downsample):
            for block in blocks:
                h = block(h, emb)
            skips.append(h)
            h = down(h)
        h = self.mid(h, emb)
        for blocks, up in zip(self.up, self.upsample):
            h = torch.cat([up(h), skips.pop()], dim=1)
            for j, block in enumerate(blocks):
                h = block(h, emb)
        return self.out(h).reshape(shape)
