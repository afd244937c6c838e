"""The deck's story: which slides, in which order, from the report's context (the same words and
numbers as the PDF) and, for the charts' data, the results. 8–12 slides: the cover; the headline
with the ROI and the decisions asked; the goals agreed at onboarding; one slide per KPI that
matters (a table slide when there are more than fit); the ROI with its assumptions; adoption and
health; support and NPS; what did not work and the plan; next quarter's goals; what we ask of
you; the appendix on method and data quality."""

from __future__ import annotations

from valueproof.language.formatting import unisolated
from valueproof.language.words import Words
from valueproof.report.context import goals_sentences
from valueproof.report.deck.kpi_slides import kpi_slide, kpi_table_slide, roi_slide
from valueproof.report.deck.story import MAX_SLIDES, Figure, Slide, Table
from valueproof.stats.results import Results


def precision_note(words: Words) -> str:
    return words("Numbers on the slides are rounded as in the report; its appendix gives the "
                 "exact values.")


def _title_slide(words: Words, context: dict) -> Slide:
    who = " · ".join(filter(None, [context["customer"], context["quarter"]]))
    by = " · ".join(filter(None, [context["vendor"], context["prepared_by"],
                                  context["report_date"]]))
    return Slide("title", context["title"] + (f" — {who}" if who else ""),
                 notes=[context["experiment"], context["windows"], context["summary_paragraph"]],
                 subtitle="\n".join(filter(None, [context["experiment"], by])))


def _headline_slide(words: Words, context: dict) -> Slide:
    figures = []
    roi = context["roi"]
    if roi:
        figures.append(Figure(roi["headline"], words.plural(
            "Return on investment over %(months)s month",
            "Return on investment over %(months)s months", roi["months"],
            months=roi["months"]), roi["range"]))
        figures.append(Figure(roi["net"], words("Net value"),  # as page 2's ROI box has them
                              f"{words('payback')} {roi['payback']}"))
    health = (context.get("health_box") or {}).get("health")
    if health:
        figures.append(Figure(health["score"], words("Account health"),
                              f"{health['symbol']} {health['status_label']}"))
    lines = [" ".join(goals_sentences(words, context["criteria"]))] if context["criteria"] else []
    asks = _decisions(words, context)
    if asks:
        lines.append(words("Decisions we need from you") + ":")
        lines += [f"• {ask}" for ask in asks[:2]]  # the slide stays short; all are on the last
        if len(asks) > 2:
            lines.append(f"• … (+{words.fmt.fixed(len(asks) - 2, 0)})")
    notes = [words("Open with this headline, then name the decisions you need from the "
                   "customer today."), context["headline"], context["summary_paragraph"]]
    for verdict, label in (("improved", words("Improved")), ("worsened", words("Got worse")),
                           ("inconclusive", words("Inconclusive"))):
        if context["by_verdict"][verdict]:
            notes.append(f"{label}: {', '.join(context['by_verdict'][verdict])}")
    return Slide("content", context["headline"], notes=notes, figures=figures, lines=lines,
                 section=words("Executive summary"))


def _decisions(words: Words, context: dict) -> list[str]:
    """What the customer is asked to decide, as page 2 ends: the asks, then the steps that
    have no owner or date yet (the context's `decisions`)."""
    if "decisions" not in context:  # a context without them: the asks alone
        return list(context.get("asks") or [])
    return [(f"{d['kpi']}: " if d.get("kpi") else "") + d["do"]
            + (f" ({d['note']})" if d.get("note") else "") for d in context["decisions"]]


def _goals_slide(words: Words, context: dict) -> Slide | None:
    criteria = context["criteria"]
    if not criteria:
        return None
    rows = [[c["goal"], c["progress"], c["by"],
             f"{c['symbol']} {c['status_label']}" + (f" ({words('with confidence')})"
                                                     if c.get("confident") else "")]
            for c in criteria]
    notes = [words("Go through the goals agreed at onboarding one by one, and say plainly which "
                   "ones were missed.")]
    notes += [f"{c['goal']} ({c['kpi']}): {c['status_label']} — {c['progress']}. "
              f"{words('Agreed on')}: {c['agreed_on']}." for c in criteria]
    notes.append(words("The data cannot tell the change from chance. It is not the same as no "
                       "change: the change may be real but too small to detect with this data."))
    return Slide("content", " ".join(goals_sentences(words, criteria)), notes=notes,
                 table=Table([words("Goal"), words("Progress"), words("Deadline"),
                              words("Status")], rows, [3.2, 4.2, 1.5, 1.9]),
                 section=words("Goals agreed at onboarding"))


def _adoption_slide(words: Words, context: dict, results: Results, style: dict) -> Slide | None:
    from valueproof.report.deck.kpi_slides import weekly_chart

    adoption = context.get("adoption")
    if not adoption or not (adoption.get("usage") or adoption.get("health")):
        return None
    usage, health = adoption.get("usage") or {}, adoption.get("health")
    figures = [Figure(value, label) for label, value in (usage.get("figures") or [])[:3]]
    if health:
        figures.append(Figure(health["score"], words("Account health"),
                              f"{health['symbol']} {health['status_label']}"))
    lines = [text for text in ((usage.get("weekly") or {}).get("sentence"),
                               (adoption.get("training") or {}).get("sentence")) if text]
    notes = [adoption["lead"], adoption.get("as_of") or ""]
    if health:
        notes += [f"{c['label']}: {c['measure']} → {c['score']} × {c['weight']}"
                  for c in health["components"]] + [health["thresholds"], health["trend"]]
    notes += [usage.get("stickiness") or ""]
    notes += [f"{f['label']}: {f['users']} ({f['share']})" for f in usage.get("features") or []]
    return Slide("content", adoption["lead"], notes=[n for n in notes if n], figures=figures,
                 lines=lines[:1], chart=weekly_chart(words, results, style),
                 section=words("Adoption and health"))


def _support_slide(words: Words, context: dict) -> Slide | None:
    adoption = context.get("adoption") or {}
    support, nps = adoption.get("support"), adoption.get("nps")
    if not support and not nps:
        return None
    figures, lines, notes = [], [], []
    title = []
    if nps and nps.get("score"):
        figures.append(Figure(nps["score"], words("Net Promoter Score (NPS)"),
                              f"{nps.get('range') or ''} · {nps.get('answers') or ''}"))
        title.append(f"NPS {nps['score']}")
        notes += [nps.get("mix") or "", nps.get("change") or ""]
    table = None
    if support:
        sentences = support["sentence"].split(". ")
        title.insert(0, sentences[0].rstrip("."))
        lines.append(support["sentence"])
        rows = [[r["label"], r["opened"], r["median"], r["within"]] for r in support["rows"]]
        table = Table([words("Tickets"), words("Opened"),
                       words("Median time to resolution (hours)"),
                       words.plural("Resolved within %(hours)s hour",
                                    "Resolved within %(hours)s hours",
                                    support["target_hours"],
                                    hours=words.fmt.fixed(support["target_hours"], 0))],
                      rows, [2.0, 1.4, 2.4, 2.4])
        notes.append(support["sentence"])
    heading = words("Support") + (" · " + words("NPS") if nps else "")
    return Slide("content", " · ".join(title) or heading, notes=[n for n in notes if n],
                 figures=figures, lines=lines[:0], table=table, section=heading)


def _plan_slide(words: Words, context: dict) -> Slide:
    plan = context["plan"]
    title = words("What did not work, and the plan")
    if not plan:
        return Slide("content", title, notes=[words("Every KPI improved and every goal is "
                                                    "achieved or on track.")],
                     lines=[words("Every KPI improved and every goal is achieved or on track.")])
    rows = []
    for item in plan:
        for action in item["actions"] or [{"do": "–", "owner": "–", "by": "–"}]:
            rows.append([f"{item['label']}: {item['why']}", action["do"], action["owner"],
                         action["by"]])
    notes = [f"{item['label']}: {item['why']}. " + " ".join(item.get("reasons") or [])
             for item in plan]
    return Slide("content", title, notes=notes,
                 table=Table([words("KPI and its goals"), words("Action"), words("Owner"),
                              words("By")], rows, [3.2, 4.4, 1.7, 1.5]))


def _next_quarter_slide(words: Words, context: dict) -> Slide | None:
    goals, roadmap = context["next_quarter"], context.get("roadmap") or []
    if not goals and not roadmap:
        return None
    rows = [[g["goal"], g["owner"], g["by"]] for g in goals]
    lines = []
    if roadmap:
        lines.append(words("Coming next from us") + ": " + "; ".join(
            f"{r['item']} ({r['when']})" for r in roadmap))
    notes = [f"{g['goal']} — {words('Owner')}: {g['owner']}, {words('By')}: {g['by']}"
             for g in goals] + lines
    return Slide("content", words("Goals for next quarter"), notes=notes, lines=lines,
                 table=Table([words("Goal"), words("Owner"), words("By")], rows,
                             [5.6, 2.6, 1.8]) if rows else None)


def _asks_slide(words: Words, context: dict) -> Slide | None:
    decisions = _decisions(words, context)
    if not decisions:
        return None
    ask = words("Ask for each decision in the meeting, and agree its owner and date before you "
                "close.")
    return Slide("content", words("Decisions we need from you"), notes=[ask, *decisions],
                 lines=[f"{words.fmt.joined(words.fmt.fixed(number, 0), after='.')} {text}"
                        for number, text in enumerate(decisions[:6], 1)])


def _appendix_slide(words: Words, context: dict) -> Slide:
    lines = [context["windows"] + ".",
             f"{words('Units')}: {_units(context)}"]
    # against donor accounts: how they were weighted and tested, in place of the standard errors
    method = context.get("synthetic_method") or [context["se"]]
    notes = [*method, f"{context['correction']}, α = {unisolated(context['alpha'])}",
             words("The 95%% confidence interval: the range in which the true effect lies with "
                   "95%% confidence."),
             f"{words('Reproducibility')}: valueproof {context['stamp']['version']}, "
             f"{context['stamp']['definition'][:12]}, {context['stamp']['data'][:12]}",
             words("The same definition and data always give the same report.")]
    quality = context["data_quality"] or [words("No data-quality problems were found.")]
    lines.append(words("Data quality") + ": " + quality[0]
                 + (f" (+{len(quality) - 1})" if len(quality) > 1 else ""))
    return Slide("content", words("How these results were measured"), notes=notes + quality,
                 lines=lines, section=words("Appendix"))


def _units(context: dict) -> str:
    if not context["kpis"]:
        return "–"
    units, groups = context["kpis"][0]["units"], context["groups"]
    return f"{groups['treatment']} {units['treatment']} · {groups['control']} {units['control']}"


def deck_slides(words: Words, context: dict, results: Results, style: dict) -> list[Slide]:
    """Every slide of the deck, in order; at most MAX_SLIDES (KPIs fold into one table slide
    when they do not all fit)."""
    head = [_title_slide(words, context), _headline_slide(words, context)]
    head += filter(None, [_goals_slide(words, context)])
    roi = [roi_slide(words, context, results, style)] if context["roi"] else []
    tail = list(filter(None, [_adoption_slide(words, context, results, style),
                              _support_slide(words, context), _plan_slide(words, context),
                              _next_quarter_slide(words, context), _asks_slide(words, context)]))
    appendix = [_appendix_slide(words, context)]
    room = MAX_SLIDES - len(head) - len(roi) - len(tail) - len(appendix)
    while room < 1 and tail:  # never past 12: the least needed slides go first
        tail.pop(-2 if len(tail) > 1 else -1)
        room += 1
    kpis = _kpis_that_matter(context)
    if len(kpis) <= room:
        middle = [kpi_slide(words, context, results, page, style) for page in kpis]
    else:
        middle = [kpi_slide(words, context, results, page, style) for page in kpis[:room - 1]]
        middle.append(kpi_table_slide(words, context))
    return head + middle + roi + tail + appendix


def _kpis_that_matter(context: dict) -> list[dict]:
    """The KPIs in the order they earn a slide: those with a goal first, then the clear results
    (better or worse) before the inconclusive ones; the report's order otherwise."""
    with_goal = {c["kpi"] for c in context["criteria"]}
    order = {page["id"]: i for i, page in enumerate(context["kpis"])}
    return sorted(context["kpis"], key=lambda p: (p["label"] not in with_goal,
                                                  p["verdict"] == "inconclusive", order[p["id"]]))
