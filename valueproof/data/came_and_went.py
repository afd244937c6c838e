"""Units whose rows stop (or start) long before the data's edge while the others go on.

On the full grid such a unit's empty periods count as zeros; if it really left (an agent who
quit) or joined late, they are not zeros but absence, and only a roster (`data.roster`) can say
so. The sign is a run of empty periods at the start or end of the data that the unit's own rows
make unlikely. If a unit's n rows were spread over time as the other units' of its group are
(the same seasons, the same partial periods), the chance that none of them falls in the last m
periods is (1 - s)^n, s being the share of the others' rows in those periods (exact, given n).
A unit is named when that chance (or the same for the first m periods) is below `ALPHA` — or
below 5% / (2 x units) with many units — the run is at least 2 periods long, and it reaches
into the compared windows. Sparse units that left cannot be told from quiet ones this way: a
roster is the only sure way.
"""

from __future__ import annotations

import datetime as dt
import numpy as np

from valueproof.data.findings import Finding
from valueproof.data.panel import period_end, period_start

ALPHA = 0.001
EPOCH = dt.date(1970, 1, 1)


def _period_starts(first: int, last: int, period: str, time_kind: str) -> np.ndarray:
    """Every period start from the one holding day (or period) `first` to `last`."""
    if time_kind != "date":
        return np.arange(first, last + 1, dtype=np.int64)
    start = period_start(EPOCH + dt.timedelta(days=first), period)
    end = EPOCH + dt.timedelta(days=last)
    starts = []
    while start <= end:
        starts.append((start - EPOCH).days)
        start = period_end(start, period) + dt.timedelta(days=1)
    return np.array(starts, dtype=np.int64)


def came_and_went(experiment, time_kind: str, names: list[str], candidates: np.ndarray,
                  grid_first: int | None, grid_last: int | None, totals: list[str],
                  cells: dict) -> list:
    """A warning naming how many of the units `candidates` (a mask over `names`, the codes of
    `unit_codes`) look as if they came or went; `grid_first`, `grid_last`: the first and last
    period start of the compared windows (day numbers, or periods); `cells`: arrays of the
    cells of every unit with a group, in and out of the windows, by unit code, period and
    window (`code`, `treated`, `p` its period, `n` rows, `first` and `last` day: day numbers,
    or periods)."""
    count = int(candidates.sum())
    if count == 0 or grid_first is None:
        return []
    period = experiment.analysis.period
    code = np.asarray(cells["code"], np.int64)
    if len(code) == 0:
        return []
    starts = _period_starts(int(np.min(cells["first"])), int(np.max(cells["last"])), period,
                            time_kind)
    index = np.searchsorted(starts, np.asarray(cells["p"], np.int64))
    n_units, n_periods = len(names), len(starts)
    rows = np.asarray(cells["n"], float)
    arm = np.zeros(n_units, bool)
    arm[code] = np.asarray(cells["treated"], bool)
    n = np.bincount(code, rows, n_units)
    first_busy = np.full(n_units, n_periods - 1)
    last_busy = np.zeros(n_units, np.int64)
    np.minimum.at(first_busy, code, index)
    np.maximum.at(last_busy, code, index)
    # the rows of the unit's group per period; the others' are these less its own, which all
    # fall between its first and last period with rows
    by_arm = {flag: np.bincount(index[arm[code] == flag], rows[arm[code] == flag], n_periods)
              for flag in (False, True)}
    through = {flag: np.cumsum(by_arm[flag]) for flag in by_arm}
    group_total = np.where(arm, through[True][-1], through[False][-1])
    total = group_total - n
    lead_share = np.where(arm, through[True][first_busy] - by_arm[True][first_busy],
                          through[False][first_busy] - by_arm[False][first_busy])
    trail_share = group_total - np.where(arm, through[True][last_busy],
                                         through[False][last_busy])
    alpha = min(ALPHA, 0.05 / (2 * count))
    usable = candidates & (n > 0) & (total > 0)
    flagged = np.zeros(n_units, bool)
    which = {}
    for side, gap, share, inside in (
            ("trail", n_periods - 1 - last_busy, trail_share, starts[last_busy] < grid_last),
            ("lead", first_busy, lead_share, starts[first_busy] > grid_first)):
        with np.errstate(divide="ignore", invalid="ignore"):
            chance = np.exp(n * np.log1p(-np.clip(share / np.where(total > 0, total, 1), 0,
                                                  1 - 1e-12)))
        hit = usable & (gap >= 2) & inside & (chance < alpha)
        for unit in np.flatnonzero(hit & ~flagged):
            which[unit] = side
        flagged |= hit
    if not flagged.any():
        return []
    first_day = np.full(n_units, np.iinfo(np.int64).max)
    last_day = np.full(n_units, np.iinfo(np.int64).min)
    np.minimum.at(first_day, code, np.asarray(cells["first"], np.int64))
    np.maximum.at(last_day, code, np.asarray(cells["last"], np.int64))
    unit = int(np.flatnonzero(flagged)[0])
    shown = lambda day: str(EPOCH + dt.timedelta(days=int(day))) if time_kind == "date" \
        else str(int(day))  # noqa: E731
    example = (f"'{names[unit]}': no rows after {shown(last_day[unit])}" if which[unit] == "trail"
               else f"'{names[unit]}': no rows before {shown(first_day[unit])}")
    units = int(flagged.sum())
    return [Finding(
        "units_came_and_went",
        f"{units} unit(s) have no rows for a long stretch at the start or end of the data while "
        f"the others go on (e.g. {example}); in {', '.join(totals)} those periods count as zeros "
        "— if the units joined or left then, give their active dates in data.roster",
        params={"units": units, "example": example})]
