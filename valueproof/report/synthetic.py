"""A KPI measured against the vendor's other accounts (synthetic difference-in-differences, KPI
method "synthetic_did"), in the reader's language: what it was compared with, how closely that
comparison followed the account before the rollout, the placebo test over the accounts, a dip
just before the rollout, and the appendix's method, donor counts and robustness table.

The comparable accounts are other customers: nothing here reads a donor's id or the weights'
list (`KPIResult.synthetic["weights"]`, `Results.donors["kept"]`); only counts, the largest
weight and the pre-period fit reach a page, a slide or the terminal.
"""

from __future__ import annotations

import math

from valueproof.config import Experiment
from valueproof.language.words import Words, kpi_scale, with_unit
from valueproof.report.sentences import (change_parts, figure_decimals, in_sentence,
                                         prose_number)
from valueproof.report.terms import analysis_period, analysis_periods, correction_name
from valueproof.stats.results import KPIResult, Results

METHOD = "synthetic_did"


def group_names(words: Words, experiment: Experiment) -> dict[str, str]:
    """The account (its treated units' label, else the customer's name) and its comparison,
    the weighted blend of comparable accounts (the chart's grey line)."""
    customer = experiment.customer.name if experiment.customer else None
    return {"treatment": experiment.groups.treatment_label or customer or words("This account"),
            "control": experiment.groups.control_label or words("comparable accounts, weighted")}


def comparison_text(words: Words, kpi: KPIResult) -> str:
    """'a weighted blend of 23 comparable accounts (largest weight 18%)': the comparison, never
    its accounts' names."""
    donors = int(kpi.synthetic["donors"])
    return words.plural(
        "a weighted blend of %(n)s comparable account (largest weight %(weight)s)",
        "a weighted blend of %(n)s comparable accounts (largest weight %(weight)s)", donors,
        n=words.fmt.fixed(donors, 0), weight=words.fmt.percent(kpi.synthetic["largest_weight"]))


def effect_sentence(words: Words, kpi: KPIResult, groups: dict[str, str]) -> str:
    """'Hurtownia Bałtyk: win rate rose by 3.1 percentage points (+12%) compared with a weighted
    blend of 23 comparable accounts (largest weight 18%); likely range …'."""
    parts = change_parts(words, kpi)
    return words("%(treatment)s: %(kpi)s %(direction)s by %(amount)s (%(relative)s) compared "
                 "with %(comparison)s; %(interval)s.", treatment=groups["treatment"],
                 kpi=in_sentence(words.fmt, kpi.label), comparison=comparison_text(words, kpi),
                 **parts)


def gap_text(words: Words, kpi: KPIResult, gap: float, unit: bool = True) -> str:
    """A gap between the account and its blend in the KPI's change unit ('0.8 percentage
    points', or '0.8' for a table whose row names the unit); a log KPI's in % ('3.1%')."""
    if kpi.log_scale:
        return words.fmt.percent(math.expm1(abs(gap)))
    scale, _, change_unit = kpi_scale(kpi, words)
    shown = prose_number(words.fmt, abs(gap) * scale)
    return with_unit(shown, change_unit) if unit else shown


def fit_sentence(words: Words, kpi: KPIResult, period: str) -> tuple[str, str]:
    """('good' | 'poor', the pre-period fit in words): how far the blend was from the account
    before the rollout, per analysis period (the root mean squared gap); a poor fit a caution."""
    fit = kpi.synthetic["pre_fit"]
    gap = gap_text(words, kpi, kpi.synthetic["pre_rmspe"])
    if fit == "poor":
        return fit, words("Caution: before the rollout the weighted blend did not follow this "
                          "KPI closely (it was %(gap)s away per %(period)s on average), so part "
                          "of the difference after the rollout may not be due to the product.",
                          gap=gap, period=period)
    return fit, words("Before the rollout the weighted blend followed this KPI closely: it was "
                      "%(gap)s away per %(period)s on average.", gap=gap, period=period)


def verdict_sentence(words: Words, kpi: KPIResult) -> str | None:
    """The verdict when too few comparable accounts make any effect undetectable; None when
    the usual verdict sentence holds."""
    if kpi.detectable:
        return None
    donors = int(kpi.synthetic["donors"])
    return words.plural(
        "Not detectable with this design: with %(n)s comparable account, no effect however "
        "large could reach significance (the smallest possible p-value is %(p)s).",
        "Not detectable with this design: with %(n)s comparable accounts, no effect however "
        "large could reach significance (the smallest possible p-value is %(p)s).", donors,
        n=words.fmt.fixed(donors, 0), p=words.fmt.number(kpi.smallest_p, 2))


def placebo_note(words: Words, kpi: KPIResult) -> str:
    """For the detail box: where the p-value comes from and how small it can be."""
    donors = int(kpi.synthetic["donors"])
    return words.plural(
        "The p-value comes from a placebo test over the %(n)s comparable account (the smallest "
        "possible is %(p)s).",
        "The p-value comes from a placebo test over the %(n)s comparable accounts (the smallest "
        "possible is %(p)s).", donors, n=words.fmt.fixed(donors, 0),
        p=words.fmt.number(kpi.smallest_p, 2))


def estimand_sentence(words: Words, period: str) -> str:
    return words("Measured per %(period)s: this account's values and every comparable "
                 "account's are combined for each %(period)s in the same way.", period=period)


def robustness_sentence(words: Words, kpi: KPIResult) -> str:
    """The other estimators' effects and placebo p-values, in one sentence (the deck's notes)."""
    rows = estimator_cells(words, kpi)
    return words("Robustness: synthetic control %(sc)s (p %(sc_p)s); difference-in-differences "
                 "against all comparable accounts with equal weights %(did)s (p %(did_p)s).",
                 sc=rows["sc"], sc_p=rows["sc_p"], did=rows["did"], did_p=rows["did_p"])


def estimator_cells(words: Words, kpi: KPIResult) -> dict[str, str]:
    """Each estimator's effect (at the KPI's figure precision, in its change unit; a log KPI's
    in %) and placebo p-value, as shown in the appendix's table."""
    fmt = words.fmt
    scale, _, _ = kpi_scale(kpi, words)
    digits, rel_digits = figure_decimals(kpi, scale)
    estimators = kpi.synthetic["estimators"]
    cells = {}
    for name in ("sdid", "sc", "did"):
        effect = estimators[name]["effect"]
        cells[name] = ("–" if effect is None else
                       fmt.percent_fixed(math.expm1(effect), rel_digits, signed=True)
                       if kpi.log_scale else fmt.fixed(effect * scale, digits, signed=True))
        cells[f"{name}_p"] = fmt.p_value(estimators[name]["p_value"])
    return cells


def default_actions(words: Words) -> dict[str, str]:
    """The plan's default steps for a KPI too few comparable accounts leave undetectable, and
    for one whose blend did not follow the account before the rollout."""
    return {"more_donors": words("Together: compare again once more comparable accounts are "
                                 "available; with so few, even a large change cannot be "
                                 "detected."),
            "closer_donors": words("Together: compare again with accounts that resemble this "
                                   "one more closely before the rollout; the present blend "
                                   "did not follow it well enough to call a change.")}


def warnings(words: Words, kpi: KPIResult) -> list[str]:
    """The KPI page's cautions: a dip just before the rollout (the poor fit has its own note)."""
    if not kpi.synthetic["dip"]:
        return []
    return [words("Caution: just before the rollout this KPI fell behind its weighted blend "
                  "more than the comparable accounts' own paths do. If the product came "
                  "because of that dip, part of the later improvement may be a recovery rather "
                  "than the product's effect.")]


def page_fields(words: Words, results: Results, kpi: KPIResult, groups: dict[str, str],
                time_kind: str) -> dict:
    """What a synthetic KPI's page says in place of a comparison group's sentences."""
    period = analysis_period(words, results, time_kind)
    fit, fit_text = fit_sentence(words, kpi, period)
    fields = {
        "sentence": effect_sentence(words, kpi, groups),
        "estimand_sentence": estimand_sentence(words, period),
        "pre_trend_status": fit, "pre_trend_sentence": fit_text,
        "comparison": comparison_text(words, kpi),
        "placebo_note": placebo_note(words, kpi),
        "robustness_sentence": robustness_sentence(words, kpi),
        "fit_gap": gap_text(words, kpi, kpi.synthetic["pre_rmspe"], unit=False),
        "effective_donors": words.fmt.number(kpi.synthetic["effective_donors"], 2),
        "estimators": estimator_cells(words, kpi),
    }
    undetectable = verdict_sentence(words, kpi)
    if undetectable:
        fields["verdict_sentence"] = undetectable
    return fields


def donor_span(words: Words, results: Results) -> tuple[int, str]:
    """The most comparable accounts any KPI kept, and the counts as text ('23', or '18–23'
    when KPIs kept different numbers)."""
    counts = sorted({int(k.synthetic["donors"]) for k in results.kpis if k.synthetic})
    shown = words.fmt.fixed(counts[-1], 0) if len(counts) == 1 else \
        f"{words.fmt.fixed(counts[0], 0)}–{words.fmt.fixed(counts[-1], 0)}"
    return counts[-1], shown


def summary_note(words: Words, results: Results) -> str:
    """Page 2: what the KPIs were compared with, as there was no comparison group."""
    most, shown = donor_span(words, results)
    return words.plural(
        "No group inside the account went without the product, so each KPI is compared with a "
        "weighted blend of %(n)s comparable account that did not have it, weighted so that "
        "before the rollout the blend moved like this account. Their names stay confidential.",
        "No group inside the account went without the product, so each KPI is compared with a "
        "weighted blend of %(n)s comparable accounts that did not have it, weighted so that "
        "before the rollout the blend moved like this account. Their names stay confidential.",
        most, n=shown)


def needed_donors(alpha: float) -> int:
    """The fewest comparable accounts whose placebo test can reach `alpha`: 1/(J + 1) < alpha."""
    return math.floor(round(1 / alpha - 1, 9)) + 1


def donors_paragraph(words: Words, results: Results, time_kind: str) -> str | None:
    """How many accounts were offered, kept and left out (never which)."""
    if results.donors is None:
        return None
    kept, left = len(results.donors["kept"]), len(results.donors["excluded"])
    offered = kept + left
    return words.plural(
        "Of the %(offered)s account offered for comparison, %(kept)s were kept and %(left)s "
        "left out: accounts that had the product before the end of the compared time, accounts "
        "the vendor excluded, and accounts without data in a compared %(period)s (such an "
        "account is left out of that KPI only).",
        "Of the %(offered)s accounts offered for comparison, %(kept)s were kept and %(left)s "
        "left out: accounts that had the product before the end of the compared time, accounts "
        "the vendor excluded, and accounts without data in a compared %(period)s (such an "
        "account is left out of that KPI only).", offered,
        offered=words.fmt.fixed(offered, 0), kept=words.fmt.fixed(kept, 0),
        left=words.fmt.fixed(left, 0), period=analysis_period(words, results, time_kind))


def method_paragraphs(words: Words, results: Results, time_kind: str) -> list[str]:
    """The appendix's 'How these results were measured' for a comparison with other accounts."""
    fmt = words.fmt
    periods = analysis_periods(words, results, time_kind)
    period = analysis_period(words, results, time_kind)
    design = words(
        "There was no comparison group inside the account, so the comparison comes from other "
        "accounts that did not have the product during the compared time (synthetic "
        "difference-in-differences; Arkhangelsky, Athey, Hirshberg, Imbens and Wager, 2021). "
        "Each comparable account's KPI is combined per %(period)s exactly as this account's "
        "is. The accounts are weighted so that before the rollout their weighted blend moves "
        "in parallel with this account (a constant difference in level is allowed), and the "
        "%(periods)s before the rollout are weighted to resemble those after it. The effect is "
        "this account's change after the rollout minus the blend's change over the same "
        "%(periods)s. No comparable account is named in this report.",
        period=period, periods=periods)
    correction = correction_name(words, results.correction)
    needed = needed_donors(results.alpha)
    inference = words.plural(
        "The p-value comes from a placebo test: each comparable account in turn is treated as "
        "if it had got the product, with the others as its comparison, and the p-value is the "
        "share of these placebo effects, together with this account's own, at least as large "
        "as this account's. The likely range is the effect plus or minus 1.96 placebo standard "
        "errors. A change is called significant when its p-value, adjusted for testing several "
        "KPIs at once (%(correction)s), is below %(alpha)s, which takes at least %(needed)s "
        "comparable account: with fewer, no effect however large could be called significant, "
        "and the KPI is not detectable with this design.",
        "The p-value comes from a placebo test: each comparable account in turn is treated as "
        "if it had got the product, with the others as its comparison, and the p-value is the "
        "share of these placebo effects, together with this account's own, at least as large "
        "as this account's. The likely range is the effect plus or minus 1.96 placebo standard "
        "errors. A change is called significant when its p-value, adjusted for testing several "
        "KPIs at once (%(correction)s), is below %(alpha)s, which takes at least %(needed)s "
        "comparable accounts: with fewer, no effect however large could be called significant, "
        "and the KPI is not detectable with this design.", needed,
        correction=correction, alpha=fmt.number(results.alpha, 2), needed=fmt.fixed(needed, 0))
    robustness = words(
        "As robustness checks, each KPI is also estimated by synthetic control (Abadie, Diamond "
        "and Hainmueller, 2010: weighted accounts without a difference in level and without "
        "weighting the %(periods)s) and by difference-in-differences against all comparable "
        "accounts with equal weights, each with its own placebo test. Accounts that got the "
        "product because their KPI had dipped can show an improvement that is only a recovery; "
        "a KPI's page warns when this account fell behind its blend just before the rollout "
        "more than the comparable accounts' own paths do.", periods=periods)
    return [p for p in (design, donors_paragraph(words, results, time_kind), inference,
                        robustness) if p]


def synthetic_context(words: Words, results: Results, pages: list[dict],
                      time_kind: str) -> dict:
    """The template's parts for a comparison with other accounts: page 2's note, the
    appendix's method and its robustness table (one row per KPI page)."""
    rows = []
    for page in pages:
        kpi = results.kpi(page["id"])
        unit = page["change_unit"] if not kpi.log_scale else "%"
        rows.append({"label": page["label"], "unit": unit, "fit": page["fit_gap"],
                     "effective": page["effective_donors"], **page["estimators"]})
    return {"synthetic_summary": summary_note(words, results),
            "synthetic_method": method_paragraphs(words, results, time_kind),
            "synthetic_rows": rows}
