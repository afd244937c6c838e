"""Where observations come from: one file per backend behind one abstract `Source`.

`base` declares everything the data stage asks of a source; `files` (Parquet, JSON), `csv`
and `workbook` (Excel) read files; `database` holds what every database shares (the needed
columns, the push-down, the rows' digest), with `duckdb_file`, `ibis` (any server ibis
reaches), `postgres` and `spark` as its backends; `guard` is the one rule of what a
definition's SQL may be, `db_errors` words a database's failures, and `watchdog` is the
client's own clock. `data.sources` picks the backend a definition names.
"""
