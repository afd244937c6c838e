"""The sentence under a KPI's table of averages: why the simple difference of those averages
(the change with the product minus the change without it) is not the effect printed beside it.

A reader who subtracts the four averages and finds another number suspects an error; the
estimate is not that subtraction: it weights the cells as the estimand sentence says, compares
each unit with itself (unit effects; group effects when different people answer before and
after) and takes out what changed for everyone in each period (period effects)."""

from __future__ import annotations

from valueproof.language.words import Unit, Words
from valueproof.stats.results import KPIResult, Results


def simple_difference(kpi: KPIResult) -> float | None:
    """(after − before) with the product, minus the same without it (KPI units); without a
    comparison group, after − before; None when an average is missing."""
    means = kpi.means
    compared = kpi.method != "pre_post"  # a comparison group, or the comparable accounts' blend
    keys = ["treatment_pre", "treatment_post"] + (
        ["control_pre", "control_post"] if compared else [])
    if any(means.get(key) is None for key in keys):
        return None
    change = means["treatment_post"] - means["treatment_pre"]
    if compared:
        change -= means["control_post"] - means["control_pre"]
    return change


def difference_note(words: Words, results: Results, kpi: KPIResult, scale: float, digits: int,
                    change_unit: Unit) -> str | None:
    """The note, or None when the simple difference equals the effect at the precision shown
    (nothing to explain). Log-scale and rate-ratio KPIs always get it: their effect is a
    percentage, not a difference of averages."""
    if kpi.log_scale or kpi.model == "poisson":
        return words("The effect is a percentage change, estimated on a log scale: it is not a "
                     "difference of these averages.")
    simple = simple_difference(kpi)
    if simple is None:
        return None
    fmt = words.fmt
    shown = lambda v: change_unit.after(fmt.fixed(v * scale, digits, signed=True))  # noqa: E731
    simple_text, effect_text = shown(simple), shown(kpi.effect_units)
    if simple_text == effect_text:
        return None
    if kpi.method == "synthetic_did":
        return words("The effect (%(effect)s) differs from the simple difference of these "
                     "averages (%(simple)s) because the periods before the rollout are weighted "
                     "to resemble those after it rather than counted equally.",
                     effect=effect_text, simple=simple_text)
    if kpi.method != "did":
        return words("The effect (%(effect)s) differs from the simple difference of these "
                     "averages (%(simple)s) because it compares each unit with itself (unit "
                     "effects) and weights units and periods as stated above.",
                     effect=effect_text, simple=simple_text)
    if results.design == "cross_section":
        return words("The effect (%(effect)s) differs from the simple difference of these "
                     "averages (%(simple)s) because it takes out the groups' lasting difference "
                     "(group effects) and what changed for everyone in the same period (period "
                     "effects), and weights periods as stated above.",
                     effect=effect_text, simple=simple_text)
    return words("The effect (%(effect)s) differs from the simple difference of these averages "
                 "(%(simple)s) because it compares each unit with itself (unit effects), takes "
                 "out what changed for all units in the same period (period effects) and weights "
                 "units and periods as stated above.", effect=effect_text, simple=simple_text)
