"""The panel read straight from cells that are one per panel cell (no second GROUP BY) is the
panel the grouped read gives; cells that share a panel cell (a unit under two group values of
one arm) are still added up."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from tests.conftest import BASE_DEFINITION, panel_frame
from valueproof.config import load_experiment
from valueproof.data import grid, load as loading, load_dataset


def _write(tmp_path, frame, **groups):
    definition = copy.deepcopy(BASE_DEFINITION)
    definition["kpis"].append({"id": "total", "column": "minutes", "aggregate": "sum",
                               "better": "lower"})
    definition["groups"].update(groups)
    frame.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "experiment.yaml").write_text(yaml.safe_dump(definition))
    return load_experiment(tmp_path / "experiment.yaml")


def _sorted(panel):
    order = np.lexsort((panel.post, panel.period, panel.unit))
    rows = {"unit": panel.unit, "treated": panel.treated, "post": panel.post,
            "period": panel.period}
    for kind in ("values", "counts", "weights"):
        rows.update({f"{kind}.{k}": v for k, v in getattr(panel, kind).items()})
    return {name: array[order] for name, array in rows.items()}


def _load_both(monkeypatch, experiment):
    """(panel as loaded, panel with the cells grouped again, whether the first was grouped)."""
    grouped = []
    aggregate = loading.aggregate_panel

    def spy(*args, **kwargs):
        grouped.append(kwargs["grouped"])
        return aggregate(*args, **kwargs)

    monkeypatch.setattr(loading, "aggregate_panel", spy)
    direct = load_dataset(experiment).panel
    prepare = grid.prepare

    def always_grouped(*args, **kwargs):
        layout, findings = prepare(*args, **kwargs)
        layout.one_cell_each = False
        return layout, findings

    monkeypatch.setattr(grid, "prepare", always_grouped)
    regrouped = load_dataset(experiment).panel
    assert grouped[1] is True
    return direct, regrouped, grouped[0]


@pytest.mark.parametrize("two_values", [False, True])
def test_cells_one_per_panel_cell_give_the_grouped_panel(tmp_path, monkeypatch, two_values):
    frame = panel_frame(n_treated=6, n_control=6)
    if two_values:  # unit U00 under T and T2 (both treatment) in every week: two cells each
        frame.loc[(frame.unit == "U00") & (frame.index % 3 == 0), "group"] = "T2"
    experiment = _write(tmp_path, frame, **({"treatment": ["T", "T2"]} if two_values else {}))
    direct, regrouped, was_grouped = _load_both(monkeypatch, experiment)
    assert was_grouped is two_values
    got, expected = _sorted(direct), _sorted(regrouped)
    assert got.keys() == expected.keys()
    for name in got:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    if two_values:  # U00's weeks hold all three rows of both of its cells
        u00 = direct.unit_names.index("U00")
        assert set(direct.counts["minutes"][direct.unit == u00]) == {3}
