"""The account's health score in the reader's language: its status and badge, each component's
measure and contribution (whole numbers that add up to the score shown), the components left out
and why, and the change since the quarter before.

Input: the results' `health` and `adoption` (see `valueproof.adoption.results`); output: a plain
dict for the template, shown on page 2 and in the adoption section.
"""

from __future__ import annotations

import math

from valueproof.report import wording

HEALTH_SYMBOL = {"green": "●", "amber": "◐", "red": "○"}


def shown_parts(parts: list[float], total: float) -> list[int]:
    """Whole numbers, each within 1 of its part, that add up to `total` rounded (largest
    remainders get the extra units): a health score of 80 is shown as contributions that add up
    to 80."""
    target = math.floor(total + 0.5)
    floors = [math.floor(p) for p in parts]
    order = sorted(range(len(parts)), key=lambda i: floors[i] - parts[i])  # largest remainder first
    for k in range(max(0, target - sum(floors))):  # 0 .. len(parts), as the parts add to total
        floors[order[k % len(parts)]] += 1
    return floors


def whole(value: float) -> int:
    """Half up, as `shown_parts` rounds the total (not Python's half to even)."""
    return math.floor(value + 0.5)


def status_labels(words) -> dict[str, str]:
    return {"green": words("Green"), "amber": words("Amber"), "red": words("Red")}


def component_labels(words) -> dict[str, str]:
    return {"usage": words("Usage"), "training": words("Training"),
            "support": words("Support"), "nps": words("NPS")}


def nps_text(fmt, value: float | None) -> str:
    """NPS as a whole signed number: '+33', '−4', '0'."""
    if value is None:
        return "–"
    score = whole(value)
    return fmt.fixed(score, 0, signed=True) if score else fmt.fixed(0, 0)


def _measure_text(words, component, adoption, target_hours: int | None) -> str:
    fmt = words.fmt
    if component.id == "usage":
        return words("%(share)s of licences in use", share=fmt.percent(component.measure))
    if component.id == "training":
        return words("%(share)s completed the training", share=fmt.percent(component.measure))
    if component.id == "support":
        return words.plural("%(share)s of tickets resolved within %(hours)s hour",
                            "%(share)s of tickets resolved within %(hours)s hours",
                            target_hours or 0, share=fmt.percent(component.measure),
                            hours=target_hours)
    return words("NPS %(score)s", score=nps_text(fmt, component.measure))


def _reason_text(words, component, adoption, nps) -> str:
    """Why a weighted component is left out of the score."""
    quarter = words.fmt.quarter(adoption.period.quarter)
    if component.id == "usage":
        return (words("no usage data") if adoption.active_users is None
                else words("no licence count to compare the active users with"))
    if component.id == "training":
        return words("no training data")
    if component.id == "support":
        return (words("no support tickets") if adoption.support is None else
                words("no ticket opened in %(quarter)s early enough to be judged",
                      quarter=quarter))
    return (words("no NPS data") if nps is None
            else words("no NPS answer in %(quarter)s", quarter=quarter))


def health_context(words, results) -> dict | None:
    """The health score, its status, each component's contribution (whole numbers that add up
    to the score shown), the components left out and the trend."""
    health, adoption = results.health, results.adoption
    if health is None:
        return None
    fmt = words.fmt
    names, statuses = component_labels(words), status_labels(words)
    target_hours = adoption.support.target_hours if adoption.support else None
    used = [c for c in health.components if c.available]
    shares = shown_parts([100 * c.weight_used for c in used], 100)
    points = shown_parts([c.contribution for c in used], health.score)
    rows = [{"label": names[c.id], "measure": _measure_text(words, c, adoption, target_hours),
             "score": fmt.fixed(c.score, 0), "weight": fmt.percent_fixed(share / 100, 0),
             "contribution": fmt.fixed(point, 0)}
            for c, share, point in zip(used, shares, points)]
    score = whole(health.score)
    left_out = [c for c in health.components if not c.available]
    missing = None
    if left_out:
        missing = words("Left out for lack of data: %(components)s. The other weights were "
                        "scaled up to add up to 100%%.", components=words("; ").join(
                            f"{names[c.id]} ({_reason_text(words, c, adoption, results.nps)})"
                            for c in left_out))
    trend = short = None
    first = wording.first_quarter(words, adoption)
    if first:  # nothing to compare with: the quarter before ended before the product started
        trend, short = first["sentence"], first["short"]
    elif health.previous_score is not None:
        before = whole(health.previous_score)
        change = score - before
        values = {"change": fmt.fixed(abs(change), 0),
                  "quarter": words.fmt.quarter(adoption.previous_period.quarter),
                  "before": fmt.fixed(before, 0), "status": statuses[health.previous_status]}
        trend = (words("Up %(change)s points since the end of %(quarter)s (then %(before)s, "
                       "%(status)s).", **values) if change > 0 else
                 words("Down %(change)s points since the end of %(quarter)s (then %(before)s, "
                       "%(status)s).", **values) if change < 0 else
                 words("Unchanged since the end of %(quarter)s (%(before)s, %(status)s).",
                       **values))
        short = (words("up %(change)s since %(quarter)s", **values) if change > 0 else
                 words("down %(change)s since %(quarter)s", **values) if change < 0 else
                 words("unchanged since %(quarter)s", **values))
    return {"score": fmt.fixed(score, 0), "status": health.status,
            "status_label": statuses[health.status], "symbol": HEALTH_SYMBOL[health.status],
            "components": rows, "missing": missing, "trend": trend, "trend_short": short,
            "thresholds": words("Green from %(green)s, amber from %(amber)s, red below.",
                                green=fmt.number(health.thresholds["green"], 3),
                                amber=fmt.number(health.thresholds["amber"], 3))}
