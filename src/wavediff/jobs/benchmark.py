"""The benchmark job (``wavediff benchmark``): every data set x generator of a suite, scored the
same way against the same held-out windows, and one table of the results.

A *cell* is one data set, one generator and one seed; it is one Hydra job (so a suite runs on
any launcher) and writes ``<dir>/<data set>/<generator>/seed_<s>/cell.json`` last, so a
finished cell is never redone (its ``key`` hashes everything that determines it). A generator
is either :class:`Trained` (WaveDiff, trained as ``configs/train.yaml`` composes it with its
overrides, then sampled) or :class:`Fitted` (a classical baseline fitted on the same training
split). :func:`write_table` gathers the cells into ``benchmark.md`` and ``benchmark.json``:
per cell the median and the maximum over metrics of value / noise floor, and per data set a
paired verdict of each WaveDiff generator against the best classical one.
"""

from __future__ import annotations

import copy
import json
import logging
import shutil
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from wavediff.baselines import BASELINES, check_baseline_names
from wavediff.config.compose import compose_config, resolved
from wavediff.config.instantiate import instantiate
from wavediff.errors import CheckpointError, ConfigError, DataError
from wavediff.jobs.evaluate import RealData, SampleSet, baseline_sets, check_verdict_draws, floor_pool, real_data
from wavediff.jobs.recorder import RunRecorder
from wavediff.metrics.report import compare_to_real, flat_metrics, paired_verdicts, verdict_counts
from wavediff.registry.store import git_commit
from wavediff.utils import atomic_path, atomic_write_text, config_hash

log = logging.getLogger(__name__)

CELL_FORMAT = 2  # bump when a cell's content or meaning changes, so old cells are redone (2: discriminative floor over every draw, balanced test split)


class Trained:
    """WaveDiff as a generator: ``configs/train.yaml`` with ``overrides`` (e.g. ``[experiment=long_cpu]``),
    trained on the cell's data set, then ``n`` windows sampled with the config's sampler."""

    oracle = False  # a generator anyone can use (not the data's own simulator)

    def __init__(self, overrides: list[str] | None = None) -> None:
        overrides = list(overrides or [])
        if not all(isinstance(o, str) and "=" in o for o in overrides):
            raise ConfigError(f"Trained overrides={overrides!r}: a list of key=value strings")
        self.overrides = overrides

    def applies_to(self, source: Any) -> bool:
        return True  # any data

    def fingerprint(self, train_cfg: dict[str, Any]) -> dict[str, Any]:
        """What determines the samples: the whole training config, bar where things are written."""
        return {k: v for k, v in train_cfg.items() if k not in ("paths", "registry")}

    def draw(self, name: str, train_cfg: DictConfig, real: RealData, n: int, seed: int, recorder: RunRecorder,
             out: Path, device: str) -> tuple[SampleSet, dict[str, Any]]:
        from wavediff.jobs.generate import sample_and_record, sampler_from_config
        from wavediff.jobs.train import train
        from wavediff.models.loading import load_module, resolve_device

        start = time.perf_counter()
        result = train(train_cfg)
        seconds = time.perf_counter() - start
        if not result.checkpoint:
            raise CheckpointError(f"{name}: training wrote no checkpoint")
        checkpoint = Path(result.checkpoint)
        module = load_module(checkpoint, resolve_device(device))
        generated = sample_and_record(module, recorder, checkpoint, result.train_run_id, n,
                                      sampler_from_config(train_cfg), out / "samples.png", seed=seed,
                                      config=resolved(train_cfg))
        returns = generated.samples.returns.numpy().astype(np.float64)
        extra: dict[str, Any] = {"train_run_id": result.train_run_id, "train_seconds": round(seconds, 1),
                                 "val_loss": result.metrics.get("val/loss")}
        if generated.samples.returns_as_sampled is not None:  # scored too: the window-scale map's effect
            extra["as_sampled_returns"] = generated.samples.returns_as_sampled.numpy().astype(np.float64)
        return SampleSet(name, returns, generated.generation_run_id), extra


class Fitted:
    """A classical baseline (``garch_t``, ``gjr_t``, ``bootstrap``, ``simulator``) fitted on the
    cell's training split, ``n`` windows drawn."""

    def __init__(self, baseline: str) -> None:
        check_baseline_names([baseline])
        self.baseline = baseline
        self.overrides: list[str] = []
        # the data's own simulator knows the true law: a sanity check, not a competitor
        self.oracle = bool(getattr(BASELINES[baseline], "oracle", False))

    def applies_to(self, source: Any) -> bool:
        """Whether the baseline can run on data from ``source`` (``simulator`` needs simulated data)."""
        try:
            BASELINES[self.baseline](source)
        except DataError:
            return False
        return True

    def fingerprint(self, train_cfg: dict[str, Any]) -> dict[str, Any]:
        return {"data": train_cfg["data"], "baseline": self.baseline}

    def draw(self, name: str, train_cfg: DictConfig, real: RealData, n: int, seed: int, recorder: RunRecorder,
             out: Path, device: str) -> tuple[SampleSet, dict[str, Any]]:
        start = time.perf_counter()
        (sample_set,) = baseline_sets([self.baseline], real, n, seed, recorder, out)
        return SampleSet(name, sample_set.returns, sample_set.generation_run_id), {
            "fit_seconds": round(time.perf_counter() - start, 2)}


def suite_generators(cfg: DictConfig) -> dict[str, Any]:
    """The generators named by ``cfg.suite.generators``, built (each checks its own arguments)."""
    names = list(cfg.suite.generators)
    unknown = [g for g in names if g not in cfg.generators]
    if unknown:
        raise ConfigError(f"suite.generators: unknown {', '.join(unknown)}; defined under generators: "
                          f"{', '.join(cfg.generators)}")
    return {g: instantiate(cfg.generators[g], f"generators.{g}") for g in names}


def check_suite(cfg: DictConfig) -> None:
    """One line for a suite that cannot run: an unknown data set or generator, n too small."""
    from wavediff.config.compose import config_dir, unknown_choice

    if not isinstance(cfg.suite.n, int) or cfg.suite.n < 8:
        raise ConfigError(f"suite.n={cfg.suite.n!r}: an integer >= 8 (windows per cell)")
    for dataset in cfg.suite.datasets:
        if reason := unknown_choice(config_dir(), "data", str(dataset)):
            raise ConfigError(f"suite.datasets: {reason}")
    if not list(cfg.suite.seeds):
        raise ConfigError("suite.seeds: give at least one seed")
    check_verdict_draws(cfg)
    suite_generators(cfg)


def cell_dir(cfg: DictConfig, dataset: str, generator: str, seed: int) -> Path:
    return Path(cfg.dir).expanduser().resolve() / dataset / generator / f"seed_{seed}"


def cell_train_config(cfg: DictConfig, dataset: str, seed: int, generator: Any, out: Path) -> DictConfig:
    """``configs/train.yaml`` for one cell: the data set, the seed, the suite's and the generator's
    overrides, and this benchmark's output root and registry."""
    overrides = [f"data={dataset}", f"seed={seed}", f"paths.output_root={cfg.paths.output_root}",
                 f"paths.output_dir={out / 'run'}", f"registry.url={cfg.registry.url}",
                 f"registry.artifacts_root={cfg.registry.artifacts_root}",
                 *cfg.suite.overrides, *cfg.suite.get("data_overrides", {}).get(dataset, []), *generator.overrides]
    key = tuple(str(o) for o in overrides)
    if key not in _composed:  # the cell and, later, the table's staleness check need the same config
        try:
            _composed[key] = compose_config("train", overrides)
        except Exception as exc:  # Hydra's composition errors, in one line
            raise ConfigError(f"{dataset}: cannot compose the training config ({' '.join(str(exc).split())})") from None
    return copy.deepcopy(_composed[key])


_composed: dict[tuple[str, ...], DictConfig] = {}  # per process: the config files do not change under a command


def run_cell(cfg: DictConfig) -> dict[str, Any]:
    """One data set x generator x seed (``cfg.dataset``, ``cfg.generator``, ``cfg.seed``): draw
    ``cfg.suite.n`` windows, score them against the held-out split, write ``cell.json``. A cell
    already finished with the same key is read back instead of redone."""
    dataset, name, seed = str(cfg.dataset), str(cfg.generator), int(cfg.seed)
    if name not in cfg.generators:
        raise ConfigError(f"generator={name}: one of {', '.join(cfg.generators)}")
    generator = instantiate(cfg.generators[name], f"generators.{name}")
    out = cell_dir(cfg, dataset, name, seed)
    train_cfg = cell_train_config(cfg, dataset, seed, generator, out)
    if not generator.applies_to(data_source(train_cfg)):
        log.info("%s / %s: does not apply to this data (n/a)", dataset, name)
        return {"dataset": dataset, "generator": name, "seed": seed, "median_ratio": None, "applies": False}
    n = int(cfg.suite.n)
    key = cell_key(cfg, train_cfg, generator, seed)
    done = read_cell(out / "cell.json")
    if done is not None and done.get("key") == key:
        log.info("%s / %s / seed %d: finished before, kept", dataset, name, seed)
        return done
    if out.exists():  # an unfinished or outdated attempt: start it again cleanly
        shutil.rmtree(out)
    out.mkdir(parents=True)
    real = real_data({"data": resolved(train_cfg)["data"]})
    if len(real.pool) < n:
        raise DataError(f"{dataset}: {len(real.pool)} training windows, fewer than suite.n={n}")
    write_reference(out.parent.parent, real.held_out)
    recorder = RunRecorder.from_config(cfg)
    sample_set, extra = generator.draw(name, train_cfg, real, n, seed, recorder, out, str(cfg.device))
    pool = floor_pool(real, cfg.floor_pool, n, seed)
    fields = real.datamodule.report_fields
    result = compare_to_real(sample_set.returns, real.held_out, pool, draws=cfg.floor_draws, seed=seed,
                             max_lag=cfg.max_lag, fields=fields)
    as_sampled = extra.pop("as_sampled_returns", None)
    if as_sampled is not None:  # the same windows before the window-scale map: a paired before / after
        floors = {k: m["floor"] for k, m in result["metrics"].items()}  # same pool, n and seed
        before = compare_to_real(as_sampled, real.held_out, pool, draws=cfg.floor_draws, seed=seed,
                                 max_lag=cfg.max_lag, floors=floors, fields=fields)["metrics"]
        before_ratios = [m["ratio"] for m in before.values()]
        extra["as_sampled"] = {"median_ratio": float(np.median(before_ratios)),
                               "max_ratio": float(np.max(before_ratios)),
                               "ratios": {k: m["ratio"] for k, m in before.items()}}
    recorder.metrics(flat_metrics(result), "benchmark", train_run_id=extra.get("train_run_id"),
                     generation_run_id=sample_set.generation_run_id)
    samples = out / "samples.npz"
    with atomic_path(samples) as tmp:
        np.savez_compressed(tmp, returns=sample_set.returns,
                            **({"returns_as_sampled": as_sampled} if as_sampled is not None else {}))
    ratios = [m["ratio"] for m in result["metrics"].values()]
    cell = {"key": key, "dataset": dataset, "generator": name, "seed": seed, "oracle": generator.oracle,
            "n": n, "n_reference": int(len(real.held_out)), "window": int(real.held_out.shape[1]),
            "floor_pool": cfg.floor_pool, "median_ratio": float(np.median(ratios)), "max_ratio": float(np.max(ratios)),
            "metrics": result["metrics"], "moments": result["moments"], "samples": samples.name,
            "generation_run_id": sample_set.generation_run_id, "commit": git_commit(Path(__file__).parent), **extra}
    atomic_write_text(out / "cell.json", json.dumps(cell, indent=2, default=float))  # last: marks it finished
    log.info("%s / %s / seed %d: median %.2f, max %.2f x floor", dataset, name, seed, cell["median_ratio"],
             cell["max_ratio"])
    return cell


def data_source(train_cfg: DictConfig) -> Any:
    """The data config's price source, built but not loaded (``None`` for CSV files)."""
    node = OmegaConf.select(train_cfg, "data.source")
    return instantiate(node, "data.source") if node is not None else None


def cell_key(cfg: DictConfig, train_cfg: DictConfig, generator: Any, seed: int) -> str:
    """What determines a cell's result, hashed: a finished cell with another key is stale."""
    return config_hash({"format": CELL_FORMAT, "generator": generator.fingerprint(resolved(train_cfg)),
                        "n": int(cfg.suite.n), "seed": seed, "floor_pool": cfg.floor_pool,
                        "floor_draws": cfg.floor_draws, "max_lag": cfg.max_lag})


def current_cell(cfg: DictConfig, dataset: str, name: str, generator: Any, seed: int) -> dict[str, Any] | None:
    """A finished cell whose key matches what this config would compute now, else ``None``."""
    out = cell_dir(cfg, dataset, name, seed)
    cell = read_cell(out / "cell.json")
    if cell is None:
        return None
    if cell.get("key") != cell_key(cfg, cell_train_config(cfg, dataset, seed, generator, out), generator, seed):
        log.warning("%s / %s / seed %d: computed with another config; left out (rerun to refresh it)",
                    dataset, name, seed)
        return None
    return cell


def read_cell(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_reference(dataset_dir: Path, held_out: np.ndarray) -> None:
    """The data set's held-out windows once, for the table's paired verdicts (same for every cell)."""
    path = dataset_dir / "reference.npz"
    if not path.is_file():
        with atomic_path(path) as tmp:
            np.savez_compressed(tmp, returns=held_out)


@dataclass
class Table:
    """What :func:`write_table` wrote: the summary and the markdown shown to the user."""

    summary: dict[str, Any]
    markdown: str
    benchmark_md: Path
    benchmark_json: Path
    missing: list[str]

    def handoff(self) -> dict[str, Any]:
        return {"job": "benchmark", "benchmark_md": str(self.benchmark_md),
                "benchmark_json": str(self.benchmark_json), "missing": self.missing}


def gather(cfg: DictConfig) -> dict[str, Any]:
    """Every finished cell of the suite, aggregated over seeds: ``{dataset: {generator: {...}}}``."""
    generators = suite_generators(cfg)
    rows: dict[str, Any] = {}
    for dataset in cfg.suite.datasets:
        row = {}
        source = data_source(compose_config("train", [f"data={dataset}", "paths.output_dir=.", *cfg.suite.overrides]))
        for name, generator in generators.items():
            if not generator.applies_to(source):
                row[name] = {"applies": False, "oracle": generator.oracle, "trained": False}
                continue
            cells = [c for s in cfg.suite.seeds if (c := current_cell(cfg, str(dataset), name, generator, int(s)))]
            if not cells:
                continue
            metrics = {k: float(np.mean([c["metrics"][k]["ratio"] for c in cells])) for k in cells[0]["metrics"]}
            row[name] = {"median_ratio": float(np.mean([c["median_ratio"] for c in cells])),
                         "max_ratio": float(np.mean([c["max_ratio"] for c in cells])),
                         "seeds": [c["seed"] for c in cells], "n": cells[0]["n"],
                         "n_reference": cells[0]["n_reference"], "oracle": generator.oracle,
                         "trained": isinstance(generator, Trained), "ratios": metrics,
                         "floors": {k: float(cells[0]["metrics"][k]["floor"]) for k in cells[0]["metrics"]},
                         "std_ratio": float(np.mean([c["moments"]["generated"]["std"] / c["moments"]["real"]["std"]
                                                     for c in cells])),
                         "train_seconds": _mean_or_none([c.get("train_seconds") for c in cells]),
                         "commits": sorted({str(c.get("commit")) for c in cells})}
            if all("as_sampled" in c for c in cells):
                row[name]["as_sampled"] = {
                    "median_ratio": float(np.mean([c["as_sampled"]["median_ratio"] for c in cells])),
                    "max_ratio": float(np.mean([c["as_sampled"]["max_ratio"] for c in cells]))}
        rows[str(dataset)] = row
    return rows


def _mean_or_none(values: list[Any]) -> float | None:
    values = [v for v in values if v is not None]
    return float(statistics.mean(values)) if values else None


def best_classical(row: dict[str, Any]) -> str | None:
    """The classical generator (no oracle) with the lowest median ratio in one data set's row."""
    candidates = [g for g, c in row.items() if not c["trained"] and not c["oracle"] and c.get("applies", True)]
    return min(candidates, key=lambda g: _order(row[g]["median_ratio"])) if candidates else None


def verdicts(cfg: DictConfig, rows: dict[str, Any]) -> dict[str, dict[str, dict[str, int]]]:
    """Per data set and WaveDiff generator: how many metrics are better / same / worse than the best
    classical generator (paired resampling of the first seed's samples, :func:`paired_verdicts`)."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for dataset, row in rows.items():
        rival = best_classical(row)
        reference = Path(cfg.dir).expanduser().resolve() / dataset / "reference.npz"
        if rival is None or not reference.is_file():
            continue
        with np.load(reference) as npz:
            held_out = npz["returns"]
        rival_returns = _samples(cfg, dataset, rival, row[rival]["seeds"][0])
        for name, cell in row.items():
            if not cell["trained"] or not cell.get("applies", True):
                continue
            mine = _samples(cfg, dataset, name, cell["seeds"][0])
            per_metric = paired_verdicts(mine, rival_returns, held_out, draws=cfg.verdict_draws, seed=0,
                                         max_lag=cfg.max_lag,
                                         classifier_draws=cfg.get("verdict_classifier_draws", 10))
            out.setdefault(dataset, {})[name] = {**verdict_counts(per_metric), "versus": rival}
    return out


def _samples(cfg: DictConfig, dataset: str, generator: str, seed: int) -> np.ndarray:
    with np.load(cell_dir(cfg, dataset, generator, seed) / "samples.npz") as npz:
        return npz["returns"]


def _cell_text(cell: dict[str, Any] | None) -> str:
    if cell is None:
        return "-"  # not run yet
    if not cell.get("applies", True):
        return "n/a"  # e.g. the simulator on real data
    return f"{_ratio(cell['median_ratio'], 2)} / {_ratio(cell['max_ratio'], 1)}"


def _order(value: float | None) -> float:
    return float("inf") if value is None else value


def _ratio(value: float | None, digits: int) -> str:
    return "inf" if value is None else f"{value:.{digits}f}"  # None: infinite (a zero floor)


def headline_table(summary: dict[str, Any]) -> str:
    """Markdown: one row per data set, one column per generator, ``median / max`` ratio; the best
    non-oracle generator of each row in bold."""
    generators = summary["generators"]
    lines = ["| data | " + " | ".join(generators) + " |", "|---|" + "---|" * len(generators)]
    for dataset, row in summary["rows"].items():
        contenders = [g for g in generators if g in row and not row[g]["oracle"] and row[g].get("applies", True)]
        best = min(contenders, key=lambda g: _order(row[g]["median_ratio"])) if contenders else None
        cells = [(f"**{_cell_text(row.get(g))}**" if g == best else _cell_text(row.get(g))) for g in generators]
        lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def short(commit: str) -> str:
    """A commit as people read it: 12 hex digits, and whether the tree had changes."""
    return commit[:12] + ("+dirty" if commit.endswith("+dirty") else "")


def readme_block(summary: dict[str, Any]) -> str:
    """The README's copy: the headline table and the line that says where it came from."""
    count = len(summary["missing"])
    missing = f"; {count} cell{'s' if count > 1 else ''} not run yet (listed in docs/benchmark.md)" if count else ""
    return (f"{headline_table(summary)}\n\nn = {summary['n']} windows per cell, seeds {summary['seeds']}, "
            f"commit `{short(summary['commit'])}`, `{summary['command']}`{missing}.")


def markdown(summary: dict[str, Any]) -> str:
    """``benchmark.md``: the stamp, the headline table, the verdicts and each data set's metrics."""
    parts = [f"# WaveDiff benchmark: suite `{summary['suite']}`", "",
             f"Commit `{short(summary['commit'])}`, written {summary['written']} by `{summary['command']}`. "
             f"Each cell: {summary['n']} generated windows against the held-out split (val + test) of the data "
             f"set, seeds {summary['seeds']}; the value of each of {summary['n_metrics']} distances divided by its "
             f"noise floor (the same distance for {summary['n']} real windows: floor_pool={summary['floor_pool']}), "
             "then the median / the maximum over the distances (1 = as close as real data of that size). "
             "Bold: the best generator of the row that does not know the true law (`simulator` does: it is the "
             "sanity check that should sit near 1).", "", headline_table(summary)]
    if summary["verdicts"]:
        parts += ["", "## WaveDiff against the best classical generator", "",
                  f"Paired comparison per distance ({summary['verdict_draws']} resampling draws of both sample sets "
                  "and the reference; 'same' = the 90% interval of the difference contains 0, i.e. this n cannot "
                  f"tell them apart; the discriminative score on {summary.get('verdict_classifier_draws', 10)} paired "
                  "classifier fits, a t-test corrected for the fits reusing the same windows):", "",
                  "| data | generator | versus | better | same | worse |", "|---|---|---|---|---|---|"]
        for dataset, by_generator in summary["verdicts"].items():
            for name, v in by_generator.items():
                parts.append(f"| {dataset} | {name} | {v['versus']} | {v['better']} | {v['same']} | {v['worse']} |")
    rows = {d: {g: c for g, c in row.items() if c.get("applies", True)} for d, row in summary["rows"].items()}
    mapped = [(d, g, c) for d, row in rows.items() for g, c in row.items() if "as_sampled" in c]
    if mapped:
        parts += ["", "## The window-scale map, before and after", "",
                  "The same generated windows scored as the network drew them and after the window-scale map "
                  "(the default, `sampler.window_scales=true`: docs/concepts/evaluation.md):", "",
                  "| data | generator | as sampled | window scales mapped |", "|---|---|---|---|"]
        parts += [f"| {d} | {g} | {_cell_text(c['as_sampled'])} | {_cell_text(c)} |" for d, g, c in mapped]
    for dataset, row in rows.items():
        if not row:
            continue
        names = list(row)
        metrics = list(next(iter(row.values()))["ratios"])
        floors = row[names[0]]["floors"]  # one pool, one n, one seed: the same floor for every generator
        parts += ["", f"## {dataset}: value / floor per distance", "",
                  "| distance | floor | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
        for key in metrics:
            floor = "-" if floors[key] is None else f"{floors[key]:.3g}"
            parts.append(f"| {key} | {floor} | " + " | ".join(_ratio(row[g]["ratios"][key], 2) for g in names) + " |")
        parts.append("| std ratio (generated / real) | 1 | " + " | ".join(f"{row[g]['std_ratio']:.2f}" for g in names)
                     + " |")
    parts += ["", "## What the floors cannot see", "",
              "- Real data have one path: their floors come from the training windows, and the held-out years "
              "are another regime, so real against real already differs (see the discriminative floor in the "
              "real data sets' tables) and every generator fitted on the training years is judged leniently there. "
              "Simulated data get fresh simulator paths instead (`floor_pool=auto`).",
              "- The predictive floor trains its forecasters on subsets of the same windows the real forecaster "
              "was trained on, which understates that score's noise: its ratio is inflated for every generator "
              "alike (a known flaw, to be fixed with a held-apart half).",
              "- One seed per cell: a difference of a few tenths in a median is within what another seed moves."]
    commits = sorted({c for row in rows.values() for cell in row.values() for c in cell["commits"]})
    parts += ["", "Cells computed at commit" + ("s " if len(commits) > 1 else " ") + ", ".join(f"`{short(c)}`" for c in commits)
              + " (each cell's own is in its cell.json)."]
    if summary["missing"]:
        parts += ["", "Not run yet: " + ", ".join(summary["missing"]) + "."]
    return "\n".join(parts) + "\n"


def write_table(cfg: DictConfig, command: str) -> Table:
    """Gather the suite's finished cells into ``<dir>/benchmark.md`` and ``benchmark.json`` (and,
    with ``cfg.publish``, copies in that folder and the headline in ``cfg.readme``'s marked block)."""
    rows = gather(cfg)
    generators = list(cfg.suite.generators)
    missing = [f"{d}/{g}" for d in cfg.suite.datasets for g in generators if g not in rows.get(str(d), {})]
    n_metrics = max((len(c["ratios"]) for row in rows.values() for c in row.values() if "ratios" in c), default=0)
    commit = git_commit(Path(__file__).parent) or "unknown"
    summary = {"suite": str(cfg.suite.name), "commit": commit, "command": command,
               "written": time.strftime("%Y-%m-%d"), "n": int(cfg.suite.n), "seeds": list(cfg.suite.seeds),
               "floor_pool": str(cfg.floor_pool), "verdict_draws": int(cfg.verdict_draws),
               "verdict_classifier_draws": int(cfg.get("verdict_classifier_draws", 10)), "n_metrics": n_metrics,
               "datasets": [str(d) for d in cfg.suite.datasets], "generators": generators, "rows": rows,
               "verdicts": verdicts(cfg, rows), "missing": missing}
    summary = _finite(summary)  # strict JSON (browsers read it): a zero floor's infinite ratio is null
    text = markdown(summary)
    out = Path(cfg.dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    as_json = json.dumps(summary, indent=2, allow_nan=False)
    atomic_write_text(out / "benchmark.json", as_json)
    atomic_write_text(out / "benchmark.md", text)
    table = Table(summary, headline_table(summary), out / "benchmark.md", out / "benchmark.json", missing)
    if cfg.get("publish"):
        folder = Path(cfg.publish).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / "benchmark.json", as_json)
        atomic_write_text(folder / "benchmark.md", text)
    if cfg.get("readme"):
        replace_block(Path(cfg.readme), readme_block(summary))
    return table


def _finite(value: Any) -> Any:
    """``value`` with every infinite or NaN float (a zero floor's ratio) as ``None``."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


README_START, README_END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"


def replace_block(readme: Path, table: str) -> None:
    """Put ``table`` between the benchmark markers of ``readme`` (written whole)."""
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        raise ConfigError(f"readme={readme}: has no {README_START} ... {README_END} block to fill")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    atomic_write_text(readme, f"{head}{README_START}\n{table}\n{README_END}{tail}")


def suite_config(overrides: list[str]) -> DictConfig:
    """``configs/benchmark.yaml`` with ``overrides``, resolved enough to read the suite and the dir."""
    cfg = compose_config("benchmark", overrides)
    OmegaConf.set_struct(cfg, False)
    cfg.paths.output_dir = cfg.dir  # no Hydra run here; nothing is written under it
    return cfg
