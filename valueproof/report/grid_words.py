"""The data-quality sentences about the grid that counts and sums are read on (units without
rows, units that seem to come and go) and about `data.roster`, in the reader's language."""

from __future__ import annotations


def finding_texts(words, params: dict, number, count) -> dict:
    """kind -> a function giving the finding's sentence; `number(key)` formats a parameter,
    `count(key)` gives it as an integer for the plural form."""
    return {
        "units_without_rows": lambda: words.plural(
            "%(units)s unit has no rows in the compared periods; its counts and sums were "
            "taken as zero.", "%(units)s units have no rows in the compared periods; their "
            "counts and sums were taken as zero.", count("units"), units=number("units")),
        "units_came_and_went": lambda: words.plural(
            "%(units)s unit has no rows for a long stretch at the start or end of the data "
            "while the others go on; those periods were counted as zero, though it may have "
            "joined or left.", "%(units)s units have no rows for a long stretch at the start or "
            "end of the data while the others go on; those periods were counted as zero, though "
            "they may have joined or left.", count("units"), units=number("units")),
        "roster_unknown_units": lambda: words.plural(
            "%(units)s unit listed in the roster %(file)s is not part of this experiment and "
            "was ignored.", "%(units)s units listed in the roster %(file)s are not part of this "
            "experiment and were ignored.", count("units"), units=number("units"),
            file=params.get("file", "")),
        "rows_outside_roster": lambda: words.plural(
            "%(rows)s row falls outside its unit's active dates in the roster; it was used as "
            "it is.", "%(rows)s rows fall outside their units' active dates in the roster; they "
            "were used as they are.", count("rows"), rows=number("rows")),
    }
