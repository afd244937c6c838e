"""Imported once by the batch forkserver, so that every worker forked from it starts with the
heavy libraries already loaded (and frozen, see `valueproof.commands.preload`). Workers run one report
each at a time, as many as there are cores: each stays single-threaded (BLAS, DuckDB) so that
they do not fight over the cores."""

import os

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")
os.environ.setdefault("VALUEPROOF_THREADS", "1")

from valueproof.commands.preload import report_libraries  # noqa: E402

report_libraries()
