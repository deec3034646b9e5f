"""Generated vs real: every distance with its noise floor and their ratio."""

from __future__ import annotations

from typing import Any

import numpy as np

from wavediff.metrics.discriminative import discriminative_score
from wavediff.metrics.predictive import fit_forecaster, forecast_mae, predictive_score
from wavediff.metrics.stylized import distances, moments
from wavediff.metrics.tails import memorisation, tail_stats


def compare_to_real(generated: np.ndarray, reference: np.ndarray, pool: np.ndarray, draws: int = 5,
                    seed: int = 0, max_lag: int = 50, floors: dict[str, float] | None = None) -> dict[str, Any]:
    """Distances of ``generated`` windows ``(N, T)`` to held-out ``reference`` windows ``(M, T)``.

    The noise floor of each distance is its median over ``draws`` random sets of ``N`` real
    windows from ``pool`` (e.g. the training windows) compared to the same reference: what a
    generator that reproduces real data would score with this many samples. ``floors`` (the
    ``floor`` of each metric of an earlier call with the same ``reference``, ``pool``, ``N``,
    ``draws`` and ``seed``) skips computing them again.
    Returns ``{"metrics": {name: {value, floor, ratio}}, "moments": {...}}``.
    """
    generated, reference, pool = (np.asarray(a, dtype=np.float64) for a in (generated, reference, pool))
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
        for i, f in enumerate(draws_[:1]):
            f["discriminative"] = discriminative_score(pool[rng.choice(len(pool), n, replace=False)], reference,
                                                       seed=seed + 1 + i)
        for f in draws_[1:]:
            f["discriminative"] = draws_[0]["discriminative"]
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


def paired_verdicts(a: np.ndarray, b: np.ndarray, reference: np.ndarray, draws: int = 20, seed: int = 0,
                    max_lag: int = 50, level: float = 0.9) -> dict[str, dict[str, float | str]]:
    """Is generator ``a`` closer to the ``reference`` windows than generator ``b``, metric by metric?

    Both sets are resampled (windows with replacement) ``draws`` times, the same resampling of
    the reference each time, and the distance difference ``d(a) - d(b)`` is taken per draw. The
    verdict is ``better`` (``a`` closer) or ``worse`` when the central ``level`` interval of the
    differences excludes 0, else ``same`` (within noise at this many windows).
    Returns ``{metric: {"diff": median difference, "low", "high", "verdict"}}``.
    """
    a, b, reference = (np.asarray(x, dtype=np.float64) for x in (a, b, reference))
    rng = np.random.default_rng(seed)
    diffs: dict[str, list[float]] = {}
    for _ in range(draws):
        ref = reference[rng.integers(0, len(reference), len(reference))]
        da = distances(a[rng.integers(0, len(a), len(a))], ref, max_lag)
        db = distances(b[rng.integers(0, len(b), len(b))], ref, max_lag)
        for key in da:
            diffs.setdefault(key, []).append(da[key] - db[key])
    out: dict[str, dict[str, float | str]] = {}
    tail = (1 - level) / 2
    for key, values in diffs.items():
        low, high = (float(q) for q in np.quantile(values, [tail, 1 - tail]))
        verdict = "better" if high < 0 else "worse" if low > 0 else "same"
        out[key] = {"diff": float(np.median(values)), "low": low, "high": high, "verdict": verdict}
    return out


def verdict_table(first: str, verdicts: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Markdown: one row per metric, one column per other generator, saying how ``first`` compares."""
    others = list(verdicts)
    keys = list(next(iter(verdicts.values())))
    rows = ["| metric | " + " | ".join(f"{first} vs {o}" for o in others) + " |",
            "|---|" + "---|" * len(others)]
    for key in keys:
        rows.append(f"| {key} | " + " | ".join(verdicts[o][key]["verdict"] for o in others) + " |")
    return "\n".join(rows)


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
        for n in names:
            m = results[n]["metrics"][key]
            cells.append(f"{m['value']:.4g} | {m['floor']:.4g} | {m['ratio']:.2f}")
        if several:
            cells.append(min(names, key=lambda n: results[n]["metrics"][key]["ratio"]))
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
    oracle = result.get("mjd_oracle")
    if oracle:
        rows["mjd_loglik"] = {"value": oracle["loglik_generated"], "floor": None,
                              "ratio": None}
        for key, true in oracle["true"].items():
            value = oracle["mle_generated"][key]
            rows[f"mle_{key}"] = {"value": value, "floor": None, "ratio": value / true if true else None}
    return rows
