"""Statistics stage: per-KPI difference-in-differences with its checks, across KPIs corrected."""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import stats

from valueproof._version import __version__
from valueproof.config import Experiment
from valueproof.data import Dataset
from valueproof.data.thresholds import SMALL_WAVE
from valueproof.stats import did, event_study, poisson_kpi
from valueproof.stats.permutation import (invert, leads, permutation_pvalues,
                                          randomization_draws, robustness_draws)
from valueproof.stats.results import (KPIResult, RandomizationDraws, Results, Robustness,
                                      UnitInfluence)

CORRECTIONS = {"holm": "holm", "bh": "fdr_bh", "bonferroni": "bonferroni"}


def adjust_pvalues(p_values: list[float], correction: str) -> list[float]:
    """Multiple-testing adjustment across KPIs (statsmodels' implementation)."""
    if correction == "none" or len(p_values) < 2:
        return list(p_values)
    from statsmodels.stats.multitest import multipletests

    return list(multipletests(p_values, method=CORRECTIONS[correction])[1])


def verdict_of(significant: bool, effect: float, better: str) -> str:
    if not significant:
        return "inconclusive"
    good = effect < 0 if better == "lower" else effect > 0
    return "improved" if good else "worsened"


def _interval_in_kpi_terms(estimate, transform: str, low: float, high: float, units, relative):
    """The effect-in-KPI-units and relative bounds for an interval from test inversion (the
    counterfactual level taken as measured)."""
    level = estimate.level
    counterfactual = level - estimate.effect
    if transform == "log":
        base = float(np.exp(counterfactual))
        return ((units[0], base * float(np.expm1(low)), base * float(np.expm1(high)), *units[3:]),
                (relative[0], float(np.expm1(low)), float(np.expm1(high))))
    bounds = (low / counterfactual, high / counterfactual) if counterfactual > 0 else (None, None)
    if counterfactual < 0:
        bounds = (high / counterfactual, low / counterfactual)
    return (units[0], low, high, *units[3:]), (relative[0], *bounds)


def _sensitivity(data, se: str, alpha: float) -> dict | None:
    """The effect on the units seen both before and after the rollout only: when it differs
    from the headline, units joining or leaving drive part of the estimate."""
    both = data.both_sides()
    fit = did.fit_effect(data, se, units=both)
    if fit is None or fit.df <= 0:
        return None
    effect, error = float(fit.coef[0]), float(np.sqrt(fit.cov[0, 0]))
    t = did.t_critical(alpha, fit.df)
    return {"effect": effect, "se": error, "ci_low": effect - t * error,
            "ci_high": effect + t * error, "units": int(both.sum())}


def stats_threads() -> int:
    """Threads for the KPIs' estimates: two (a 2-core machine), or the batch worker's budget."""
    budget = os.environ.get("VALUEPROOF_THREADS", "")
    return max(1, min(2, int(budget))) if budget.isdigit() else 2


def analyze_dataset(experiment: Experiment, dataset: Dataset, donors=None) -> Results:
    """Estimate every KPI's effect; pure function of the definition and the loaded data
    (`donors`: the donor accounts of `comparison`, `data.donors.Donors`)."""
    from threadpoolctl import threadpool_limits

    # The products here are tall and thin (units x a dozen periods): OpenBLAS's threads make
    # them up to ten times slower, so the statistics run on one BLAS thread.
    with threadpool_limits(limits=1, user_api="blas"):
        if donors is not None:  # no control group: a synthetic twin of donor accounts
            from valueproof.stats import synthetic

            fields = synthetic.kpi_fields(experiment, dataset, donors)
            results = _finish(experiment, dataset, fields)
            return dataclasses.replace(results, method="synthetic_did", donors=donors.to_dict())
        return _analyze(experiment, dataset)


def _analyze(experiment: Experiment, dataset: Dataset) -> Results:
    if dataset.design == "staggered":
        return _finish(experiment, dataset, [_wave_fields(experiment, dataset, kpi)
                                             for kpi in experiment.kpis])
    settings = experiment.analysis
    panel = dataset.panel
    has_control = experiment.has_control
    alpha, se = settings.alpha, settings.se
    partial = []
    poisson_kpi.check_counts(experiment.kpis, dataset.findings)
    shared = {}  # the cells' layout, computed once for the KPIs with the same usable cells

    def prepare(kpi):
        data = did.KPIData(panel, kpi, has_control, unit_effects=dataset.design == "panel",
                           shared=shared)
        if kpi.model == "poisson":  # counts as a rate ratio (`stats.poisson_kpi`)
            estimate = poisson_kpi.main_estimate(data, se)
        else:
            estimate = did.main_estimate(data, se)
        did.check_variance(kpi, estimate.se)
        return kpi, data, estimate

    # numpy leaves the GIL in the KPIs' matrix work: two KPIs at a time (one in a batch worker)
    with ThreadPoolExecutor(stats_threads()) as pool:
        prepared = list(pool.map(prepare, experiment.kpis))

    permutation_p, draws, exact = [None] * len(prepared), 0, False
    sums = []
    if has_control:
        n_units = len(panel.unit_names)
        treated_units = np.zeros(n_units, bool)
        treated_units[panel.unit[panel.treated]] = True
        sums = [did.unit_sums(data, n_units) for _, data, _ in prepared]
        requested = settings.permutations
        if not any(leads(data.n_units()) for _, data, _ in prepared):  # a robustness row only
            requested = robustness_draws(requested, n_units)
        permutation_p, draws, exact = permutation_pvalues(
            sums, treated_units, requested, settings.seed)

    # The MDE at the alpha the verdict uses: with several KPIs the correction's worst case
    # (Holm's and Bonferroni's alpha / K; Benjamini-Hochberg's smallest step is the same).
    verdict_alpha = alpha / len(prepared) if settings.correction != "none" else alpha
    for (kpi, data, estimate), perm_p in zip(prepared, permutation_p):
        if kpi.model == "poisson":
            partial.append(poisson_kpi.fields(
                kpi, data, estimate, settings, dataset.findings, dict(
                    p=perm_p, sums=sums[len(partial)], treated=treated_units, draws=draws,
                    exact=exact) if has_control else None, verdict_alpha, panel.unit_names))
            continue
        effect, error, df = estimate.effect, estimate.se, estimate.df
        t_crit = did.t_critical(alpha, df)
        model_p = float(2 * stats.t.sf(abs(effect / error), df)) if df > 0 else float("nan")
        n_units = data.n_units()
        # Few units with the product (1-3, or a group under 5): the permutation test leads, with
        # its test-inversion interval and the smallest p-value the design can produce.
        few = has_control and leads(n_units)
        inference = "permutation" if few and perm_p is not None else "model"
        welch_p, rank_p, with_change = did.change_tests(data)
        pre_trend, points, trend = event_study.event_study(data, se, alpha,
                                                           settings.permutations, settings.seed)
        relative = did.relative_effect(estimate, kpi.transform, alpha)
        units = did.in_kpi_units(estimate, kpi.transform, alpha)
        means = estimate.means if kpi.transform == "none" else {
            name: float(np.exp(value)) for name, value in estimate.means.items()}
        warnings = did.estimate_warnings(n_units, error, pre_trend)
        imprecision = did.counterfactual_precision(estimate) if kpi.transform == "none" else None
        if imprecision is not None and imprecision > 0.2 and relative[0] is not None:
            warnings.append(
                f"the level the treated group would have had without the product is itself "
                f"uncertain (±{1.96 * imprecision:.0%}), so the relative effect is only rough; "
                "read the effect in KPI units")
        attrition = did.attrition(data)
        sensitivity = None
        if any(a["left"] or a["joined"] for a in attrition.values()):
            sensitivity = _sensitivity(data, se, alpha)
        warnings += [f.message for f in dataset.findings if f.kpi == kpi.id]
        p_value = perm_p if inference == "permutation" else model_p
        ci_low, ci_high = effect - t_crit * error, effect + t_crit * error
        smallest_p, detectable, mde = None, True, did.power_mde(error, df, verdict_alpha)
        randomization = None
        if inference == "permutation":
            randomization = RandomizationDraws(*randomization_draws(
                sums[len(partial)], treated_units, settings.permutations, settings.seed),
                assignments=f"{len(panel.unit_names)}:{treated_units.sum()}:"
                            f"{settings.permutations}:{settings.seed}")
            low, high, smallest_p = _invert(randomization, alpha)
            ci_low = float("-inf") if low is None else low
            ci_high = float("inf") if high is None else high
            units, relative = _interval_in_kpi_terms(estimate, kpi.transform, ci_low, ci_high,
                                                     units, relative)
            detectable = smallest_p < verdict_alpha
            if detectable:  # the MDE of this test: its interval at the verdict's alpha, widened
                low_v, high_v, _ = _invert(randomization, verdict_alpha)
                z = stats.norm.ppf(1 - verdict_alpha / 2)
                mde = (float("nan") if low_v is None or high_v is None
                       else (high_v - low_v) / 2 * (z + stats.norm.ppf(did.POWER)) / z)
            else:
                mde = float("nan")  # no effect, however large, could reach significance
                warnings.append(
                    f"not detectable with this design: with {n_units['treatment']} treated and "
                    f"{n_units['control']} control units the smallest p-value any effect could "
                    f"give is {smallest_p:.3g}, not below {verdict_alpha:.3g}")
        partial.append(dict(
            id=kpi.id, label=kpi.display_label, unit=kpi.unit, better=kpi.better,
            aggregate=kpi.aggregate, transform=kpi.transform, estimand=did.estimand(kpi),
            method="did" if has_control else "pre_post", inference=inference, n_units=n_units,
            n_obs=data.n_obs, n_cells=estimate.n_cells,
            means=means, effect=effect, se=error, df=df,
            ci_low=ci_low, ci_high=ci_high, p_value=p_value,
            smallest_p=smallest_p, detectable=detectable,
            relative_effect=relative[0], relative_ci_low=relative[1], relative_ci_high=relative[2],
            mde=mde, pre_trend=pre_trend,
            effect_units=units[0], effect_units_low=units[1], effect_units_high=units[2],
            level=units[3], level_low=units[4], level_high=units[5],
            robustness=Robustness(welch_p, rank_p, perm_p, draws, exact, with_change),
            event_study=points, trend=trend, attrition=attrition, sensitivity=sensitivity,
            warnings=warnings, influence=_influence(panel, estimate), randomization=randomization,
        ))
    return _finish(experiment, dataset, partial)


def _invert(draws: RandomizationDraws, alpha: float):
    return invert(draws.statistic, draws.shift, draws.observed, draws.exact, alpha)


def _influence(panel, estimate) -> UnitInfluence | None:
    """The units' influences on the headline, by unit id, with the reported SE's scaling."""
    if estimate.influence is None:
        return None
    codes, values = estimate.influence
    return UnitInfluence.scaled([panel.unit_names[c] for c in codes], values, estimate.se)


def _wave_fields(experiment: Experiment, dataset: Dataset, kpi) -> dict:
    """The result fields of one KPI of a rollout in waves (`stats.waves`)."""
    from valueproof.stats import waves

    settings = experiment.analysis
    alpha = settings.alpha
    verdict_alpha = alpha / len(experiment.kpis) if settings.correction != "none" else alpha
    fit = waves.estimate_kpi(dataset.panel, kpi, settings, verdict_alpha)
    estimate = fit["estimate"]
    did.check_variance(kpi, estimate.se)
    relative = did.relative_effect(estimate, kpi.transform, alpha)
    units = did.in_kpi_units(estimate, kpi.transform, alpha)
    if fit["inference"] == "permutation":
        units, relative = _interval_in_kpi_terms(estimate, kpi.transform, fit["ci_low"],
                                                 fit["ci_high"], units, relative)
    means = estimate.means if kpi.transform == "none" else {
        name: float(np.exp(value)) for name, value in estimate.means.items()}
    n_units = fit["n_units"]
    warnings = did.few_unit_warnings(n_units) + fit["warnings"]
    pre_trend = fit["pre_trend"]
    if pre_trend.status == "detected":
        warnings.append(
            f"pre-trend check: the waves and their comparison units already moved differently "
            f"before the rollouts (p = {pre_trend.p_value:.3g}), so the estimate may be biased")
    small = [w for w in dataset.waves if w.units < SMALL_WAVE]
    if small:
        warnings.append(
            f"{len(small)} wave(s) have fewer than {SMALL_WAVE} units "
            f"({', '.join(str(w.start) for w in small)}); "
            "their own effects say little, they count in the average by their size")
    warnings += [f.message for f in dataset.findings if f.kpi == kpi.id]
    perm = fit["permutation"]
    return dict(
        id=kpi.id, label=kpi.display_label, unit=kpi.unit, better=kpi.better,
        aggregate=kpi.aggregate, transform=kpi.transform, estimand=did.estimand(kpi),
        method="did", inference=fit["inference"], n_units=n_units,
        n_obs=fit["data"].n_obs, n_cells=estimate.n_cells, means=means,
        effect=estimate.effect, se=estimate.se, df=fit["df"],
        ci_low=fit["ci_low"], ci_high=fit["ci_high"], p_value=fit["p_value"],
        smallest_p=fit["smallest_p"], detectable=fit["detectable"],
        relative_effect=relative[0], relative_ci_low=relative[1], relative_ci_high=relative[2],
        mde=fit["mde"], pre_trend=pre_trend,
        effect_units=units[0], effect_units_low=units[1], effect_units_high=units[2],
        level=units[3], level_low=units[4], level_high=units[5],
        robustness=Robustness(None, None, perm["p_value"] if perm else None,
                              perm["draws"] if perm else 0, False, {}),
        event_study=fit["event_study"], trend=[], warnings=warnings,
        aggregations=fit["aggregations"], group_time=fit["group_time"],
        influence=_influence(dataset.panel, estimate),
        randomization=RandomizationDraws(*perm["randomization"]) if perm else None,
    )


def _finish(experiment: Experiment, dataset: Dataset, partial: list[dict]) -> Results:
    """Adjust the p-values across KPIs, give the verdicts and assemble the results."""
    settings = experiment.analysis
    alpha, se = settings.alpha, settings.se
    testable = [i for i, p in enumerate(partial) if np.isfinite(p["p_value"])]
    adjusted = [float("nan")] * len(partial)
    for i, p_adj in zip(testable, adjust_pvalues([partial[i]["p_value"] for i in testable],
                                                 settings.correction)):
        adjusted[i] = p_adj
    kpis = []
    for fields, p_adj in zip(partial, adjusted):
        significant = bool(p_adj < alpha)  # False when the p-value is not available
        # A synthetic comparison whose twin did not follow the account before the rollout is
        # not called either way: among such accounts the placebo test rejected a true null
        # 17-20% of the time (docs/methods/synthetic.md); its numbers are still shown.
        unreliable = (fields.get("synthetic") or {}).get("pre_fit") == "poor"
        verdict = verdict_of(significant and not unreliable, fields["effect"], fields["better"])
        kpis.append(KPIResult(**fields, p_adjusted=float(p_adj), significant=significant,
                              improved=verdict == "improved", verdict=verdict))

    if se in ("hc1", "iid") and dataset.design == "panel":
        warnings_se = [f"se: {se} treats every unit-period as independent, but units are "
                       "observed in several periods and resemble themselves over time, so its "
                       "intervals are too narrow; use se: cluster"]
    elif se != "cluster" and dataset.design == "staggered":
        warnings_se = [f"se: {se} is not used for a rollout in waves: its standard errors come "
                       "from the influence function, clustered by unit"]
    else:
        warnings_se = []
    # Every warning at the top level; those about one KPI also beside it (KPIResult.warnings).
    finding_messages = {f.message for f in dataset.findings}
    warnings = warnings_se + [f.message for f in dataset.findings]
    warnings += [f"{k.label}: {w}" for k in kpis for w in k.warnings if w not in finding_messages]
    return Results(
        valueproof_version=__version__, experiment=experiment.name, design=dataset.design,
        method="did" if experiment.has_control else "pre_post", alpha=alpha, se=se,
        correction=settings.correction, period=settings.period, seed=settings.seed,
        rollout=str(dataset.rollout),
        pre={"start": str(dataset.pre.start), "end": str(dataset.pre.end)},
        post={"start": str(dataset.post.start), "end": str(dataset.post.end)},
        data_fingerprint=dataset.fingerprint, definition_hash=experiment.definition_hash,
        kpis=kpis, warnings=warnings,
        waves=[{"start": str(w.start), "first_rollout": str(w.first_rollout), "units": w.units}
               for w in dataset.waves],
        comparison=settings.comparison if dataset.design == "staggered" else None,
        base_period=settings.base_period if dataset.design == "staggered" else None,
        data_quality=[{"kind": f.kind, "message": f.message, "kpi": f.kpi, "params": f.params}
                      for f in dataset.findings],
    )
