"""Tail statistics and the memorisation check against known answers."""

import numpy as np
import pytest

from wavediff.metrics.report import compare_to_real, flat_metrics, markdown_table
from wavediff.metrics.tails import expected_shortfall, jump_counts, memorisation, value_at_risk


def test_var_and_es_of_a_normal_sample():
    r = np.random.default_rng(0).standard_normal(2_000_000)
    assert value_at_risk(r, 0.01) == pytest.approx(2.3263, abs=0.01)
    assert expected_shortfall(r, 0.01) == pytest.approx(2.6652, abs=0.01)  # phi(z) / 0.01
    assert value_at_risk(r, 0.05) == pytest.approx(1.6449, abs=0.005)


def test_bipower_threshold_counts_planted_jumps_only():
    rng = np.random.default_rng(1)
    windows = rng.standard_normal((200, 256))
    assert jump_counts(windows).mean() < 0.05  # 256 P(|z| > 4) ~ 0.016 per window
    windows[:, 10] += 12.0
    windows[:, 100] -= 15.0
    assert (jump_counts(windows) == 2).mean() > 0.95


def test_memorisation_tells_copies_from_fresh_samples():
    rng = np.random.default_rng(2)
    train, heldout = rng.standard_normal((500, 64)), rng.standard_normal((100, 64))
    copies = train[:64] + 1e-3 * rng.standard_normal((64, 64))
    fresh = rng.standard_normal((64, 64))
    copied, new = memorisation(copies, heldout, train), memorisation(fresh, heldout, train)
    assert copied["ratio"] < 0.01 and copied["copy_share"] == 1.0 and copied["heldout_copy_share"] == 0.0
    assert new["ratio"] == pytest.approx(1.0, abs=0.05) and new["copy_share"] == 0.0
    quiet = memorisation(0.5 * fresh, heldout, train)  # too little volatility is not copying
    assert quiet["copy_share"] == 0.0


def test_reports_carry_tails_and_memorisation_with_floors():
    rng = np.random.default_rng(3)
    pool, reference = rng.standard_t(4, (300, 64)), rng.standard_t(4, (80, 64))
    result = compare_to_real(rng.standard_normal((32, 64)), reference, pool, draws=3)
    for key in ("var_1pct_abs_diff_over_std", "es_5pct_abs_diff_over_std", "abs_q999_abs_diff_over_std",
                "jumps_per_window_abs_diff"):
        assert result["metrics"][key]["floor"] > 0
    # Gaussian samples have thinner tails than Student-t(4) data: ES at 1% is off by more than chance
    assert result["metrics"]["es_1pct_abs_diff_over_std"]["ratio"] > 2
    rows = flat_metrics(result)
    assert rows["memorisation_nn_distance"]["ratio"] > 0.5 and "es_1pct" in rows
    table = markdown_table({"gaussian": result})
    assert "memorisation" in table and "jumps_per_window" in table
