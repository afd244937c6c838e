"""The report's adoption: its section, the health and licences on page 2, the CSM's wins, the
roadmap and the asks, and the plan's low-use reasons, in the reader's language (the health
score's own words are in `health`).

Input: the results' `adoption`, `nps`, `health`, `highlights`, `roadmap`, `asks` (see
`valueproof.adoption.results`); output: plain dicts for the template. Without adoption data the
section and the page-2 box are None, so a report without these keys looks as before.
"""

from __future__ import annotations

import re
from pathlib import Path

from valueproof.report import charts, wording
from valueproof.report.health import health_context, nps_text, shown_parts


def licences_text(words, adoption) -> str | None:
    """'28 of 32 licences in use (88%)', or the active users alone without a licence count."""
    if adoption is None or adoption.active_users is None:
        return None
    fmt = words.fmt
    if adoption.utilisation is None:
        return words.plural("%(active)s active user", "%(active)s active users",
                            adoption.active_users, active=fmt.fixed(adoption.active_users, 0))
    return words.plural("%(active)s of %(licences)s licence in use (%(share)s)",
                        "%(active)s of %(licences)s licences in use (%(share)s)",
                        adoption.licences, active=fmt.fixed(adoption.active_users, 0),
                 licences=fmt.fixed(adoption.licences, 0), share=fmt.percent(adoption.utilisation))


def summary_box(words, results, health: dict | None) -> dict | None:
    """Page 2's box beside the ROI: the health status and the licences in use."""
    licences = licences_text(words, results.adoption)
    if health is None and licences is None:
        return None
    return {"health": health, "licences": licences}


def _weekly(words, adoption, style, font_dir: Path) -> dict | None:
    weeks = adoption.weekly_active
    if not weeks or adoption.active_users is None:
        return None
    fmt = words.fmt
    current = [w.quarter == adoption.period.quarter for w in weeks]
    chart = charts.weekly_active_chart(
        font_dir, style, [fmt.day_month(w.week) for w in weeks], [w.users for w in weeks],
        current, (fmt.quarter(adoption.previous_period.quarter) if adoption.previous_period
                  else "", fmt.quarter(adoption.period.quarter)),
        adoption.licences,
        words.plural("%(licences)s licence", "%(licences)s licences", adoption.licences or 0,
                     licences=fmt.fixed(adoption.licences or 0, 0)),
        words("Active users per week"))
    mean, before = adoption.weekly_active_mean, adoption.weekly_active_mean_previous
    values = {"mean": fmt.number(mean, 2), "quarter": words.fmt.quarter(adoption.period.quarter),
              "before": fmt.number(before, 2), "previous": words.fmt.quarter(
                  adoption.previous_period.quarter) if adoption.previous_period else ""}
    if mean is None:
        sentence = None
    elif before is None:
        sentence = words.plural(
            "On average %(mean)s user a week in %(quarter)s.",
            "On average %(mean)s users a week in %(quarter)s.", values["mean"],
            decimal=words.pgettext("decimal", "On average %(mean)s users a week in %(quarter)s."),
            **values)
    elif adoption.weekly_active_change is None:
        sentence = words.plural(
            "On average %(mean)s user a week in %(quarter)s, against %(before)s in %(previous)s.",
            "On average %(mean)s users a week in %(quarter)s, against %(before)s in %(previous)s.",
            values["mean"], decimal=words.pgettext(
                "decimal", "On average %(mean)s users a week in %(quarter)s, against %(before)s "
                "in %(previous)s."), **values)
    else:
        sentence = words.plural(
            "On average %(mean)s user a week in %(quarter)s, against %(before)s in %(previous)s "
            "(%(change)s).",
            "On average %(mean)s users a week in %(quarter)s, against %(before)s in %(previous)s "
            "(%(change)s).", values["mean"], decimal=words.pgettext(
                "decimal", "On average %(mean)s users a week in %(quarter)s, against %(before)s "
                "in %(previous)s (%(change)s)."),
            change=fmt.percent(adoption.weekly_active_change, signed=True), **values)
    return {"chart": chart, "sentence": sentence}


def _usage(words, adoption, style, font_dir: Path) -> dict | None:
    if adoption.active_users is None:
        return None
    fmt = words.fmt
    figures = []
    if adoption.licences is not None:
        figures.append((words("Licences"), fmt.fixed(adoption.licences, 0)))
    figures.append((words.plural("Active users (last %(days)s day)",
                                 "Active users (last %(days)s days)", adoption.window_days,
                                 days=adoption.window_days),
                    fmt.fixed(adoption.active_users, 0)))
    if adoption.utilisation is not None:
        figures.append((words("Licences in use"), fmt.percent(adoption.utilisation)))
    if adoption.stickiness is not None:
        figures.append((words("Stickiness (daily ÷ monthly active)"),
                        fmt.percent(adoption.stickiness)))
    return {
        "figures": figures,
        "stickiness": (None if adoption.stickiness is None else words.plural(
            "Stickiness: on an average day %(daily)s of the %(active)s active user used it.",
            "Stickiness: on an average day %(daily)s of the %(active)s active users used it.",
            adoption.active_users,
            daily=fmt.number(adoption.daily_active_mean, 2),
            active=fmt.fixed(adoption.active_users, 0))),
        "weekly": _weekly(words, adoption, style, font_dir),
        "features": [{"label": f.label, "users": fmt.fixed(f.users, 0),
                      "share": fmt.percent(f.share)} for f in adoption.features],
    }


def _training(words, adoption) -> dict | None:
    training = adoption.training
    if training is None or training.share is None:
        return None
    fmt = words.fmt
    base = {"licences": words("licensed users"), "active_users": words("active users"),
            "trainees": words("users in the training list")}[training.basis]
    sentence = words("%(share)s of the %(base)s %(who)s completed the training (%(done)s).",
                     share=fmt.percent(training.share), base=fmt.fixed(training.base, 0),
                     who=base, done=fmt.fixed(training.completed, 0))
    if training.change is not None:
        points = fmt.number(abs(training.change) * 100, 2)
        values = {"points": points, "quarter": words.fmt.quarter(adoption.previous_period.quarter),
                  "before": fmt.percent(training.previous_share)}
        if training.change > 0:
            sentence += " " + words.plural(
                "Up %(points)s percentage point since the end of %(quarter)s (%(before)s).",
                "Up %(points)s percentage points since the end of %(quarter)s (%(before)s).",
                points, decimal=words.pgettext(
                    "decimal", "Up %(points)s percentage points since the end of %(quarter)s "
                    "(%(before)s)."), **values)
        elif training.change < 0:
            sentence += " " + words.plural(
                "Down %(points)s percentage point since the end of %(quarter)s (%(before)s).",
                "Down %(points)s percentage points since the end of %(quarter)s (%(before)s).",
                points, decimal=words.pgettext(
                    "decimal", "Down %(points)s percentage points since the end of %(quarter)s "
                    "(%(before)s)."), **values)
        else:
            sentence += " " + words("Unchanged since the end of %(quarter)s (%(before)s).",
                                    **values)
    if training.active_share is not None and training.basis != "active_users":
        sentence += " " + words("Of the active users, %(share)s completed it.",
                                share=fmt.percent(training.active_share))
    return {"sentence": sentence,
            "trend": [{"date": fmt.day_month(p.date), "share": fmt.percent(p.share)}
                      for p in training.trend]}


def _support(words, adoption) -> dict | None:
    support = adoption.support
    if support is None:
        return None
    fmt = words.fmt
    hours = lambda v: fmt.number(v, 2) if v is not None else "–"  # noqa: E731

    def row(label, line):
        return {"label": label, "opened": fmt.fixed(line.opened, 0),
                "per_week": fmt.number(line.per_week, 2), "median": hours(line.median_hours),
                "p90": hours(line.p90_hours), "within": fmt.percent(line.within_target),
                "backlog": fmt.fixed(line.backlog, 0)}

    rows = [row(words.fmt.quarter(adoption.period.quarter), support.current)]
    rows += [dict(row(line.priority, line), priority=True) for line in support.by_priority]
    if support.previous is not None:  # none in the first quarter with the product
        rows.append(row(words.fmt.quarter(adoption.previous_period.quarter), support.previous))
    current = support.current
    # one count per message: tickets, then the hours (decimals), then the backlog
    opened = words.plural("%(opened)s ticket in %(quarter)s (%(per_week)s a week).",
                          "%(opened)s tickets in %(quarter)s (%(per_week)s a week).",
                          current.opened, opened=fmt.fixed(current.opened, 0),
                          quarter=words.fmt.quarter(adoption.period.quarter),
                          per_week=fmt.number(current.per_week, 2))
    parts = [opened]
    if current.median_hours is not None and current.p90_hours is not None:
        p90 = hours(current.p90_hours)
        parts.append(words.plural(
            "Half were resolved within %(median)s hours and 9 in 10 within %(p90)s hour.",
            "Half were resolved within %(median)s hours and 9 in 10 within %(p90)s hours.", p90,
            decimal=words.pgettext("decimal", "Half were resolved within %(median)s hours and "
                                   "9 in 10 within %(p90)s hours."),
            median=hours(current.median_hours), p90=p90))
    parts.append(words.plural("%(backlog)s still open on %(date)s.",
                              "%(backlog)s still open on %(date)s.", current.backlog,
                              backlog=fmt.fixed(current.backlog, 0),
                              date=fmt.date(adoption.period.end, "medium")))
    sentence = " ".join(parts)
    return {"sentence": sentence, "rows": rows, "target_hours": support.target_hours,
            "previous": words.fmt.quarter(adoption.previous_period.quarter)
            if adoption.previous_period else None}


def _nps_section(words, results, style, font_dir: Path) -> dict | None:
    nps = results.nps
    if nps is None:
        return None
    fmt = words.fmt
    shares = shown_parts([100 * (s or 0) for s in (nps.promoter_share, nps.passive_share,
                                                   nps.detractor_share)], 100) \
        if nps.n else [0, 0, 0]
    out = {"score": nps_text(fmt, nps.score), "n": fmt.fixed(nps.n, 0), "caution": nps.caution,
           "quarter": words.fmt.quarter(nps.period.quarter), "chart": None, "change": None}
    if nps.score is None:
        out["sentence"] = words("No NPS answers in %(quarter)s.", quarter=words.fmt.quarter(nps.period.quarter))
        return out
    out["range"] = words("likely range %(low)s to %(high)s", low=nps_text(fmt, nps.ci_low),
                         high=nps_text(fmt, nps.ci_high))
    out["answers"] = words.plural("%(n)s answer in %(quarter)s", "%(n)s answers in %(quarter)s",
                                  nps.n, n=fmt.fixed(nps.n, 0), quarter=words.fmt.quarter(nps.period.quarter))
    out["mix"] = words("Promoters (9–10) %(promoters)s%%, passives (7–8) %(passives)s%%, "
                       "detractors (0–6) %(detractors)s%%.", promoters=fmt.fixed(shares[0], 0),
                       passives=fmt.fixed(shares[1], 0), detractors=fmt.fixed(shares[2], 0))
    first = wording.first_quarter(words, results.adoption)
    if first:  # no earlier quarter with the product to compare with
        out["change"] = first["sentence"]
    elif nps.change is not None:
        out["change"] = words.plural(
            "%(change)s points since %(previous)s (%(before)s from %(n)s answer; likely range "
            "of the change %(low)s to %(high)s).",
            "%(change)s points since %(previous)s (%(before)s from %(n)s answers; likely range "
            "of the change %(low)s to %(high)s).", nps.previous.n, change=nps_text(fmt, nps.change),
            previous=words.fmt.quarter(nps.previous.quarter), before=nps_text(fmt, nps.previous.score),
            n=fmt.fixed(nps.previous.n, 0), low=nps_text(fmt, nps.change_ci_low),
            high=nps_text(fmt, nps.change_ci_high))
    if nps.caution:
        out["caution_text"] = words.plural(
            "Only %(n)s answer: a few answers more or less can move this score a lot. Read it "
            "with its likely range.", "Only %(n)s answers: a few answers more or less can move "
            "this score a lot. Read it with its likely range.", nps.n, n=fmt.fixed(nps.n, 0))
    months = [m for m in nps.by_month if m.get("score") is not None]
    if len(months) >= 3:
        labels = [fmt.month_year(m["month"]) for m in months]
        out["chart"] = charts.nps_chart(font_dir, style, labels, [m["score"] for m in months],
                                        [None] * len(months), words("NPS by month"))
    elif nps.previous is not None and nps.previous.score is not None:
        periods = [nps.previous, nps.period]
        out["chart"] = charts.nps_chart(
            font_dir, style, [fmt.quarter(p.quarter) for p in periods], [p.score for p in periods],
            [(p.ci_low, p.ci_high) if p.ci_low is not None else None for p in periods],
            words("NPS by quarter, with its likely range"))
    return out


def _first_days(words, adoption, style, font_dir: Path) -> dict | None:
    first = adoption.first_90_days
    if first is None or not first.curve:
        return None
    fmt = words.fmt
    target = fmt.percent(first.target_share)
    if first.time_to_first_value is None:
        sentence = words("Onboarded on %(date)s. Not yet %(target)s of the licences have used "
                         "the product, the mark of first value.",
                         date=fmt.date(first.onboarded_on, "medium"), target=target)
    else:
        sentence = words.plural("Onboarded on %(date)s. Time to first value: %(days)s day, "
                                "until %(target)s of the licences had used the product "
                                "(%(reached)s).", "Onboarded on %(date)s. Time to first value: "
                                "%(days)s days, until %(target)s of the licences had used the "
                                "product (%(reached)s).", int(first.time_to_first_value),
                         date=fmt.date(first.onboarded_on, "medium"),
                         days=fmt.fixed(first.time_to_first_value, 0), target=target,
                         reached=fmt.date(first.reached_on, "medium"))
    last = first.curve[-1]
    if last.share is not None:
        sentence += " " + words("By day %(day)s, %(share)s had used it.",
                                day=fmt.fixed(last.day, 0), share=fmt.percent(last.share))
    points = [p for p in first.curve if p.share is not None]
    chart = None
    if len(points) >= 2:
        reached = first.time_to_first_value
        chart = charts.activation_chart(
            font_dir, style, [p.day for p in points], [p.share for p in points],
            first.target_share, reached, words("First value: %(target)s", target=target),
            words("day %(day)s", day=fmt.fixed(reached, 0)) if reached is not None else "",
            words("Licences that had used it (%)"), words("Days since onboarding"))
    return {"sentence": sentence, "chart": chart}


def section(words, results, style, font_dir: Path, health: dict | None) -> dict | None:
    """The 'Adoption and health' section; None without adoption data."""
    adoption = results.adoption
    if adoption is None:
        return None
    parts = [licences_text(words, adoption)]
    if health:
        parts.append(words("account health %(score)s of 100 (%(status)s)",
                           score=health["score"], status=health["status_label"]))
    lead = words("; ").join(p for p in parts if p)
    first = wording.first_quarter(words, adoption)
    return {
        "lead": (lead[:1].upper() + lead[1:] + ".") if lead else None,
        "as_of": first["as_of"] if first else words(
            "Counted up to %(date)s; %(quarter)s compared with %(previous)s.",
            date=words.fmt.date(adoption.as_of, "medium"),
            quarter=words.fmt.quarter(adoption.period.quarter),
            previous=words.fmt.quarter(adoption.previous_period.quarter)),
        "health": health,
        "usage": _usage(words, adoption, style, font_dir),
        "training": _training(words, adoption),
        "support": _support(words, adoption),
        "nps": _nps_section(words, results, style, font_dir),
        "first_days": _first_days(words, adoption, style, font_dir),
    }


def plan_reasons(words, reasons: list[dict]) -> list[str]:
    """The plan's low-use reasons in words: 'Only 45% of the licences are in use (below
    60%).'"""
    fmt = words.fmt
    texts = []
    for reason in reasons:
        values = {"share": fmt.percent(reason["share"]),
                  "threshold": fmt.percent(reason["threshold"])}
        if reason["kind"] == "low_adoption":
            texts.append(words("Low use: only %(share)s of the licences are in use (below "
                               "%(threshold)s).", **values))
        else:
            texts.append(words("Low training: only %(share)s completed the training (below "
                               "%(threshold)s).", **values))
    return texts


def default_actions(words) -> dict[str, str]:
    """The plan's default actions when low use is the reason."""
    return {
        "drive_adoption": words("Drive adoption first: find out with the team leads why "
                                "licensed users do not use the product, and agree a target "
                                "for licences in use."),
        "finish_training": words("Finish the training first: book the users who have not "
                                 "completed it, then measure again."),
        "adoption_and_training": words("Drive adoption and finish the training first: book "
                                       "the untrained users and agree a target for licences "
                                       "in use, then measure again."),
    }


def extras(words, results, style, font_dir: Path) -> dict:
    """Everything adoption adds to the template's context."""
    health = health_context(words, results)
    fmt = words.fmt
    return {
        "health_box": summary_box(words, results, health),
        "adoption": section(words, results, style, font_dir, health),
        "highlights": list(results.highlights),
        "roadmap": [{"item": r["item"], "when": _when(fmt, r.get("when"))}
                    for r in results.roadmap],
        "asks": list(results.asks),
    }


def _when(fmt, when) -> str:
    """A roadmap item's date: a quarter ('2027-Q1') or a date as the locale writes them, '–'
    when open."""
    if not when:
        return "–"
    if re.fullmatch(r"\d{4}-Q[1-4]", str(when)):
        return fmt.quarter(str(when))
    return fmt.date(str(when), "medium")
