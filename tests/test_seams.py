"""The seam check of long paths against known answers: no join, and a visible one."""

from __future__ import annotations

import numpy as np

from wavediff.metrics.seams import seam_report


def test_iid_paths_show_no_seam_and_a_volatility_step_is_found():
    rng = np.random.default_rng(0)
    returns = rng.standard_normal((32, 1024))
    seams = [256, 512, 768]
    calm = seam_report(returns, seams, width=16, seed=1)
    assert 0.7 < calm["ratio"] < 1.3 and calm["p_value"] > 0.05 and calm["seams"] == 3
    stepped = returns.copy()
    for s in seams:  # a join that doubles the volatility until the next one
        stepped[:, s:] *= 2.0 if (s // 256) % 2 else 0.5
    found = seam_report(stepped, seams, width=16, seed=1)
    assert found["ratio"] > 2 and found["p_value"] < 0.01
    assert abs(calm["abs_return_ratio"] - 1) < 0.05


def test_no_usable_seam_gives_none():
    report = seam_report(np.zeros((2, 40)), [5], width=16)
    assert report["value"] is None and report["seams"] == 0
