import numpy as np

from wavediff.metrics.discriminative import discriminative_score


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
