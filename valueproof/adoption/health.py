"""The health score: weighted components, each mapped to 0-100 by a fixed, stated rule.

score = sum over the available components of (weight / sum of available weights) x component
score, so the contributions add up to the score. A weighted component without data is left out
and the others' weights renormalised; `missing` says which. Status: green from
`thresholds.green`, amber from `thresholds.amber`, red below.
"""

from __future__ import annotations

from valueproof.adoption.results import Health, HealthComponent
from valueproof.adoption.support import TARGET_HOURS
from valueproof.config.adoption import Health as HealthSettings

RULES = {
    "usage": "utilisation (active users / licences) x 100, at most 100",
    "training": "share of users who completed training x 100, at most 100",
    "support": f"share of tickets resolved within {TARGET_HOURS} hours x 100",
    "nps": "(NPS + 100) / 2",
}


def component_score(component: str, measure: float) -> float:
    """A component's measure mapped to 0-100 (see `RULES`)."""
    if component == "nps":
        return (measure + 100) / 2
    return min(100.0, max(0.0, 100 * measure))


def status_of(score: float, thresholds) -> str:
    return "green" if score >= thresholds.green else "amber" if score >= thresholds.amber else "red"


def _weighted(settings: HealthSettings, measures: dict[str, float | None],
              reasons: dict[str, str]) -> tuple[float | None, list[HealthComponent]]:
    weights = {k: w for k, w in settings.components.model_dump().items() if w}
    available = {k: w for k, w in weights.items() if measures.get(k) is not None}
    total = sum(available.values())
    components, score = [], None
    for name, weight in weights.items():
        measure = measures.get(name)
        if measure is None:
            components.append(HealthComponent(name, weight, False, None, None, None, None,
                                              RULES[name], reasons.get(name, "no data")))
            continue
        points = component_score(name, measure)
        used = weight / total
        components.append(HealthComponent(name, weight, True, measure, points, used,
                                          used * points, RULES[name]))
    if available:
        score = sum(c.contribution for c in components if c.available)
    return score, components


def health(settings: HealthSettings | None, measures: dict[str, float | None],
           reasons: dict[str, str], previous: dict[str, float | None],
           previous_reason: str | None = None) -> Health | None:
    """The score now (None when no weighted component has data) and at the end of the previous
    quarter, each from its own available components; `previous_reason` says why there is no
    previous score to compare with (the first quarter with the product)."""
    settings = settings or HealthSettings()
    score, components = _weighted(settings, measures, reasons)
    if score is None:
        return None
    old = None if previous_reason else _weighted(settings, previous, {})[0]
    thresholds = settings.thresholds
    missing = [c.id for c in components if not c.available]
    return Health(score, status_of(score, thresholds),
                  {"green": thresholds.green, "amber": thresholds.amber}, components, missing,
                  bool(missing), old, None if old is None else status_of(old, thresholds),
                  None if old is None else score - old, previous_reason)
