"""Active users, utilisation, weekly actives, stickiness, features, training, first 90 days.

Every count is of distinct users, in SQL over the `usage` table (one row per user, day and
feature; see `load`). Definitions (docs/user-guide/adoption.md repeats them):

- active users at a date: users with at least one use in the 28 days ending on that date
  (both ends included);
- utilisation: active users / licences;
- weekly active users: distinct users with a use from Monday to Sunday; a week belongs to the
  quarter its Thursday falls in (as ISO 8601 weeks belong to years), and only weeks that ended
  by the as-of date count;
- stickiness: the average number of distinct users per day over the same 28 days (days without
  use count as 0) divided by the active users;
- feature share: the active users who used a feature in the 28 days / the active users;
- training completion: users who completed it by the date / licences (with a licence list, the
  listed users who completed it / the list), else of the active users, else of the users in the
  training file;
- time to first value: days from `onboarded_on` until `FIRST_VALUE_SHARE` of the licences had
  used the product at least once since onboarding.
"""

from __future__ import annotations

import datetime as dt

from valueproof.adoption.results import (
    ActivationPoint,
    FeatureUse,
    FirstDays,
    Period,
    Training,
    TrainingPoint,
    WeekActive,
)

WINDOW_DAYS = 28
FIRST_VALUE_SHARE = 0.5  # time to first value: days until half the licences were active
FIRST_DAYS = 90
SHOWN_FEATURES = 10  # without a `features` list: the most used values of the feature column


def window(at: dt.date) -> tuple[dt.date, dt.date]:
    """The 28 days ending at `at`, both included."""
    return at - dt.timedelta(days=WINDOW_DAYS - 1), at


def licence_count(con, licences, at: dt.date) -> int | None:
    """Seats bought at `at`: the number written, the licence list's users, or the seat column's
    largest value on the last day with one on or before `at`."""
    if licences is None:
        return None
    if licences.count is not None:
        return licences.count
    if licences.listed:
        return con.execute("SELECT count(*) FROM licensed").fetchone()[0]
    seats = con.execute(
        "SELECT max(seats) FROM usage WHERE seats IS NOT NULL AND d = (SELECT max(d) FROM usage "
        "WHERE seats IS NOT NULL AND d <= ?)", [at]).fetchone()[0]
    return None if seats is None else round(seats)


def active_users(con, at: dt.date) -> int:
    return con.execute("SELECT count(DISTINCT u) FROM usage WHERE d BETWEEN ? AND ?",
                       list(window(at))).fetchone()[0]


def daily_active_mean(con, at: dt.date) -> float:
    """Average distinct users per day over the 28 days ending at `at` (idle days count as 0)."""
    total = con.execute("SELECT coalesce(sum(users), 0) FROM (SELECT count(DISTINCT u) AS users "
                        "FROM usage WHERE d BETWEEN ? AND ? GROUP BY d)",
                        list(window(at))).fetchone()[0]
    return total / WINDOW_DAYS


def weekly_active(con, previous: Period | None, current: Period,
                  as_of: dt.date) -> list[WeekActive]:
    """Users per whole week of the previous (None: none) and the current quarter, up to
    `as_of`."""
    first = (previous or current).start
    thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7)
    mondays = []
    while thursday <= current.end and thursday + dt.timedelta(days=3) <= as_of:
        mondays.append(thursday - dt.timedelta(days=3))
        thursday += dt.timedelta(days=7)
    if not mondays:
        return []
    counts = dict(con.execute(
        "SELECT CAST(date_trunc('week', d) AS DATE), count(DISTINCT u) FROM usage "
        "WHERE d BETWEEN ? AND ? GROUP BY 1",
        [mondays[0], mondays[-1] + dt.timedelta(days=6)]).fetchall())
    return [WeekActive(m, counts.get(m, 0), current.quarter
                       if m + dt.timedelta(days=3) >= current.start else previous.quarter)
            for m in mondays]


def mean_users(weeks: list[WeekActive], quarter: str) -> float | None:
    values = [w.users for w in weeks if w.quarter == quarter]
    return sum(values) / len(values) if values else None


def features(con, listed, at: dt.date, active: int) -> tuple[list[FeatureUse], list[str]]:
    """Share of the active users who used each feature; and the listed features that never
    occur in the usage data (a typo, or a feature nobody uses: the finding says which)."""
    used = dict(con.execute(
        "SELECT f, count(DISTINCT u) FROM usage WHERE f IS NOT NULL AND d BETWEEN ? AND ? "
        "GROUP BY f", list(window(at))).fetchall())
    share = (lambda n: n / active if active else None)
    if listed:
        rows = [FeatureUse(f.id, f.display_label, used.get(f.id, 0), share(used.get(f.id, 0)))
                for f in listed]
        seen = {r[0] for r in con.execute("SELECT DISTINCT f FROM usage").fetchall()}
        missing = [f.id for f in listed if f.id not in seen]
        return rows, missing
    top = sorted(used.items(), key=lambda item: (-item[1], item[0]))[:SHOWN_FEATURES]
    return [FeatureUse(f, f, n, share(n)) for f, n in top], []


def unlicensed(con, licences, active: int | None, seats: int | None, as_of: dt.date) -> str | None:
    """A finding when the usage shows more users than licences allow."""
    if licences is None:
        return None
    if licences.listed:
        users, example = con.execute(
            "SELECT count(DISTINCT u), min(u) FROM usage WHERE u NOT IN (SELECT u FROM licensed)"
        ).fetchone()
        if users:
            return (f"{users:,} user(s) in the usage data are not on the licence list (e.g. "
                    f"'{example}'); they count as active users — check the list or the user IDs")
        return None
    if seats is not None and active is not None and active > seats:
        return (f"{active:,} users were active in the 28 days to {as_of} but {seats:,} seats "
                "were bought: utilisation is above 100% — check the licences or shared logins")
    return None


def _completion(con, basis: str, at: dt.date, seats: int | None) -> tuple[int, int]:
    """(completed, base) at date `at` on the given basis."""
    if basis == "list":
        return con.execute(
            "SELECT count(*) FILTER (WHERE t.c <= ?), count(*) FROM licensed l "
            "LEFT JOIN training t USING (u)", [at]).fetchone()
    if basis == "licences":
        done = con.execute("SELECT count(*) FILTER (WHERE c <= ?) FROM training", [at])
        return done.fetchone()[0], seats
    if basis == "active_users":
        return con.execute(
            "SELECT count(*) FILTER (WHERE t.c <= ?), count(*) FROM (SELECT DISTINCT u FROM usage "
            "WHERE d BETWEEN ? AND ?) a LEFT JOIN training t USING (u)",
            [at, *window(at)]).fetchone()
    return con.execute("SELECT count(*) FILTER (WHERE c <= ?), count(*) FROM training",
                       [at]).fetchone()


def _month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    points, month = [], dt.date(start.year, start.month, 1)
    while True:
        following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        last = following - dt.timedelta(days=1)
        if last >= end:
            return points + [end]
        points.append(last)
        month = following


def training(con, licences, has_usage: bool, previous: Period | None, as_of: dt.date,
             current: Period | None = None) -> Training:
    """Completion at the as-of date, at the end of the previous quarter, and at each month end
    in between (the base at each date as at that date). Without a previous quarter to compare
    with (None: it ended before the product started), no change and month ends from the start
    of `current`."""
    basis = ("list" if licences is not None and licences.listed else
             "licences" if licences is not None else
             "active_users" if has_usage else "trainees")

    def point(at: dt.date) -> TrainingPoint:
        seats = licence_count(con, licences, at) if basis == "licences" else None
        completed, base = _completion(con, basis, at, seats)
        base = base or 0
        return TrainingPoint(at, completed, base, completed / base if base else None)

    now = point(as_of)
    before = point(previous.end) if previous is not None else None
    trend = [point(at) for at in _month_ends((previous or current).start, as_of)]
    active_share = None
    if has_usage:
        done, active = _completion(con, "active_users", as_of, None)
        active_share = done / active if active else None
    then = before.share if before is not None else None
    change = now.share - then if now.share is not None and then is not None else None
    return Training(now.completed, now.base, "licences" if basis == "list" else basis, now.share,
                    active_share, then, change, trend)


def first_days(con, onboarded_on: dt.date, seats: int | None, as_of: dt.date) -> FirstDays:
    """The activation curve from onboarding (users who had used it at least once since) and the
    days until `FIRST_VALUE_SHARE` of the licences had."""
    last = min(FIRST_DAYS, (as_of - onboarded_on).days)
    firsts = dict(con.execute(
        "SELECT f, count(*) FROM (SELECT min(d) AS f FROM usage WHERE d BETWEEN ? AND ? "
        "GROUP BY u) GROUP BY f", [onboarded_on, as_of]).fetchall())
    curve, users, reached = [], 0, None
    for day in range(last + 1):
        date = onboarded_on + dt.timedelta(days=day)
        users += firsts.get(date, 0)
        share = users / seats if seats else None
        curve.append(ActivationPoint(day, date, users, share))
    # Beyond the curve's 90 days the goal may still be reached later: look at all days.
    if seats:
        users = 0
        for date in sorted(firsts):
            users += firsts[date]
            if users >= FIRST_VALUE_SHARE * seats:
                reached = date
                break
    days_since = (as_of - onboarded_on).days
    return FirstDays(onboarded_on, days_since, 0 <= days_since <= FIRST_DAYS, FIRST_VALUE_SHARE,
                     (reached - onboarded_on).days if reached else None, reached, curve)
