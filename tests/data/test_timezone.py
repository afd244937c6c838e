"""`data.timezone`: a timestamp with a zone falls on its date in one pinned zone (UTC unless the
definition says otherwise), never in the zone of the machine that runs valueproof."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.conftest import invoke, panel_frame


def _with_utc_timestamps(frame: pd.DataFrame) -> pd.DataFrame:
    """Each row's day as a timestamp at 23:30 UTC: in Warsaw (UTC+2 in summer) the next day."""
    frame = frame.copy()
    frame["day"] = (pd.to_datetime(frame["day"]) + pd.Timedelta(hours=23, minutes=30)).dt.strftime(
        "%Y-%m-%dT%H:%M:%S+00:00")
    return frame


def _outside(results: dict) -> int:
    for finding in results["data_quality"]:
        if finding.get("code") == "rows_outside_windows" or finding.get("kind") == "rows_outside_windows":
            return int((finding.get("params") or {}).get("rows", 0))
    return 0


@pytest.mark.parametrize("zone, machine", [("UTC", "America/Los_Angeles"),
                                           ("Europe/Warsaw", "UTC")])
def test_timestamps_fall_on_their_date_in_the_definitions_zone(write_experiment, runner, tmp_path,
                                                               monkeypatch, zone, machine):
    monkeypatch.setenv("TZ", machine)  # the machine's own zone must not matter
    frame = _with_utc_timestamps(panel_frame())
    last = frame["day"].max()[:10]
    path = write_experiment({"data": {"timezone": zone}, "post": {"start": "2026-03-02",
                                                                  "end": last}}, frame)
    out = tmp_path / "r.json"
    result = invoke(runner, "analyze", path, "--json", out)
    assert result.exit_code == 0, result.output
    rows_on_last_day = (frame["day"].str[:10] == last).sum()
    expected = 0 if zone == "UTC" else rows_on_last_day  # in Warsaw they fall on the next day
    assert _outside(json.loads(out.read_text())) == expected


def test_an_unknown_time_zone_is_named(write_experiment, runner):
    result = invoke(runner, "validate", write_experiment({"data": {"timezone": "Mars/Olympus"}}))
    assert result.exit_code == 2
    assert "data.timezone" in result.output and "Mars/Olympus" in result.output
