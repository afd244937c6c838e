"""What the CLI prints: rich tables built from the stages' plain results.

Every piece of text that comes from a definition or its data (names, labels, file names, data
values, messages quoting them) goes into a rich string or table through `terminal_text`: no
escape sequence reaches the terminal and no bracket in it is read as markup."""

from __future__ import annotations

import functools
import math
from gettext import NullTranslations

from rich.console import Console
from rich.table import Table

from valueproof.adoption.results import FIRST_QUARTER
from valueproof.commands.validate import Validation, donor_lines, grid_text
from valueproof.language.formatting import Formatter
from valueproof.language.words import Words, kpi_scale
from valueproof.report.roi_words import conservative_differs, payback_text, range_text
from valueproof.report.roi_words import roi_percent as report_roi_percent
from valueproof.report.scorecard import goal_figures
from valueproof.report.sentences import figure_decimals, mde_text
from valueproof.report.wording import UNCONFIRMED
from valueproof.safe_text import terminal_text as tt
from valueproof.value.roi import shown_totals


def console() -> Console:
    """A console as wide as the terminal, or 120 columns when writing to a file or pipe; no
    emoji codes (a customer's ':fire:' is text)."""
    probe = Console()
    return Console(highlight=False, soft_wrap=False, emoji=False,
                   width=None if probe.is_terminal else 120)


def print_findings(out: Console, findings) -> None:
    if not findings:
        out.print("[green]No data-quality warnings.[/green]")
        return
    out.print(f"[yellow]{len(findings)} warning(s):[/yellow]")
    for finding in findings:
        out.print(f"  [yellow]![/yellow] {tt(finding.message)}")


def waves_table(waves: list[dict], comparison: str | None, comparison_units: int) -> Table:
    """A rollout in waves: each wave's first period with the product, its first rollout and
    units, then the comparison group."""
    table = Table(title="Rollout waves", title_justify="left")
    for name in ("Wave", "First period with the product", "First rollout", "Units"):
        table.add_column(name, justify="right" if name == "Units" else "left")
    for number, wave in enumerate(waves, start=1):
        table.add_row(str(number), tt(wave["start"]), tt(wave["first_rollout"]),
                      f"{wave['units']:,}")
    who = ("never treated, and later waves until their rollout"
           if comparison == "not_yet_treated" else "never treated")
    table.add_row("comparison", who, "–", f"{comparison_units:,}")
    return table


def print_validation(result: Validation) -> None:
    experiment, data = result.experiment, result.dataset
    out = console()
    out.print(f"[bold]{tt(experiment.name)}[/bold]  ({tt(data.source)})")
    if data.design == "staggered":
        out.print(
            f"Design: rollout in {len(data.waves)} wave(s) (staggered), from "
            f"{data.waves[0].first_rollout} to {data.waves[-1].first_rollout}; data "
            f"{data.pre.start} – {data.post.end}; {data.rows_used:,} of {data.rows_read:,} rows used"
        )
        out.print(waves_table([vars(w) for w in data.waves], experiment.analysis.comparison,
                              data.unit_counts.get("control", 0)))
    else:
        out.print(
            f"Design: {data.design.replace('_', ' ')}; rollout {data.rollout}; "
            f"pre {data.pre.start} – {data.pre.end}; post {data.post.start} – {data.post.end}; "
            f"{data.rows_used:,} of {data.rows_read:,} rows used"
        )
    cells = Table(title="Units and observations", title_justify="left")
    for name in ("Group", "Window", "Units", "Observations", "First", "Last"):
        cells.add_column(name, justify="right" if name in ("Units", "Observations") else "left")
    for cell in data.cells:
        cells.add_row(tt(cell.arm), tt(cell.window), f"{cell.units:,}", f"{cell.observations:,}",
                      tt(cell.first), tt(cell.last))
    out.print(cells)
    kpis = Table(title="KPIs", title_justify="left")
    for name in ("KPI", "Aggregate", "Better", "Columns", "Missing"):
        kpis.add_column(name, justify="right" if name == "Missing" else "left")
    for kpi in experiment.kpis:
        missing, rows = data.missing[kpi.id]
        kpis.add_row(tt(kpi.display_label),
                     tt(kpi.aggregate) + (" (log)" if kpi.transform == "log" else "")
                     + (" (poisson)" if kpi.model == "poisson" else ""),
                     tt(kpi.better), tt(", ".join(kpi.columns) or "(rows)"), f"{missing / rows:.1%}")
    out.print(kpis)
    grid = grid_text(experiment, data)
    if grid:
        out.print(tt(grid))
    for line in donor_lines(result.donors):
        out.print(tt(line))
    if result.adoption is not None:
        print_adoption(out, result.adoption)
    print_findings(out, data.findings)
    adoption_warnings = result.adoption.warnings if result.adoption is not None else []
    for warning in (result.wave_warnings + result.asset_warnings + adoption_warnings
                    + result.step_warnings):
        out.print(f"  [yellow]![/yellow] {tt(warning)}")
    out.print("[green]Usable:[/green] valueproof can analyse this experiment.")


def print_adoption(out: Console, outcome) -> None:
    """The adoption files (rows read and used, dates covered) and their numbers at the as-of
    date, in one line each."""
    adoption, nps, health = outcome.adoption, outcome.nps, outcome.health
    files = Table(title="Adoption data", title_justify="left")
    for name in ("Key", "File", "Rows", "Used", "First", "Last", "Users / answers"):
        files.add_column(name, justify="right" if name in ("Rows", "Used", "Users / answers")
                         else "left")
    for source in adoption.sources:
        files.add_row(tt(source.key), tt(source.path), f"{source.rows:,}", f"{source.used:,}",
                      tt(source.first or "–"), tt(source.last or "–"),
                      "–" if source.distinct is None else f"{source.distinct:,}")
    out.print(files)
    print_adoption_numbers(out, adoption, nps, health)


def print_adoption_numbers(out: Console, adoption, nps, health) -> None:
    """Licences, active users, training, support, NPS and the health score with its
    contributions (whole numbers that add up to the score shown, as in the report)."""
    period = adoption.period
    lines = [f"As of {adoption.as_of} ({period.quarter}: {period.start} – {period.end})"]
    if adoption.active_users is not None:
        of = (f" of {adoption.licences:,} licences ({adoption.utilisation:.1%})"
              if adoption.utilisation is not None else "")
        sticky = "–" if adoption.stickiness is None else f"{adoption.stickiness:.2f}"
        shares = ", ".join(f"{f.label} {f.share:.0%}" for f in adoption.features
                           if f.share is not None)
        lines.append(f"active users (28 days): {adoption.active_users:,}{of}; stickiness "
                     f"{sticky}" + (f"; features used by them: {shares}" if shares else ""))
    if adoption.training is not None and adoption.training.share is not None:
        training = adoption.training
        lines.append(f"training completed: {training.share:.1%} ({training.completed:,} of "
                     f"{training.base:,} {training.basis.replace('_', ' ')})")
    if adoption.support is not None:
        line = adoption.support.current
        hours = lambda v: "–" if v is None else f"{v:,.1f} h"  # noqa: E731
        lines.append(f"support tickets: {line.opened:,} opened ({line.per_week:.1f} a week), "
                     f"time to resolution median {hours(line.median_hours)}, 90th percentile "
                     f"{hours(line.p90_hours)}, {line.backlog:,} open at {period.end}")
    if nps is not None and nps.score is not None:
        lines.append(f"NPS: {nps.score:+.0f} [{nps.ci_low:+.0f}, {nps.ci_high:+.0f}] from "
                     f"{nps.n:,} answers" + (" (fewer than 30: a caution)" if nps.caution else ""))
    if health is not None:
        from valueproof.report.health import shown_parts, whole

        used = [c for c in health.components if c.available]
        parts = shown_parts([c.contribution for c in used], health.score)
        line = f"health score: {whole(health.score)} ({health.status}) = " + " + ".join(
            f"{c.id} {part}" for c, part in zip(used, parts))
        if health.missing:
            line += f"; left out (no data): {', '.join(health.missing)}"
        if health.previous_reason == FIRST_QUARTER:
            line += f"; first quarter with the product (since {adoption.product_start})"
        elif health.previous_score is not None:
            line += (f"; {whole(health.previous_score)} ({health.previous_status}) at the end of "
                     f"{adoption.previous_period.quarter}")
        lines.append(line)
    for line in lines:
        out.print(f"  {tt(line)}")


@functools.cache
def english() -> Words:
    """The report's words in English, its source text: the terminal's language."""
    return Words(NullTranslations(), Formatter("en"))


def effect_text(kpi) -> str:
    """Effect with its CI as the PDF's detail box shows it (one precision per KPI, from its
    interval): points for rates, % for log KPIs, % and the rate ratio for Poisson KPIs."""
    words = english()
    fmt = words.fmt
    scale, _, unit = kpi_scale(kpi, words)  # a rate's change in percentage points
    digits, rel_digits = figure_decimals(kpi, scale)
    if getattr(kpi, "model", "linear") == "poisson" or kpi.transform == "log":
        relative = lambda v: (fmt.percent_fixed(v, rel_digits, signed=True)  # noqa: E731
                              if v is not None and math.isfinite(v) else "…")
        text = (f"{relative(kpi.relative_effect)} [{relative(kpi.relative_ci_low)}, "
                f"{relative(kpi.relative_ci_high)}]")
        if getattr(kpi, "model", "linear") == "poisson":
            text += f" (rate ratio {fmt.number(kpi.rate_ratio, 3)})"
        return text
    value = lambda v: (fmt.fixed(v * scale, digits, signed=True)  # noqa: E731
                       if math.isfinite(v) else "…")
    return f"{unit.short(value(kpi.effect))} [{value(kpi.ci_low)}, {value(kpi.ci_high)}]"


def relative_text(kpi) -> str:
    """The relative change at the precision of the PDF's detail box."""
    if kpi.relative_effect is None:
        return "–"
    scale = kpi_scale(kpi, english())[0]
    return english().fmt.percent_fixed(kpi.relative_effect, figure_decimals(kpi, scale)[1],
                                       signed=True)


def p_text(p: float | None) -> str:
    if p is None:
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def roi_percent(value: float) -> str:
    """ROI as a percentage ("452%", "43%", "1.2%"), never as a multiple."""
    if not math.isfinite(value):
        return "–"
    percent = value * 100
    digits = max(0, 1 - int(math.floor(math.log10(abs(percent))))) if percent else 0
    return f"{percent:,.{digits}f}%"


VERDICT_STYLE = {"improved": "green", "worsened": "red", "inconclusive": "yellow"}


def print_results(results) -> None:
    out = console()
    method = {"did": "difference-in-differences",
              "synthetic_did": "synthetic difference-in-differences against donor accounts "
                               "(placebo test)"}.get(results.method,
                                                     "before/after comparison (no control group)")
    se = "" if results.method == "synthetic_did" else f"SE {results.se}, "  # placebo: in method
    out.print(f"[bold]{tt(results.experiment)}[/bold] — {method}, {results.design.replace('_', ' ')}, "
              f"{se}alpha {results.alpha}, correction {results.correction}")
    if results.design == "staggered":
        from valueproof.report.waves import comparison_units

        out.print(waves_table(results.waves, results.comparison, comparison_units(results)))
        out.print("Effects are averages across waves: each wave's average effect since its "
                  "rollout, weighted by the waves' units.")
    table = Table(title_justify="left")
    for name in ("KPI", "Effect [95% CI]", "Relative", "p", "p adj.", "Pre-trend", "Verdict"):
        table.add_column(name, justify="left" if name in ("KPI", "Verdict", "Pre-trend") else "right")
    for kpi in results.kpis:
        relative = relative_text(kpi)
        style = VERDICT_STYLE[kpi.verdict]
        verdict = kpi.verdict
        if not kpi.detectable:
            verdict += " (not detectable with this design)"
        elif kpi.verdict == "inconclusive" and math.isfinite(kpi.mde):
            verdict += f" (MDE {effect_text_mde(kpi)})"
        table.add_row(tt(kpi.label), tt(effect_text(kpi)), relative, p_text(kpi.p_value),
                      p_text(kpi.p_adjusted), pre_period_text(kpi), f"[{style}]{verdict}[/{style}]")
    out.print(table)
    if results.warnings:
        out.print(f"[yellow]{len(results.warnings)} warning(s):[/yellow]")
        for warning in results.warnings:
            out.print(f"  [yellow]![/yellow] {tt(warning)}")


def pre_period_text(kpi) -> str:
    """The pre-trend check's status; against donor accounts, the twin's pre-rollout fit, the
    donors and a dip before the rollout."""
    if kpi.synthetic is None:
        return kpi.pre_trend.status.replace("_", " ")
    fit = kpi.synthetic
    return f"fit {fit['pre_fit']}, {fit['donors']} donors" + (", dip" if fit["dip"] else "")


def effect_text_mde(kpi) -> str:
    """The minimum detectable effect, in the same terms and words as the PDF."""
    return short_units(mde_text(english(), kpi))


def short_units(text) -> str:
    """The report's English with the terminal's short unit: 'pp' for percentage points."""
    return str(text).replace("percentage points", "pp").replace("percentage point", "pp")


STATUS_STYLE = {"achieved": ("green", "✔"), "on_track": ("cyan", "➜"), "at_risk": ("magenta", "!"),
                "not_achieved": ("red", "✘"), "inconclusive": ("yellow", "?"),
                UNCONFIRMED: ("green", "✔?")}


def _target_text(criterion, kpi) -> tuple[str, str]:
    """The goal's target and measured value as the PDF's scorecard shows them."""
    _, measured, target = goal_figures(english(), criterion, kpi)
    measured, target = short_units(measured), short_units(target)
    if criterion.kind == "level":
        target = f"level {target}"
    return target, measured


def print_value(results) -> None:
    out = console()
    if results.criteria:
        table = Table(title="Success criteria", title_justify="left")
        for name in ("Goal", "Target", "Measured", "By", "Status"):
            table.add_column(name, justify="right" if name in ("Target", "Measured") else "left")
        for criterion in results.criteria:
            kpi = results.kpi(criterion.kpi)
            style, symbol = STATUS_STYLE[criterion.status]
            target, measured = _target_text(criterion, kpi)
            status = ("reached, not yet confirmed" if criterion.status == UNCONFIRMED
                      else criterion.status.replace("_", " "))
            if criterion.with_confidence:
                status += " (with confidence)"
            table.add_row(tt(criterion.label or kpi.label), tt(target), tt(measured),
                          tt(criterion.by or "–"),
                          f"[{style}]{symbol} {status}[/{style}]")
        out.print(table)
    roi = results.roi
    if roi is not None:
        words = english()
        fmt = words.fmt
        money = lambda v: fmt.money(v, roi.currency, sig=None)  # noqa: E731
        percent = lambda v: report_roi_percent(fmt, v)  # noqa: E731
        benefit, cost, net = shown_totals(roi.benefit, roi.cost)
        conservative = (", its lower end the conservative figure"
                        if conservative_differs(roi, percent) else "")
        out.print(f"[bold]ROI over {roi.horizon_months} months:[/bold] {percent(roi.roi)} "
                  f"({money(roi.ratio)} back for every {fmt.money(1, roi.currency, sig=1)} "
                  f"spent; {range_text(words, roi, percent)}{conservative}); projected benefit "
                  f"{money(benefit)}, cost {money(cost)}, net {money(net)}; payback "
                  f"{payback_text(words, roi)}")
        if roi.realised:
            got, spent, _ = shown_totals(roi.realised["benefit"], roi.realised["cost"])
            out.print(f"  measured {roi.realised['start']} – {roi.realised['end']}: "
                      f"benefit {money(got)} against cost {money(spent)} so far; the "
                      f"{roi.horizon_months}-month figures are a projection")
    if results.adoption is not None:
        out.print("[bold]Adoption and health:[/bold]")
        print_adoption_numbers(out, results.adoption, results.nps, results.health)
    if results.improvement_plan:
        out.print("[bold]Improvement plan:[/bold]")
        for item in plan_texts(results):
            out.print(f"  • [bold]{tt(item['label'])}[/bold] — {tt(item['why'])}")
            for reason in item["reasons"]:
                out.print(f"      {tt(reason)}")
            for goal in item["goals"]:
                out.print(f"      goal: {tt(goal['label'])} ({tt(goal['status_label'])})")
            for action in item["actions"]:
                out.print(f"      → {tt(action['do'])} — owner: {tt(action['owner'])}; "
                          f"by: {tt(action['by'])}")


def plan_texts(results) -> list[dict]:
    """The improvement plan in the report's English words: the PDF and the terminal say the
    same thing ('to agree' for a missing owner or date)."""
    from valueproof.report.scorecard import plan_items

    return plan_items(english(), results)


def run_batch(tasks, options, dry_run: bool, quiet: bool) -> int:
    """Run (or list) a batch with a progress bar; print the summary; the exit status.

    Interrupted (Ctrl-C, SIGTERM): no table, one line saying so, exit status 130 (143)."""
    import signal
    import sys
    import time

    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    from valueproof.commands.batch.run import BatchRun, batch_exit_code

    out = console()
    if dry_run:
        table = Table(title="Dry run: nothing is rendered", title_justify="left")
        for name in ("Account", "Output", "Action", "Why"):
            table.add_column(name)
        for task in tasks:
            action = ("skip" if task.reason == "up to date" else
                      "fail" if task.reason == "invalid" else "render")
            table.add_row(tt(task.account), tt(f"{task.name}.pdf" if task.name else "–"), action,
                          tt(task.error or task.reason))
        out.print(table)
        return 0
    show = not quiet and sys.stderr.isatty()
    started = time.perf_counter()
    progress = Progress(TextColumn("[bold]QBRs"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                        TextColumn("{task.description}"), disable=not show,
                        console=Console(stderr=True, emoji=False))
    runner = BatchRun(options, tasks)
    with progress:
        bar = progress.add_task("", total=len(tasks))
        runner.run(lambda outcome: progress.update(bar, advance=1, description=tt(outcome.account)))
    outcomes = runner.outcomes
    counts = {s: sum(o.status == s for o in outcomes)
              for s in ("rendered", "skipped", "failed", "interrupted")}
    if not quiet and not runner.interrupted:
        table = Table(title="Summary", title_justify="left")
        for name in ("Account", "Status", "Goals achieved", "ROI", "Time (s)", "Error"):
            table.add_column(name, justify="right" if name in ("ROI", "Time (s)") else "left",
                             overflow="fold")
        for o in outcomes:
            style = {"rendered": "green", "skipped": "cyan", "failed": "red"}[o.status]
            met = "" if o.criteria_total is None else f"{o.criteria_met} of {o.criteria_total}"
            table.add_row(tt(o.account), f"[{style}]{o.status}[/{style}]", met,
                          "" if o.roi is None else roi_percent(o.roi),
                          f"{o.seconds:.1f}" if o.status == "rendered" else "", tt(o.error))
        out.print(table)
    elapsed = time.perf_counter() - started
    message = (f"{counts['rendered']} rendered, {counts['skipped']} up to date, "
               f"{counts['failed']} failed in {elapsed:.1f} s; summary in "
               f"{options.out_dir / (options.shard.stem if options.shard else 'summary')}.csv")
    if runner.interrupted:
        from valueproof.commands.batch.stop import signal_name

        how = ("Interrupted" if runner.stopped_by == signal.SIGINT
               else f"Terminated ({signal_name(runner.stopped_by)})")
        message = (f"{how}: {counts['interrupted']} not rendered (run again to render "
                   f"them); " + message)
    if not quiet or runner.interrupted:
        print(message, file=sys.stderr)
    return batch_exit_code(outcomes, runner.interrupted, runner.stopped_by)
