"""Raw columns as the analysis needs them: dates (or integer periods) and numbers, in SQL.

Spreadsheet habits are read, not guessed: empty cells, NA and NaN are missing; true/false and
yes/no are 1/0; a decimal comma is read when `data.decimal` says so. Dates must be ISO
(YYYY-MM-DD) or follow `data.date_format`; when they are not, the error says which format the
values suggest (day-first, month-first, or ambiguous: both offered) or that they are Excel's
serial day numbers.
"""

from __future__ import annotations

import datetime as dt
import re

from valueproof.data.sqltext import literal, quote
from valueproof.errors import DataError

INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                 "UINTEGER", "UBIGINT"}
NUMERIC_PREFIXES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                    "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL", "BOOLEAN")
#: Text that means "no value" in a numeric column (compared lower-cased, trimmed).
MISSING_MARKERS = ("", "na", "nan", "null")
TRUE_WORDS, FALSE_WORDS = ("true", "yes"), ("false", "no")
#: Excel counts days from 1899-12-30; 20,000-80,000 are the years 1954-2119.
EXCEL_EPOCH, EXCEL_SERIALS = dt.date(1899, 12, 30), (20_000, 80_000)
DAY_MONTH = r"^(\d{1,2})([./-])(\d{1,2})[./-](\d{2}|\d{4})(\s+\d{1,2}:\d{2}(:\d{2})?)?$"


def present_text(col: str) -> str:
    """A column as trimmed text, NULL when empty."""
    return f"NULLIF(trim(CAST({col} AS VARCHAR)), '')"


def not_missing(col: str) -> str:
    """SQL condition: the cell holds something other than a missing marker."""
    markers = ", ".join(literal(m) for m in MISSING_MARKERS)
    return f"({col} IS NOT NULL AND lower(trim(CAST({col} AS VARCHAR))) NOT IN ({markers}))"


def numeric_from_text(col: str, decimal: str) -> str:
    """SQL turning text into a number: missing markers become NULL, true/false and yes/no 1/0,
    and with `decimal` ',' a decimal comma is read as a point."""
    text = present_text(col)
    number = f"replace({text}, ',', '.')" if decimal == "," else text
    return (f"CASE WHEN lower({text}) IN ({', '.join(literal(m) for m in MISSING_MARKERS[1:])}) "
            f"THEN NULL WHEN lower({text}) IN {TRUE_WORDS} THEN 1.0 "
            f"WHEN lower({text}) IN {FALSE_WORDS} THEN 0.0 ELSE TRY_CAST({number} AS DOUBLE) END")


def decimal_comma_hint(example: str | None, decimal: str) -> str:
    if decimal == "." and example and re.fullmatch(r"\s*[+-]?\d+,\d+\s*", example):
        return (f"; '{example.strip()}' looks like a number with a decimal comma: set "
                "data.decimal: \",\" (and data.delimiter: \";\" if the file separates fields with ;)")
    return ""


def excel_serial_hint(con, col: str, example: object = None) -> str:
    """A hint when a date column holds numbers in the range of Excel's serial day numbers."""
    if example is None:
        low, high, example = con.execute(
            f"SELECT min(TRY_CAST({col} AS DOUBLE)), max(TRY_CAST({col} AS DOUBLE)), "
            f"any_value({col}) FROM raw").fetchone()
    else:
        try:
            low = high = float(str(example))
        except ValueError:
            return ""
    if low is None or not (EXCEL_SERIALS[0] <= low and high <= EXCEL_SERIALS[1]):
        return ""
    day = EXCEL_EPOCH + dt.timedelta(days=int(float(example)))
    return (f"; values like {example} look like Excel serial day numbers ({int(float(example))} is "
            f"{day.isoformat()}): format the column as dates in Excel (Format Cells → Date) "
            "before exporting, or write the dates as YYYY-MM-DD")


def date_format_hint(con, col: str) -> str | None:
    """When no value of a text date column is ISO but all look like dd/mm/yyyy or mm/dd/yyyy:
    the `data.date_format` to set. Ambiguous data (both parts ≤ 12) get both formats offered —
    valueproof never guesses which part is the day."""
    iso = f"COALESCE(TRY_CAST({col} AS DATE), CAST(TRY_CAST({col} AS TIMESTAMP) AS DATE))"
    text = present_text(col)
    total, iso_count, matching, first, second, sep, year, clock, example = con.execute(
        f"SELECT count({text}), count({iso}), count_if(regexp_matches({text}, {literal(DAY_MONTH)})), "
        f"max(TRY_CAST(regexp_extract({text}, {literal(DAY_MONTH)}, 1) AS INTEGER)), "
        f"max(TRY_CAST(regexp_extract({text}, {literal(DAY_MONTH)}, 3) AS INTEGER)), "
        f"any_value(regexp_extract({text}, {literal(DAY_MONTH)}, 2)), "
        f"max(length(regexp_extract({text}, {literal(DAY_MONTH)}, 4))), "
        f"max(regexp_extract({text}, {literal(DAY_MONTH)}, 5)), any_value({text}) FROM raw"
    ).fetchone()
    if not total or iso_count or matching < total:
        return None
    year_code = "%Y" if year == 4 else "%y"
    time_code = "" if not clock else (" %H:%M:%S" if clock.count(":") == 2 else " %H:%M")
    day_first = f"%d{sep}%m{sep}{year_code}{time_code}"
    month_first = f"%m{sep}%d{sep}{year_code}{time_code}"
    if first > 12 and second > 12:
        return (f"holds dates like '{example}' written both day-first and month-first; make them "
                "consistent (YYYY-MM-DD is safest)")
    if first > 12:
        return f"holds day-first dates like '{example}': set data.date_format: '{day_first}'"
    if second > 12:
        return f"holds month-first dates like '{example}': set data.date_format: '{month_first}'"
    return (f"holds dates like '{example}', which read both day-first and month-first (no day is "
            f"above 12), and valueproof does not guess: set data.date_format: '{day_first}' "
            f"(day first) or '{month_first}' (month first)")


def time_expression(con, column: str, sql_type: str, rollout, label: str,
                    date_format: str | None) -> str:
    """SQL turning the time column into a DATE (when `rollout` is a date) or a BIGINT period;
    DataError when any non-empty value does not convert."""
    col = quote(column)
    if isinstance(rollout, dt.date):
        if sql_type == "DATE":
            return col
        if sql_type.startswith("TIMESTAMP"):
            return f"CAST({col} AS DATE)"
        if sql_type.startswith(NUMERIC_PREFIXES) and not date_format:
            raise DataError(
                f"{label}: column '{column}' holds "
                f"{'integer periods' if sql_type in INTEGER_TYPES else 'numbers'} but 'rollout' is a date"
                + (excel_serial_hint(con, col) or
                   "; write rollout (and pre/post) as integer periods, or give a date column")
            )
        if date_format:
            expr = f"CAST(try_strptime(CAST({col} AS VARCHAR), {literal(date_format)}) AS DATE)"
            kind = f"a date written as data.date_format '{date_format}'"
        else:
            # through trim(): DuckDB pushes a bare TRY_CAST into the CSV reader, which then
            # fails on the first value that does not convert instead of giving NULL
            text = f"trim(CAST({col} AS VARCHAR))"
            # a value with a time ('…T23:30:00+00:00') through TIMESTAMPTZ: its offset counts, in
            # the pinned data.timezone (a time without one is taken as written); a DATE cast
            # would keep the written day and drop the offset
            expr = (f"CASE WHEN length({text}) > 10 THEN COALESCE(CAST(TRY_CAST({text} AS "
                    f"TIMESTAMPTZ) AS DATE), TRY_CAST({text} AS DATE)) ELSE TRY_CAST({text} AS DATE) "
                    "END")
            kind = "a date (YYYY-MM-DD)"
    else:
        if sql_type in INTEGER_TYPES:
            return f"CAST({col} AS BIGINT)"
        if sql_type == "DATE" or sql_type.startswith("TIMESTAMP"):
            raise DataError(
                f"{label}: column '{column}' holds dates but 'rollout' is an integer period; "
                "write rollout as a date (YYYY-MM-DD)"
            )
        expr = f"TRY_CAST(trim(CAST({col} AS VARCHAR)) AS BIGINT)"  # trim(): see above
        kind = "an integer period"
    count, example = unparseable(con, col, expr)
    if count:
        if kind == "a date (YYYY-MM-DD)":
            hint = date_format_hint(con, col)
            if hint:
                raise DataError(f"{label}: column '{column}' {hint}")
            fix = ("write dates as YYYY-MM-DD, or set data.date_format (e.g. '%d/%m/%Y')"
                   + excel_serial_hint(con, col, example))
        else:
            fix = ("fix those values, or data.date_format" if kind.startswith("a date")
                   else "write whole numbers")
        raise DataError(f"{label}: column '{column}' has {count} value(s) that are not {kind} "
                        f"(e.g. '{example}'); {fix}")
    return expr


def unparseable(con, col: str, expr: str) -> tuple[int, str | None]:
    """How many non-empty values of `col` the conversion `expr` turns into NULL, and one."""
    return con.execute(
        f"SELECT count(*), any_value(CAST({col} AS VARCHAR)) FROM raw "
        f"WHERE {not_missing(col)} AND {expr} IS NULL"
    ).fetchone()


def numeric_expression(con, column: str, sql_type: str, label: str, decimal: str) -> str:
    """SQL for a KPI column as numbers; NaN, NA and empty cells are missing (NULL), true/false
    and yes/no are 1/0."""
    col = quote(column)
    if sql_type.startswith(("FLOAT", "DOUBLE", "REAL")):
        return f"CASE WHEN NOT isnan({col}) THEN CAST({col} AS DOUBLE) END"
    if sql_type.startswith(NUMERIC_PREFIXES):
        return f"CAST({col} AS DOUBLE)"
    expr = numeric_from_text(col, decimal)
    count, example = unparseable(con, col, expr)
    if count:
        raise DataError(
            f"{label}: column '{column}' has {count} non-numeric value(s) (e.g. '{example}'); "
            "fix them or leave the cells empty (empty cells count as missing)"
            + decimal_comma_hint(example, decimal)
        )
    return expr
