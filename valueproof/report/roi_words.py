"""The ROI's range in words: its level stated ("likely range 303% to 592% with 95% confidence"),
how it was found (the ROI page's small print), and what the measured period counted for a
rollout in waves. The figures are the results' (`value.roi`), so the page and the JSON agree."""

from __future__ import annotations

import math


def level_text(words, level: float) -> str:
    """95% (a whole percentage), or 98.3% (one decimal) as Bonferroni's levels are."""
    whole = abs(level * 100 - round(level * 100)) < 1e-9
    return words.fmt.percent_fixed(level, 0 if whole else 1)


def range_text(words, roi, percent) -> str:
    """The ROI's range with its level, for page 2's sentence and the ROI page's headline."""
    if not (math.isfinite(roi.roi_low) and math.isfinite(roi.roi_high)):
        return words("no likely range: too few units to bound it")
    fields = dict(low=percent(roi.roi_low), high=percent(roi.roi_high),
                  level=level_text(words, roi.level))
    if roi.range_method == "bonferroni":
        return words("likely range %(low)s to %(high)s with at least %(level)s confidence",
                     **fields)
    return words("likely range %(low)s to %(high)s with %(level)s confidence", **fields)


def range_note(words, roi) -> str:
    """The ROI page's small print: the formula, the table's columns, how the total's range was
    found and at what level, and what the conservative figure is."""
    level = level_text(words, roi.level)
    if roi.range_method == "bonferroni":
        how = words("The total's range adds every benefit at the end of its own %(each)s likely "
                    "range, so that together they hold the true total with at least %(level)s "
                    "confidence (Bonferroni's rule).",
                    each=level_text(words, roi.each_level), level=level)
    elif roi.range_method == "randomization":
        how = words("The total's range comes from the randomization test of the total benefit "
                    "itself, with %(level)s confidence: with so few units with the product, it "
                    "gives the product to other units at random and adds up the benefits on each "
                    "draw.", level=level)
    elif roi.range_method == "own_interval":
        how = words("The total's range is the likely range of the one KPI the benefits rest "
                    "on, with %(level)s confidence.", level=level)
    else:
        how = words("The total's range holds the true total with %(level)s confidence: it "
                    "combines the benefits as their KPIs vary together across the same units, "
                    "so it is narrower than every benefit at its worst or best end at once.",
                    level=level)
    return " ".join([
        words("ROI = (benefit − cost) / cost. Each benefit's Low and High are the ends of its "
              "own likely range; a KPI that got worse counts against the benefit. The "
              "conservative figure is the lower end of the total's range."), how])


def realised_text(words, roi, sentence: str | None) -> str | None:
    """The measured period's sentence, and for a rollout in waves how much of it the units
    had the product (each wave counts from its own rollout)."""
    if sentence is None:
        return None
    share = (roi.realised or {}).get("with_product", 1.0)
    if share is None or share >= 1 - 1e-9:
        return sentence
    return " ".join([sentence, words(
        "Each wave counts only from its own rollout: the units had the product for %(share)s "
        "of this period.", share=words.fmt.percent(share, sig=2))])
