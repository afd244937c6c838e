"""The donor accounts of `comparison`: their rows read through the same sources as the main data,
aggregated per donor and analysis period like the account's own rows, beside the account's series.

Each KPI gets a (donors + 1) x periods matrix, the account in the last row, over the periods of
the pre and the post window; a period the rollout cuts is left out, and for a count or a sum a
period any window edge cuts (the account's panel scales such a total to the whole period, the
donors' cells do not). Donors that got the product themselves (the `rollout`
column), that the definition lists in `exclude`, or that miss a period of a KPI are left out,
each with the reason `validate` and the vendor's JSON show. Refused, each in one message naming
the key: donor rows exported twice, a donor with the customer's name or the account's own values
(the account in its own donor pool), a weight cap the kept donors cannot meet, periods written
unlike the account's (dates against integers).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from valueproof.config.schema import Experiment
from valueproof.data.checks import CONFLICT_SHARE, near_group_value
from valueproof.data.columns import (
    NUMERIC_PREFIXES,
    numeric_expression,
    time_expression,
)
from valueproof.data.dataset import Dataset
from valueproof.data.panel import period_end, period_expression
from valueproof.data.session import open_session
from valueproof.data.sources import donor_source
from valueproof.data.sqltext import quote
from valueproof.errors import DataError

#: Why a donor was left out, as `validate` counts them.
KINDS = {"rolled_out": "rolled out", "listed": "listed in comparison.exclude",
         "missing": "without a value in some period"}


@dataclass(frozen=True)
class DonorSeries:
    """One KPI's series: `values` (donors + 1, periods), the account in the last row."""

    values: np.ndarray
    donors: tuple[str, ...]
    periods: tuple[str, ...]  # labels: the period's first day (or the integer period)
    n_pre: int  # the first n_pre periods lie before the rollout


@dataclass(frozen=True)
class Donors:
    """What the data stage hands on of the donors: every KPI's series, who was kept, who was
    left out and why (`excluded`: donor, reason, kind = rolled_out | listed | missing)."""

    source: str
    kpis: dict[str, DonorSeries]
    kept: list[str]
    excluded: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The vendor's view (results JSON): kept ids, left out ids with their reasons."""
        return {"kept": list(self.kept),
                "excluded": [{"donor": e["donor"], "reason": e["reason"]} for e in self.excluded]}


def load_donors(experiment: Experiment, dataset: Dataset) -> Donors:
    """The donors of `experiment.comparison` beside the account's series of `dataset` (its
    panel, every row the account's treated rows)."""
    import duckdb

    source = donor_source(experiment, _needed(experiment))
    con = open_session(experiment.data.timezone)
    try:
        source.register(con)
        cells = _donor_cells(con, experiment, dataset, source)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise DataError(source.explain(exc)
                        or f"{source.label}: could not be processed ({first})") from None
    finally:
        con.close()
    return _assemble(experiment, dataset, source.label, *cells)


def _needed(experiment: Experiment) -> dict[str, str]:
    """Every donor column read → the definition key that names it."""
    comparison = experiment.comparison
    donors = comparison.donors
    needed = {donors.unit: "comparison.donors.unit", donors.time: "comparison.donors.time"}
    if donors.rollout:
        needed[donors.rollout] = "comparison.donors.rollout"
    for kpi in experiment.kpis:
        for column in kpi.columns:
            key = (f"comparison.columns.{column}" if column in comparison.columns
                   else f"kpis '{kpi.id}' (the same column in the donor data; map another "
                        "with comparison.columns)")
            needed.setdefault(comparison.donor_column(column), key)
    return needed


def _sql_point(point) -> str:
    return f"DATE '{point.isoformat()}'" if isinstance(point, dt.date) else str(int(point))


def _donor_cells(con, experiment: Experiment, dataset: Dataset, source):
    """(rollout by donor, {(donor, period label): values by KPI}) from the source's `raw`."""
    comparison = experiment.comparison
    donors = comparison.donors
    label = source.label
    columns = {row[0]: row[1] for row in con.execute("DESCRIBE raw").fetchall()}
    source.require_columns(columns, _needed(experiment))
    kind = dataset.rollout
    time = _donor_time(con, donors.time, columns[donors.time], kind, label, donors.date_format,
                       "comparison.donors.time")
    names = sorted({comparison.donor_column(c) for k in experiment.kpis for c in k.columns})
    alias = {name: f"k{i}" for i, name in enumerate(names)}
    values = "".join(f", {numeric_expression(con, n, columns[n], label, donors.decimal)} AS "
                     f"{alias[n]}" for n in names)
    rollout = ", NULL AS ro"
    if donors.rollout:
        first_used = _donor_time(con, donors.rollout, columns[donors.rollout], kind, label,
                                 donors.date_format, "comparison.donors.rollout")
        rollout = f", {first_used} AS ro"
    con.execute(f"CREATE TEMP VIEW donor_rows AS SELECT CAST({quote(donors.unit)} AS VARCHAR) "
                f"AS unit, {time} AS t{rollout}{values} FROM raw WHERE {quote(donors.unit)} "
                "IS NOT NULL")
    _no_double_rows(con, label, donors.time)
    rolled = dict(con.execute("SELECT unit, min(ro) FROM donor_rows GROUP BY unit").fetchall())
    pre, post = dataset.pre, dataset.post
    aggregates = [_aggregate(kpi, alias, comparison) for kpi in experiment.kpis]
    period = period_expression(dataset.time_kind, experiment.analysis.period)
    rows = con.execute(
        f"SELECT unit, {period} AS period, {', '.join(aggregates)} FROM donor_rows WHERE "
        f"t BETWEEN {_sql_point(pre.start)} AND {_sql_point(pre.end)} OR "
        f"t BETWEEN {_sql_point(post.start)} AND {_sql_point(post.end)} GROUP BY ALL"
    ).fetchall()
    return rolled, {(unit, str(p)): list(vals) for unit, p, *vals in rows}


def _donor_time(con, column: str, sql_type: str, rollout, label: str, date_format: str | None,
                key: str) -> str:
    """`time_expression` for a donor column, its error naming the donor key (and the donor
    source's date_format) and how the account's own periods are written."""
    dates = isinstance(rollout, dt.date)
    written = "dates" if dates else "integer periods"
    numbers = sql_type.startswith(NUMERIC_PREFIXES) and not date_format
    if numbers if dates else (sql_type == "DATE" or sql_type.startswith("TIMESTAMP")):
        raise DataError(
            f"{label}: column '{column}' ({key}) holds "
            f"{'numbers' if dates else 'dates'}, but the account's data and rollout use "
            f"{written}: write the donors' {written} like the account's")
    try:
        return time_expression(con, column, sql_type, rollout, label, date_format)
    except DataError as exc:
        message = exc.message.replace("data.date_format", "comparison.donors.date_format")
        raise DataError(f"{message} ({key}: the account's data and rollout use {written}, so "
                        "the donors' must too)") from None


def _no_double_rows(con, label: str, time: str) -> None:
    """DataError when donor rows of one account and period repeat exactly in data that is
    otherwise one row per account and period (a double export: it would count twice in a total
    and weigh twice in a mean). Raw rows, many per account and period, repeat keys by nature."""
    rows, keys = con.execute("SELECT count(*), count(DISTINCT (unit, t)) FROM donor_rows"
                             ).fetchone()
    if rows == keys or rows - keys > CONFLICT_SHARE * rows:
        return
    exact = rows - con.execute("SELECT count(*) FROM (SELECT DISTINCT * FROM donor_rows)"
                               ).fetchone()[0]
    if not exact:
        return
    unit, when = con.execute("SELECT unit, t FROM donor_rows GROUP BY ALL HAVING count(*) > 1 "
                             "ORDER BY unit, t LIMIT 1").fetchone()
    raise DataError(
        f"{label}: {exact} row(s) repeat another row exactly (e.g. account '{unit}' at {time} "
        f"{when}), in data that otherwise has one row per account and period: a repeated row "
        "would count twice in a total and weigh twice in a mean. Remove the repeated rows at "
        "the source (comparison.donors.unit and comparison.donors.time name the key)")


def _aggregate(kpi, alias: dict[str, str], comparison) -> str:
    """SQL of one KPI's value in a donor x period cell, as the account's cells aggregate it."""
    column = alias[comparison.donor_column(kpi.column)] if kpi.column else None
    if kpi.aggregate == "rate":
        num = alias[comparison.donor_column(kpi.numerator)]
        den = alias[comparison.donor_column(kpi.denominator)] if kpi.denominator else None
        usable = f"{num} IS NOT NULL" + (f" AND {den} IS NOT NULL" if den else "")
        return (f"sum({num}) FILTER (WHERE {usable}) / NULLIF("
                + (f"sum({den}) FILTER (WHERE {usable})" if den else
                   f"count(*) FILTER (WHERE {usable})") + ", 0)")
    if kpi.aggregate == "count":
        return f"CAST(count({column}) AS DOUBLE)" if column else "CAST(count(*) AS DOUBLE)"
    return f"avg({column})" if kpi.aggregate == "mean" else f"sum({column})"


def account_series(experiment: Experiment, dataset: Dataset) -> dict[str, dict[str, float]]:
    """The account's value per KPI and period ({kpi: {period label: value}}): its panel's
    cells of every unit added up as the KPI aggregates (pooled means and ratios, totals). A
    period the rollout cuts is left out, and for counts and sums a period a window edge cuts."""
    panel = dataset.panel
    labels = np.array([str(p) for p in panel.period])
    straddling = set(labels[panel.post]) & set(labels[~panel.post])  # cut by the rollout
    whole = {str(p) for p in panel.period if _whole(p, dataset, experiment.analysis.period)}
    series = {}
    for kpi in experiment.kpis:
        value, count = panel.values[kpi.id], panel.counts[kpi.id]
        weight = panel.weights[kpi.id]
        # a count or sum of a period cut by a window edge is scaled to the whole period in the
        # panel, not in the donors' cells: such a period is left out of a total's series
        usable = set(labels) - straddling
        if kpi.aggregate in ("count", "sum"):
            usable &= whole
        out = {}
        for label in sorted(usable):
            rows = (labels == label) & np.isfinite(value)
            if kpi.aggregate in ("mean", "rate"):
                rows &= count > 0
                total = float(weight[rows].sum())
                if total > 0:
                    out[label] = float((value[rows] * weight[rows]).sum() / total)
            elif rows.any():
                out[label] = float(value[rows].sum())
        series[kpi.id] = out
    return series


def _whole(start, dataset: Dataset, period: str) -> bool:
    """Whether the period starting at `start` lies whole inside the pre or the post window."""
    if dataset.time_kind != "date" or period == "day":
        first = last = start.item() if hasattr(start, "item") else start
    else:
        first = start.astype("datetime64[D]").item()
        last = period_end(first, period)
    return any(w.start <= first and last <= w.end for w in (dataset.pre, dataset.post))


def _assemble(experiment: Experiment, dataset: Dataset, label: str, rolled: dict,
              cells: dict) -> Donors:
    comparison = experiment.comparison
    post_end, listed = dataset.post.end, set(comparison.exclude)
    column = comparison.donors.unit
    if not rolled:
        raise DataError(f"{label}: no donor rows (none with an account in column '{column}', "
                        "comparison.donors.unit); export the donor accounts' rows")
    unknown = [donor for donor in comparison.exclude if donor not in rolled]
    if unknown:
        raise DataError(
            f"comparison.exclude: {', '.join(repr(d) for d in unknown[:5])} not found in column "
            f"'{column}' of {label}; write the ids exactly as in the donor data"
            + near_group_value(unknown[0], set(rolled)))
    if not cells:
        pre, post = dataset.pre, dataset.post
        raise DataError(
            f"{label}: no donor row falls in the compared windows ({pre.start} – {pre.end} and "
            f"{post.start} – {post.end}); check that comparison.donors.time names the donors' "
            "period column and that their data covers those periods")
    excluded, candidates = [], []
    customer = experiment.customer.name.strip().casefold() if experiment.customer else None
    for donor in sorted(rolled):
        if donor not in listed and donor.strip().casefold() == customer:
            raise DataError(f"{label}: donor account '{donor}' has the customer's name: it is "
                            "likely this account itself. Leave it out with comparison.exclude")
        if donor in listed:
            excluded.append({"donor": donor, "reason": "listed in comparison.exclude",
                             "kind": "listed"})
        elif rolled[donor] is not None and rolled[donor] <= post_end:
            excluded.append({"donor": donor, "reason": f"rolled out on {rolled[donor]}",
                             "kind": "rolled_out"})
        else:
            candidates.append(donor)
    series, missing, copies = {}, {}, []
    for i, (kpi, account) in enumerate(zip(experiment.kpis,
                                           account_series(experiment, dataset).values())):
        periods = sorted(account, key=_period_key)
        n_pre = sum(_period_key(p) <= _period_key(str(dataset.pre.end)) for p in periods)
        if n_pre < 2 or n_pre == len(periods):
            raise DataError(f"{dataset.source}: KPI '{kpi.id}' has {n_pre} whole period(s) "
                            f"before the rollout and {len(periods) - n_pre} after; the donor "
                            "comparison needs at least 2 before and 1 after (a period the "
                            "rollout cuts is left out, for counts and sums also one a window "
                            "edge cuts): choose a shorter analysis.period or longer pre/post "
                            "windows")
        rows, kept = [], []
        for donor in candidates:
            row = [cells.get((donor, p), [None] * len(experiment.kpis))[i] for p in periods]
            gap = next((p for p, v in zip(periods, row) if v is None or not np.isfinite(v)), None)
            if gap is None:
                rows.append(row)
                kept.append(donor)
            else:
                missing.setdefault(donor, f"no value in {gap} for {kpi.id}")
        _enough(kpi.id, kept, excluded, missing, comparison.min_donors, label)
        _cap_feasible(kpi.id, len(kept), comparison.max_weight)
        values = np.array(rows + [[account[p] for p in periods]], dtype=float)
        copies += _copies(values, kept)
        if kpi.transform == "log":
            values = _logged(values, kpi.id, label)
        series[kpi.id] = DonorSeries(values, tuple(kept), tuple(periods), n_pre)
    same = set.intersection(*copies) if copies else set()
    if same:
        raise DataError(
            f"{label}: donor account '{min(same)}' has the same values as this account in every "
            "period of every KPI: it is likely this account itself. Leave it out with "
            "comparison.exclude")
    excluded += [{"donor": d, "reason": r, "kind": "missing"} for d, r in sorted(missing.items())]
    kept = [d for d in candidates if d not in missing]
    return Donors(label, series, kept, excluded)


def _period_key(label: str):
    return int(label) if label.lstrip("-").isdigit() else label


def _logged(values: np.ndarray, kpi_id: str, label: str) -> np.ndarray:
    if (values <= 0).any():
        raise DataError(f"{label}: KPI '{kpi_id}' has transform: log but a donor's or the "
                        "account's period value is zero or negative; use transform: none")
    return np.log(values)


def _cap_feasible(kpi_id: str, kept: int, cap: float | None) -> None:
    """DataError when comparison.max_weight is below what the kept donors allow: weights summing
    to 1 over J donors need a cap of 1/J, and the placebo test fits each donor against the
    other J - 1, so 1/(J - 1)."""
    if cap is None or cap * (kept - 1) >= 1:
        return
    least = 1 / (kept - 1)
    raise DataError(
        f"comparison.max_weight: {cap:g} is too small for KPI '{kpi_id}': with {kept} donor "
        f"accounts kept, the placebo test blends {kept - 1} of them, and weights that add up to "
        f"1 cannot all stay below {least:.3g}. Raise comparison.max_weight to at least "
        f"{math.ceil(least * 1000) / 1000:g}, or add donor accounts")


def _copies(values: np.ndarray, kept: list[str]) -> list[set[str]]:
    """[the donors whose series of this KPI is the account's own] (within 0.1% of its largest
    value in every period, so rounded exports count too) — [] when the account's series takes
    fewer than 3 values (a rare count's zeros and ones match other donors by chance). A donor
    that copies every such KPI is the account itself in the vendor's donor table."""
    account = values[-1]
    if len(np.unique(account)) < 3:
        return []
    scale = float(np.abs(account).max())
    same = np.abs(values[:-1] - account).max(axis=1) <= 1e-3 * scale
    return [{kept[j] for j in np.flatnonzero(same)}]


def left_out_counts(excluded: list[dict]) -> str:
    """The left-out donors counted by reason: '4 rolled out, 1 listed in comparison.exclude'."""
    return ", ".join(f"{n} {text}" for kind, text in KINDS.items()
                     if (n := sum(e["kind"] == kind for e in excluded)))


def _enough(kpi_id: str, kept: list[str], excluded: list[dict], missing: dict, least: int,
            label: str) -> None:
    """DataError when fewer than `least` donors are kept for a KPI, saying why the others went."""
    if len(kept) >= least:
        return
    gone = excluded + [{"donor": donor, "reason": reason, "kind": "missing"}
                       for donor, reason in missing.items()]
    why = left_out_counts(gone)
    if gone:
        why += " (e.g. " + "; ".join(f"{e['donor']}: {e['reason']}" for e in gone[:3]) + ")"
    raise DataError(
        f"{label}: only {len(kept)} donor account(s) kept for KPI '{kpi_id}', fewer than "
        f"comparison.min_donors ({least})" + (f"; left out: {why}" if why else "")
        + ". Add donor accounts, or lower comparison.min_donors")

