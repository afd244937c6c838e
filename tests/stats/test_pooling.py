"""Random-effects pooling against metafor's published BCG results, statsmodels' Paule–Mandel,
and seeded simulations of accounts with known true effects."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valueproof.stats.pooling import paule_mandel_tau2, pool, reml_tau2

BCG = Path(__file__).parents[1] / "fixtures" / "dat_bcg.csv"


def bcg() -> tuple[np.ndarray, np.ndarray]:
    """Log risk ratios and their variances of the 13 BCG trials (metafor's escalc("RR"))."""
    d = pd.read_csv(BCG)
    y = np.log(d.tpos / (d.tpos + d.tneg)) - np.log(d.cpos / (d.cpos + d.cneg))
    v = 1 / d.tpos - 1 / (d.tpos + d.tneg) + 1 / d.cpos - 1 / (d.cpos + d.cneg)
    return y.to_numpy(), v.to_numpy()


def test_reml_reproduces_metafor_on_dat_bcg():
    # rma(yi, vi, data = escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg))
    result = pool(*bcg())
    assert result.k == 13
    assert result.estimate == pytest.approx(-0.7145, abs=5e-5)
    assert result.se == pytest.approx(0.1798, abs=5e-5)
    assert result.tau2 == pytest.approx(0.3132, abs=5e-5)
    assert result.i2 == pytest.approx(0.9222, abs=5e-5)
    assert result.q == pytest.approx(152.2330, abs=5e-4)
    # rma(..., test = "knha"): se 0.1808, CI -1.1084 to -0.3206 on 12 df
    assert result.hksj_se == pytest.approx(0.1808, abs=5e-5)
    assert result.hksj_low == pytest.approx(-1.1084, abs=5e-5)
    assert result.hksj_high == pytest.approx(-0.3206, abs=5e-5)
    assert sum(result.weights) == pytest.approx(1.0)


def test_paule_mandel_and_intervals_agree_with_statsmodels():
    from statsmodels.stats.meta_analysis import combine_effects

    y, v = bcg()
    ours = pool(y, v, method="PM")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # about the single trials' intervals, not used here
        theirs = combine_effects(y, v, method_re="iterated", use_t=True)  # iterated = PM
        frame = theirs.summary_frame()
    assert ours.tau2 == pytest.approx(theirs.tau2, rel=1e-8)
    assert ours.estimate == pytest.approx(frame.loc["random effect", "eff"], rel=1e-8)
    assert ours.se == pytest.approx(frame.loc["random effect", "sd_eff"], rel=1e-8)
    assert (ours.ci_low, ours.ci_high) == pytest.approx(
        (frame.loc["random effect", "ci_low"], frame.loc["random effect", "ci_upp"]), rel=1e-8)
    # at the PM tau² the weighted residual variance is exactly 1: HKSJ = the plain t interval,
    # as statsmodels' "wls" row
    assert ours.hksj_se == pytest.approx(frame.loc["random effect wls", "sd_eff"], rel=1e-6)


def test_near_identical_accounts_have_no_spread_and_positive_weights():
    # the case where an unclipped DerSimonian–Laird variance went negative
    y = np.array([-2.40, -2.41, -2.39, -2.405])
    v = np.array([0.04, 0.01, 0.09, 0.02])
    for method in ("REML", "PM"):
        result = pool(y, v, method=method)
        assert result.tau2 == 0.0
        assert result.i2 == 0.0
        assert all(w > 0 for w in result.weights)
        assert y.min() <= result.estimate <= y.max()
        assert result.hksj_se >= result.se  # the factor is floored at 1
    assert reml_tau2(y, v) == 0.0 and paule_mandel_tau2(y, v) == 0.0


def test_forty_simulated_accounts_recover_the_mean_and_the_spread():
    rng = np.random.default_rng(20261205)
    true_mean, true_sd, k = -0.20, 0.05, 40
    truth = rng.normal(true_mean, true_sd, k)
    se = rng.uniform(0.01, 0.03, k)  # accounts measured more precisely than they differ
    result = pool(truth + rng.normal(0, se), se ** 2)
    assert result.hksj_low <= true_mean <= result.hksj_high
    assert result.ci_low <= true_mean <= result.ci_high
    # the true spread: the accounts' own true effects, and those of new accounts, fall within
    # the prediction interval about 95% of the time
    assert np.mean((result.pi_low <= truth) & (truth <= result.pi_high)) >= 0.9
    new = rng.normal(true_mean, true_sd, 10_000)
    assert np.mean((result.pi_low <= new) & (new <= result.pi_high)) >= 0.9
    assert result.tau == pytest.approx(true_sd, abs=0.02)
    assert 0.0 < result.i2 < 1.0


def test_coverage_of_the_hksj_and_prediction_intervals_in_repeated_simulations():
    rng = np.random.default_rng(7)
    covered = predicted = 0
    for _ in range(400):
        se = rng.uniform(0.02, 0.06, 8)  # noisier accounts: see docs/methods/pooling.md
        y = rng.normal(0.3, 0.1, 8) + rng.normal(0, se)
        result = pool(y, se ** 2)
        covered += result.hksj_low <= 0.3 <= result.hksj_high
        new_account = rng.normal(0.3, 0.1)
        predicted += result.pi_low <= new_account <= result.pi_high
    assert 0.92 <= covered / 400 <= 0.99
    assert predicted / 400 >= 0.9


def test_prediction_interval_needs_three_accounts_and_bad_input_is_refused():
    two = pool([0.1, 0.3], [0.01, 0.02])
    assert two.pi_low is None and two.pi_high is None
    three = pool([0.1, 0.3, 0.2], [0.01, 0.02, 0.01])
    assert three.pi_low < three.estimate < three.pi_high
    with pytest.raises(ValueError, match="two or more"):
        pool([0.1], [0.01])
    with pytest.raises(ValueError, match="positive"):
        pool([0.1, 0.2], [0.01, 0.0])
    with pytest.raises(ValueError, match="method"):
        pool([0.1, 0.2], [0.01, 0.02], method="DL")
