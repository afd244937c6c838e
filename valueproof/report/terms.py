"""Terms several parts of the report share, in the reader's language: the analysis period
("week", "weeks"; integer periods are just "period"), the analyst's own name for a unit or an
observation, and the name of the multiple-testing correction."""

from __future__ import annotations

from valueproof.language.words import Words
from valueproof.stats.results import Results


def period_name(words: Words, per: str) -> str:
    return {"day": words("day"), "week": words("week"), "month": words("month"),
            "quarter": words("quarter"), "year": words("year")}[per]


def analysis_period(words: Words, results: Results, time_kind: str) -> str:
    """The analysis period in words ('week'); integer periods (years, week numbers) are just
    'period', whatever `analysis.period` says."""
    return words("period") if time_kind == "period" else period_name(words, results.period)


def analysis_periods(words: Words, results: Results, time_kind: str) -> str:
    """The analysis period in the plural ('weeks'); integer periods are just 'periods'."""
    if time_kind == "period":
        return words("periods")
    return {"day": words("days"), "week": words("weeks"), "month": words("months"),
            "quarter": words("quarters")}[results.period]


def named(names: dict[str, str | None], noun: str) -> str:
    """' (agent)': the analyst's name for a `noun` ('unit', 'observation') in parentheses after
    ours, so no grammar depends on it; nothing without one."""
    return f" ({names[noun]})" if names.get(noun) else ""


def correction_name(words: Words, correction: str) -> str:
    """The multiple-testing correction's name ('Holm', 'no correction')."""
    return {"holm": "Holm", "bh": "Benjamini–Hochberg", "bonferroni": "Bonferroni",
            "none": words("no correction")}[correction]
