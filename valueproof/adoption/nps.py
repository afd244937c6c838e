"""Net Promoter Score with its interval, and its change between two periods.

NPS = 100 x (p - d), p and d the shares of promoters (answers 9-10) and detractors (0-6) among
the n answers of the period. Treating each answer as one multinomial draw (promoter, passive,
detractor), Var(p - d) = (p + d - (p - d)^2) / n; the 95% interval is NPS +/- 1.96 x 100 x its
square root (cut to -100..100). The change between two periods of independent answers has the
variance of the two added. Under `CAUTION_N` answers the interval is wide and the report says so.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from valueproof.adoption.results import NPS, NPSPeriod, Period

CAUTION_N = 30
Z = NormalDist().inv_cdf(0.975)
TALLY = ("count(*) FILTER (WHERE s >= 9), count(*) FILTER (WHERE s BETWEEN 7 AND 8), "
         "count(*) FILTER (WHERE s <= 6)")


def nps_interval(promoters: int, passives: int, detractors: int
                 ) -> tuple[float | None, float | None, float | None, float | None]:
    """(score, standard error, ci_low, ci_high) in NPS points; Nones without answers."""
    n = promoters + passives + detractors
    if n == 0:
        return None, None, None, None
    p, d = promoters / n, detractors / n
    score = 100 * (p - d)
    se = 100 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
    return score, se, max(-100.0, score - Z * se), min(100.0, score + Z * se)


def counts(con, period: Period) -> tuple[int, int, int]:
    """(promoters, passives, detractors) among the answers dated within the period."""
    return con.execute(f"SELECT {TALLY} FROM nps WHERE d BETWEEN ? AND ?",
                       [period.start, period.end]).fetchone()


def _period(period: Period, tally: tuple[int, int, int]) -> NPSPeriod:
    score, _, low, high = nps_interval(*tally)
    return NPSPeriod(period.quarter, period.start, period.end, score, sum(tally), low, high)


def nps(con, current: Period, previous: Period) -> NPS:
    """NPS of the current period with its interval, the previous period's, and the change."""
    now, before = counts(con, current), counts(con, previous)
    score, se, low, high = nps_interval(*now)
    old_score, old_se, _, _ = nps_interval(*before)
    n = sum(now)
    change = change_low = change_high = None
    if score is not None and old_score is not None:
        change = score - old_score
        spread = Z * math.sqrt(se ** 2 + old_se ** 2)
        change_low, change_high = change - spread, change + spread
    months = con.execute(
        f"SELECT CAST(date_trunc('month', d) AS DATE), {TALLY} FROM nps "
        "WHERE d BETWEEN ? AND ? GROUP BY 1 ORDER BY 1", [previous.start, current.end]).fetchall()
    by_month = [{"month": month, "n": a + b + c, "score": nps_interval(a, b, c)[0]}
                for month, a, b, c in months]
    share = (lambda k: k / n if n else None)
    return NPS(score, n, now[0], now[1], now[2], share(now[0]), share(now[1]), share(now[2]),
               se, low, high, n < CAUTION_N, _period(current, now),
               _period(previous, before), change, change_low, change_high, by_month)
