"""The goals and what follows from them: the scorecard's rows (each goal as agreed, its progress
in words, its status and badge), the improvement plan, and page 2's next steps."""

from __future__ import annotations

import math

from valueproof.language.words import Words, kpi_scale, with_unit
from valueproof.report import adoption as adoption_report
from valueproof.report import synthetic, wording
from valueproof.language.formatting import round_significant
from valueproof.report.sentences import (in_sentence, inconclusive_text, magnitude,
                                         prose_decimals)
from valueproof.stats.results import KPIResult, Results


STATUS_SYMBOL = {"achieved": "✓", "on_track": "→", "at_risk": "!", "not_achieved": "✗",
                 "inconclusive": "?", wording.UNCONFIRMED: wording.UNCONFIRMED_SYMBOL}


def status_labels(words: Words) -> dict[str, str]:
    return {"achieved": words("Achieved"), "on_track": words("On track"),
            "at_risk": words("At risk"), "not_achieved": words("Not achieved"),
            "inconclusive": words("Inconclusive"),
            wording.UNCONFIRMED: wording.unconfirmed_label(words)}


def exact_decimals(value: float, most: int = 2) -> int:
    """The fewest decimals (up to `most`) that write `value` as the definition gave it: a target
    of −1% is '−1%', not '−1.0%'; of −2.5 min, '−2.5'."""
    for decimals in range(most + 1):
        if abs(round(value, decimals) - value) < 1e-9:
            return decimals
    return most


def goal_figures(words: Words, criterion, kpi: KPIResult):
    """(format, measured, target) of a goal with their units, as the scorecard and the
    terminal show them, one precision for the whole cell: the target as agreed and the
    measured value at two significant figures (three for a level), whichever has more
    decimals: '−21%' and '−15%'; '+6.2' and '+8.0 percentage points'; '4.08' and '4.30 points'."""
    fmt = words.fmt
    scale, level_unit, change_unit = kpi_scale(kpi, words)
    if criterion.kind == "relative":
        digits = max(exact_decimals(criterion.target * 100),
                     prose_decimals(criterion.measured * 100))
        show = lambda v: fmt.percent_fixed(v, digits, signed=True)  # noqa: E731
    elif criterion.kind == "level":
        measured = round_significant(criterion.measured * scale, 3)
        digits = max(exact_decimals(criterion.target * scale),
                     exact_decimals(measured, 3))
        show = lambda v: with_unit(fmt.fixed(v * scale, digits), level_unit)  # noqa: E731
    else:
        digits = max(exact_decimals(criterion.target * scale),
                     prose_decimals(criterion.measured * scale))
        show = lambda v: with_unit(fmt.fixed(v * scale, digits, signed=True), change_unit)  # noqa: E731
    return show, show(criterion.measured), show(criterion.target)


def progress_text(words: Words, criterion, kpi: KPIResult) -> str:
    """A goal's progress in words: '−21% of the −15% target', '+6.2 percentage points of the
    +8 percentage points target', '+91% against a target of −1.0%' (the wrong way), '4.08 points against a target
    of 4.3 points'; with the trend's projection when the deadline is ahead."""
    if criterion.measured is None or not math.isfinite(criterion.measured):
        return "–"
    show, measured, target = goal_figures(words, criterion, kpi)
    if criterion.progress is not None:  # the target with its unit: "+8 percentage points"
        text = words("%(measured)s of the %(target)s target", measured=measured, target=target)
    else:
        text = words("%(measured)s against a target of %(target)s", measured=measured,
                     target=target)
    if criterion.projected is not None and criterion.status in ("on_track", "at_risk"):
        text += words("; ") + words("at the current trend %(projected)s by the deadline",
                             projected=show(criterion.projected))
    return text


def criteria_rows(words: Words, results: Results) -> list[dict]:
    """The scorecard: every goal as agreed (with its dates), its progress in words, its status."""
    labels = status_labels(words)
    rows = []
    for criterion in results.criteria:
        kpi = results.kpi(criterion.kpi)
        rows.append({
            "goal": criterion.label or kpi.label, "kpi": kpi.label,
            "progress": progress_text(words, criterion, kpi), "status": criterion.status,
            "status_label": labels[criterion.status], "symbol": STATUS_SYMBOL[criterion.status],
            "confident": criterion.with_confidence, "note": wording.goal_note(words, criterion),
            "by": words.fmt.date(criterion.by, "medium"),
            "agreed_on": words.fmt.date(criterion.agreed_on, "medium"),
        })
    return rows


def _plan_why(words: Words, kpi: KPIResult) -> str:
    """Why a KPI is in the plan, fitting its verdict."""
    if kpi.verdict == "worsened":
        return words("Got worse: %(change)s", change=magnitude(words, kpi))
    if kpi.verdict == "improved":
        return words("Improved (%(change)s), but short of its goal", change=magnitude(words, kpi))
    return words("Inconclusive: %(meaning)s", meaning=inconclusive_text(words, kpi))


def _default_action(words: Words, code: str, label: str) -> str:
    return {
        # joint steps: the customer reads them, so nothing is addressed to the vendor's team
        "worsened": words("Together: find out why %(kpi)s got worse among the units that use "
                          "the product, and agree a fix.", kpi=in_sentence(words.fmt, label)),
        "short_of_target": words("Together: agree how to close the gap to the target: wider "
                                 "use, training, or a later date."),
        "inconclusive": words("Together: extend the pilot or add units, so that smaller "
                              "changes can be detected."),
        **adoption_report.default_actions(words), **wording.default_actions(words),
        **synthetic.default_actions(words),
    }[code]


def plan_items(words: Words, results: Results) -> list[dict]:
    """The improvement plan: one entry per KPI, its open goals under it, its actions (a missing
    owner or date reads 'to agree'). The terminal prints the same texts (in English)."""
    labels = status_labels(words)
    to_agree = words("to agree")
    items = []
    for item in results.improvement_plan:
        kpi = results.kpi(item.kpi)
        actions = [{"do": a["do"], "owner": a.get("owner") or to_agree,
                    "by": words.fmt.date(a.get("by"), "medium") if a.get("by") else to_agree,
                    "owner_missing": not a.get("owner"), "by_missing": not a.get("by")}
                   for a in item.actions]
        if not actions:
            actions = [{"do": _default_action(words, item.default_action, item.label),
                        "owner": to_agree, "by": to_agree, "owner_missing": True,
                        "by_missing": True, "default": True}]
        goals = [{"label": g.label, "status": g.status, "status_label": labels[g.status],
                  "symbol": STATUS_SYMBOL[g.status]} for g in item.goals]
        items.append({"kpi": item.kpi, "label": item.label, "verdict": item.verdict,
                      "why": (wording.plan_why(words, item, magnitude(words, kpi))
                              or _plan_why(words, kpi)), "goals": goals, "actions": actions,
                      "reasons": adoption_report.plan_reasons(words, item.reasons)})
    return items


def next_steps(words: Words, plan: list[dict], next_quarter: list[dict], most: int = 5) -> list[dict]:
    """Page 2's next steps: the first action of each plan entry, most urgent first, then the
    goals for next quarter; at most `most`."""
    steps = [{"kpi": item["label"], **item["actions"][0]} for item in plan]
    steps += [{"kpi": None, "do": g["goal"], "owner": g["owner"], "by": g["by"],
               "owner_missing": g["owner_missing"], "by_missing": g["by_missing"]}
              for g in next_quarter]
    return steps[:most]



def decisions(words: Words, asks: list[str], steps: list[dict]) -> list[dict]:
    """Page 2's last word, 'Decisions we need from you': the definition's asks, then the next
    steps without an owner or a date, each with what is still to agree (page 2's table of next
    steps keeps the steps that have both)."""
    notes = {(True, True): words("owner and date to agree"),
             (True, False): words("owner to agree"), (False, True): words("date to agree")}
    from babel.lists import format_list

    out = [{"kpi": None, "do": ask, "note": None} for ask in asks]
    open_steps: dict[tuple, list] = {}  # one line for a step several KPIs share
    for step in steps:
        missing = (bool(step.get("owner_missing")), bool(step.get("by_missing")))
        if any(missing):
            open_steps.setdefault((step["do"], missing), []).append(step.get("kpi"))
    for (do, missing), kpis in open_steps.items():
        named = [k if i == 0 else in_sentence(words.fmt, k) for i, k in enumerate(filter(None, kpis))]
        out.append({"kpi": format_list(named, locale=words.fmt.locale) if named else None,
                    "do": do, "note": notes[missing]})
    return out
