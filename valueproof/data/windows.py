"""The pre and post windows, drawn from the definition or from the data, and the rows in them.

With one rollout date the windows are the definition's (`pre`, `post`) or, where it leaves them
out, the data after the rollout and as long a stretch before it (starting on a whole period).
With a rollout in waves each row is before or after its own unit's rollout, within `window`
(default: all the data). Cells must each lie on one side of every window edge (`check_cells`).
"""

from __future__ import annotations

import datetime as dt

from valueproof.config.schema import Experiment
from valueproof.data import pushdown, waves as rollout_waves
from valueproof.data.dataset import CellSummary, Window
from valueproof.data.findings import Finding
from valueproof.data.panel import align_to_period, period_expression
from valueproof.data.sqltext import sql_time
from valueproof.errors import DataError

ROWS = "coalesce(sum(n), 0)"  # SQL: the rows a set of cells holds


def _shift(point, amount: int):
    """`point` (a date or an integer period) moved by `amount` days or periods."""
    return point + dt.timedelta(days=amount) if isinstance(point, dt.date) else point + amount


def _span(window_start, window_end) -> int:
    """Days (or periods) from `window_start` to `window_end`."""
    if isinstance(window_start, dt.date):
        return (window_end - window_start).days
    return window_end - window_start


def _resolve_windows(experiment: Experiment, first, last, label: str) -> tuple[Window, Window]:
    rollout = experiment.rollout
    if experiment.post:
        post = Window(experiment.post.start, experiment.post.end)
    else:
        if last < rollout:
            raise DataError(
                f"{label}: the data end {last}, before the rollout {rollout}; "
                "there is no post-rollout data to compare"
            )
        post = Window(rollout, last)
    if experiment.pre:
        pre = Window(experiment.pre.start, experiment.pre.end)
    else:
        end = _shift(rollout, -1)
        if first > end:  # no data before the rollout: the pre window would end before it starts
            raise DataError(
                f"{label}: the data begin {first}, on or after the rollout {rollout}, so there "
                "is nothing before the rollout to compare with; add data from before the "
                "rollout, or check 'rollout' (and data.time) in the definition"
            )
        start = max(first, _shift(end, -_span(post.start, post.end)))
        if isinstance(start, dt.date):  # start on a whole period, so none is cut short
            aligned = align_to_period(start, experiment.analysis.period)
            start = aligned if aligned <= end else start
        pre = Window(start, end)
    return pre, post


def windows(con, experiment: Experiment, first, last, time_kind: str, label: str):
    """(pre, post, SQL of each cell's window, the waves, findings), the data covering `first`
    to `last`."""
    if experiment.staggered:
        return _wave_windows(con, experiment, first, last, time_kind, label)
    pre, post = _resolve_windows(experiment, first, last, label)
    bounds = [sql_time(point) for point in (pre.start, pre.end, post.start, post.end)]
    window_expr = (f"CASE WHEN t BETWEEN {bounds[0]} AND {bounds[1]} THEN 'pre' "
                   f"WHEN t BETWEEN {bounds[2]} AND {bounds[3]} THEN 'post' END")
    return pre, post, window_expr, [], []


def _wave_windows(con, experiment: Experiment, first, last, time_kind: str, label: str):
    """A rollout in waves: the data used (`window`, default all), each row's side of its own
    unit's rollout, the waves, and the checks that each wave has a period before it."""
    period = experiment.analysis.period
    start = experiment.window.start if experiment.window else first
    end = experiment.window.end if experiment.window else last
    if isinstance(start, dt.date) != (time_kind == "date"):
        raise DataError(f"{label}: 'window' must be written like the data's time column "
                        f"({'dates' if time_kind == 'date' else 'integer periods'})")
    period_of = lambda column: period_expression(time_kind, period, column)  # noqa: E731
    findings = []
    late = con.execute(f"SELECT count(DISTINCT unit) FROM obs WHERE ro > {sql_time(end)}").fetchone()[0]
    if late:
        con.execute(f"UPDATE obs SET ro = NULL, arm = 'control' WHERE ro > {sql_time(end)}")
        findings.append(Finding(
            "rollout_after_data",
            f"{late} unit(s) got the product after the data end ({end}); they count as not yet "
            "treated throughout", params={"units": late}))
    early = con.execute(
        f"SELECT count(DISTINCT unit), min(unit), min(ro) FROM obs WHERE ro IS NOT NULL AND "
        f"{period_of('ro')} <= {period_of(sql_time(start))}").fetchone()
    if early[0]:
        step = period if time_kind == "date" else "period"
        raise DataError(
            f"{label}: {early[0]} unit(s) (e.g. '{early[1]}', rollout {early[2]}) got the product "
            f"in the first {step} of the data ({start}) or before, so their wave has no period "
            "before the rollout to compare with; use data (or window.start) that begin at least "
            f"one {step} earlier, or leave those units out")
    bounds = f"{sql_time(start)} AND {sql_time(end)}"
    window_expr = (f"CASE WHEN t NOT BETWEEN {bounds} THEN NULL WHEN ro IS NOT NULL AND "
                   f"{period_of('t')} >= {period_of('ro')} THEN 'post' ELSE 'pre' END")
    waves = rollout_waves.waves_of(con, period_of("ro"), window_expr)
    if not waves:
        raise DataError(f"{label}: no unit has a rollout within the data ({start} – {end}); "
                        "check the rollout column or file")
    first_wave = waves[0].start
    pre = Window(start, _shift(first_wave, -1))
    post = Window(first_wave, end)
    return pre, post, window_expr, waves, findings


def rows_outside(con, window_expr: str, pre: Window, post: Window) -> list[Finding]:
    """The views `windowed` (the cells in a group, with their window) and `used` (those in a
    window), and the finding on the rows outside both windows."""
    con.execute(f"CREATE TEMP VIEW windowed AS SELECT *, {window_expr} AS win FROM tagged "
                "WHERE arm IS NOT NULL")
    con.execute("CREATE TEMP VIEW used AS SELECT * FROM windowed WHERE win IS NOT NULL")
    outside = con.execute(f"SELECT {ROWS} FROM windowed WHERE win IS NULL").fetchone()[0]
    if not outside:
        return []
    return [Finding(
        "rows_outside_windows",
        f"{outside} row(s) fall outside the pre ({pre.start} – {pre.end}) and post "
        f"({post.start} – {post.end}) windows and are not used",
        params={"rows": outside},
    )]


def cell_summaries(con, experiment: Experiment, arms: list[str], pre: Window, post: Window,
                   covered: tuple, label: str) -> list[CellSummary]:
    """Units and observations of each group in each window; DataError when a group has none
    in a window (the data covering `covered`, first to last)."""
    found = con.execute(
        "SELECT arm, win, count(DISTINCT unit), coalesce(sum(n), 0), min(t), max(t_end) FROM used "
        "GROUP BY arm, win ORDER BY arm DESC, win DESC"
    ).fetchall()
    cells = [CellSummary(*row) for row in found]
    for arm in [] if experiment.staggered else arms:
        for window, bounds in (("pre", pre), ("post", post)):
            if not any(c.arm == arm and c.window == window and c.observations for c in cells):
                raise DataError(
                    f"{label}: the {arm} group has no observations in the {window} window "
                    f"({bounds.start} – {bounds.end}); the data cover {covered[0]} – "
                    f"{covered[1]}. "
                    f"Fix '{window}' or 'rollout' in the definition"
                )
    return cells


def check_cells(con, plan, experiment: Experiment, pre: Window, post: Window) -> None:
    """Cells must each lie on one side of every window edge; an edge drawn from the data (not
    among the plan's cuts) that splits one asks for the data again, cut there too
    (`pushdown.Recut`)."""
    if experiment.staggered:
        start, end = (experiment.window.start, experiment.window.end) if experiment.window \
            else (pre.start, post.end)
        edges = [start, _shift(end, 1)]
    else:
        edges = [pre.start, _shift(pre.end, 1), post.start, _shift(post.end, 1)]
    edges = sorted({e for e in edges if e not in plan.cuts})
    if not edges:
        return
    split = con.execute(
        "SELECT count(*) FROM obs WHERE " + " OR ".join(
            f"(t < {sql_time(e)} AND t_end >= {sql_time(e)})" for e in edges)).fetchone()[0]
    if split:
        raise pushdown.Recut(tuple(edges))
