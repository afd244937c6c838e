"""The field types and checks that several sections of the definition share: points in time
(a date or an integer period), dates, the locale, and the error that names the key it is about.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BeforeValidator

#: A point in time as written by the analyst: a calendar date or an integer period (2024, 202431).
TimePoint = dt.date | int


def as_time_point(value: object) -> object:
    """YAML reads `2026-07-01` as a date and `2024` as an int; strings like "2026-07-01" are parsed."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"'{value}' is not a date (write YYYY-MM-DD) or an integer period"
            ) from None
    if isinstance(value, bool):
        raise ValueError("expected a date (YYYY-MM-DD) or an integer period")
    return value


Time = Annotated[TimePoint, BeforeValidator(as_time_point)]


def _as_date(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


Date = Annotated[dt.date, BeforeValidator(_as_date)]


class LocatedError(ValueError):
    """A cross-field error that knows which key it is about, so the loader can cite its line."""

    def __init__(self, loc: tuple[str | int, ...], message: str):
        super().__init__(message)
        self.loc = loc


def check_locale(value: str) -> str:
    """The locale if Babel knows it and the report has a complete catalogue for its language
    (a region variant such as de_AT uses its language's words with its own number, date and
    currency formats); ValueError naming it otherwise."""
    from babel import Locale, UnknownLocaleError

    try:  # language[_Script][_REGION] only: no '@' modifier, encoding or path (it names a folder)
        if not re.fullmatch(r"[a-z]{2,3}([_-][A-Z][a-z]{3})?([_-]([A-Z]{2}|[0-9]{3}))?", value):
            raise ValueError(value)
        language = Locale.parse(value.replace("-", "_")).language
    except (UnknownLocaleError, ValueError, TypeError):
        from valueproof.language.i18n import complete_languages

        raise ValueError(f"'{value}' is not a known locale; use a language and optional region "
                         f"such as en, pl, en_GB (languages: {', '.join(complete_languages())})"
                         ) from None
    if language == "en":  # the source text: nothing to read
        return value
    from valueproof.language.i18n import complete_languages, is_complete_language

    if not is_complete_language(language):  # reads only this language's catalogue
        complete = complete_languages()
        if language not in complete:
            raise ValueError(
                f"'{value}': the report has no complete translation into this language yet; "
                f"complete languages: {', '.join(complete)} (a region variant such as "
                f"{complete[-1]}_{complete[-1].upper()} uses its language's words)")
    return value
