"""What weakens the evidence, in the reader's language: the data-quality findings and each KPI's
cautions (few units, the permutation test, the Poisson fit, small waves, a dip before the
rollout against the comparable accounts)."""

from __future__ import annotations

from valueproof.data.thresholds import FEW_UNITS
from valueproof.language.words import Words
from valueproof.report import grid_words, synthetic, waves, words_rate_ratio
from valueproof.stats.results import KPIResult, Results


def _group(words: Words, arm: str | None) -> str:
    """A group in a caution: 'with the product' (the treatment) or 'for comparison'."""
    return words("with the product") if arm == "treatment" else words("for comparison")


def finding_text(words: Words, finding: dict, labels: dict[str, str]) -> str:
    """A data-quality finding in the reader's language."""
    p, fmt = finding.get("params") or {}, words.fmt
    n = lambda key: fmt.fixed(p.get(key, 0), 0)  # noqa: E731
    count = lambda key: int(p.get(key, 0) or 0)  # noqa: E731
    rows_text = lambda: words.plural("%(rows)s row", "%(rows)s rows", count("rows"),  # noqa: E731
                                     rows=n("rows"))
    # named before the messages: Babel's extraction takes a bare `words` inside a message's call
    # for a message of its own (and would lose the plural)
    group = _group(words, p.get("group"))
    texts = {
        "duplicate_rows": lambda: words.plural(
            "%(rows)s row is an exact duplicate of another row; it was kept.",
            "%(rows)s rows are exact duplicates of another row; they were kept.", count("rows"),
            rows=n("rows")),
        "missing_keys": lambda: words.plural(
            "%(rows)s row has no value in column %(column)s and was not used.",
            "%(rows)s rows have no value in column %(column)s and were not used.", count("rows"),
            rows=n("rows"), column=p.get("column", "")),
        "units_in_neither_group": lambda: words.plural(
            "%(units)s unit (%(rows)s) belongs to neither group and was not used.",
            "%(units)s units (%(rows)s) belong to neither group and were not used.",
            count("units"), units=n("units"), rows=rows_text()),
        "units_switching_group": lambda: words.plural(
            "%(units)s unit appears in both groups and was not used (%(examples)s).",
            "%(units)s units appear in both groups and were not used (%(examples)s).",
            count("units"), units=n("units"), examples=p.get("examples", "")),
        "rows_outside_windows": lambda: words.plural(
            "%(rows)s row falls outside the compared periods and was not used.",
            "%(rows)s rows fall outside the compared periods and were not used.", count("rows"),
            rows=n("rows")),
        "units_one_side": lambda: words.plural(
            "%(units)s unit was seen only before or only after the rollout.",
            "%(units)s units were seen only before or only after the rollout.", count("units"),
            units=n("units")),
        "few_units": lambda: words.plural(
            "Only %(units)s unit in the group %(group)s: estimates are fragile.",
            "Only %(units)s units in the group %(group)s: estimates are fragile.",
            count("units"), units=n("units"), group=group),
        "missing_values": lambda: words.plural(
            "%(kpi)s: %(rows)s observation (%(share)s) has no value and was left out.",
            "%(kpi)s: %(rows)s observations (%(share)s) have no value and were left out.",
            count("rows"), kpi=labels.get(p.get("kpi"), p.get("kpi", "")), rows=n("rows"),
            share=fmt.percent(p.get("share", 0))),
        "negative_values": lambda: words.plural(
            "Column %(column)s has %(rows)s negative value in a KPI that adds values up; it was "
            "used as it is.", "Column %(column)s has %(rows)s negative values in a KPI that adds "
            "values up; they were used as they are.", count("rows"), column=p.get("column", ""), rows=n("rows")),
        "conflicting_rows": lambda: words.plural(
            "%(sets)s set of rows agrees on everything but the KPI values, which differ; all "
            "were kept.", "%(sets)s sets of rows agree on everything but the KPI values, which "
            "differ; all were kept.", count("sets"), sets=n("sets")),
        "units_without_rollout": lambda: words.plural(
            "%(units)s unit (%(rows)s) is not in the rollout file and was not used.",
            "%(units)s units (%(rows)s) are not in the rollout file and were not used.",
            count("units"), units=n("units"), rows=rows_text()),
        "repeated_units": lambda: words.plural(
            "%(lines)s line of %(file)s repeats a unit listed before with the same value; the "
            "unit was counted once.", "%(lines)s lines of %(file)s repeat a unit listed before "
            "with the same value; each unit was counted once.", count("lines"), lines=n("lines"),
            file=p.get("file", "")),
        "rollout_after_data": lambda: words.plural(
            "%(units)s unit got the product only after the data end; it counts as not yet "
            "treated throughout.", "%(units)s units got the product only after the data end; "
            "they count as not yet treated throughout.", count("units"), units=n("units")),
        "no_control_group": lambda: words(
            "No control group: a before/after comparison only, which cannot separate the "
            "product from seasonality or other changes."),
    }
    texts.update(grid_words.finding_texts(words, p, n, count))
    return texts[finding["kind"]]() if finding["kind"] in texts else finding["message"]


def kpi_warnings(words: Words, results: Results, kpi: KPIResult, labels: dict[str, str],
                 time_kind: str = "date") -> list[str]:
    """What weakens this KPI's evidence, in the reader's language (the pre-trend check has its
    own sentence)."""
    out = [finding_text(words, d, labels) for d in results.data_quality if d.get("kpi") == kpi.id]
    if kpi.model == "poisson":
        out += words_rate_ratio.warnings(words, kpi)
    if kpi.inference == "permutation":
        out.append(words("So few units are in a group that the usual standard errors are "
                         "unreliable; the p-value and interval shown come from the permutation "
                         "test."))
    if results.design == "staggered":
        out += waves.small_wave_warnings(words, results, time_kind)
    if kpi.synthetic is not None:  # one account against many: its own cautions
        return out + synthetic.warnings(words, kpi)
    for arm, count in kpi.n_units.items():
        if 1 < count < FEW_UNITS or (count == 1 and arm == "control"):
            group = _group(words, arm)
            out.append(words.plural("Only %(units)s unit in the group %(group)s: treat the "
                                    "interval with caution.", "Only %(units)s units in the group "
                                    "%(group)s: treat the interval with caution.", int(count),
                                    units=words.fmt.fixed(count, 0), group=group))
    return out
