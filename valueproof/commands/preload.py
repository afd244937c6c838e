"""The libraries every report needs, imported in one go, after which the garbage collector is
told to leave them alone.

`gc.freeze()` moves every object alive at that point (some million of them: the modules of
WeasyPrint, matplotlib, pandas, statsmodels, DuckDB) to a generation the collector never scans.
Without it each full collection during a report walks all of them again, and statsmodels' Holm
correction even asks for one explicitly: about 0.3 s of a 5 s report. Objects made later, by the
report, are collected as usual."""

from __future__ import annotations

import gc


def report_libraries() -> None:
    import duckdb  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import statsmodels.stats.multitest  # noqa: F401
    import weasyprint  # noqa: F401

    import valueproof.report.render  # noqa: F401
    import valueproof.stats  # noqa: F401

    gc.freeze()
