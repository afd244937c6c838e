"""Synthetic DiD core (`stats.synthdid`, `stats.placebo`): Proposition 99 against the paper's Table 1,
independent implementations (the Python port of R's synthdid, pysyncon) on the same panels, the
solver against a general-purpose QP solver, and the placebo inference's definitions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.stats import norm

from tests import synthdid_reference
from valueproof.stats import synthdid
from valueproof.stats.placebo import (Placebo, placebo_inference, placebo_problems, poor_pre_fit,
                                      pre_period_dip)

PROP99 = Path(__file__).resolve().parents[1] / "fixtures" / "california_prop99.csv"


def prop99() -> tuple[np.ndarray, int]:
    """The 38 states as donors, California last; 1970–1988 before Proposition 99."""
    data = pd.read_csv(PROP99, sep=";")
    wide = data.pivot(index="State", columns="Year", values="PacksPerCapita")
    order = [state for state in wide.index if state != "California"] + ["California"]
    return wide.loc[order].to_numpy(), int((wide.columns < 1989).sum())


def factor_panel(seed: int, donors: int = 30, periods: int = 20, n_pre: int = 12) -> np.ndarray:
    """Donors + 1 accounts: two common factors with account loadings, account trends, noise."""
    rng = np.random.default_rng(seed)
    factors = np.cumsum(rng.normal(size=(periods, 2)), axis=0)
    loadings = rng.normal(size=(donors + 1, 2))
    trends = np.outer(rng.normal(size=donors + 1), np.arange(periods)) * 0.1
    return 10 + loadings @ factors.T + trends + rng.normal(size=(donors + 1, periods))


def omega_objective(Y: np.ndarray, n_pre: int, omega: np.ndarray) -> float:
    """The paper's unit-weight objective: zeta^2 |omega|^2 + |centred pre fit|^2 / T0."""
    pen = synthdid.penalties(Y[:-1, :n_pre], Y.shape[1] - n_pre)
    A = Y[:-1, :n_pre].T - Y[:-1, :n_pre].T.mean(axis=0)
    b = Y[-1, :n_pre] - Y[-1, :n_pre].mean()
    return float(pen.zeta_omega**2 * omega @ omega + np.sum((A @ omega - b) ** 2) / n_pre)


def reference_fit(Y: np.ndarray, n_pre: int):
    synthdid_reference.reference("synthdid.synthdid")
    return synthdid_reference.reference_fit(Y, n_pre)


def test_prop99_reproduces_table_1_of_the_paper():
    Y, n_pre = prop99()
    assert Y.shape == (39, 31) and n_pre == 19
    fit = synthdid.synthetic_did(Y, n_pre)
    assert round(fit.estimate, 1) == -15.6
    assert round(fit.did_estimate, 1) == -27.3
    # synthetic control at its optimum; the paper's -19.6 is R's solver stopping early (below)
    assert round(fit.sc_estimate, 1) == -19.5
    assert np.all(fit.unit_weights >= 0) and fit.unit_weights.sum() == pytest.approx(1)
    assert fit.time_weights.sum() == pytest.approx(1)
    # the time weights sit on the last pre years, as the paper's figure shows
    assert fit.time_weights[-3:].sum() > 0.99
    # the twin is the weighted donors plus the intercept, and the effect is its post-period gap
    assert np.allclose(fit.synthetic, fit.unit_weights @ Y[:-1] + fit.intercept)
    assert fit.estimate == pytest.approx((Y[-1, n_pre:] - fit.synthetic[n_pre:]).mean())
    assert fit.pre_rmspe == pytest.approx(np.sqrt(np.mean((Y[-1, :n_pre] - fit.synthetic[:n_pre]) ** 2)))


def test_prop99_matches_the_r_port_and_improves_on_its_stopping_point():
    Y, n_pre = prop99()
    fit = synthdid.synthetic_did(Y, n_pre)
    estimate, omega, lam = reference_fit(Y, n_pre)
    assert estimate == pytest.approx(-15.60383, abs=1e-5)  # the R package's printed -15.60383
    assert fit.estimate == pytest.approx(estimate, abs=0.01)
    assert np.abs(fit.unit_weights - omega).max() < 0.005
    assert np.abs(fit.time_weights - lam).max() < 0.001
    assert omega_objective(Y, n_pre, fit.unit_weights) <= omega_objective(Y, n_pre, omega) + 1e-9


def test_synthetic_control_reaches_the_optimum_the_r_solver_stops_short_of():
    Y, n_pre = prop99()
    fit = synthdid.synthetic_did(Y, n_pre)
    solver = synthdid_reference.reference("synthdid.solver")
    utils = synthdid_reference.reference("synthdid.utils")
    donors, california = Y[:-1, :n_pre].T, Y[-1, :n_pre]
    sigma = synthdid.noise_level(Y[:-1, :n_pre])
    options = dict(intercept=False, zeta=1e-6 * sigma, min_decrease=1e-5 * sigma)
    first = solver.sc_weight_fw(donors, california, None, max_iter=100, **options)["params"]
    r_weights = solver.sc_weight_fw(donors, california, utils.sparsify_function(first), max_iter=10_000,
                                    **options)["params"]
    r_estimate = float((Y[-1, n_pre:] - r_weights @ Y[:-1, n_pre:]).mean())
    assert round(r_estimate, 1) == -19.6  # the paper's Table 1
    ours = synthdid.sc_weights(Y[:-1, :n_pre], Y[-1:, :n_pre], np.ones((1, 38), bool))[0]

    def misfit(w):
        return float(np.sum((donors @ w - california) ** 2))

    assert misfit(ours) < misfit(r_weights) - 1e-6

    pysyncon = synthdid_reference.reference("pysyncon")
    states = [f"s{j}" for j in range(38)]
    X0 = pd.DataFrame(donors, columns=states)
    X1 = pd.Series(california, name="California")
    spread = pd.concat([X0, X1], axis=1).std(axis=1).to_numpy()
    sc = pysyncon.Synth()
    sc.fit(X0=X0, X1=X1, Z0=X0, Z1=X1, custom_V=spread**2)  # V undoes its scaling: plain least squares
    theirs = sc.W if isinstance(sc.W, np.ndarray) else np.asarray(sc.W)
    assert misfit(ours) <= misfit(theirs) + 1e-3
    assert fit.sc_estimate == pytest.approx(float((Y[-1, n_pre:] - theirs @ Y[:-1, n_pre:]).mean()), abs=0.05)


@pytest.mark.parametrize("seed", range(5))
def test_simulated_panels_agree_with_the_r_port(seed):
    Y = factor_panel(seed)
    fit = synthdid.synthetic_did(Y, 12)
    estimate, omega, lam = reference_fit(Y, 12)
    sigma = synthdid.noise_level(Y[:-1, :12])
    assert fit.estimate == pytest.approx(estimate, abs=0.01 * sigma)
    assert np.abs(fit.unit_weights - omega).max() < 0.01
    assert np.abs(fit.time_weights - lam).max() < 0.01
    assert omega_objective(Y, 12, fit.unit_weights) <= omega_objective(Y, 12, omega) + 1e-9


def slsqp(objective, m: int, cap: float) -> np.ndarray:
    result = minimize(objective, np.full(m, 1 / m), method="SLSQP", bounds=[(0, cap)] * m,
                      constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
                      options={"ftol": 1e-15, "maxiter": 2000})
    return result.x


@pytest.mark.parametrize("cap", [None, 0.2, 0.08])
def test_unit_weights_are_the_optimum_under_a_cap(cap):
    Y = factor_panel(7, donors=25)
    fit = synthdid.synthetic_did(Y, 12, max_weight=cap)
    best = slsqp(lambda w: omega_objective(Y, 12, w), 25, cap or 1.0)
    assert fit.unit_weights.max() <= (cap or 1.0) + 1e-12
    assert fit.unit_weights.min() >= 0 and fit.unit_weights.sum() == pytest.approx(1)
    assert omega_objective(Y, 12, fit.unit_weights) <= omega_objective(Y, 12, best) + 1e-8
    assert np.abs(fit.unit_weights - best).max() < 1e-4
    if cap == 0.08:
        assert fit.unit_weights.max() == pytest.approx(0.08)  # the cap binds here


def test_the_batched_solver_gives_each_problem_its_own_answer():
    """Row masks, column masks and warm starts: all placebos at once equal each one alone."""
    Y = factor_panel(3, donors=20)
    donors, n_pre = Y[:-1], 12
    pen = synthdid.penalties(donors[:, :n_pre], Y.shape[1] - n_pre)
    controls = placebo_problems(20)
    omegas, lambdas = synthdid.sdid_weights(donors, donors, n_pre, controls, pen)
    for j in (0, 7, 19):
        alone_o, alone_l = synthdid.sdid_weights(donors, donors[j:j + 1], n_pre, controls[j:j + 1], pen)
        assert omegas[j, j] == 0
        assert np.abs(omegas[j] - alone_o[0]).max() < 1e-4
        assert np.abs(lambdas[j] - alone_l[0]).max() < 1e-4


def test_the_effect_moves_one_for_one_with_a_post_rollout_shift_and_ignores_the_level():
    Y = factor_panel(11)
    base = synthdid.synthetic_did(Y, 12)
    shifted = Y.copy()
    shifted[-1] += 5.0  # a level difference: absorbed by the intercept
    shifted[-1, 12:] += 2.5  # an effect
    moved = synthdid.synthetic_did(shifted, 12)
    assert moved.estimate == pytest.approx(base.estimate + 2.5, abs=1e-6)
    assert moved.intercept == pytest.approx(base.intercept + 5.0, abs=1e-6)
    assert moved.did_estimate == pytest.approx(base.did_estimate + 2.5)


def test_placebo_inference_follows_its_definitions():
    Y, n_pre = prop99()
    fit = synthdid.synthetic_did(Y, n_pre)
    placebo = placebo_inference(Y, n_pre, fit, alpha=0.05)
    assert isinstance(placebo, Placebo) and placebo.placebo_estimates.shape == (38,)
    taus = placebo.placebo_estimates
    assert placebo.p_value == pytest.approx((1 + np.sum(np.abs(taus) >= abs(fit.estimate))) / 39)
    assert placebo.smallest_p == pytest.approx(1 / 39)
    assert placebo.se == pytest.approx(np.sqrt(np.mean((taus - taus.mean()) ** 2)))
    assert placebo.ci_low == pytest.approx(fit.estimate - norm.ppf(0.975) * placebo.se)
    assert placebo.ci_high == pytest.approx(fit.estimate + norm.ppf(0.975) * placebo.se)
    # the paper's placebo SE is 8.4 from 200 random draws; every donor in turn gives the exact one
    assert 7.5 < placebo.se < 10.5
    assert placebo.p_value < 0.1 and placebo.did_p_value > placebo.p_value
    assert 0 < placebo.sc_p_value <= 1


def test_a_large_effect_reaches_the_smallest_attainable_p_value():
    Y = factor_panel(5, donors=19)
    Y[-1, 12:] += 30.0
    fit = synthdid.synthetic_did(Y, 12)
    placebo = placebo_inference(Y, 12, fit, alpha=0.05, max_weight=0.3)
    assert placebo.p_value == placebo.smallest_p == pytest.approx(1 / 20)
    assert placebo.sc_p_value == placebo.did_p_value == pytest.approx(1 / 20)
    assert placebo.ci_low > 0


def test_a_dip_just_before_the_rollout_is_flagged():
    Y = factor_panel(2, donors=40, periods=30, n_pre=20)
    fit = synthdid.synthetic_did(Y, 20)
    assert not pre_period_dip(Y, 20, fit)
    dipped = Y.copy()
    dipped[-1, 17:20] -= 4.0  # the account was picked after three bad periods
    fit = synthdid.synthetic_did(dipped, 20)
    placebo = placebo_inference(dipped, 20, fit, alpha=0.05)
    assert pre_period_dip(dipped, 20, fit, placebo)
    assert pre_period_dip(dipped, 20, fit) == pre_period_dip(dipped, 20, fit, placebo)


def test_the_pre_fit_is_poor_when_it_is_worse_than_the_donors_own_twins():
    Y = factor_panel(2, donors=40, periods=30, n_pre=20)
    fit = synthdid.synthetic_did(Y, 20)
    placebo = placebo_inference(Y, 20, fit, alpha=0.05)
    # each placebo's RMSPE is its donor's own fit: refit donor 0 against the others to check
    alone = synthdid.synthetic_did(np.vstack([Y[1:-1], Y[:1]]), 20)
    assert placebo.placebo_rmspes[0] == pytest.approx(alone.pre_rmspe, rel=1e-2)  # own penalties
    assert not poor_pre_fit(fit, placebo)
    wild = Y.copy()
    wild[-1, :20] += np.random.default_rng(1).normal(0, 4, 20)  # swings no donor shares
    fit = synthdid.synthetic_did(wild, 20)
    placebo = placebo_inference(wild, 20, fit, alpha=0.05)
    assert fit.pre_rmspe > np.quantile(placebo.placebo_rmspes, 0.9)
    assert poor_pre_fit(fit, placebo)
    # fewer than 9 donors: poor only when worse than every donor's twin
    few = wild[-7:]
    fit = synthdid.synthetic_did(few, 20)
    placebo = placebo_inference(few, 20, fit, alpha=0.05)
    assert poor_pre_fit(fit, placebo) == (fit.pre_rmspe > placebo.placebo_rmspes.max())


@pytest.mark.parametrize("change, message", [
    (lambda Y: (Y[:2], 12, None), "two donors or more"),
    (lambda Y: (Y, 1, None), "two pre-rollout periods"),
    (lambda Y: (Y, Y.shape[1], None), "one after"),
    (lambda Y: (np.where(np.arange(Y.shape[1]) == 3, np.nan, Y), 12, None), "a value for every"),
    (lambda Y: (Y, 12, 0.01), "max_weight"),
])
def test_a_panel_the_estimator_cannot_fit_is_refused(change, message):
    Y, n_pre, cap = change(factor_panel(1))
    with pytest.raises(ValueError, match=message):
        synthdid.synthetic_did(Y, n_pre, max_weight=cap)
