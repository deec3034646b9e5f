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
    assert results["matmul"]["gflop_per_s"] > 0
    assert "speed-up vs seed" in proc.stdout and (tmp_path / "bench.txt").is_file()
