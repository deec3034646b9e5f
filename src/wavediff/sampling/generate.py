"""Draw samples from a trained :class:`DiffusionModule` and turn them into series.

Used by the sampling callback, ``scripts/generate.py`` and evaluation alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from tqdm.auto import tqdm

from wavediff import interrupts
from wavediff.errors import ConfigError
from wavediff.models.diffusion import DiffusionModule
from wavediff.sampling.denoisers import guided, inpainted, network_denoiser, projected
from wavediff.sampling.methods import Step, StepCallback
from wavediff.sampling.samplers import SamplerConfig


@dataclass
class Samples:
    """Generated data in model and market units (CPU tensors)."""

    images: torch.Tensor  # (N, *image_shape) normalised images, e.g. (N, 2, S, T)
    returns: torch.Tensor  # (N, T) log returns
    prices: torch.Tensor  # (N, T + 1) prices from the start price
    reprojection_error: torch.Tensor  # (N,) relative distance of the final images to the CWT range
    network_evals: int  # network calls per sample
    sampler: str
    labels: torch.Tensor | None = None  # (N,) class ids of a conditional model
    class_names: list[str] | None = None
    returns_as_sampled: torch.Tensor | None = None  # (N, T) before the window-scale map, when it was applied
    history_length: int = 0  # k: returns[:, :k] are the given history (scenarios), the rest generated


def check_request(module: DiffusionModule, condition: int | None, guidance_scale: float) -> None:
    """Refuse, in one line, a class the model does not have or a negative guidance scale."""
    if not isinstance(guidance_scale, (int, float)) or not guidance_scale >= 0:
        raise ConfigError(f"guidance_scale={guidance_scale}: must be >= 0 (1 = conditional, 0 = unconditional)")
    if module.labeler is None:
        if condition is not None:
            raise ConfigError(f"condition={condition}: this model was trained without model.condition")
    elif condition is not None:
        module.labeler.check_class(condition)


def refuse_several_assets(representation: Any, what: str) -> None:
    """Scenarios after a history and chained long paths are built for one asset per window."""
    fields = getattr(representation, "fields", None)
    if fields:
        raise ConfigError(f"{what}: scenarios and long paths continue a close-only model; this model generates "
                          f"whole bars ({', '.join(fields)})")
    assets = getattr(representation, "assets", None)
    if assets:
        raise ConfigError(f"{what}: scenarios and long paths are for one asset per window; this model's windows "
                          f"hold {len(assets)} assets ({', '.join(assets)})")


def check_history(module: DiffusionModule, history: torch.Tensor | None, n: int) -> torch.Tensor | None:
    """The known log returns as ``(n, k)`` float32 (a ``(k,)`` history is shared by all ``n``), or a
    one-line refusal: a non-linear representation, ``k`` outside ``[1, T - 1]``, NaNs, wrong rows."""
    if history is None:
        return None
    rep = module.representation
    refuse_several_assets(rep, "history")
    window = rep.image_shape[-1]
    if not rep.has_range:
        raise ConfigError(f"history: scenarios re-encode the known returns at every step, which needs a linear "
                          f"transform (complex_cwt or returns); this model's is {rep.kind}")
    history = torch.as_tensor(history, dtype=torch.float32)
    if history.ndim == 1:
        history = history.expand(n, -1)
    if history.ndim != 2 or len(history) != n:
        raise ConfigError(f"history: expected (k,) or ({n}, k) log returns, got shape {tuple(history.shape)}")
    if not 1 <= history.shape[1] <= window - 1:
        raise ConfigError(f"history: {history.shape[1]} known returns; this model's windows hold {window}, so give "
                          f"1 to {window - 1} (the rest, the horizon, is generated)")
    if not torch.isfinite(history).all():
        raise ConfigError("history: contains NaN or infinite returns")
    return history.contiguous()


def draw_labels(module: DiffusionModule, n: int, condition: int | None,
                generator: torch.Generator) -> torch.Tensor | None:
    """Class ids ``(n,)``: all ``condition``, or drawn at the training frequencies (so the
    unconditional statistics are kept); ``None`` for an unconditional model."""
    if module.labeler is None:
        return None
    if condition is None:
        return module.labeler.draw(n, generator)
    return torch.full((n,), condition, dtype=torch.long)


class ProgressBar:
    """A tqdm bar over every network call of every batch, fed by the samplers' step callback
    (its length is known from the first step's ``total``)."""

    def __init__(self, batches: int, name: str) -> None:
        self.batches, self.name, self.bar = batches, name, None

    def __call__(self, step: Step) -> None:
        if self.bar is None:
            self.bar = tqdm(total=step.total * self.batches, desc=f"sampling ({self.name})", unit="step")
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _chain(*callbacks: StepCallback | None) -> StepCallback | None:
    active = [c for c in callbacks if c is not None]
    if len(active) <= 1:
        return active[0] if active else None

    def report(step: Step) -> None:
        for callback in active:
            callback(step)

    return report


@torch.no_grad()
def generate(module: DiffusionModule, n: int, sampler: SamplerConfig | Mapping[str, Any],
             seed: int = 0, batch_size: int = 64, progress: bool = False,
             start_price: float | None = None, condition: int | None = None,
             guidance_scale: float = 1.0, callback: StepCallback | None = None,
             history: torch.Tensor | None = None) -> Samples:
    """Sample ``n`` series with the EMA network: draw labels, build the σ-space denoiser with its
    guidance and projection wrappers, run the sampler batch by batch, decode.

    Args:
        module: trained module (its EMA weights, noise, preconditioning and representation are used).
        n: number of series. sampler: a :class:`SamplerConfig` or the ``sampler`` config mapping.
        seed: seeds the initial noise, the labels and any stochastic steps (same seed, same samples).
        batch_size: images per network call. progress: show a tqdm bar over network calls.
        start_price: first price of every path; default the end of the training split.
        condition: class id to generate (conditional models); ``None`` draws labels at their
            training frequencies.
        guidance_scale: classifier-free guidance weight ``w >= 0`` (1 = plain conditional).
        callback: called with a :class:`~wavediff.sampling.methods.Step` after every network call.
        history: known log returns ``(k,)`` or ``(n, k)``: every series starts with them and the
            remaining ``T - k`` are generated as their continuation (inpainting at every step,
            :func:`~wavediff.sampling.denoisers.inpainted`); the returned known part is the history
            itself. No window-scale map (the history fixes the scale).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    check_request(module, condition, guidance_scale)
    known = check_history(module, history, n)
    sampler = sampler if isinstance(sampler, SamplerConfig) else SamplerConfig.from_mapping(sampler)
    preconditioning = module.preconditioning
    sampler.check_model(preconditioning)
    net, device = module.ema_net.module, module.device
    was_training = net.training
    net.eval()
    generator = torch.Generator(device="cpu").manual_seed(seed)
    labels = draw_labels(module, n, condition, generator)
    denoise = guided(network_denoiser(net, preconditioning), guidance_scale, module.num_classes)
    if sampler.project:
        denoise = projected(denoise, module.representation)
    bar = ProgressBar((n + batch_size - 1) // batch_size, sampler.name) if progress else None
    report = _chain(bar, callback)
    batches, network_evals = [], 0
    try:
        for start in range(0, n, batch_size):
            count = min(batch_size, n - start)
            cond = labels[start:start + count].to(device) if labels is not None else None
            calls = [0]
            # scenarios: this batch's history replaces the start of every predicted clean series
            batch_model = denoise if known is None else \
                inpainted(denoise, module.representation, known[start:start + count].to(device),
                          sampler.history_corrections)

            def batch_denoise(x: torch.Tensor, sigma: float, cond=cond, count=count, calls=calls,
                              batch_model=batch_model) -> torch.Tensor:
                calls[0] += 1
                interrupts.check()  # a Ctrl-C swallowed in a finaliser stops here
                return batch_model(x, torch.full((count,), float(sigma), dtype=torch.float64), cond)

            x = sampler.run(batch_denoise, lambda count=count: module.sample_noise(count, generator),
                            preconditioning, module.noise_scheduler, generator, module.noise, report)
            network_evals = calls[0] * (1 + (sampler.history_corrections if known is not None else 0))
            batches.append(x.float())
    finally:
        net.train(was_training)
        if bar is not None:
            bar.close()
    images = torch.cat(batches)
    rep = module.representation
    reprojection_error = rep.reprojection_error(images).cpu()
    returns = as_sampled = rep.decode(images)
    if known is not None:  # the known part is data: hand it out exactly (returns_as_sampled keeps the draw)
        returns = torch.cat([known.to(as_sampled), as_sampled[:, known.shape[1]:]], dim=1)
        images = rep.encode(returns)
    # over all n windows at once (ranks); a class-conditional set has its class's scales, not the data's
    elif sampler.window_scales and labels is None:
        returns = rep.match_window_scales(as_sampled)
        if returns is not as_sampled:
            images = rep.encode(returns)  # the images of the series handed out
    return Samples(images=images.cpu(), returns=returns.cpu(), prices=rep.prices(returns, start_price).cpu(),
                   reprojection_error=reprojection_error,
                   network_evals=network_evals, sampler=sampler.name, labels=labels,
                   class_names=module.labeler.class_names if module.labeler is not None else None,
                   returns_as_sampled=as_sampled.cpu() if returns is not as_sampled else None,
                   history_length=0 if known is None else int(known.shape[1]))


@dataclass
class LongPaths:
    """Paths longer than one window, chained from scenarios (CPU tensors)."""

    returns: torch.Tensor  # (N, L) log returns
    prices: torch.Tensor  # (N, L + 1)
    seams: list[int]  # indices of the first return of each chained window's generated part
    network_evals: int  # network calls per path
    sampler: str
    history_length: int = 0  # k: returns[:, :k] are the given history, the rest generated


def generate_long(module: DiffusionModule, n: int, length: int, sampler: SamplerConfig | Mapping[str, Any],
                  horizon: int | None = None, seed: int = 0, batch_size: int = 64, progress: bool = False,
                  start_price: float | None = None, history: torch.Tensor | None = None) -> LongPaths:
    """``n`` paths of ``length`` log returns: one window from nothing, then windows whose first
    ``T - horizon`` returns are the path so far (scenarios, :func:`generate` with ``history``), each
    adding ``horizon`` returns, so volatility and jumps carry across the joins. ``horizon``
    defaults to a quarter window (three quarters overlap).

    With ``history`` (``T - horizon`` known log returns, ``(k,)`` or ``(n, k)``) the first window is
    a scenario after it too: the paths are the history followed by ``length`` generated returns
    (``history_length`` says how many are known; the history's end is the first seam)."""
    refuse_several_assets(module.representation, "length")
    window = module.representation.image_shape[-1]
    horizon = window // 4 if horizon is None else horizon
    if not isinstance(length, int) or isinstance(length, bool) or length < window:
        raise ConfigError(f"length={length!r}: long paths are at least one window ({window} returns)")
    if not isinstance(horizon, int) or isinstance(horizon, bool) or not 1 <= horizon <= window - 1:
        raise ConfigError(f"horizon={horizon!r}: returns added per chained window, 1 to {window - 1}")
    known = 0 if history is None else int(torch.as_tensor(history).shape[-1])
    if history is not None and known != window - horizon:
        raise ConfigError(f"history: {known} known returns; chained windows of {window} adding horizon={horizon} "
                          f"need {window - horizon}")
    first = generate(module, n, sampler, seed=seed, batch_size=batch_size, progress=progress, history=history)
    path, seams, calls, step = first.returns, [known] if known else [], first.network_evals, 0
    while path.shape[1] < known + length:
        step += 1
        seams.append(path.shape[1])
        more = generate(module, n, sampler, seed=seed + step, batch_size=batch_size, progress=progress,
                        history=path[:, -(window - horizon):])
        path = torch.cat([path, more.returns[:, window - horizon:]], dim=1)
        calls += more.network_evals
    path = path[:, :known + length]
    return LongPaths(path, module.representation.prices(path, start_price).cpu(),
                     [s for s in seams if s < known + length], calls, first.sampler, known)
