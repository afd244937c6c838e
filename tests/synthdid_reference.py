"""The test-only reference for synthetic DiD: the Python port of R's synthdid (d2cml-ai, PyPI
`synthdid` 0.10.1). It pins numpy 1.23, so it is installed apart: pip install --no-deps synthdid.
Used by tests/stats/test_synthdid.py and benchmarks/speed_sdid.py."""

from __future__ import annotations

import importlib
import os
import warnings

import numpy as np
import pandas as pd


def reference(module: str):
    """A reference package's module; the test is skipped where it is not installed, except in
    CI (.ci/run installs both references), where its absence is a failure, not a skip."""
    import pytest

    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module)


def reference_fit(Y: np.ndarray, n_pre: int) -> tuple[float, np.ndarray, np.ndarray]:
    """(estimate, unit weights, time weights) of the port on Y (donors first, the treated last),
    fed its own panel frame directly (its pandas front end predates pandas 3)."""
    from synthdid.synthdid import Synthdid

    rows, periods = Y.shape
    unit = np.repeat([f"u{i:04d}" for i in range(rows)], periods)
    time = np.tile(np.arange(1, periods + 1), rows)
    treated = (np.repeat(np.arange(rows), periods) == rows - 1).astype(int)
    on = treated * (time > n_pre)
    frame = pd.DataFrame(dict(unit=unit, time=time, outcome=Y.ravel(), treatment=on, treated=treated,
                              ty=np.where(on == 1, time, 0.0),
                              tyear=np.where(treated == 1, n_pre + 1.0, 0.0)))
    model = Synthdid.__new__(Synthdid)
    model.data_ref = frame.sort_values(["treated", "time", "unit"])
    model.ttime, model.covariates = np.array([n_pre + 1.0]), None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit()
    return (float(model.att_info.att_time[0]), np.asarray(model.weights["omega"][0]),
            np.asarray(model.weights["lambda"][0]))
