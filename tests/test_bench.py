"""bench.py --quick runs and writes well-formed JSON (structure only: speed is not tested)."""

import json

from conftest import run_script


def test_quick_bench_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    proc = run_script("bench.py", "--quick", "--repeats", "1", "--out", str(out), cwd=tmp_path, check=True)
    results = json.loads(out.read_text())
    assert results["transform"]["speedup_vs_seed"] > 0
    assert results["dataset"]["cached_s"] > 0 and results["dataset"]["cold_s"] > 0
    assert {r["input"] for r in results["training"]} == {"wavediff", "seed-like"}
    assert all(r["gflop_per_step"] > 0 for r in results["training"])
    samplers = {r["sampler"]: r for r in results["sampling"]}
    assert {"ddpm", "ddim", "dpm", "unipc"} <= set(samplers)
    assert samplers["ddpm"]["speedup_vs_ddpm"] == 1.0
    assert samplers["ddim"]["network_evals"] < samplers["ddpm"]["network_evals"]
    scenarios = samplers["euler_ancestral+history"]  # the same sampler continuing a history, timed beside it
    assert scenarios["network_evals"] == 2 * samplers["euler_ancestral"]["network_evals"]  # the default correction
    assert scenarios["slowdown_vs_plain"] > 0
    assert results["matmul"]["gflop_per_s"] > 0
    # a sampling epoch's pictures, drawn with their fixed margins beside constrained layout
    assert [r["figure"].split(" (")[0] for r in results["figures"]] == ["scalogram", "paths", "denoising"]
    assert all(r["fixed_s"] > 0 and r["speedup"] > 0 for r in results["figures"]) and "pictures" in proc.stdout
    assert "speed-up vs seed" in proc.stdout and (tmp_path / "bench.txt").is_file()
    # the modules come from the composed default config, and the report says which
    assert results["modules"].startswith("configs/train.yaml composed: model/noise=range")
    assert "tails=quantile" in results["modules"] and results["modules"] in proc.stdout


def test_accelerator_rows_run_on_any_device():
    """The GPU section's code path (bf16 autocast, fused AdamW, EMA, batch sampling), on the CPU."""
    import torch
    from conftest import CONFIGS

    from wavediff.jobs.bench import QUICK, bench_accelerator, gpu_report, load_sampler_configs

    gpu = bench_accelerator(QUICK, CONFIGS, load_sampler_configs(CONFIGS, steps_override=2), torch.device("cpu"),
                            train_batches=(2, 4), sample_batch=3, matmul_n=64)
    assert [(r["batch"], r["precision"]) for r in gpu["training"]] == [(2, "32"), (2, "bf16-mixed"), (4, "bf16-mixed")]
    assert all("error" not in r and r["windows_per_s"] > 0 for r in gpu["training"]), gpu["training"]
    assert "error" not in gpu["sampling"][0] and gpu["sampling"][0]["series_per_s"] > 0, gpu["sampling"]
    table = gpu_report(gpu)
    assert gpu["bf16_matmul_tflop_per_s"] > 0 and "failed" not in table
    assert table.count("bf16-mixed") == 2 and "ancestral" in table
