"""What a definition's SQL may be: one SELECT that calls only allowlisted functions.

A read-only session does not stop a function from acting: through `dblink_exec` a SELECT
commits into another database, `pg_read_file` reads the server's files, `lo_export` writes
them, `pg_terminate_backend` stops other sessions, `reflect` calls Java on Spark, `read_csv`
reads files on DuckDB. So the query is parsed by sqlglot in the backend's dialect and every
function it calls must be on the allowlist below (aggregates, window functions, arithmetic,
string, date/time and conditional functions, casts); anything else is refused, naming the
function, before a byte is sent. What is checked is what runs: the statement is written out
again by sqlglot.
"""

from __future__ import annotations

import logging

from valueproof.data.backends.db_errors import first_line
from valueproof.errors import DataError

AGGREGATES = """count count_if countif sum avg mean min max median mode stddev stddev_samp
stddev_pop variance var_samp var_pop variance_pop corr covar_samp covar_pop regr_slope
regr_intercept regr_r2 regr_count bool_and bool_or every logical_and logical_or any_value
arbitrary first last first_value last_value nth_value approx_distinct approx_count_distinct
approx_quantile approx_percentile percentile_cont percentile_disc quantile quantile_cont
quantile_disc string_agg group_concat listagg array_agg arrayagg sum_if avg_if""".split()
WINDOW = "row_number rank dense_rank percent_rank cume_dist ntile lag lead".split()
ARITHMETIC = """abs ceil ceiling floor round trunc truncate sign sqrt cbrt exp ln log log10
log2 pow power mod div greatest least pi safe_divide width_bucket isnan is_nan isinf is_inf
nullifzero zeroifnull""".split()
STRINGS = """lower upper length char_length character_length octet_length substring substr
trim ltrim rtrim btrim replace concat concat_ws left right lpad rpad pad strpos position instr
split_part initcap reverse repeat translate regexp_replace regexp_extract regexp_like
regexp_substr starts_with startswith ends_with endswith contains string_to_array str_position
array list_value generate_series exploding_generate_series range""".split()
DATES = """date_trunc timestamp_trunc datetime_trunc time_trunc datetrunc date_part datepart
extract date to_date to_timestamp to_char time_to_str str_to_time str_to_date ts_or_ds_to_date
time_str_to_time time_str_to_date date_str_to_date ts_or_ds_to_timestamp make_date
date_from_parts datefromparts current_date current_timestamp current_time now age date_add
date_sub datediff date_diff dateadd timestampadd timestampdiff timestamp_add timestamp_sub
timestamp_diff datetime_add datetime_sub datetime_diff ts_or_ds_add ts_or_ds_diff year month
day dayofweek day_of_week dayofmonth day_of_month dayofyear day_of_year week weekofyear
week_of_year isoweek quarter hour minute second last_day unix_to_time time_to_unix
from_unixtime unix_timestamp epoch strftime strptime date_format convert_timezone
time_to_time_str unix_to_str time_str_to_unix""".split()
CONDITIONAL = "coalesce nullif ifnull nvl nvl2 if iff iif case".split()
CASTS = "cast try_cast trycast safe_cast convert to_number to_double".split()
ALLOWED = frozenset(AGGREGATES + WINDOW + ARITHMETIC + STRINGS + DATES + CONDITIONAL + CASTS)
WHAT_IS_ALLOWED = ("a query may call only aggregates, window functions, arithmetic, string, "
                   "date/time and conditional functions and casts (docs/user-guide/security.md "
                   "lists them)")
WRITES = ("Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Command", "Copy",
          "Into", "TruncateTable", "Grant", "Lock")


def function_name(node, dialect: str | None) -> tuple[str, set[str]]:
    """(how the query names the function, the names it may be allowed by)."""
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return node.name, {node.name.lower()}
    names = {node.key.lower(), node.sql_name().lower()}
    written = node.sql(dialect=dialect).split("(", 1)[0].strip()[:40] or node.sql_name()
    return written.lower(), names | {name.replace("_", "") for name in names}


def check_select(query: str, dialect: str | None, key: str = "data.query") -> str:
    """`query` written out by sqlglot in `dialect`; DataError unless it is one SELECT (WITH,
    UNION … allowed) that writes nothing and calls only allowlisted functions."""
    import sqlglot
    from sqlglot import exp

    logger = logging.getLogger("sqlglot")  # its warnings would print before our one message
    level, logger.level = logger.level, logging.ERROR
    try:
        statements = [s for s in sqlglot.parse(query, read=dialect)
                      if s is not None and not isinstance(s, exp.Semicolon)]
    except sqlglot.errors.SqlglotError as exc:
        raise DataError(f"{key} is not valid SQL: {first_line(exc)}") from None
    finally:
        logger.level = level
    if len(statements) != 1:
        raise DataError(f"{key} holds {len(statements)} statements; give exactly one SELECT (or "
                        "WITH … SELECT) statement, without ';' between others")
    statement = statements[0]
    if not isinstance(statement, (exp.Select, exp.SetOperation)):
        name = statement.key.upper()
        if isinstance(statement, exp.Command):
            name = str(statement.this).upper()
        raise DataError(f"{key} is not a SELECT (it reads as {name}); only a read-only SELECT "
                        "(or WITH … SELECT) is run")
    writes = tuple(getattr(exp, name) for name in WRITES if hasattr(exp, name))
    operators = (exp.Connector, exp.Binary, exp.Unary)  # AND, ||, -x: sqlglot's Func too
    for node in statement.walk():
        if isinstance(node, writes):
            raise DataError(f"{key} writes ({node.key.upper()} inside the SELECT); only a "
                            "read-only SELECT is run")
        if isinstance(node, exp.Func) and not isinstance(node, operators):
            _check_function(node, dialect, key)
    return statement.sql(dialect=dialect)


def _check_function(node, dialect: str | None, key: str) -> None:
    from sqlglot import exp

    written, names = function_name(node, dialect)
    if isinstance(node, exp.Anonymous) and isinstance(node.parent, exp.Dot):
        schema = node.parent.this.sql(dialect=dialect)
        raise DataError(f"{key} calls {schema}.{written}(), a function of a schema; "
                        f"{WHAT_IS_ALLOWED}")
    if names & ALLOWED:
        return
    java = dialect in ("spark", "databricks", "hive") and written.lower() in (
        "reflect", "java_method", "try_reflect")
    if java:
        raise DataError(f"{key} calls Java ({node.sql(dialect=dialect)[:40]}); {WHAT_IS_ALLOWED}")
    raise DataError(f"{key} calls {written}(), which a definition may not call; "
                    f"{WHAT_IS_ALLOWED}")
