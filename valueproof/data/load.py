"""Read observations, check them, and aggregate them to the unit x period panel.

All heavy lifting is SQL: the raw rows never become Python objects. A database aggregates its
rows to cells itself (`pushdown`); rows read here (a file, a database's rows on the row path)
are checked and aggregated to the same cells by an in-memory DuckDB (`cells`). Everything
after reads the cells: the checks of their rows and units (`quality`), the windows
(`windows`), the grid counts and sums are read on (`grid`) and the panel. Problems that make
the data unusable raise `DataError`; problems that only weaken it become `Finding`s that
validate, analyze and the report all show.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from valueproof.config.schema import Experiment
from valueproof.data import grid, pushdown, quality, waves as rollout_waves, windows
from valueproof.data.backends.base import Source
from valueproof.data.cells import make_cells, read_columns
from valueproof.data.dataset import Dataset
from valueproof.data.panel import aggregate_panel
from valueproof.data.session import open_session
from valueproof.data.sources import data_fingerprint, database_tables, source_for
from valueproof.errors import DataError


def load_dataset(experiment: Experiment, build_panel: bool = True) -> Dataset:
    """Load the experiment's observations, check them, and (optionally) build the panel."""
    try:
        return _load_from(experiment, build_panel)
    except pushdown.Recut as recut:  # a window edge drawn from the data splits a cell
        try:
            return _load_from(experiment, build_panel, recut.cuts)
        except pushdown.Recut:
            raise DataError(f"{source_for(experiment).label}: cells still straddle a window "
                            "edge after it was cut; report this as a bug") from None


def _load_from(experiment: Experiment, build_panel: bool, cuts: tuple = ()) -> Dataset:
    import duckdb

    plan = pushdown.plan_for(experiment, cuts)
    source = source_for(experiment, plan)
    label = source.label
    con = open_session(experiment.data.timezone)
    try:
        with ThreadPoolExecutor(1) as pool:
            source.register(con)
            # The files' hash (0.2 s for 300 MB) runs beside DuckDB's work: hashlib and file
            # reads release the GIL. A database's tables are hashed as they are read: with any
            # besides the data, the hash waits for the end.
            fingerprint = (pool.submit(data_fingerprint, experiment)
                           if not database_tables(experiment) else None)
            return _load(con, experiment, build_panel, source, plan, fingerprint)
    except duckdb.Error as exc:  # anything the checks above did not foresee
        first = str(exc).strip().splitlines()[0]
        raise DataError(source.explain(exc)
                        or f"{label}: could not be processed ({first})") from None
    finally:
        con.close()


def _load(con, experiment: Experiment, build_panel: bool, source: Source,
          plan: pushdown.Plan, fingerprint: Future | None) -> Dataset:
    label, staggered = source.label, experiment.staggered
    columns = read_columns(con, experiment, source)
    rows_read = _rows_read(con, source)
    time_kind = rollout_waves.time_kind_of(experiment, columns[experiment.data.time])
    cells = make_cells(con, experiment, source, plan, columns, time_kind)
    findings = cells.findings + quality.duplicate_findings(
        con, experiment, source, rows_read, columns, cells.kpi_columns)
    findings += quality.missing_key_findings(con, experiment)
    quality.check_group_values(con, experiment, cells.control)
    con.execute("CREATE TEMP VIEW tagged AS SELECT * FROM obs WHERE unit IS NOT NULL AND t IS NOT NULL")
    findings += quality.group_findings(con, staggered)

    first, last = con.execute(
        "SELECT min(t), max(t_end) FROM tagged WHERE arm IS NOT NULL").fetchone()
    if first is None:
        raise DataError(f"{label}: no rows belong to the treatment or control group")
    pre, post, window_expr, waves, wave_findings = windows.windows(
        con, experiment, first, last, time_kind, label)
    findings += wave_findings
    windows.check_cells(con, plan, experiment, pre, post)
    findings += windows.rows_outside(con, window_expr, pre, post)
    arms = ["treatment", "control"] if cells.control else ["treatment"]
    summaries = windows.cell_summaries(con, experiment, arms, pre, post, (first, last), label)
    unit_counts, design, unit_findings = quality.unit_design(con, experiment, arms, label)
    findings += unit_findings
    kpi_sql = [pushdown.kpi_sql(i, kpi.aggregate) for i, kpi in enumerate(experiment.kpis)]
    rows_used, missing, missing_findings = quality.missing_values(con, experiment, kpi_sql, label)
    findings += missing_findings

    # the units and the grid counts and sums are read on (a full grid, or the roster's dates)
    layout, grid_findings = grid.prepare(con, experiment, design, time_kind, cells.arm_expr,
                                         (pre, post), (first, last))
    findings += grid_findings
    panel = None
    if build_panel:  # cells already one per panel cell are not grouped again
        each = layout.one_cell_each
        panel = aggregate_panel(con, experiment, [pushdown.kpi_sql(i, kpi.aggregate, each) for
                                                  i, kpi in enumerate(experiment.kpis)],
                                time_kind, layout, grouped=not each)
    return Dataset(
        source=label, time_kind=time_kind,
        fingerprint=fingerprint.result() if fingerprint else data_fingerprint(experiment),
        rollout=waves[0].start if staggered else experiment.rollout, pre=pre, post=post,
        design=design, rows_read=rows_read,
        rows_used=rows_used, cells=summaries, missing=missing, unit_counts=unit_counts,
        findings=findings, panel=panel, waves=waves, grid=layout.summary,
    )


def _rows_read(con, source: Source) -> int:
    """The rows the source holds (a database that aggregated them counted them in `__n`)."""
    rows_read = con.execute(
        f"SELECT {'coalesce(sum(__n), 0)' if source.aggregated else 'count(*)'} FROM raw"
    ).fetchone()[0]
    if rows_read == 0:
        raise DataError(f"{source.label}: the data has a header but no rows; export the "
                        "observations again")
    return rows_read
