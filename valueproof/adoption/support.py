"""Support tickets of a period, in total and by priority, in one SQL pass over `tickets`.

- opened per week: tickets opened in the period / (days in the period / 7);
- time to resolution: resolved - opened, in hours, of the tickets resolved in the period; the
  median and the 90th percentile interpolate linearly between ranks (numpy's default);
- backlog: tickets opened by the end of the period's last day and not resolved by then;
- within target: of the tickets opened in the period at least `TARGET_HOURS` before its end,
  the share resolved within `TARGET_HOURS` (the health score's support component).
"""

from __future__ import annotations

import datetime as dt

from valueproof.adoption.results import Period, Support, SupportLine

TARGET_HOURS = 72
#: Usual priority words, most urgent first; others follow in alphabetical order.
PRIORITY_ORDER = ("critical", "urgent", "p1", "highest", "high", "p2", "medium", "normal", "p3",
                  "low", "p4", "lowest")


def _lines(con, period: Period, by_priority: bool) -> list[SupportLine]:
    start = dt.datetime.combine(period.start, dt.time())
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time())  # exclusive
    group = "GROUP BY ROLLUP (p)" if by_priority else ""
    rows = con.execute(
        f"""SELECT {'grouping(p) = 1, p' if by_priority else 'true, NULL'},
            count(*) FILTER (WHERE o >= $start AND o < $end),
            count(*) FILTER (WHERE r >= $start AND r < $end),
            quantile_cont(date_diff('second', o, r) / 3600.0, [0.5, 0.9])
                FILTER (WHERE r >= $start AND r < $end),
            count(*) FILTER (WHERE o < $end AND (r IS NULL OR r >= $end)),
            count(*) FILTER (WHERE o >= $start AND o + INTERVAL {TARGET_HOURS} HOUR <= $end),
            count(*) FILTER (WHERE o >= $start AND o + INTERVAL {TARGET_HOURS} HOUR <= $end
                     AND r <= o + INTERVAL {TARGET_HOURS} HOUR)
        FROM tickets {group}""", {"start": start, "end": end}).fetchall()
    weeks = period.days / 7
    lines = []
    for total, priority, opened, resolved, quantiles, backlog, due, met in rows:
        median, p90 = quantiles if quantiles else (None, None)
        lines.append(SupportLine(None if total else (priority or "(none)"), opened,
                                 opened / weeks, resolved, median, p90, backlog, due,
                                 met / due if due else None))
    return lines


def _priority_rank(line: SupportLine) -> tuple:
    name = (line.priority or "").lower()
    return (PRIORITY_ORDER.index(name) if name in PRIORITY_ORDER else len(PRIORITY_ORDER), name)


def support(con, current: Period, previous: Period | None, has_priority: bool) -> Support:
    """Tickets of the current period (in total and by priority) and of the previous one (None:
    none to compare with)."""
    lines = _lines(con, current, has_priority)
    total = next(line for line in lines if line.priority is None)
    by_priority = sorted((line for line in lines if line.priority is not None), key=_priority_rank)
    before = _lines(con, previous, False)[0] if previous is not None else None
    return Support(TARGET_HOURS, total, before, by_priority)
