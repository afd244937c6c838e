"""Imported once by the batch forkserver, so that every worker forked from it starts with the
heavy libraries already loaded."""

import duckdb  # noqa: F401
import matplotlib.figure  # noqa: F401
import statsmodels.stats.multitest  # noqa: F401
import weasyprint  # noqa: F401

import valueproof.report.render  # noqa: F401
import valueproof.stats  # noqa: F401
