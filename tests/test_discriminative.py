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
