"""σ-space denoisers and samplers: exact oracles, the VP adapter against today's loop, EDM
preconditioning, wrappers, noises, EDM training and one-line refusals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from diffusers import DDIMScheduler
from omegaconf import OmegaConf

from conftest import CONFIGS
from wavediff.errors import ConfigError
from wavediff.models.diffusion import DiffusionModule
from wavediff.models.loading import load_module
from wavediff.models.parameterization import Parameterization
from wavediff.models.preconditioning import EDMPreconditioning, VPPreconditioning
from wavediff.sampling import methods
from wavediff.sampling.denoisers import guided, projected
from wavediff.sampling.generate import generate
from wavediff.sampling.samplers import SamplerConfig
from wavediff.sampling.sigmas import karras_sigmas, schedule_sigmas
from wavediff.transforms import build_representation

SIGMA_SAMPLERS = ("euler", "heun", "edm", "euler_ancestral", "dpmpp_2m")


def sampler_config(name: str, **overrides) -> dict:
    return {**OmegaConf.to_container(OmegaConf.load(CONFIGS / "sampler" / f"{name}.yaml")), **overrides}


# --- exact oracle: Gaussian data --------------------------------------------------------------

MEAN, STD = 0.7, 1.3  # data: every pixel i.i.d. N(MEAN, STD^2)


def gaussian_denoiser(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """E[x0 | x0 + sigma n = x] for Gaussian x0: the exact D."""
    return MEAN + STD ** 2 / (STD ** 2 + sigma ** 2) * (x - MEAN)


@pytest.mark.parametrize("name, steps, options", [
    ("euler", 200, {}), ("heun", 60, {}), ("dpmpp_2m", 60, {}),
    ("edm", 60, {"churn": 30.0}), ("euler_ancestral", 800, {"eta": 1.0}),  # first order and stochastic: slowest
])
def test_every_sampler_lands_on_the_gaussian_data_distribution(name, steps, options):
    generator = torch.Generator().manual_seed(0)

    def noise() -> torch.Tensor:
        return torch.randn(64, 1, 64, generator=generator, dtype=torch.float64)

    sigmas = karras_sigmas(steps, 0.002, 80.0)
    # the exact start: x_T ~ N(MEAN, STD^2 + sigma_max^2)
    x = MEAN + (STD ** 2 + float(sigmas[0]) ** 2) ** 0.5 * noise()
    out = getattr(methods, name)(gaussian_denoiser, x, sigmas, noise, **options)
    assert float(out.mean()) == pytest.approx(MEAN, abs=0.05)  # 4,096 draws: se of the mean 0.02
    assert float(out.std()) == pytest.approx(STD, rel=0.03)  # se of the std 1.1%


def ode_error(name: str, steps: int) -> float:
    """Distance of a deterministic sampler's end point from the exact probability-flow ODE's: for
    Gaussian data the flow is linear, x0 - MEAN = STD / sqrt(STD^2 + s^2) (x_s - MEAN)."""
    sigmas = karras_sigmas(steps, 0.002, 80.0)
    x = torch.linspace(-3, 3, 7, dtype=torch.float64) * (STD ** 2 + 80.0 ** 2) ** 0.5 + MEAN
    exact = MEAN + STD / (STD ** 2 + 80.0 ** 2) ** 0.5 * (x - MEAN)
    return float((getattr(methods, name)(gaussian_denoiser, x, sigmas, None) - exact).abs().max())


@pytest.mark.parametrize("name, order", [("euler", 1), ("heun", 2), ("dpmpp_2m", 2)])
def test_deterministic_samplers_converge_at_their_order(name, order):
    coarse, fine = ode_error(name, 40), ode_error(name, 80)
    assert fine < coarse and coarse / fine == pytest.approx(2 ** order, rel=0.25)


def test_samplers_report_every_network_call():
    seen = []
    sigmas = karras_sigmas(5, 0.01, 10.0)
    x = torch.zeros(2, 3)
    methods.heun(lambda x, s: x * 0, x, sigmas, None, callback=seen.append)
    assert [s.index for s in seen] == list(range(9)) and {s.total for s in seen} == {9}
    assert seen[0].sigma == pytest.approx(10.0) and seen[-1].sigma == pytest.approx(0.01)


def test_karras_schedule_matches_its_formula():
    sigmas = karras_sigmas(4, 0.01, 100.0, rho=7.0)
    ramp = torch.tensor([0, 1 / 3, 2 / 3, 1], dtype=torch.float64)
    expected = (100 ** (1 / 7) + ramp * (0.01 ** (1 / 7) - 100 ** (1 / 7))) ** 7
    assert torch.allclose(sigmas[:-1], expected) and sigmas[-1] == 0


# --- preconditionings --------------------------------------------------------------------------

def vp(prediction: str = "epsilon", steps: int = 100) -> VPPreconditioning:
    betas = torch.linspace(1e-4, 0.02, steps, dtype=torch.float64)
    return VPPreconditioning(Parameterization(prediction), torch.cumprod(1 - betas, 0).float())


@pytest.mark.parametrize("prediction", ["epsilon", "sample", "v_prediction"])
def test_vp_adapter_recovers_the_clean_image_from_an_exact_network(prediction):
    pre = vp(prediction)
    g = torch.Generator().manual_seed(0)
    clean, noise = torch.randn(5, 2, 4, 6, generator=g), torch.randn(5, 2, 4, 6, generator=g)
    sigma = pre.sigma_of(torch.tensor([0.0, 10.5, 40.0, 77.3, 99.0]))  # inside the trained range

    def exact(noisy, t, cond):  # the network that outputs the true target at its own timestep
        ab = (1 / (1 + pre.sigma_of(t) ** 2)).float().view(-1, 1, 1, 1)
        return pre.parameterization.target(clean, noise, ab)

    x = clean + sigma.float().view(-1, 1, 1, 1) * noise
    assert torch.allclose(pre.denoise(exact, x, sigma, None), clean, atol=2e-4)


def test_vp_timesteps_are_exact_at_the_training_sigmas_and_interpolate_between():
    pre = vp()
    t = torch.arange(100)
    assert torch.equal(pre.timestep_of(pre.sigmas[t]), t.double())
    middle = pre.timestep_of((pre.sigmas[10] * pre.sigmas[11]).sqrt().view(1))  # geometric mean
    assert float(middle) == pytest.approx(10.5, abs=1e-9)
    assert float(pre.timestep_of(torch.tensor([1e6]))) == 99  # clamped to the trained range


def test_edm_preconditioning_coefficients_at_known_sigmas():
    pre = EDMPreconditioning(sigma_data=0.5)
    c_skip, c_out, c_in, c_noise = pre.coefficients(torch.tensor([0.5, 1e-8]))
    assert torch.allclose(c_skip, torch.tensor([0.5, 1.0])) and torch.allclose(c_out, torch.tensor([0.5 / 2 ** 0.5, 0.0]))
    assert float(c_in[0]) == pytest.approx(1 / (0.5 * 2 ** 0.5)) and float(c_noise[0]) == pytest.approx(250 * math.log(0.5) / 4)
    x = torch.randn(2, 1, 3)
    # a zero network: D is c_skip x (at tiny σ, the identity)
    assert torch.allclose(pre.denoise(lambda a, t, c: a * 0, x, torch.tensor([1e-8, 1e-8]), None), x)


def test_edm_training_target_is_unit_variance_and_an_exact_network_gives_the_clean_image():
    pre = EDMPreconditioning(sigma_data=0.5)
    g = torch.Generator().manual_seed(0)
    clean = 0.5 * torch.randn(4000, 1, 8, generator=g)
    noise = torch.randn(4000, 1, 8, generator=g)
    x_in, time, target = pre.training_example(clean, noise, g)
    assert float(target.std()) == pytest.approx(1.0, rel=0.03)  # EDM's point: same scale at every σ
    sigma = (time * 4 / 250).exp()

    def network(inp, t, cond):  # outputs the training target it was built for
        assert torch.allclose(t, time)
        return target

    x = clean + sigma.view(-1, 1, 1) * noise
    assert torch.allclose(pre.denoise(network, x, sigma, None), clean, atol=1e-4)
    assert torch.allclose(x_in, x * pre.coefficients(sigma)[2].view(-1, 1, 1), atol=1e-4)


# --- wrappers ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def module(trained):
    return load_module(trained[1] / "checkpoints" / "last.ckpt")


def test_projection_is_exact_on_images_of_real_series(module):
    rep = module.representation
    images = rep.encode(torch.randn(3, rep.image_shape[-1]) * 1e-3)
    D = projected(lambda x, s, c: x, rep)
    assert torch.allclose(D(images, torch.ones(3), None), images, atol=1e-5)
    off = images + torch.randn_like(images)
    assert float(rep.reprojection_error(D(off, torch.ones(3), None)).max()) < 1e-4


def test_guidance_in_sigma_space_is_exact_at_zero_and_one():
    def D(x, sigma, cond):
        return x * sigma.view(-1, 1) + cond.float().view(-1, 1)

    x, sigma, cond = torch.ones(3, 4), torch.tensor([0.5, 1.0, 2.0]), torch.tensor([0, 1, 2])
    assert torch.equal(guided(D, 1.0, 3)(x, sigma, cond), D(x, sigma, cond))
    assert torch.equal(guided(D, 0.0, 3)(x, sigma, cond), D(x, sigma, torch.full_like(cond, 3)))
    assert torch.allclose(guided(D, 2.0, 3)(x, sigma, cond), 2 * D(x, sigma, cond) - D(x, sigma, torch.full_like(cond, 3)))


def test_ancestral_equals_the_diffusers_loop_on_the_raw_network(module):
    """The VP adapter changes nothing: configs/sampler/ancestral.yaml gives the samples of a plain
    diffusers DDIM (eta = 1) loop over the network's own output, projected in output space."""
    cfg = sampler_config("ancestral", steps=6, window_scales=False)
    ours = generate(module, 3, cfg, seed=4, batch_size=3).images
    net, rep, p = module.ema_net.module.eval(), module.representation, module.parameterization
    scheduler = DDIMScheduler.from_config(module.noise_scheduler.config, timestep_spacing="trailing")
    scheduler.set_timesteps(6)
    generator = torch.Generator().manual_seed(4)
    x = module.sample_noise(3, generator)
    with torch.no_grad():
        for t in scheduler.timesteps:
            noise = module.sample_noise(3, generator)
            ab = module.alphas_cumprod[t]
            output = p.output(rep.project(p.clean(net(x, t.expand(3), None), x, ab)), x, ab)
            x = scheduler.step(output, t, x, eta=1.0, variance_noise=noise).prev_sample
    assert torch.allclose(ours, x, atol=1e-4)


# --- models, noises, refusals ------------------------------------------------------------------

def tiny_module(noise: dict | str = "white", prediction: str = "epsilon", **kwargs) -> DiffusionModule:
    rep = build_representation({"kind": "complex_cwt", "window_size": 32, "num_scales": 8})
    rep.fit(torch.randn(64, 32, generator=torch.Generator().manual_seed(0)) * 1e-3, start_price=100.0)
    net = OmegaConf.to_container(OmegaConf.load(CONFIGS / "model/net/unet2d_tiny.yaml"))
    return DiffusionModule(net=net, noise_scheduler={"num_train_timesteps": 20, "clip_sample": False},
                           optimizer={"_target_": "torch.optim.AdamW"}, representation=rep, noise=noise,
                           prediction=prediction, **kwargs)


NOISES = {"range": {"_target_": "wavediff.models.noise.RangeNoise"},
          "student_t": {"_target_": "wavediff.models.noise.StudentTNoise", "nu": 5.0, "space": "series"}}


@pytest.mark.parametrize("noise", NOISES)
@pytest.mark.parametrize("name", SIGMA_SAMPLERS)
def test_every_sigma_sampler_runs_with_range_and_student_t_noise(name, noise):
    module = tiny_module(NOISES[noise])
    a = generate(module, 2, sampler_config(name, steps=3), seed=1)
    b = generate(module, 2, sampler_config(name, steps=3), seed=1)
    assert torch.equal(a.images, b.images) and torch.isfinite(a.returns).all()
    assert float(a.reprojection_error.max()) < 1e-3


def test_edm_model_trains_samples_and_refuses_discrete_schedulers():
    module = tiny_module("white", prediction="edm", edm={"sigma_data": 1.0})
    images = module.representation.encode(torch.randn(8, 32) * 1e-3)
    loss = module.diffusion_loss(images)
    loss.backward()
    assert torch.isfinite(loss)
    samples = generate(module, 2, sampler_config("heun", steps=3), seed=0)
    assert samples.network_evals == 5 and torch.isfinite(samples.returns).all()
    with pytest.raises(ConfigError, match=r"continuous σ\): use sampler=heun"):
        generate(module, 1, sampler_config("ancestral", steps=3), seed=0)
    with pytest.raises(ConfigError, match="schedule=discrete walks a discrete model"):
        generate(module, 1, sampler_config("heun", steps=3, schedule="discrete"), seed=0)


@pytest.mark.slow
def test_edm_smoke_run_trains_and_records(smoke_cfg):
    from wavediff.jobs.train import train

    cfg = smoke_cfg("model.prediction=edm", "sampler=heun", "sampler.steps=3")
    train(cfg)
    module = load_module(Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt")
    assert isinstance(module.preconditioning, EDMPreconditioning)
    assert list(Path(cfg.paths.output_dir).rglob("samples.npz"))  # the sampling callback ran heun


def test_sampling_callback_draws_how_a_sample_emerges(trained):
    pictures = sorted((trained[1] / "samples").rglob("denoising.png"))  # fed by the step callback
    assert pictures and pictures[0].stat().st_size > 1000


def test_denoising_trace_keeps_evenly_spread_steps_of_the_first_batch():
    from wavediff.sampling.trace import DenoisingTrace

    trace = DenoisingTrace(points=4)
    sigmas = karras_sigmas(10, 0.01, 10.0)
    for batch in range(2):
        methods.heun(lambda x, s: x * 0 + s, torch.zeros(2, 3), sigmas, None, callback=trace)
    assert trace.images.shape == (4, 3) and len(trace.sigmas) == 4  # 19 calls -> calls 0, 6, 12, 18
    assert trace.sigmas[0] == pytest.approx(10.0) and trace.sigmas[-1] == pytest.approx(0.01)
    assert torch.allclose(trace.images[:, 0], torch.tensor(trace.sigmas, dtype=torch.float32))


@pytest.mark.parametrize("overrides, message", [
    ({"steps": 0}, "steps must be >= 1"),
    ({"options": {"churn": -1.0}}, "churn=-1.0: must be >= 0"),
    ({"options": {"s_noise": -0.1}}, "s_noise=-0.1: must be >= 0"),
    ({"options": {"churn_typo": 1.0}}, "not accepted by wavediff.sampling.methods.edm; it takes churn"),
    ({"sigma_max": 1e5}, "outside the model's trained σ range"),
    ({"schedule": "cosine"}, "schedule='cosine': one of karras, discrete"),
    ({"method": "wavediff.sampling.methods.nope"}, "cannot import"),
    ({"scheduler": "diffusers.DDIMScheduler"}, "exactly one of sampler.method"),
])
def test_bad_sampler_settings_are_one_line_errors(overrides, message):
    module = tiny_module()
    with pytest.raises(ConfigError, match=message):
        generate(module, 1, sampler_config("edm", **overrides), seed=0)


def test_schedule_refuses_a_range_outside_the_training_one():
    with pytest.raises(ConfigError, match=r"sigma_min=1e-05: outside"):
        schedule_sigmas("karras", vp(), 5, sigma_min=1e-5)
    assert SamplerConfig.from_mapping(sampler_config("euler")).function() is methods.euler


def test_sampler_table_scores_rows_records_them_and_resumes(trained, tmp_path):
    from conftest import run_cli
    from wavediff.registry.store import Registry
    from wavediff.registry.tables import GenerationRun

    rows = tmp_path / "rows.yaml"
    rows.write_text("rows:\n"
                    "  - {label: anc, model: tiny, sampler: ancestral, overrides: [steps=2, step_kwargs.eta=0.5]}\n"
                    "  - {model: tiny, sampler: edm, overrides: [steps=2, options.churn=5]}\n")
    ckpt = trained[1] / "checkpoints" / "last.ckpt"
    db = f"registry.url=sqlite:///{tmp_path}/r.db"
    args = ("samplers", "--model", f"tiny={ckpt}", "--rows", str(rows), "--n", "8", "--draws", "2",
            "--out", str(tmp_path / "out"), "--registry", db)
    ran = run_cli(*args)
    assert ran.code == 0, ran.err
    payload = json.loads((tmp_path / "out" / "samplers.json").read_text())
    assert [r["label"] for r in payload["rows"]] == ["anc", "tiny_edm_steps_2_options.churn_5"]
    assert [r["network_evals"] for r in payload["rows"]] == [2, 3]
    assert all(np.isfinite(r["ratios"]["ks"]) and r["seconds_per_64"] > 0 for r in payload["rows"])
    table = (tmp_path / "out" / "samplers.md").read_text()
    assert "| tiny | edm | 2 | 3 | churn=5 |" in table and "real (held out)" in table
    assert "| tiny | ancestral | 2 | 2 | eta=0.5 |" in table  # a scheduler's step kwarg is shown too
    verdicts = payload["rows"][1]["verdicts"]  # the second row against the first (same data)
    assert "verdicts" not in payload["rows"][0] and set(verdicts.values()) <= {"better", "same", "worse"}
    assert {"ks", "discriminative"} <= set(verdicts) and "Paired verdicts of each row against the first (anc" in table
    registry = Registry(f"sqlite:///{tmp_path}/r.db")
    assert sorted(r.sampler for r in registry.all(GenerationRun)) == ["ancestral", "edm"]
    done = (tmp_path / "out" / "anc" / "row.json").stat().st_mtime_ns
    assert run_cli(*args).code == 0  # a second run reuses both rows: nothing generated again
    assert (tmp_path / "out" / "anc" / "row.json").stat().st_mtime_ns == done
    assert len(registry.all(GenerationRun)) == 2
    bad = run_cli("samplers", "--rows", str(rows), "--out", str(tmp_path / "x"))
    assert bad.code != 0 and bad.err.startswith("error:") and "--model tiny=<path>" in bad.err


@pytest.mark.parametrize("prediction, edm, message", [
    ("epsilon", {"sigma_data": 1.0}, "model.edm is set but model.prediction='epsilon'"),
    ("edm", {"sigma_data": -1.0}, r"model.edm.sigma_data=-1.0: must be a positive number"),
    ("edm", {"sigma_min": 5.0, "sigma_max": 1.0}, "sigma_min=5.0 must be below sigma_max=1.0"),
    ("edm", {"rho": 7}, "model.edm: .*unexpected keyword"),
    ("edn", None, "or edm"),
])
def test_bad_preconditioning_settings_are_one_line_errors(prediction, edm, message):
    with pytest.raises(ConfigError, match=message):
        tiny_module(prediction=prediction, edm=edm)


# --- scenarios: continuing a known history -----------------------------------------------------

@pytest.mark.parametrize("name", ["ancestral", "heun", "edm"])
def test_scenarios_start_with_the_history_exactly_and_the_sampler_honours_it(module, name):
    rep = module.representation
    window = rep.image_shape[-1]
    history = (torch.randn(window // 2, generator=torch.Generator().manual_seed(2)) * 4e-4)
    cfg = sampler_config(name, steps=4)
    samples = generate(module, 3, cfg, seed=0, history=history)
    assert samples.history_length == window // 2
    assert torch.equal(samples.returns[:, :window // 2], history.expand(3, -1))  # the data, exactly
    # and what the sampler drew already had it (the inpainting, not the final copy, did the work)
    drawn = samples.returns_as_sampled[:, :window // 2]
    assert float((drawn - history).abs().max()) < 1e-3 * float(history.std())
    assert not torch.equal(samples.returns[0, window // 2:], samples.returns[1, window // 2:])  # n scenarios
    assert float(rep.reprojection_error(samples.images).max()) < 1e-4


def test_history_corrections_cost_one_call_each_and_keep_the_history(module):
    window = module.representation.image_shape[-1]
    history = torch.randn(window // 2, generator=torch.Generator().manual_seed(2)) * 4e-4
    plain = generate(module, 2, sampler_config("heun", steps=2, history_corrections=0), seed=0, history=history)
    corrected = generate(module, 2, sampler_config("heun", steps=2), seed=0, history=history)  # the default: 1
    assert (plain.network_evals, corrected.network_evals) == (3, 6)
    assert torch.equal(corrected.returns[:, :window // 2], history.expand(2, -1))
    assert not torch.equal(corrected.returns, plain.returns)
    unconditional = generate(module, 2, sampler_config("heun", steps=2, history_corrections=1), seed=0)
    assert unconditional.network_evals == 3  # no history: nothing to correct
    with pytest.raises(ConfigError, match="history_corrections must be an integer 0 to 8"):
        generate(module, 1, sampler_config("heun", steps=2, history_corrections=-1), history=history)


@pytest.mark.parametrize("history, message", [
    (torch.zeros(0), "0 known returns"), (torch.zeros(10_000), "10000 known returns"),
    (torch.tensor([0.0, float("nan")]), "NaN"), (torch.zeros(2, 3), r"expected \(k,\) or \(3, k\)"),
])
def test_bad_histories_are_one_line_errors(module, history, message):
    with pytest.raises(ConfigError, match=message):
        generate(module, 3, sampler_config("heun", steps=2), history=history)


def test_generate_command_writes_scenarios_after_a_split_or_a_csv(trained, tmp_path):
    from conftest import run_cli

    root, run, _ = trained
    ckpt = run / "checkpoints" / "last.ckpt"
    window = load_module(ckpt).representation.image_shape[-1]
    out = tmp_path / "scen.png"
    ran = run_cli("generate", f"checkpoint={ckpt}", "n=6", "history=test", f"horizon={window // 4}",
                  "sampler=heun", "sampler.steps=2", f"output_path={out}", f"paths.output_root={tmp_path}")
    assert ran.code == 0, ran.err
    with np.load(tmp_path / "scen.npz") as npz:
        returns, k = npz["returns"], int(npz["history_length"])
    assert k == window - window // 4 and (tmp_path / "scen_fan.png").stat().st_size > 1000
    assert np.all(returns[:, :k] == returns[0, :k])  # one history, six continuations
    # a CSV of prices: the last (window - horizon) returns of its close, paths from its last known price
    closes = 100 * np.exp(np.cumsum(np.r_[0.0, np.full(window, 1e-3)]))
    pd.DataFrame({"timestamp": pd.date_range("2024-01-01", periods=len(closes), freq="min"),
                  "close": closes}).to_csv(tmp_path / "h.csv", index=False)
    ran = run_cli("generate", f"checkpoint={ckpt}", "n=2", f"history={tmp_path / 'h.csv'}", "horizon=8",
                  "sampler=heun", "sampler.steps=2", f"output_path={tmp_path / 'c.png'}",
                  f"paths.output_root={tmp_path}")
    assert ran.code == 0, ran.err
    with np.load(tmp_path / "c.npz") as npz:
        assert np.allclose(npz["returns"][:, :window - 8], 1e-3, atol=1e-7)
        assert np.allclose(npz["prices"][:, window - 8], closes[-1], rtol=1e-6)  # the history ends at the last close
    for bad, message in (("horizon=0", "horizon=0: with history="), (f"horizon={window}", f"horizon={window}"),
                         ("history=nowhere.csv", "neither a split"), ("history=null", "horizon= needs history=")):
        args = ["history=test", "horizon=4"]
        args = [a for a in args if a.split("=")[0] != bad.split("=")[0]] + [bad]
        ran = run_cli("generate", f"checkpoint={ckpt}", "n=2", *args, f"paths.output_root={tmp_path}")
        assert ran.code != 0 and message in ran.err and ran.err.count("\n") == 1, ran.err
    short = tmp_path / "short.csv"
    pd.DataFrame({"timestamp": pd.date_range("2024-01-01", periods=5, freq="min"),
                  "close": closes[:5]}).to_csv(short, index=False)
    ran = run_cli("generate", f"checkpoint={ckpt}", "n=2", f"history={short}", "horizon=4",
                  f"paths.output_root={tmp_path}")
    assert ran.code != 0 and "has 4 returns; this model needs" in ran.err


def test_long_paths_after_a_history_start_with_it_exactly(module):
    from wavediff.sampling.generate import generate_long

    window = module.representation.image_shape[-1]
    horizon = window // 2
    history = torch.randn(window - horizon, generator=torch.Generator().manual_seed(4)) * 4e-4
    paths = generate_long(module, 2, window + 3, sampler_config("heun", steps=2), horizon=horizon, history=history)
    k = window - horizon
    assert paths.history_length == k and paths.returns.shape == (2, k + window + 3)
    assert torch.equal(paths.returns[:, :k], history.expand(2, -1))
    # 3 windows after a history, each 3 Heun calls, doubled by the default history correction
    assert paths.seams == [k, k + horizon, k + 2 * horizon] and paths.network_evals == 3 * 3 * 2
    with pytest.raises(ConfigError, match=f"need {k}"):
        generate_long(module, 2, window, sampler_config("heun", steps=2), horizon=horizon, history=history[1:])


@pytest.mark.slow
def test_long_paths_chain_scenarios_and_record_them(trained, tmp_path):
    from conftest import run_cli
    from wavediff.sampling.generate import generate_long

    ckpt = trained[1] / "checkpoints" / "last.ckpt"
    module = load_module(ckpt)
    window = module.representation.image_shape[-1]
    cfg = sampler_config("heun", steps=2)
    paths = generate_long(module, 2, 2 * window + 5, cfg, horizon=window // 2, seed=3)
    assert paths.returns.shape == (2, 2 * window + 5) and paths.prices.shape == (2, 2 * window + 6)
    # the first window from nothing (nothing to correct), 3 chained ones with the default correction
    assert paths.seams == [window, window + window // 2, 2 * window] and paths.network_evals == 3 + 3 * 3 * 2
    assert torch.isfinite(paths.returns).all() and not torch.equal(paths.returns[0], paths.returns[1])
    again = generate_long(module, 2, 2 * window + 5, cfg, horizon=window // 2, seed=3)
    assert torch.equal(paths.returns, again.returns)  # seeded
    ran = run_cli("generate", f"checkpoint={ckpt}", "n=2", f"length={window + 3}", "sampler=heun", "sampler.steps=2",
                  f"output_path={tmp_path / 'long.png'}", f"paths.output_root={tmp_path}")
    assert ran.code == 0, ran.err
    assert (tmp_path / "long_long.png").stat().st_size > 1000
    handoff = json.loads(ran.out.strip().splitlines()[-1])
    assert handoff["length"] == window + 3 and handoff["seam_check"]["width"] == min(16, window // 4)
    with np.load(tmp_path / "long.npz") as npz:
        assert npz["returns"].shape == (2, window + 3) and npz["seams"].tolist() == [window]
    ran = run_cli("generate", f"checkpoint={ckpt}", "n=2", f"length={window - 1}", f"paths.output_root={tmp_path}")
    assert ran.code != 0 and f"at least one window ({window} returns)" in ran.err
    ran = run_cli("generate", f"checkpoint={ckpt}", "n=2", f"length={window}", "history=test", "sampler=heun",
                  "sampler.steps=2", f"output_path={tmp_path / 'after.png'}", f"paths.output_root={tmp_path}")
    assert ran.code == 0, ran.err
    k = window - window // 4
    with np.load(tmp_path / "after.npz") as npz:
        assert npz["returns"].shape == (2, k + window) and npz["seams"][0] == k
        assert np.array_equal(npz["returns"][0, :k], npz["returns"][1, :k])  # the test split's last k returns


def test_every_shipped_sampler_table_names_existing_samplers():
    from conftest import CONFIGS
    from omegaconf import OmegaConf

    from wavediff.jobs.sampler_table import Row

    files = sorted(CONFIGS.glob("sampler_table*.yaml"))
    assert len(files) >= 3
    for path in files:
        rows = [Row.from_mapping(r) for r in OmegaConf.load(path).rows]
        assert rows and len({r.label for r in rows}) == len(rows), path
        assert all((CONFIGS / "sampler" / f"{r.sampler}.yaml").is_file() for r in rows), path
