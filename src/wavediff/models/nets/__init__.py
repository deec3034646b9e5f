"""Denoising networks behind one call: ``net(x, t, cond=None) -> Tensor`` shaped like ``x``.

Each adapter takes the representation's ``image_shape`` and ``num_classes`` (0 = unconditional;
otherwise label ``num_classes`` is the "no label" class used for classifier-free guidance) plus
its own size arguments from ``configs/model/net/<name>.yaml``, and checks that the shape suits it.
"""

from wavediff.models.nets.unet1d import UNet1D
from wavediff.models.nets.unet2d import UNet2D

__all__ = ["UNet1D", "UNet2D"]
