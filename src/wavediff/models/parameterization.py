"""What the network predicts — noise, clean image or velocity — and the conversions between them.

With ``x_t = a x0 + s eps`` (``a = sqrt(alpha_bar)``, ``s = sqrt(1 - alpha_bar)``):
``epsilon`` predicts ``eps``; ``sample`` predicts ``x0``; ``v_prediction`` predicts
``v = a eps - s x0`` (Salimans & Ho 2022). The loss target and every sampler use these, so they
stay consistent; the names are diffusers' ``prediction_type`` values.
"""

from __future__ import annotations

from torch import Tensor

from wavediff.errors import ConfigError

PREDICTIONS = ("epsilon", "sample", "v_prediction")


class Parameterization:
    """Loss target and clean-image conversion for one ``model.prediction`` kind. ``alpha_bar`` is
    broadcastable to the images (e.g. ``(B, 1, 1, 1)``)."""

    def __init__(self, prediction: str = "epsilon") -> None:
        if prediction not in PREDICTIONS:
            raise ConfigError(f"model.prediction={prediction!r}: one of {', '.join(PREDICTIONS)} "
                              "(discrete DDPM) or edm (continuous σ, models/preconditioning.py)")
        self.prediction = prediction

    def target(self, clean: Tensor, noise: Tensor, alpha_bar: Tensor) -> Tensor:
        """What the network should output for ``x_t`` made from ``clean`` and ``noise``."""
        a, s = alpha_bar.sqrt(), (1 - alpha_bar).sqrt()
        return {"epsilon": noise, "sample": clean, "v_prediction": a * noise - s * clean}[self.prediction]

    def clean(self, output: Tensor, noisy: Tensor, alpha_bar: Tensor) -> Tensor:
        """The network's clean-image prediction ``x0`` from its ``output`` at ``noisy``."""
        a, s = alpha_bar.sqrt(), (1 - alpha_bar).sqrt()
        if self.prediction == "epsilon":
            return (noisy - s * output) / a
        if self.prediction == "sample":
            return output
        return a * noisy - s * output

    def output(self, clean: Tensor, noisy: Tensor, alpha_bar: Tensor) -> Tensor:
        """The output that predicts ``clean`` at ``noisy`` (inverse of :meth:`clean`)."""
        a, s = alpha_bar.sqrt(), (1 - alpha_bar).sqrt()
        if self.prediction == "sample":
            return clean
        eps = (noisy - a * clean) / s
        return eps if self.prediction == "epsilon" else a * eps - s * clean
