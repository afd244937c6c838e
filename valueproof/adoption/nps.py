"""Net Promoter Score with its interval, and its change between two periods.

NPS = 100 x (p - d), p and d the shares of promoters (answers 9-10) and detractors (0-6) among
the n answers of the period: the score shown is always this raw one.

Its 95% interval is the adjusted Wald interval of Rocks (2016, "Interval estimation for the
'Net Promoter Score'", The American Statistician 70(4)): add 3/4 to the promoters and 3/4 to the
detractors (3/2 to the passives), so n' = n + 3, p' = (promoters + 3/4) / n',
d' = (detractors + 3/4) / n', and

    100 x (p' - d')  +/-  z x 100 x sqrt((p' + d' - (p' - d')^2) / n')

cut to -100..100. The plain Wald interval (the same without the additions) covers far less than
95% near the ends of the scale (76% at 95/4/1 with 50 answers) and is zero-wide when every
answer is a promoter; the adjusted one covers 93-97% from 95/4/1 to 30/30/40 at 30, 50 and 200
answers (tests/adoption/test_nps_interval.py enumerates every outcome). The interval is centred on the
adjusted score, so it is not symmetric around the raw one.

The change between two periods of independent answers: the difference of the raw scores, and
the same adjustment in each period, 100 x ((p1' - d1') - (p0' - d0')) +/- z x 100 x
sqrt(v1' + v0'), each v' the variance above (cut to -200..200). Under `CAUTION_N` answers the
interval is wide and the report says so.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from valueproof.adoption.results import FIRST_QUARTER, NPS, NPSPeriod, Period

CAUTION_N = 30
Z = NormalDist().inv_cdf(0.975)
ADDED = 0.75  # Rocks' adjustment: added to the promoters and to the detractors
ADDED_ANSWERS = 3  # in all (3/2 to the passives)
TALLY = ("count(*) FILTER (WHERE s >= 9), count(*) FILTER (WHERE s BETWEEN 7 AND 8), "
         "count(*) FILTER (WHERE s <= 6)")


def adjusted(promoters: int, passives: int, detractors: int) -> tuple[float, float]:
    """(adjusted score, its variance) on the -1..1 scale: Rocks' adjusted Wald."""
    n = promoters + passives + detractors + ADDED_ANSWERS
    p, d = (promoters + ADDED) / n, (detractors + ADDED) / n
    return p - d, max(p + d - (p - d) ** 2, 0.0) / n


def nps_interval(promoters: int, passives: int, detractors: int
                 ) -> tuple[float | None, float | None, float | None, float | None]:
    """(score, standard error, ci_low, ci_high) in NPS points, the score raw and the interval
    the adjusted Wald one (its standard error is the adjusted one); Nones without answers."""
    n = promoters + passives + detractors
    if n == 0:
        return None, None, None, None
    score = 100 * (promoters - detractors) / n
    centre, variance = adjusted(promoters, passives, detractors)
    se = 100 * math.sqrt(variance)
    return (score, se, max(-100.0, 100 * centre - Z * se), min(100.0, 100 * centre + Z * se))


def change_interval(now: tuple[int, int, int], before: tuple[int, int, int]
                    ) -> tuple[float | None, float | None, float | None]:
    """(change, ci_low, ci_high) in NPS points between two periods of independent answers: the
    raw scores' difference, the interval from the adjusted scores and variances."""
    if not sum(now) or not sum(before):
        return None, None, None
    change = 100 * ((now[0] - now[2]) / sum(now) - (before[0] - before[2]) / sum(before))
    (centre_now, var_now), (centre_before, var_before) = adjusted(*now), adjusted(*before)
    centre = 100 * (centre_now - centre_before)
    spread = Z * 100 * math.sqrt(var_now + var_before)
    return change, max(-200.0, centre - spread), min(200.0, centre + spread)


def counts(con, period: Period) -> tuple[int, int, int]:
    """(promoters, passives, detractors) among the answers dated within the period."""
    return con.execute(f"SELECT {TALLY} FROM nps WHERE d BETWEEN ? AND ?",
                       [period.start, period.end]).fetchone()


def _period(period: Period, tally: tuple[int, int, int]) -> NPSPeriod:
    score, _, low, high = nps_interval(*tally)
    return NPSPeriod(period.quarter, period.start, period.end, score, sum(tally), low, high)


def nps(con, current: Period, previous: Period | None) -> NPS:
    """NPS of the current period with its interval, the previous period's, and the change.
    Without a previous period (None: it ended before the product started) there is no change,
    and the months are the current period's only."""
    now = counts(con, current)
    before = counts(con, previous) if previous is not None else None
    score, se, low, high = nps_interval(*now)
    n = sum(now)
    change, change_low, change_high = (change_interval(now, before) if before is not None
                                       else (None, None, None))
    months = con.execute(
        f"SELECT CAST(date_trunc('month', d) AS DATE), {TALLY} FROM nps "
        "WHERE d BETWEEN ? AND ? GROUP BY 1 ORDER BY 1",
        [(previous or current).start, current.end]).fetchall()
    by_month = [{"month": month, "n": a + b + c, "score": nps_interval(a, b, c)[0]}
                for month, a, b, c in months]
    share = (lambda k: k / n if n else None)
    return NPS(score, n, now[0], now[1], now[2], share(now[0]), share(now[1]), share(now[2]),
               se, low, high, n < CAUTION_N, _period(current, now),
               None if previous is None else _period(previous, before), change, change_low,
               change_high, by_month, None if previous is not None else FIRST_QUARTER)
