import numpy as np
import pytest

from wavediff.metrics.discriminative import discriminative_draws, discriminative_score, paired_discriminative


def test_same_distribution_scores_near_zero_and_different_volatility_near_half():
    rng = np.random.default_rng(0)
    real, other_real = rng.standard_normal((400, 64)), rng.standard_normal((400, 64))
    assert discriminative_score(other_real, real, epochs=10) < 0.1
    assert discriminative_score(2.0 * rng.standard_normal((400, 64)), real, epochs=10) > 0.4


def test_one_dimensional_series_with_tails_only_differ():
    rng = np.random.default_rng(1)
    real = rng.standard_t(3, (400, 64)) / np.sqrt(3)  # unit variance, fat tails
    gaussian = rng.standard_normal((400, 64))
    assert discriminative_score(gaussian, real, epochs=15) > 0.1


def test_the_floor_is_the_median_of_a_classifier_fitted_on_every_real_draw(monkeypatch):
    """One fit's |accuracy - 0.5| on identical laws spreads from 0 to twice its mean, so a floor
    from one fit (every draw reusing the first) made ratios of 0.5x-8x for the same model. The
    real classifier runs; the spy only records what it was given and returned."""
    import wavediff.metrics.report as report

    calls = []

    def spy(generated, real, **kwargs):
        score = discriminative_score(generated, real, **kwargs)
        calls.append((np.asarray(generated).copy(), score))
        return score

    monkeypatch.setattr(report, "discriminative_score", spy)
    rng = np.random.default_rng(0)
    pool, reference, generated = rng.standard_t(4, (200, 32)), rng.standard_t(4, (64, 32)), rng.standard_t(4, (32, 32))
    result = report.compare_to_real(generated, reference, pool, draws=5, max_lag=5)
    assert len(calls) == 6 and np.array_equal(calls[0][0], generated)
    real_sets = [c[0] for c in calls[1:]]
    assert all(any(np.array_equal(w, p) for p in pool) for s_ in real_sets for w in s_[:3])  # drawn from the pool
    assert len({s_.tobytes() for s_ in real_sets}) == 5  # a fresh set (and classifier) per draw
    assert result["metrics"]["discriminative"]["floor"] == float(np.median([c[1] for c in calls[1:]]))


def test_a_classifier_that_learns_nothing_scores_zero_not_the_test_split_imbalance():
    """Identical windows cannot be told apart: the classifier answers one class for all, and with
    as many real as generated windows in the test set that is exactly chance."""
    window = np.random.default_rng(0).standard_normal(32)
    same = np.tile(window, (40, 1))
    assert [discriminative_score(same, same, epochs=2, seed=s) for s in range(3)] == [0.0, 0.0, 0.0]


def test_scoring_leaves_the_callers_torch_random_stream_alone():
    import torch

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    rng = np.random.default_rng(0)
    discriminative_score(rng.standard_normal((16, 32)), rng.standard_normal((16, 32)), epochs=1)
    assert torch.equal(torch.rand(3), expected)  # a training run's noise does not depend on its evaluations


def test_paired_classifier_verdicts_tell_a_wrong_scale_from_real_and_real_from_real():
    rng = np.random.default_rng(0)
    real = rng.standard_t(4, (300, 32))
    reference, real_like, also_real = real[:100], real[100:200], real[200:]
    wide = 2.5 * rng.standard_normal((100, 32))
    draws = {name: discriminative_draws(x, reference, 4, epochs=15)
             for name, x in {"real_like": real_like, "also_real": also_real, "wide": wide}.items()}
    assert draws["real_like"][2] == discriminative_score(real_like, reference, epochs=15, seed=2)  # draw i: seed i
    better = paired_discriminative(draws["real_like"], draws["wide"])
    assert better["verdict"] == "better" and better["high"] < 0
    assert paired_discriminative(draws["wide"], draws["real_like"])["verdict"] == "worse"
    same = paired_discriminative(draws["real_like"], draws["also_real"])
    assert same["verdict"] == "same" and same["low"] < 0 < same["high"]
    with pytest.raises(ValueError, match="at least 2 scores"):
        paired_discriminative(draws["wide"][:1], draws["real_like"][:1])


def test_a_set_compared_with_several_others_is_fitted_once(monkeypatch):
    import wavediff.metrics.discriminative as discriminative

    fits = []
    monkeypatch.setattr(discriminative, "discriminative_score", lambda *a, **k: fits.append(a) or 0.1 * len(fits))
    rng = np.random.default_rng(0)
    generated, real = rng.standard_normal((16, 8)), rng.standard_normal((16, 8))
    first = discriminative.discriminative_draws(generated, real, 3, seed=7)
    first[0] = -1.0  # a caller's copy: the kept scores stay as fitted
    again = discriminative.discriminative_draws(generated.copy(), real, 3, seed=7)
    assert len(fits) == 3 and list(again) == pytest.approx([0.1, 0.2, 0.3])
    assert [f[3] for f in fits] == [7, 8, 9]  # seeds seed + i
    discriminative.discriminative_draws(generated + 1e-12, real, 3, seed=7)  # other windows: fitted
    assert len(fits) == 6


@pytest.mark.slow
def test_paired_classifier_verdicts_on_identical_laws_are_rarely_better_or_worse():
    """The corrected test's false verdicts stay near 1 - level (10%) where a plain paired t-test on
    draws that reuse the same windows would claim far more."""
    false = 0
    for trial in range(30):
        rng = np.random.default_rng(100 + trial)
        reference, a, b = (rng.standard_t(4, (64, 32)) for _ in range(3))
        verdict = paired_discriminative(discriminative_draws(a, reference, 10, epochs=15),
                                        discriminative_draws(b, reference, 10, epochs=15))["verdict"]
        false += verdict != "same"
    assert false <= 6  # 20%: ~10% expected, binomial noise at 30 trials
