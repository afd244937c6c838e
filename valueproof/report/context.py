"""The template context: every word and number the QBR shows, already in the reader's language.

Input: the experiment definition, its results (stats + value stages) and the brand; output: a
plain dict for the Jinja2 template, assembled from the KPI pages (`kpi_page`), the scorecard and
plan (`scorecard`), the ROI page (`roi_words`), the findings (`findings`), and for a rollout in
waves and for adoption their own parts. Numbers go through `Formatter`, words through gettext.
`report_context` builds it once per report, for every renderer of that report (the PDF, its HTML
copy and the slide deck).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from gettext import NullTranslations
from pathlib import Path

from valueproof._version import __version__
from valueproof.config import Experiment
from valueproof.config.brand import Brand, load_brand
from valueproof.language.formatting import Formatter, unisolated
from valueproof.language.i18n import translations
from valueproof.language.words import Words
from valueproof.report import adoption as adoption_report
from valueproof.report import charts, synthetic, waves, wording
from valueproof.report.findings import finding_text, kpi_warnings
from valueproof.report.kpi_page import kpi_page
from valueproof.report.roi_words import roi_section
from valueproof.report.scorecard import criteria_rows, decisions, next_steps, plan_items
from valueproof.report.sentences import headline_sentence
from valueproof.report.terms import correction_name
from valueproof.stats.results import Results


def templates_dir() -> Path:
    """report_templates/, shipped inside the wheel as a package of data files."""
    from importlib import resources

    return Path(str(resources.files("report_templates")))


def time_kind_of(experiment: Experiment, results: Results) -> str:
    """date | period: whether the report's times are dates or integer periods (a rollout in
    waves has no one rollout in the definition: its first wave's start says)."""
    if not experiment.staggered:
        return "date" if isinstance(experiment.rollout, dt.date) else "period"
    try:
        dt.date.fromisoformat(results.rollout)
    except ValueError:
        return "period"
    return "date"


def report_date(experiment: Experiment, results: Results) -> str:
    """The report's date (ISO text): `report_date`, else the end of the post window."""
    return experiment.report_date.isoformat() if experiment.report_date else results.post["end"]


def goals_sentences(words: Words, criteria: list[dict]) -> list[str]:
    """How the goals agreed at onboarding stand: how many are achieved, and how many more are
    reached but not yet confirmed (page 2 and the deck's headline say the same)."""
    if not criteria:
        return []
    achieved = sum(c["status"] == "achieved" for c in criteria)
    return [words.plural("Goals agreed at onboarding: %(achieved)s of %(total)s achieved.",
                         "Goals agreed at onboarding: %(achieved)s of %(total)s achieved.",
                         achieved, achieved=achieved, total=len(criteria)),
            *filter(None, [wording.unconfirmed_sentence(words, criteria)])]


def summary_paragraph(words: Words, context: dict) -> str:
    """The sentence after the headline: goals achieved, and the ROI with its likely range."""
    parts = goals_sentences(words, context["criteria"])
    roi = context["roi"]
    if roi:
        parts.append(words.plural("Projected over %(months)s month at the measured effects, "
                                  "the return on investment is %(roi)s (%(range)s): %(ratio)s.",
                                  "Projected over %(months)s months at the measured effects, "
                                  "the return on investment is %(roi)s (%(range)s): %(ratio)s.",
                                  roi["months"],
                           roi=roi["headline"], months=roi["months"], range=roi["range"],
                           ratio=roi["ratio"]))
    return " ".join(parts)


def build_context(experiment: Experiment, results: Results, brand: Brand,
                  catalogue: NullTranslations, locale: str, font_dir: Path) -> dict:
    """The template's context for one QBR in `locale` (its `catalogue`); charts are set in the
    fonts of `font_dir`."""
    fmt = Formatter(locale)
    time_kind = time_kind_of(experiment, results)
    date = report_date(experiment, results)
    words = Words(catalogue, fmt)
    style = charts.ChartStyle(primary=brand.primary, neutral=brand.neutral,
                              number=lambda value: unisolated(fmt.number(value, sig=6)))
    groups = {
        "treatment": experiment.groups.treatment_label or words("Units with the product"),
        "control": experiment.groups.control_label or words("comparison units"),
    }
    if results.method == synthetic.METHOD:  # one account against a blend of other accounts
        groups = synthetic.group_names(words, experiment)
    labels = {k.id: k.label for k in results.kpis}
    names = {"observation": experiment.data.observation_name, "unit": experiment.data.unit_name}
    kpis = [kpi_page(words, results, k, groups, style, font_dir, time_kind, names)
            for k in results.kpis]
    for page in kpis:
        page["warnings"] = kpi_warnings(words, results, results.kpi(page["id"]), labels, time_kind)
    context = {
        "lang": fmt.language, "dir": "rtl" if fmt.rtl else "ltr",
        "title": words("Quarterly Business Review"),
        "experiment": experiment.name,
        "customer": experiment.customer.name if experiment.customer else "",
        "vendor": experiment.vendor.name if experiment.vendor else "",
        "quarter": fmt.quarter(experiment.quarter) if experiment.quarter else "",
        "prepared_by": experiment.prepared_by or "",
        "report_date": fmt.date(date),
        "created": date if time_kind == "date" or experiment.report_date else "",
        "brand": brand, "groups": groups,
        "windows": words("%(pre_start)s – %(pre_end)s before and %(post_start)s – %(post_end)s "
                         "after the rollout on %(rollout)s",
                         pre_start=fmt.date(results.pre["start"], "medium"),
                         pre_end=fmt.date(results.pre["end"], "medium"),
                         post_start=fmt.date(results.post["start"], "medium"),
                         post_end=fmt.date(results.post["end"], "medium"),
                         rollout=fmt.date(results.rollout, "medium")),
        "kpis": kpis,
        "by_verdict": {v: [k["label"] for k in kpis if k["verdict"] == v]
                       for v in ("improved", "worsened", "inconclusive")},
        "criteria": criteria_rows(words, results),
        # the scorecard's date (as_of): the glossary says goals are judged on it
        "goals_as_of": next((fmt.date(c.as_of, "medium") for c in results.criteria
                             if c.as_of), None),
        "roi": roi_section(words, results, style, font_dir),
        "plan": plan_items(words, results),
        "next_quarter": [{"goal": g["goal"], "owner": g.get("owner") or words("to agree"),
                          "by": fmt.date(g.get("by"), "medium") if g.get("by") else words("to agree"),
                          "owner_missing": not g.get("owner"), "by_missing": not g.get("by")}
                         for g in results.next_quarter],
        "method": results.method,
        "alpha": fmt.number(results.alpha, 2),
        "se": {"cluster": words("cluster-robust (by unit, CR2 with small-sample degrees of "
                                "freedom)"),
               "cr1": words("cluster-robust (by unit, CR1)"),
               "hc1": words("heteroskedasticity-robust (HC1)"),
               "iid": words("classical (iid)")}[results.se],
        "correction": correction_name(words, results.correction),
        "seed": results.seed,
        "permutations_count": int(results.kpis[0].robustness.permutations) if results.kpis else 0,
        "permutations": fmt.fixed(results.kpis[0].robustness.permutations, 0)
        if results.kpis else "0",
        "data_quality": [finding_text(words, d, labels) for d in results.data_quality],
        "stamp": {"version": __version__, "definition": results.definition_hash,
                  "data": results.data_fingerprint},
        "pre_trend_labels": {"not_detected": words("none detected"),
                             "detected": words("detected"), "not_testable": words("not testable")},
    }
    if results.method == synthetic.METHOD:
        context.update(synthetic.synthetic_context(words, results, kpis, time_kind))
    if results.design == "staggered":
        context.update(waves.waves_context(words, results, groups, time_kind,
                                           experiment.analysis.bootstrap))
    context.update(adoption_report.extras(words, results, style, font_dir))
    context["headline"] = headline_sentence(words, results)
    context["summary_paragraph"] = summary_paragraph(words, context)
    steps = next_steps(words, context["plan"], context["next_quarter"])
    # steps without an owner or a date end page 2 among the decisions asked of the customer
    context["decisions"] = decisions(words, context.get("asks") or [], steps)
    context["next_steps"] = [s for s in steps if not (s["owner_missing"] or s["by_missing"])]
    return context


@dataclass(frozen=True)
class ReportContext:
    """One QBR's context, built once and shared by every renderer of the report (the PDF, its
    HTML copy, the slide deck): the same words and numbers, and the charts drawn once."""

    locale: str
    catalogue: NullTranslations  # the words of `locale`
    brand: Brand
    values: dict  # `build_context`: what the template shows


def report_context(experiment: Experiment, results: Results,
                   locale: str | None = None) -> ReportContext:
    """The context of the QBR in `locale` (default: the definition's), with the brand file's
    colours and the templates' catalogue and fonts."""
    locale = locale or experiment.locale
    folder = templates_dir()
    catalogue = translations(folder / "locales", locale)
    brand = load_brand(experiment.resolve(experiment.brand, "brand") if experiment.brand
                       else None)
    return ReportContext(locale, catalogue, brand,
                         build_context(experiment, results, brand, catalogue, locale,
                                       folder / "fonts"))
