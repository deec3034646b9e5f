"""Side-by-side speed measurements for ``scripts/bench.py``: every ratio comes from one run.

Each figure is the median of ``repeats`` timings after one warm-up call. Nothing here asserts a
speed; the script prints a table and writes JSON.
"""

from __future__ import annotations

import gc
import logging
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from omegaconf import OmegaConf

from wavediff.data.datamodule import WaveletDataModule
from wavediff.data.mjd import MJDSource
from wavediff.config.compose import compose_config
from wavediff.config.instantiate import instantiate
from wavediff.models.diffusion import DiffusionModule
from wavediff.sampling.generate import generate
from wavediff.transforms.cwt import AnalyticCWT
from wavediff.transforms import build_representation


@dataclass(frozen=True)
class BenchSize:
    """Problem sizes: the default data config, or a quick one for tests."""

    window_size: int = 256
    num_scales: int = 32
    n_windows: int = 256  # transform benchmark batch
    days: float = 30
    batch_size: int = 16
    seed_image: int = 128  # the seed's resized scalogram side
    num_train_timesteps: int = 1000
    n_series: int = 4  # series per sampling run
    models: tuple[str, ...] = ("unet2d_tiny", "unet2d")  # configs/model/net/<name>.yaml
    matmul_n: int = 2048
    repeats: int = 3
    figure_panels: int = 16  # series in a sampling epoch's pictures


QUICK = BenchSize(window_size=64, num_scales=16, n_windows=32, days=2, batch_size=8, seed_image=32,
                  num_train_timesteps=20, n_series=2, models=("unet2d_tiny",), matmul_n=512, repeats=2, figure_panels=2)


def timed(fn: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``fn()`` in seconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _status_mb(field: str) -> float | None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return None


def peak_rss_mb(fn: Callable[[], Any]) -> tuple[Any, float | None]:
    """Run ``fn``; return its result and how far the process's resident memory peaked above where
    it stood before the call, in MB (Linux; ``None`` elsewhere)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark to the current RSS
        before = _status_mb("VmRSS")
    except OSError:
        return fn(), None
    result = fn()
    peak = _status_mb("VmHWM")
    return result, (peak - before) if peak is not None and before is not None else None


def magnitude_scalogram_batch(windows: np.ndarray, num_scales: int, side: int) -> torch.Tensor:
    """The seed's image pipeline: per-window ``pywt.cwt`` (real ``morl``), magnitude, min-max,
    bilinear resize to ``side x side``. Returns ``(N, 1, side, side)``."""
    import pywt

    images = []
    for window in windows:
        coeffs, _ = pywt.cwt(window, np.arange(1, num_scales + 1), "morl")
        mag = np.abs(coeffs)
        mag = (mag - mag.min()) / (mag.max() - mag.min() + 1e-12)
        img = torch.from_numpy(mag).float()[None, None]
        images.append(F.interpolate(img, size=(side, side), mode="bilinear", align_corners=False)[0])
    return torch.stack(images)


def bench_transform(size: BenchSize, windows: torch.Tensor) -> dict[str, Any]:
    cwt = AnalyticCWT(size.window_size, size.num_scales)
    x = windows[: size.n_windows]
    ours = timed(lambda: cwt(x), size.repeats)
    images = cwt(x)
    inverse = timed(lambda: cwt.inverse(images), size.repeats)
    seed = timed(lambda: magnitude_scalogram_batch(x.numpy(), size.num_scales, size.seed_image), size.repeats)
    n = len(x)
    return {"windows": n, "ours_windows_per_s": n / ours, "inverse_windows_per_s": n / inverse,
            "seed_windows_per_s": n / seed, "speedup_vs_seed": seed / ours}


def bench_dataset(size: BenchSize, cache_dir: Path) -> dict[str, Any]:
    def build() -> WaveletDataModule:
        dm = WaveletDataModule(MJDSource(days=size.days, lam=2000.0, jump_mean=-0.001, jump_std=0.003),
                               window_size=size.window_size, stride=size.window_size // 4,
                               transform={"num_scales": size.num_scales}, cache_dir=str(cache_dir),
                               batch_size=size.batch_size)
        dm.setup()
        return dm

    colds, warms = [], []
    for _ in range(size.repeats):
        for f in cache_dir.glob("data-*.pt"):
            f.unlink()
        start = time.perf_counter()
        cold = build()
        colds.append(time.perf_counter() - start)
        start = time.perf_counter()
        warm = build()
        warms.append(time.perf_counter() - start)
        assert cold.cache_hit is False and warm.cache_hit is True
    loader = warm.train_dataloader()
    fetch = timed(lambda: [b for b in loader], size.repeats) / len(loader)
    return {"cold_s": statistics.median(colds), "cached_s": statistics.median(warms),
            "speedup": statistics.median(colds) / statistics.median(warms),
            "train_windows": int(len(warm.windows["train"])), "batch_fetch_s": fetch, "_dm": warm}


def net_config(config_dir: Path, name: str) -> dict[str, Any]:
    """``configs/model/net/<name>.yaml`` as a dict (``_target_`` + sizes)."""
    return OmegaConf.to_container(OmegaConf.load(config_dir / "model" / "net" / f"{name}.yaml"), resolve=True)


def bench_model(config_dir: Path, size: BenchSize, net: str) -> DiffusionModule:
    """The default model as ``configs/train.yaml`` composes it (its noise, prediction, tail map),
    at the benchmark's sizes and with ``model/net=<net>``; the representation is fitted on random
    returns (timings do not depend on the fitted values)."""
    cfg = compose_config("train", [f"model/net={net}", f"data.window_size={size.window_size}",
                                   f"data.transform.num_scales={size.num_scales}",
                                   f"model.noise_scheduler.num_train_timesteps={size.num_train_timesteps}"],
                         config_dir)
    transform = OmegaConf.to_container(cfg.data.transform, resolve=True)
    rep = build_representation({**transform, "window_size": size.window_size})
    rep.fit(1e-3 * torch.randn(256, size.window_size, generator=torch.Generator().manual_seed(0)), start_price=1.0)
    return instantiate(cfg.model, "model", representation=rep)


def model_description(module: DiffusionModule) -> str:
    """What the benchmark's modules are, for its report."""
    rep = module.representation.config()
    return (f"configs/train.yaml composed: model/noise={module.noise.kind}, "
            f"prediction={module.parameterization.prediction}, transform={rep['kind']}, tails={rep.get('tails')}")


def _time_train_step(net: torch.nn.Module, x: torch.Tensor, t: torch.Tensor, repeats: int) -> tuple[float, int]:
    """Median seconds and FLOPs of one AdamW step of ``net`` on ``x`` at timesteps ``t``."""
    from torch.utils.flop_counter import FlopCounterMode

    opt = torch.optim.AdamW(net.parameters(), lr=1e-4)

    def step() -> None:
        loss = F.mse_loss(net(x, t), x)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    seconds = timed(step, repeats)
    with FlopCounterMode(display=False) as counter:
        step()
    return seconds, counter.get_total_flops()


def bench_training(size: BenchSize, fetch_s: float, config_dir: Path) -> list[dict[str, Any]]:
    rows = []
    for model in size.models:
        for label, shape in (("wavediff", (2, size.num_scales, size.window_size)),
                             ("seed-like", (1, size.seed_image, size.seed_image))):
            net = instantiate(net_config(config_dir, model), f"model/net={model}", image_shape=shape)
            seconds, flops = _time_train_step(net, torch.randn(size.batch_size, *shape),
                                              torch.randint(0, 1000, (size.batch_size,)), size.repeats)
            rows.append({"model": model, "input": label, "shape": list(shape), "s_per_step": seconds,
                         "windows_per_s": size.batch_size / seconds, "gflop_per_step": flops / 1e9,
                         "gflop_per_s": flops / seconds / 1e9,
                         "loader_wait_fraction": fetch_s / seconds if label == "wavediff" else None})
            del net
            gc.collect()
    return rows


def bench_sampling(size: BenchSize, samplers: dict[str, dict[str, Any]], config_dir: Path) -> list[dict[str, Any]]:
    module = bench_model(config_dir, size, size.models[-1]).eval()
    rows = []
    generate(module, 1, {**next(iter(samplers.values())), "steps": 1}, seed=0)  # warm-up
    for name, cfg in samplers.items():
        full = cfg.get("steps") is None
        repeats = 1 if full and size.num_train_timesteps > 100 else size.repeats  # the full schedule is long
        holder: dict[str, Any] = {}

        def run() -> None:
            holder["samples"] = generate(module, size.n_series, cfg, seed=0, batch_size=size.n_series)

        seconds_first, rss = peak_rss_mb(lambda: _time_once(run))  # peak memory of a timed run
        seconds = statistics.median([seconds_first] + [_time_once(run) for _ in range(repeats - 1)])
        rows.append({"sampler": name, "model": size.models[-1], "network_evals": holder["samples"].network_evals,
                     "series_per_s": size.n_series / seconds, "s_per_run": seconds, "repeats": repeats,
                     "peak_rss_increase_mb": rss})
    # scenarios: the same sampler continuing a known history (inpainting re-encodes at every step; the
    # default history correction doubles the network calls)
    name = "euler_ancestral" if "euler_ancestral" in samplers else next(iter(samplers))
    window = module.representation.image_shape[-1]
    history = torch.randn(window - window // 4, generator=torch.Generator().manual_seed(0)) * 1e-3
    holder = {}

    def scenarios() -> None:
        holder["samples"] = generate(module, size.n_series, samplers[name], seed=0, batch_size=size.n_series,
                                     history=history)

    seconds = statistics.median([_time_once(scenarios) for _ in range(size.repeats)])
    plain = next(r for r in rows if r["sampler"] == name)
    rows.append({"sampler": f"{name}+history", "model": size.models[-1],
                 "network_evals": holder["samples"].network_evals, "series_per_s": size.n_series / seconds,
                 "s_per_run": seconds, "repeats": size.repeats, "peak_rss_increase_mb": None,
                 "slowdown_vs_plain": seconds / plain["s_per_run"]})
    ddpm = next((r for r in rows if r["sampler"] == "ddpm"), None)
    for r in rows:
        r["speedup_vs_ddpm"] = ddpm["s_per_run"] / r["s_per_run"] if ddpm else None
    return rows


def bench_figures(size: BenchSize) -> list[dict[str, Any]]:
    """Seconds to draw each picture of a sampling epoch (as :func:`save_figure` draws it) with the
    fixed margins it has, beside the same figure under matplotlib's constrained layout."""
    import matplotlib.pyplot as plt

    from wavediff.transforms.render import denoising_figure, paths_figure, scalogram_figure

    n = size.figure_panels
    rng = np.random.default_rng(0)
    magnitudes = np.abs(rng.standard_normal((n, size.num_scales, size.window_size)))
    labels = [f"{2 ** (i / 4):.1f}" for i in range(size.num_scales)]
    prices = 100 * np.exp(np.cumsum(rng.standard_normal((n, size.window_size + 1)) * 1e-3, axis=1))
    figures = {f"scalogram ({n})": lambda: scalogram_figure(magnitudes, labels, "bench"),
               f"paths ({n} + {n})": lambda: paths_figure(prices, prices[::-1], "bench"),
               "denoising (6)": lambda: denoising_figure(np.resize(prices, (6, prices.shape[1])),
                                                         [80, 10, 1, 0.1, 0.01, 0.001], "bench")}

    def draw(make: Callable[[], Any], constrained: bool) -> None:
        # built under constrained layout from the start (colorbars are placed differently under
        # it); the fixed margins it then ignores would only warn
        with plt.rc_context({"figure.constrained_layout.use": constrained}), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            fig = make()
            fig.set_dpi(100)
            fig.canvas.draw()
        plt.close(fig)

    rows = []
    for name, make in figures.items():
        fixed = timed(lambda: draw(make, False), size.repeats)
        constrained = timed(lambda: draw(make, True), size.repeats)
        rows.append({"figure": name, "fixed_s": fixed, "constrained_s": constrained,
                     "speedup": constrained / fixed})
    return rows


def _time_once(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_matmul(size: BenchSize) -> dict[str, Any]:
    n = size.matmul_n
    a, b = torch.randn(n, n), torch.randn(n, n)
    seconds = timed(lambda: a @ b, max(size.repeats, 5))
    return {"n": n, "gflop_per_s": 2 * n**3 / seconds / 1e9}


def _synced_timed(fn: Callable[[], Any], repeats: int, device: torch.device) -> float:
    """Median seconds of ``fn()`` on ``device`` (CUDA work waited for), after one warm-up call."""
    def synced() -> None:
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    return timed(synced, repeats)


def device_name(device: torch.device) -> str:
    import platform

    return torch.cuda.get_device_name(device) if device.type == "cuda" else (platform.processor() or "cpu")


def bench_accelerator(size: BenchSize, config_dir: Path, samplers: dict[str, dict[str, Any]],
                      device: torch.device, train_batches: tuple[int, ...] = (64, 256),
                      sample_batch: int = 1024, matmul_n: int = 8192) -> dict[str, Any]:
    """The GPU rows: training windows/s as Lightning runs it on ``device`` (fp32 and bf16
    autocast, fused AdamW, EMA update) at each of ``train_batches``, ancestral sampling series/s
    at ``sample_batch``, and the bf16 matmul rate as the card's reference. Runs on any device
    (the tests use the CPU with tiny sizes). A row that fails records its error instead of
    stopping the benchmark."""
    a = torch.randn(matmul_n, matmul_n, device=device, dtype=torch.bfloat16)
    matmul_s = _synced_timed(lambda: a @ a, max(size.repeats, 5), device)
    out: dict[str, Any] = {"device": device_name(device),
                           "bf16_matmul_tflop_per_s": 2 * matmul_n**3 / matmul_s / 1e12, "training": [], "sampling": []}
    module = bench_model(config_dir, size, size.models[-1]).to(device)
    rows = [(train_batches[0], False)] + [(batch, True) for batch in train_batches]
    for batch, bf16 in rows:
        row: dict[str, Any] = {"model": size.models[-1], "batch": batch, "precision": "bf16-mixed" if bf16 else "32"}
        try:
            images = module.representation.encode(torch.randn(batch, size.window_size, device=device) * 1e-3)
            opt = torch.optim.AdamW(module.net.parameters(), lr=1e-4, fused=True)

            def step() -> None:
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                    loss = module.diffusion_loss(images)
                loss.backward()
                opt.step()
                opt.zero_grad(set_to_none=True)
                module.ema_net.update_parameters(module.net)

            seconds = _synced_timed(step, max(size.repeats, 5), device)
            row.update(s_per_step=seconds, windows_per_s=batch / seconds)
        except Exception as exc:  # a benchmark row, not the program: report and go on
            row["error"] = f"{type(exc).__name__}: {exc}"
        out["training"].append(row)
    cfg = samplers.get("ancestral") or next(iter(samplers.values()))
    row = {"sampler": cfg["name"], "steps": cfg.get("steps"), "batch": sample_batch}
    try:
        seconds = _synced_timed(lambda: generate(module, sample_batch, cfg, seed=0, batch_size=sample_batch),
                                1, device)
        row.update(s_per_run=seconds, series_per_s=sample_batch / seconds)
    except Exception as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"
    out["sampling"].append(row)
    return out


def load_sampler_configs(config_dir: Path, steps_override: int | None = None) -> dict[str, dict[str, Any]]:
    configs = {}
    for path in sorted((config_dir / "sampler").glob("*.yaml")):
        cfg = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
        if steps_override and cfg.get("steps") is not None:
            cfg["steps"] = min(cfg["steps"], steps_override)
        configs[path.stem] = cfg
    return configs


def run_all(size: BenchSize, cache_dir: Path, config_dir: Path, sampler_steps: int | None = None,
            log: Callable[[str], None] = logging.getLogger(__name__).info) -> dict[str, Any]:
    """Run every section with the networks and samplers of ``config_dir``; returns the JSON-able results."""
    torch.manual_seed(0)
    log("dataset build (cold vs cached) ...")
    dataset = bench_dataset(size, cache_dir)
    dm = dataset.pop("_dm")
    log("transform (batched complex CWT vs seed per-window pywt + resize) ...")
    transform = bench_transform(size, dm.windows["train"])
    log("training steps ...")
    training = bench_training(size, dataset["batch_fetch_s"], config_dir)
    log("sampling ...")
    sampling = bench_sampling(size, load_sampler_configs(config_dir, sampler_steps), config_dir)
    log("pictures ...")
    figures = bench_figures(size)
    log("matmul reference ...")
    matmul = bench_matmul(size)
    for row in training:
        row["fraction_of_matmul"] = row["gflop_per_s"] / matmul["gflop_per_s"]
    gpu = None
    if torch.cuda.is_available():
        log("GPU (training fp32/bf16, sampling at batch 1024, bf16 matmul) ...")
        gpu = bench_accelerator(size, config_dir, load_sampler_configs(config_dir), torch.device("cuda"))
    return {"size": size.__dict__, "torch": torch.__version__, "threads": torch.get_num_threads(),
            "modules": model_description(bench_model(config_dir, size, size.models[-1])),
            "transform": transform, "dataset": dataset, "training": training, "sampling": sampling,
            "figures": figures, "matmul": matmul, "gpu": gpu}


def format_report(results: dict[str, Any]) -> str:
    """Plain-text tables of :func:`run_all` results."""
    t, d, m = results["transform"], results["dataset"], results["matmul"]
    lines = [
        f"torch {results['torch']}, {results['threads']} threads; medians of {results['size']['repeats']} repeats",
        f"models: {results['modules']}",
        "",
        "transform                         windows/s",
        f"  ours, batched complex CWT      {t['ours_windows_per_s']:12.0f}",
        f"  ours, exact inverse            {t['inverse_windows_per_s']:12.0f}",
        f"  seed, pywt morl + resize       {t['seed_windows_per_s']:12.0f}",
        f"  speed-up vs seed               {t['speedup_vs_seed']:12.1f}x",
        "",
        f"dataset build: cold {d['cold_s']:.3f} s, cached {d['cached_s']:.3f} s ({d['speedup']:.1f}x); "
        f"batch fetch {d['batch_fetch_s'] * 1e3:.2f} ms",
        "",
        "training          input       shape            s/step  windows/s  GFLOP/s  of matmul  loader wait",
    ]
    for r in results["training"]:
        wait = f"{100 * r['loader_wait_fraction']:.2f}%" if r["loader_wait_fraction"] is not None else "-"
        lines.append(f"  {r['model']:15s} {r['input']:10s} {str(tuple(r['shape'])):15s} {r['s_per_step']:7.3f}"
                     f" {r['windows_per_s']:10.1f} {r['gflop_per_s']:8.1f} {100 * r['fraction_of_matmul']:9.1f}%"
                     f"  {wait:>10s}")
    lines += ["", "sampling          NFE   series/s   s/run  vs DDPM  +peak RSS MB"]
    for r in results["sampling"]:
        rss = f"{r['peak_rss_increase_mb']:.0f}" if r["peak_rss_increase_mb"] is not None else "-"
        ratio = f"{r['speedup_vs_ddpm']:.1f}x" if r["speedup_vs_ddpm"] else "-"
        lines.append(f"  {r['sampler']:14s} {r['network_evals']:5d} {r['series_per_s']:10.3f} {r['s_per_run']:7.2f}"
                     f" {ratio:>8s} {rss:>12s}")
    lines += ["", "pictures (a sampling epoch's)  fixed s  constrained s  speed-up"]
    for r in results.get("figures", []):
        lines.append(f"  {r['figure']:28s} {r['fixed_s']:8.2f} {r['constrained_s']:14.2f} {r['speedup']:8.1f}x")
    lines += ["", f"matmul {m['n']}x{m['n']} float32: {m['gflop_per_s']:.1f} GFLOP/s"]
    gpu = results.get("gpu")
    lines += ["", gpu_report(gpu) if gpu else "GPU: none visible (CUDA rows are printed when one is)"]
    return "\n".join(lines)


def gpu_report(gpu: dict[str, Any]) -> str:
    """Plain-text table of :func:`bench_accelerator` results."""
    lines = [f"GPU {gpu['device']}: bf16 matmul {gpu['bf16_matmul_tflop_per_s']:.0f} TFLOP/s (reference)",
             "  training          batch  precision   windows/s"]
    for r in gpu["training"]:
        value = f"{r['windows_per_s']:11.0f}" if "windows_per_s" in r else f"  failed: {r['error']}"
        lines.append(f"  {r['model']:15s} {r['batch']:6d}  {r['precision']:10s}{value}")
    lines.append("  sampling          batch  steps       series/s")
    for r in gpu["sampling"]:
        value = f"{r['series_per_s']:11.0f}" if "series_per_s" in r else f"  failed: {r['error']}"
        lines.append(f"  {r['sampler']:15s} {r['batch']:6d}  {str(r['steps']):10s}{value}")
    return "\n".join(lines)
