"""Words for a goal reached but not yet confirmed, and for the first quarter with the product, in
the reader's language (the scorecard, the context and adoption.py call these; the rest of the
report's words are theirs).

- A goal is `achieved` only when the whole likely range lies past its target; when the estimate
  is past it but the range is not (or, with several KPIs, the change could still be chance), it
  is "Reached, not yet confirmed": its own badge (an outlined green, "✓?"), a note under it in
  the scorecard saying why, never among the goals counted as achieved on page 2, and in the plan
  with "gather more evidence to confirm it" as its default step.
- In the first quarter with the product (the quarter before it ended before the product
  started) the health score, NPS and the other adoption figures are not compared with an earlier
  quarter: the report says "first quarter with the product" where it would say "up 47 since Q2".
"""

from __future__ import annotations

from valueproof.adoption.results import FIRST_QUARTER
from valueproof.value.plan import awaits_confirmation

UNCONFIRMED = "reached_unconfirmed"
UNCONFIRMED_SYMBOL = "✓?"


def unconfirmed_label(words) -> str:
    return words("Reached, not yet confirmed")


def goal_note(words, criterion) -> str | None:
    """The line under a goal's badge saying why a goal that is reached is not achieved."""
    if criterion.status != UNCONFIRMED:
        return None
    if criterion.bound_beyond:  # the range is past the target, the change not significant
        return words("tested together with the other KPIs, the change could still be chance")
    return words("likely range still includes the target")


def unconfirmed_sentence(words, rows: list[dict]) -> str | None:
    """Page 2's count of the goals reached but not confirmed, after the goals achieved."""
    count = sum(row["status"] == UNCONFIRMED for row in rows)
    if not count:
        return None
    return words.plural("%(n)s more is reached, but not yet confirmed.",
                        "%(n)s more are reached, but not yet confirmed.", count,
                        n=words.fmt.fixed(count, 0))


def plan_why(words, item, change: str) -> str | None:
    """Why an improved KPI whose goals only await confirmation is in the plan (None for the
    others: the scorecard words them)."""
    if not awaits_confirmation(item):
        return None
    return words.plural("Improved (%(change)s): its goal is reached, but not yet confirmed",
                        "Improved (%(change)s): its goals are reached, but not yet confirmed",
                        len(item.goals), change=change)


def default_actions(words) -> dict[str, str]:
    """The plan's default step for a goal reached but not yet confirmed."""
    return {"confirm_goal": words("Together: measure for longer or add units to confirm the "
                                  "goal.")}


def first_quarter(words, adoption) -> dict | None:
    """The words for a first quarter with the product (None when there is an earlier quarter
    to compare with): `short` for page 2, `sentence` where a change would be, `as_of` for the
    adoption section's first line."""
    if adoption is None or adoption.previous_reason != FIRST_QUARTER:
        return None
    fmt = words.fmt
    start = fmt.date(adoption.product_start, "medium")
    return {
        "short": words("first quarter with the product"),
        "sentence": words("First quarter with the product (since %(date)s): there is no earlier "
                          "quarter to compare with.", date=start),
        "as_of": words("Counted up to %(date)s; %(quarter)s is the first quarter with the "
                       "product (since %(start)s), so nothing is compared with an earlier "
                       "quarter.", date=fmt.date(adoption.as_of, "medium"),
                       quarter=fmt.quarter(adoption.period.quarter), start=start),
    }
