"""The quality benchmark: the quick suite end to end (cells, table, registry rows, resuming), the
table's rules, the noise-floor pools, and its refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli
from wavediff.errors import ConfigError, DataError
from wavediff.jobs.benchmark import Fitted, Trained, headline_table, replace_block, suite_config, check_suite

pytest.importorskip("arch")

QUICK_CELLS = [("mjd", g) for g in ("wavediff", "garch_t", "bootstrap", "simulator")]


@pytest.fixture(scope="module")
def quick(tmp_path_factory) -> Path:
    """``wavediff benchmark --quick`` once, in a fresh output root."""
    root = tmp_path_factory.mktemp("benchmark")
    ran = run_cli("benchmark", "--quick", f"paths.output_root={root}")
    assert ran.code == 0, ran.err[-3000:]
    return root


def test_the_quick_suite_writes_every_cell_the_table_and_registry_rows(quick):
    suite = quick / "benchmark" / "quick"
    for dataset, generator in QUICK_CELLS:
        cell = json.loads((suite / dataset / generator / "seed_0" / "cell.json").read_text())
        assert cell["n"] == 16 and cell["dataset"] == dataset and cell["generator"] == generator
        with np.load(suite / dataset / generator / "seed_0" / "samples.npz") as npz:
            assert npz["returns"].shape == (16, cell["window"]) and np.isfinite(npz["returns"]).all()
        ratios = [m["ratio"] for m in cell["metrics"].values()]
        assert cell["median_ratio"] == pytest.approx(float(np.median(ratios)))
    summary = json.loads((suite / "benchmark.json").read_text())
    assert summary["datasets"] == ["mjd"] and summary["missing"] == []
    assert set(summary["rows"]["mjd"]) == {"wavediff", "garch_t", "bootstrap", "simulator"}
    # the data's own simulator is the perfect generator: near the floor even at n=16
    assert summary["rows"]["mjd"]["simulator"]["median_ratio"] < 2
    # the window-scale map's before / after, on the same windows
    assert summary["rows"]["mjd"]["wavediff"]["as_sampled"]["median_ratio"] > 0
    assert summary["verdicts"]["mjd"]["wavediff"]["versus"] in ("garch_t", "bootstrap")
    counts = summary["verdicts"]["mjd"]["wavediff"]
    # every metric is judged: the distances, the classifier's score and the forecaster's (on its raw MAE)
    assert counts["better"] + counts["same"] + counts["worse"] == summary["n_metrics"]
    assert headline_table(summary) in (suite / "benchmark.md").read_text()

    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{quick}/wavediff.db")
    with engine.connect() as c:
        samplers = sorted(r[0] for r in c.execute(sa.text("select sampler from generation_runs "
                                                          "where status = 'finished'")))
        trained = c.execute(sa.text("select count(*) from train_runs where status = 'finished'")).scalar()
        benchmark_rows = c.execute(sa.text("select count(distinct generation_run_id) from metrics "
                                           "where source = 'benchmark'")).scalar()
    assert samplers.count("baseline:garch_t") == 1 and samplers.count("baseline:simulator") == 1
    assert trained == 1 and benchmark_rows == len(QUICK_CELLS)


def test_a_finished_cell_is_not_redone_and_a_broken_one_is(quick):
    suite = quick / "benchmark" / "quick"
    kept = suite / "mjd" / "garch_t" / "seed_0" / "cell.json"
    broken = suite / "mjd" / "bootstrap" / "seed_0" / "cell.json"
    before = kept.stat().st_mtime_ns
    broken.write_text("{")  # as if the job died while writing
    ran = run_cli("benchmark", "--quick", f"paths.output_root={quick}", "suite.generators=[garch_t,bootstrap]")
    assert ran.code == 0, ran.err[-3000:]
    assert kept.stat().st_mtime_ns == before
    assert json.loads(broken.read_text())["generator"] == "bootstrap"
    assert json.loads((suite / "benchmark.json").read_text())["generators"] == ["garch_t", "bootstrap"]  # as given
    # the whole suite's table again, from the finished cells alone
    ran = run_cli("benchmark", "--quick", f"paths.output_root={quick}", "table_only=true")
    assert ran.code == 0 and "not run yet" not in ran.out
    summary = json.loads((suite / "benchmark.json").read_text())
    assert len(summary["generators"]) == 4 and summary["missing"] == []


def test_the_headline_bolds_the_best_generator_that_does_not_know_the_law():
    def cell(median, oracle=False):
        return {"median_ratio": median, "max_ratio": 2 * median, "oracle": oracle}

    summary = {"generators": ["wavediff", "garch_t", "simulator"],
               "rows": {"mjd": {"wavediff": cell(1.5), "garch_t": cell(2.0), "simulator": cell(0.9, oracle=True)},
                        "sp500": {"garch_t": cell(1.1), "simulator": {"applies": False, "oracle": True}}}}
    lines = headline_table(summary).splitlines()
    assert lines[0] == "| data | wavediff | garch_t | simulator |"
    assert lines[2] == "| mjd | **1.50 / 3.0** | 2.00 / 4.0 | 0.90 / 1.8 |"
    assert lines[3] == "| sp500 | - | **1.10 / 2.2** | n/a |"  # not run yet; cannot run on real data


def test_the_readme_block_is_replaced_whole(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- benchmark:start -->\nold\n<!-- benchmark:end -->\nrest\n")
    replace_block(readme, "| new |")
    assert readme.read_text() == "intro\n<!-- benchmark:start -->\n| new |\n<!-- benchmark:end -->\nrest\n"
    (tmp_path / "plain.md").write_text("no markers")
    with pytest.raises(ConfigError, match="no <!-- benchmark:start -->"):
        replace_block(tmp_path / "plain.md", "x")


@pytest.mark.parametrize("overrides, message", [
    (["suite.datasets=[mjd,nope]"], "suite.datasets: data=nope: no such option"),
    (["suite.generators=[wavediff,garch]"], "suite.generators: unknown garch; defined under generators"),
    (["suite.n=4"], "suite.n=4: an integer >= 8"),
    (["suite.seeds=[]"], "suite.seeds: give at least one seed"),
    (["generators.garch_t.baseline=garch"], "unknown garch; choose from garch_t"),
])
def test_a_suite_that_cannot_run_is_refused_in_one_line(overrides, message):
    with pytest.raises(ConfigError, match=message):
        check_suite(suite_config(overrides))


def test_the_command_refuses_before_any_cell_runs(tmp_path):
    ran = run_cli("benchmark", f"paths.output_root={tmp_path}", "suite.generators=[wavediff,garch]")
    assert ran.code == 1
    assert ran.err.strip().splitlines() == [
        "error: suite.generators: unknown garch; defined under generators: wavediff, long_cpu, garch_t, gjr_t, "
        "bootstrap, simulator"]
    assert not (tmp_path / "benchmark" / "default").exists()


def test_generators_check_their_own_arguments():
    with pytest.raises(ConfigError, match="a list of key=value strings"):
        Trained(overrides=["experiment"])
    assert Fitted("simulator").oracle and not Fitted("garch_t").oracle and not Trained().oracle


def _market_like(tmp_path: Path):
    """A small simulated data module, and the same returns read back from a CSV (no simulator)."""

    from wavediff.data.datamodule import WaveletDataModule
    from wavediff.data.garch import GARCHSource
    from wavediff.jobs.evaluate import RealData

    def real(dm):
        dm.setup()
        held_out = np.concatenate([dm.windows["val"].numpy(), dm.windows["test"].numpy()])
        return RealData(held_out, dm.windows["train"].numpy(), dm)

    kwargs = {"window_size": 32, "stride": 16, "transform": {"num_scales": 8, "tails": None}}
    simulated = real(WaveletDataModule(GARCHSource(days=3, seed=1), **kwargs))
    bars = simulated.datamodule.price_data.bars
    bars[["timestamp", "close"]].to_csv(tmp_path / "garch.csv", index=False)
    return simulated, real(WaveletDataModule.from_csv(str(tmp_path / "garch.csv"), **kwargs))


def test_the_floor_pool_is_fresh_simulator_paths_on_simulated_data_only(tmp_path):
    from wavediff.jobs.evaluate import floor_pool

    simulated, csv = _market_like(tmp_path)
    n = 8
    fresh = floor_pool(simulated, "auto", n, seed=0)
    assert fresh.shape == (max(2 * n, len(simulated.pool)), 32)
    assert not np.isin(fresh, simulated.pool).any()  # new paths, not the observed one
    assert floor_pool(simulated, "train", n, seed=0) is simulated.pool
    assert floor_pool(csv, "auto", n, seed=0) is csv.pool
    with pytest.raises(DataError, match="not a simulator"):
        floor_pool(csv, "simulator", n, seed=0)
    with pytest.raises(ConfigError, match="floor_pool='path': one of train, simulator, auto"):
        floor_pool(csv, "path", n, seed=0)


def test_a_baseline_that_fails_to_fit_leaves_the_others_written(tmp_path):
    from wavediff.data.datamodule import WaveletDataModule
    from wavediff.data.mjd import MJDSource
    from wavediff.jobs.evaluate import RealData, baseline_sets
    from wavediff.jobs.recorder import RunRecorder
    from wavediff.registry.store import Registry
    from wavediff.registry.tables import GenerationRun

    # 172 minute returns: 86 for training, too few for GARCH (100), plenty for the bootstrap
    dm = WaveletDataModule(MJDSource(days=0.12), window_size=16, stride=8,
                           splits={"train": 0.5, "val": 0.25, "test": 0.25}, transform={"num_scales": 4, "max_scale": 8, "tails": None})
    dm.setup()
    real = RealData(np.concatenate([dm.windows["val"].numpy(), dm.windows["test"].numpy()]),
                    dm.windows["train"].numpy(), dm)
    registry = Registry(f"sqlite:///{tmp_path}/r.db")
    sets = baseline_sets(["garch_t", "bootstrap"], real, 4, 0, RunRecorder(registry), tmp_path)
    assert [s.name for s in sets] == ["bootstrap"] and (tmp_path / "bootstrap.npz").is_file()
    rows = {r.sampler: r.status for r in registry.all(GenerationRun)}
    assert rows == {"baseline:garch_t": "failed", "baseline:bootstrap": "finished"}
    with pytest.raises(DataError, match="garch_t: .* training returns; it needs at least 100"):
        baseline_sets(["garch_t"], real, 4, 0, RunRecorder(None), tmp_path)


def test_the_studio_lists_benchmarks_and_evaluation_reports(quick):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from conftest import ROOT
    from wavediff.studio.app import StudioSettings, create_app

    ran = run_cli("evaluate", "data=garch", "data.source.days=3", "data.window_size=64", "data.stride=32",
                  "data.transform.num_scales=8", "n=16", "baselines=[garch_t,bootstrap]", "verdict_draws=4",
                  f"paths.output_root={quick}")
    assert ran.code == 0, ran.err[-3000:]
    app = create_app(StudioSettings(output_root=quick, config_dir=ROOT / "configs"))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        listed = client.get("/api/reports").json()
        (bench,) = [b for b in listed["benchmarks"] if b["suite"] == "quick"]
        assert bench["datasets"] == ["mjd"] and bench["n"] == 16
        assert client.get(bench["url"]).json()["rows"]["mjd"]["simulator"]["oracle"] is True
        (report,) = listed["evaluations"]
        assert report["sets"] == ["garch_t", "bootstrap"]
        body = client.get(report["url"]).json()
        assert body["results"]["garch_t"]["verdicts"]["bootstrap"]["ks"]["verdict"] in ("better", "same", "worse")
        for file in body["plots"].values():  # every plot the page shows is served
            assert client.get(report["base_url"] + file).status_code == 200


def test_a_cell_computed_with_another_config_is_not_in_the_table(quick):
    suite = quick / "benchmark" / "quick"
    ran = run_cli("benchmark", "--quick", f"paths.output_root={quick}", "table_only=true", "suite.n=17")
    assert ran.code == 0, ran.err[-2000:]
    summary = json.loads((suite / "benchmark.json").read_text())
    assert summary["rows"]["mjd"] == {} and len(summary["missing"]) == 4  # every cell was made with n=16


def test_an_infinite_ratio_is_strict_json_and_reads_inf():
    from wavediff.jobs.benchmark import _finite

    summary = _finite({"generators": ["a", "b"], "rows": {"x": {
        "a": {"median_ratio": float("inf"), "max_ratio": float("inf"), "oracle": False},
        "b": {"median_ratio": 1.0, "max_ratio": 2.0, "oracle": False}}}})
    assert json.loads(json.dumps(summary, allow_nan=False))["rows"]["x"]["a"]["max_ratio"] is None
    assert headline_table(summary).splitlines()[2] == "| x | inf / inf | **1.00 / 2.0** |"
