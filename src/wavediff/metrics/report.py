"""Generated vs real: every distance with its noise floor and their ratio."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from wavediff.metrics.bar_shapes import bar_shape_distances, bar_shape_stats
from wavediff.metrics.cross_asset import cross_asset_distances, cross_asset_stats
from wavediff.metrics.discriminative import discriminative_draws, discriminative_score, paired_discriminative
from wavediff.metrics.predictive import fit_forecaster, forecast_mae, predictive_score
from wavediff.metrics.stylized import distances, moments
from wavediff.metrics.tails import memorisation, tail_stats


def compare_to_real(generated: np.ndarray, reference: np.ndarray, pool: np.ndarray, draws: int = 5,
                    seed: int = 0, max_lag: int = 50, floors: dict[str, float] | None = None,
                    assets: list[str] | None = None, fields: list[str] | None = None) -> dict[str, Any]:
    """Distances of ``generated`` windows ``(N, T)`` to held-out ``reference`` windows ``(M, T)``.

    The noise floor of each distance is its median over ``draws`` random sets of ``N`` real
    windows from ``pool`` (e.g. the training windows) compared to the same reference: what a
    generator that reproduces real data would score with this many samples. ``floors`` (the
    ``floor`` of each metric of an earlier call with the same ``reference``, ``pool``, ``N``,
    ``draws`` and ``seed``) skips computing them again.
    Returns ``{"metrics": {name: {value, floor, ratio}}, "moments": {...}}``.

    Joint windows of several assets ``(N, A, T)`` (named ``assets``) go to :func:`compare_assets_to_real`,
    bar-channel windows ``(N, F, T)`` (of bar ``fields``) to :func:`compare_bars_to_real`; closes
    alone ``(N, T)`` beside bar windows (a classical baseline next to a bar model) are compared
    with the close of the real bars, under the same names and floors as the bar model's close.
    """
    generated, reference, pool = (np.asarray(a, dtype=np.float64) for a in (generated, reference, pool))
    if fields is not None and len(fields) > 1:
        if generated.ndim == 2:
            return compare_to_real(generated, reference[:, 0], pool[:, 0], draws, seed, max_lag, floors)
        return compare_bars_to_real(generated, reference, pool, list(fields), draws, seed, max_lag, floors)
    if generated.ndim == 3:
        return compare_assets_to_real(generated, reference, pool, draws, seed, max_lag, floors, assets)
    n = len(generated)
    if len(pool) < n:
        raise ValueError(f"noise floor needs at least {n} real windows in the pool, got {len(pool)}")
    rng = np.random.default_rng(seed)
    values = distances(generated, reference, max_lag)
    draws_ = [] if floors is not None else [
        distances(pool[rng.choice(len(pool), n, replace=False)], reference, max_lag) for _ in range(draws)]
    if generated.shape[1] > 20:  # train on synthetic, test on real: |MAE ratio - 1|
        real_mae = forecast_mae(fit_forecaster(pool), reference)  # once: it grows with the pool
        values["predictive_abs_ratio_minus_1"] = abs(
            predictive_score(generated, pool, reference, real_mae=real_mae)["ratio"] - 1)
        for f in draws_:
            subset = pool[rng.choice(len(pool), n, replace=False)]
            f["predictive_abs_ratio_minus_1"] = abs(
                predictive_score(subset, pool, reference, real_mae=real_mae)["ratio"] - 1)
    if n >= 8 and len(reference) >= 8:  # the classifier needs a few windows of each kind
        values["discriminative"] = discriminative_score(generated, reference, seed=seed)
        # every draw fits its own classifier: one fit's |accuracy - 0.5| on identical laws spreads
        # from ~0 to ~2x its mean, so a single-draw floor made ratios of 0.5x-8x for the same model
        for i, f in enumerate(draws_):
            f["discriminative"] = discriminative_score(pool[rng.choice(len(pool), n, replace=False)], reference,
                                                       seed=seed + 1 + i)
    if floors is None:
        floors = {key: float(np.median([f[key] for f in draws_])) for key in values}
    metrics = {}
    for key, value in values.items():
        floor = floors[key]
        metrics[key] = {"value": value, "floor": floor, "ratio": value / floor if floor > 0 else float("inf")}
    return {"metrics": metrics, "moments": {"generated": moments(generated), "real": moments(reference)},
            "tails": {"generated": tail_stats(generated), "real": tail_stats(reference)},
            "memorisation": memorisation(generated, reference, pool),
            "n_generated": n, "n_reference": int(len(reference))}


def compare_assets_to_real(generated: np.ndarray, reference: np.ndarray, pool: np.ndarray, draws: int = 5,
                           seed: int = 0, max_lag: int = 50, floors: dict[str, float] | None = None,
                           assets: list[str] | None = None) -> dict[str, Any]:
    """:func:`compare_to_real` for joint windows ``(N, A, T)``: every univariate metric per asset
    (``result["assets"][name]``) and, under the univariate names, the median over assets of its
    value, floor and ratio; then the cross-asset distances of
    :func:`~wavediff.metrics.cross_asset.cross_asset_distances` and the discriminative score of
    the joint windows (``discriminative_joint``), each with the floor of ``draws`` random sets of
    ``N`` real joint windows from ``pool`` (the same sets for every asset). ``floors``: as in
    :func:`compare_to_real`, the flat ``floor`` of every metric name of an earlier call. ``assets``
    names the per-asset results (default ``asset0``, ``asset1``, ...)."""
    n = len(generated)
    if reference.shape[1:] != generated.shape[1:] or pool.shape[1:] != generated.shape[1:]:
        raise ValueError(f"generated {generated.shape[1:]}, reference {reference.shape[1:]} and pool "
                         f"{pool.shape[1:]} windows must have the same assets and length")
    if len(pool) < n:
        raise ValueError(f"noise floor needs at least {n} real windows in the pool, got {len(pool)}")
    names = list(assets) if assets is not None else [f"asset{i}" for i in range(generated.shape[1])]
    if len(names) != generated.shape[1]:
        raise ValueError(f"{len(names)} asset names for {generated.shape[1]} assets")
    per_asset = {}
    for i, name in enumerate(names):
        own = None if floors is None else {k.split("/", 1)[1]: v for k, v in floors.items()
                                          if k.startswith(f"{name}/")}
        per_asset[name] = compare_to_real(generated[:, i], reference[:, i], pool[:, i], draws, seed, max_lag, own)
    metrics: dict[str, dict[str, float]] = {}
    for key in per_asset[names[0]]["metrics"]:
        rows = [per_asset[a]["metrics"][key] for a in names]
        metrics[key] = {field: float(np.median([r[field] for r in rows])) for field in ("value", "floor", "ratio")}
    metrics |= joint_metrics(cross_asset_distances, generated, reference, pool, draws, seed, floors)
    medians = {side: {k: float(np.median([per_asset[a]["moments"][side][k] for a in names]))
                      for k in per_asset[names[0]]["moments"][side]} for side in ("generated", "real")}
    tails = {side: {k: float(np.median([per_asset[a]["tails"][side][k] for a in names]))
                    for k in per_asset[names[0]]["tails"][side]} for side in ("generated", "real")}
    flat = lambda x: x.reshape(len(x), -1)  # noqa: E731 - joint windows as one vector each
    return {"metrics": metrics, "moments": medians, "tails": tails,
            "memorisation": memorisation(flat(generated), flat(reference), flat(pool)),
            "assets": per_asset, "cross_asset": {"generated": cross_asset_stats(generated),
                                                 "real": cross_asset_stats(reference)},
            "n_generated": n, "n_reference": int(len(reference))}


def close_channel(windows: np.ndarray, fields: list[str] | None) -> np.ndarray:
    """The close's returns ``(N, T)`` of bar-channel windows ``(N, F, T)`` (channel 0), or the
    windows themselves (closes alone, or no bar ``fields``): what paired verdicts compare for a bar model."""
    return windows[:, 0] if fields is not None and len(fields) > 1 and np.ndim(windows) == 3 else windows


def joint_metrics(fn: Callable[[np.ndarray, np.ndarray], dict[str, float]], generated: np.ndarray,
                  reference: np.ndarray, pool: np.ndarray, draws: int, seed: int,
                  floors: dict[str, float] | None) -> dict[str, dict[str, float]]:
    """The distances ``fn(windows, reference)`` of whole windows ``(N, C, T)`` plus the discriminative
    score of whole windows (``discriminative_joint``), each with the floor of ``draws`` real sets of
    ``N`` windows from ``pool`` (its own draws, so the per-channel floors stay as for one series), or
    with the flat ``floors`` of an earlier call."""
    n = len(generated)
    values = fn(generated, reference)
    joint = n >= 8 and len(reference) >= 8  # the classifier needs a few windows of each kind
    if joint:
        values["discriminative_joint"] = discriminative_score(generated, reference, seed=seed)
    if floors is None:
        rng = np.random.default_rng(seed + 7919)
        draws_ = [fn(pool[rng.choice(len(pool), n, replace=False)], reference) for _ in range(draws)]
        floors = {key: float(np.median([f[key] for f in draws_])) for key in draws_[0]}
        if joint:  # the median of a classifier per draw, as for one series
            floors["discriminative_joint"] = float(np.median([discriminative_score(
                pool[rng.choice(len(pool), n, replace=False)], reference, seed=seed + 1 + i) for i in range(draws)]))
    return {key: {"value": value, "floor": floors[key], "ratio": value / floors[key] if floors[key] > 0 else float("inf")}
            for key, value in values.items()}


def compare_bars_to_real(generated: np.ndarray, reference: np.ndarray, pool: np.ndarray, fields: list[str],
                         draws: int = 5, seed: int = 0, max_lag: int = 50,
                         floors: dict[str, float] | None = None) -> dict[str, Any]:
    """:func:`compare_to_real` for bar-channel windows ``(N, F, T)`` (:mod:`wavediff.transforms.bars`):
    the close's returns under the univariate names (the headline, as for a close-only model);
    every other channel's own metrics (``result["fields"][channel]``, ``<channel>/<metric>`` rows);
    the bar-shape distances of :mod:`wavediff.metrics.bar_shapes` and the discriminative score
    of whole bars (``discriminative_joint``), each with the floor of ``draws`` real sets from ``pool``."""
    from wavediff.transforms.bars import channel_names

    if generated.ndim != 3 or generated.shape[1] != len(fields) or reference.shape[1:] != generated.shape[1:] \
            or pool.shape[1:] != generated.shape[1:]:
        raise ValueError(f"bar windows (N, {len(fields)}, T) of fields {fields} expected; got generated "
                         f"{generated.shape}, reference {reference.shape}, pool {pool.shape}")
    names = channel_names(fields)

    def own(name: str) -> dict[str, float] | None:
        return None if floors is None else {k.split("/", 1)[1]: v for k, v in floors.items()
                                            if k.startswith(f"{name}/")}

    result = compare_to_real(generated[:, 0], reference[:, 0], pool[:, 0], draws, seed, max_lag,
                             None if floors is None else {k: v for k, v in floors.items() if "/" not in k})
    # a channel constant in the real data (the simulators' bars open at the last close: no gaps) has
    # no distribution to compare: left out, and named
    constant = [name for i, name in enumerate(names) if i > 0 and np.ptp(reference[:, i]) == 0]
    result["fields"] = {name: compare_to_real(generated[:, i], reference[:, i], pool[:, i], draws, seed, max_lag,
                                              own(name)) for i, name in enumerate(names) if i > 0
                        and name not in constant}
    if constant:
        result["constant_fields"] = constant
    result["metrics"] |= joint_metrics(lambda g, r: bar_shape_distances(g, r, fields), generated, reference, pool,
                                       draws, seed, floors)
    result["bars"] = {"generated": bar_shape_stats(generated, fields), "real": bar_shape_stats(reference, fields)}
    return result


def joint_distances(generated: np.ndarray, real: np.ndarray, max_lag: int = 50) -> dict[str, float]:
    """Distances between joint windows ``(N, A, T)``: each univariate distance's median over the
    assets, then the cross-asset distances."""
    per_asset = [distances(generated[:, i], real[:, i], max_lag) for i in range(generated.shape[1])]
    out = {key: float(np.median([d[key] for d in per_asset])) for key in per_asset[0]}
    return out | cross_asset_distances(generated, real)


CROSS_ASSET_ROWS = (("mean correlation", "correlation"), ("mean |r| correlation", "abs_correlation"),
                    ("mean lower-tail dependence 5%", "tail_dependence_5pct"),
                    ("mean lower-tail dependence 1%", "tail_dependence_1pct"))


def cross_asset_table(results: dict[str, dict[str, Any]]) -> str:
    """Markdown: the cross-asset facts of the real set and of each generated set (joint windows)."""
    names = list(results)
    first = next(iter(results.values()))["cross_asset"]["real"]
    rows = ["| cross-asset fact | real | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]

    def off_diagonal_mean(matrix: list[list[float]]) -> float:
        m = np.asarray(matrix)
        return float(m[~np.eye(len(m), dtype=bool)].mean())

    for label, key in CROSS_ASSET_ROWS:
        rows.append(f"| {label} | {off_diagonal_mean(first[key]):.3f} | " + " | ".join(
            f"{off_diagonal_mean(results[n]['cross_asset']['generated'][key]):.3f}" for n in names) + " |")
    for label, key in (("correlation on the portfolio's worst 10% bars", "crash_correlation"),
                       ("correlation on the other bars", "calm_correlation")):
        rows.append(f"| {label} | {first[key]:.3f} | " + " | ".join(
            f"{results[n]['cross_asset']['generated'][key]:.3f}" for n in names) + " |")
    for key in first["portfolio"]:
        rows.append(f"| equal-weight portfolio {key} | {first['portfolio'][key]:.4g} | " + " | ".join(
            f"{results[n]['cross_asset']['generated']['portfolio'][key]:.4g}" for n in names) + " |")
    return "\n".join(rows)


PER_ASSET_ROWS = ("ks", "w1_over_std", "abs_std_log_ratio", "abs_kurtosis_diff", "acf_abs_l2",
                  "es_1pct_abs_diff_over_std", "discriminative")


def _ratio_grid(results: dict[str, dict[str, Any]], part: str) -> list[str]:
    """Markdown rows: value / floor of the main univariate metrics of each of ``results[set][part]``
    (the assets, or the bar channels), per set."""
    names = list(results)
    members = list(next(iter(results.values()))[part])
    rows = ["| metric (value / floor) | " + " | ".join(f"{n}: {a}" for n in names for a in members) + " |",
            "|---|" + "---|" * (len(names) * len(members))]
    for key in PER_ASSET_ROWS:
        cells = []
        for n in names:
            for a in members:
                m = results[n][part][a]["metrics"].get(key)
                cells.append(f"{m['ratio']:.2f}" if m else "-")
        rows.append(f"| {key} | " + " | ".join(cells) + " |")
    return rows


def per_asset_table(results: dict[str, dict[str, Any]]) -> str:
    """Markdown: value / floor of the main univariate metrics, per asset and set."""
    return "\n".join(_ratio_grid(results, "assets"))


def per_field_table(results: dict[str, dict[str, Any]]) -> str:
    """Markdown: value / floor of the main univariate metrics of each bar channel, per set, and
    the bar-shape facts of the real set and of each set (sets of closes alone are left out)."""
    results = {name: r for name, r in results.items() if "fields" in r}
    names = list(results)
    first = next(iter(results.values()))
    rows = _ratio_grid(results, "fields")
    if first.get("constant_fields"):
        rows += ["", f"Left out, constant in the real data: {', '.join(first['constant_fields'])}."]
    rows += ["", "| bar shape | real | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for key, value in first["bars"]["real"].items():
        rows.append(f"| {key} | {value:.4g} | " + " | ".join(
            f"{results[n]['bars']['generated'][key]:.4g}" for n in names) + " |")
    return "\n".join(rows)


def paired_verdicts(a: np.ndarray, b: np.ndarray, reference: np.ndarray, draws: int = 20, seed: int = 0,
                    max_lag: int = 50, level: float = 0.9,
                    classifier_draws: int = 10) -> dict[str, dict[str, float | str]]:
    """Is generator ``a`` closer to the ``reference`` windows than generator ``b``, metric by metric?

    Both sets are resampled (windows with replacement) ``draws`` times, the same resampling of
    the reference each time, and the distance difference ``d(a) - d(b)`` is taken per draw. The
    verdict is ``better`` (``a`` closer) or ``worse`` when the central ``level`` interval of the
    differences excludes 0, else ``same`` (within noise at this many windows).
    Joint windows ``(N, A, T)`` are compared on :func:`joint_distances`. The predictive score is
    judged on its raw MAE (``predictive_mae``: the next-bar |r| forecaster trained on each set,
    scored on the reference; lower is better): its ratio to the real forecaster needs the real pool.
    With 8 or more windows of each kind the discriminative score is judged too, on
    ``classifier_draws`` paired classifier fits per set (0 leaves it out): resampling with
    replacement would put copies of a window on both sides of a classifier's split, so it gets
    its own test (:func:`~wavediff.metrics.discriminative.paired_discriminative`). Past 10 fits
    its power barely grows (the corrected variance is dominated by the reused windows).
    Returns ``{metric: {"diff": median difference, "low", "high", "verdict"}}``.
    """
    a, b, reference = (np.asarray(x, dtype=np.float64) for x in (a, b, reference))
    rng = np.random.default_rng(seed)
    fn = joint_distances if a.ndim == 3 else distances
    diffs: dict[str, list[float]] = {}
    for _ in range(draws):
        ref = reference[rng.integers(0, len(reference), len(reference))]
        a_, b_ = a[rng.integers(0, len(a), len(a))], b[rng.integers(0, len(b), len(b))]
        da, db = fn(a_, ref, max_lag), fn(b_, ref, max_lag)
        if a.ndim == 2 and a.shape[1] > 20:  # as in compare_to_real: train on synthetic, test on real
            da["predictive_mae"] = forecast_mae(fit_forecaster(a_), ref)
            db["predictive_mae"] = forecast_mae(fit_forecaster(b_), ref)
        for key in da:
            diffs.setdefault(key, []).append(da[key] - db[key])
    out: dict[str, dict[str, float | str]] = {}
    tail = (1 - level) / 2
    for key, values in diffs.items():
        low, high = (float(q) for q in np.quantile(values, [tail, 1 - tail]))
        verdict = "better" if high < 0 else "worse" if low > 0 else "same"
        out[key] = {"diff": float(np.median(values)), "low": low, "high": high, "verdict": verdict}
    if classifier_draws and min(len(a), len(b), len(reference)) >= 8:
        out["discriminative"] = paired_discriminative(discriminative_draws(a, reference, classifier_draws, seed),
                                                      discriminative_draws(b, reference, classifier_draws, seed),
                                                      level)
    return out


def verdict_counts(per_metric: dict[str, Any]) -> dict[str, int]:
    """``{"better": b, "same": s, "worse": w}`` over a :func:`paired_verdicts` result (or its verdicts alone)."""
    values = [v["verdict"] if isinstance(v, dict) else v for v in per_metric.values()]
    return {k: values.count(k) for k in ("better", "same", "worse")}


def verdict_table(first: str, verdicts: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Markdown: one row per metric, one column per other generator, saying how ``first`` compares."""
    others = list(verdicts)
    keys = list(next(iter(verdicts.values())))
    rows = ["| metric | " + " | ".join(f"{first} vs {o}" for o in others) + " |",
            "|---|" + "---|" * len(others)]
    for key in keys:
        rows.append(f"| {key} | " + " | ".join(verdicts[o][key]["verdict"] for o in others) + " |")
    rows.append("")
    for o in others:  # a verdict of "same" everywhere is a statement about n, not about the generators
        counts = list(verdict_counts(verdicts[o]).values())
        undecided = " (no metric tells them apart at this many windows: draw more to decide)" \
            if counts[1] == len(verdicts[o]) else ""
        rows.append(f"{first} vs {o}: {counts[0]} better, {counts[1]} same, {counts[2]} worse{undecided}.  ")
    return "\n".join(rows).rstrip()


def markdown_table(results: dict[str, dict[str, Any]]) -> str:
    """One row per metric, one ``value / floor / ratio`` column group per named result."""
    names = list(results)
    keys = list(next(iter(results.values()))["metrics"])
    several = len(names) > 1  # then a last column names the set with the lowest ratio
    head = "| metric | " + " | ".join(f"{n} value | floor | ratio" for n in names) + (" | best |" if several else " |")
    sep = "|---|" + "---|---|---|" * len(names) + ("---|" if several else "")
    rows = [head, sep]
    for key in keys:
        cells = []
        scored = [n for n in names if key in results[n]["metrics"]]  # closes alone lack the bar rows
        for n in names:
            m = results[n]["metrics"].get(key)
            cells.append(f"{m['value']:.4g} | {m['floor']:.4g} | {m['ratio']:.2f}" if m else "- | - | -")
        if several:
            cells.append(min(scored, key=lambda n: results[n]["metrics"][key]["ratio"]) if len(scored) > 1 else "-")
        rows.append(f"| {key} | " + " | ".join(cells) + " |")
    rows += ["", "| moment | real | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    first = next(iter(results.values()))
    for moment in ("std", "skewness", "excess_kurtosis"):
        rows.append(f"| {moment} | {first['moments']['real'][moment]:.4g} | " + " | ".join(
            f"{results[n]['moments']['generated'][moment]:.4g}" for n in names) + " |")
    if "tails" in first:
        for key in first["tails"]["real"]:
            rows.append(f"| {key} | {first['tails']['real'][key]:.4g} | " + " | ".join(
                f"{results[n]['tails']['generated'][key]:.4g}" for n in names) + " |")
    if "memorisation" in first:
        rows += ["", "| memorisation: distance to the nearest training window | held-out real | "
                 + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
        labels = ("5%", "25%", "median", "75%", "95%")
        for i, label in enumerate(labels):
            rows.append(f"| {label} | {first['memorisation']['heldout_quantiles'][i]:.4g} | " + " | ".join(
                f"{results[n]['memorisation']['generated_quantiles'][i]:.4g}" for n in names) + " |")
        rows.append("| generated median / held-out median (< 1: copying) | 1 | " + " | ".join(
            f"{results[n]['memorisation']['ratio']:.3f}" for n in names) + " |")
        rows.append("| near copies (nearest < 1/3 of second-nearest distance) | "
                    f"{first['memorisation']['heldout_copy_share']:.3f} | " + " | ".join(
                        f"{results[n]['memorisation']['copy_share']:.3f}" for n in names) + " |")
    return "\n".join(rows)


def oracle_table(results: dict[str, dict[str, Any]]) -> str:
    """MJD oracle rows: mean log-likelihood under the true law and the MLE of each parameter."""
    first = next(iter(results.values()))["mjd_oracle"]
    names = list(results)
    rows = ["| MJD oracle | true | real (MLE) | " + " | ".join(f"{n} (MLE)" for n in names) + " |",
            "|---|---|---|" + "---|" * len(names),
            "| mean log-likelihood | - | " + f"{first['loglik_real']:.4f} | "
            + " | ".join(f"{results[n]['mjd_oracle']['loglik_generated']:.4f}" for n in names) + " |"]
    for key, true in first["true"].items():
        rows.append(f"| {key} | {true:.4g} | {first['mle_real'][key]:.4g} | "
                    + " | ".join(f"{results[n]['mjd_oracle']['mle_generated'][key]:.4g}" for n in names) + " |")
    return "\n".join(rows)


def flat_metrics(result: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """One :func:`compare_to_real` result as registry rows ``{name: {value, floor, ratio}}``.

    Distances keep their floor and ratio; the generated moments are added with ``ratio`` =
    generated / real (``std``, ``excess_kurtosis``) and, with an MJD oracle, each MLE parameter
    with ``ratio`` = estimate / true value.
    """
    rows: dict[str, dict[str, float | None]] = {k: dict(v) for k, v in result["metrics"].items()}
    generated, real = result["moments"]["generated"], result["moments"]["real"]
    for key in ("std", "skewness", "excess_kurtosis"):
        ratio = generated[key] / real[key] if key != "skewness" and real[key] != 0 else None
        rows[key] = {"value": generated[key], "floor": None, "ratio": ratio}
    for key, value in result.get("tails", {}).get("generated", {}).items():
        real_value = result["tails"]["real"][key]
        rows[key] = {"value": value, "floor": None, "ratio": value / real_value if real_value else None}
    memo = result.get("memorisation")
    if memo:  # value: generated median distance to the training set; floor: the held-out one
        rows["memorisation_nn_distance"] = {"value": memo["generated_median"], "floor": memo["heldout_median"],
                                            "ratio": memo["ratio"]}
        rows["memorisation_copy_share"] = {"value": memo["copy_share"], "floor": memo["heldout_copy_share"],
                                           "ratio": None}
    for asset, own in (result.get("assets", {}) | result.get("fields", {})).items():  # each asset's (field's) rows
        rows.update({f"{asset}/{key}": value for key, value in flat_metrics(own).items()})
    for key, value in result.get("bars", {}).get("generated", {}).items():
        real_value = result["bars"]["real"][key]
        rows[key] = {"value": value, "floor": None, "ratio": value / real_value if real_value else None}
    oracle = result.get("mjd_oracle")
    if oracle:
        rows["mjd_loglik"] = {"value": oracle["loglik_generated"], "floor": None,
                              "ratio": None}
        for key, true in oracle["true"].items():
            value = oracle["mle_generated"][key]
            rows[f"mle_{key}"] = {"value": value, "floor": None, "ratio": value / true if true else None}
    return rows
