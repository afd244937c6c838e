"""Messages that misled: a pre window printed as ending before it starts, a CSV line of 10 MB
blamed on the separator or the encoding, and SVG logos that refer to other files in ways the
logo check did not see (a nested data: URI, CSS escapes, <foreignObject>)."""

from __future__ import annotations

import base64
import json
import re
import time
from xml.sax.saxutils import quoteattr

import pytest

from tests.conftest import invoke, panel_frame


def _one_message(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.output.count("Error") == 1
    return " ".join(result.output.split())


# --- 1. windows --------------------------------------------------------------------------------

@pytest.mark.parametrize("changes", [{"pre": None},
                                     {"pre": None, "post": {"start": "2026-03-02",
                                                            "end": "2026-03-20"}}],
                         ids=["default windows", "post given"])
def test_data_that_begin_at_the_rollout_say_so_not_an_inverted_window(changes, write_experiment,
                                                                       tmp_path, runner):
    """The data begin on the rollout day: the default pre window used to be printed as
    '2026-03-02 – 2026-03-01', ending before it starts."""
    frame = panel_frame()
    path = write_experiment(changes, frame=frame[frame.day >= "2026-03-02"])
    result = invoke(runner, "analyze", path, "--json", tmp_path / "r.json")
    message = _one_message(result)
    assert "2026-03-02 – 2026-03-01" not in message
    assert "data.csv: the data begin 2026-03-02, on or after the rollout 2026-03-02, so there " \
           "is nothing before the rollout to compare with; add data from before the rollout, " \
           "or check 'rollout'" in message
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize("key", ["pre", "post"])
def test_a_window_written_end_before_start_says_how_to_fix_it(key, write_experiment, tmp_path,
                                                               runner):
    window = {"pre": {"start": "2026-03-01", "end": "2026-02-02"},
              "post": {"start": "2026-03-25", "end": "2026-03-02"}}[key]
    path = write_experiment({key: window})
    line = next(i for i, text in enumerate(path.read_text().splitlines(), start=1)
                if text.startswith(f"{key}:"))
    message = _one_message(invoke(runner, "validate", path))
    assert f"experiment.yaml:{line}: {key}: 'start' ({window['start']}) is after 'end' " \
           f"({window['end']}), so the window would end before it begins" in message
    assert "swap them or correct the dates" in message


# --- 2. a CSV line of megabytes ----------------------------------------------------------------

def _csv_lines() -> list[str]:
    return panel_frame().to_csv(index=False).splitlines()


CSVS = {  # name: (file content, the line the message names)
    "one line, no line breaks": (lambda: " ".join(_csv_lines()) + " x" * 5_000_000, 1),
    "a JSON file named .csv": (lambda: json.dumps([{"unit": f"U{i}", "day": "2026-02-02",
                                                    "minutes": 1.5} for i in range(200_000)]),
                               1),
    "a 10 MB line among normal ones": (lambda: "\n".join(
        _csv_lines()[:40] + ["U01,T,2026-02-02," + "9" * 10_000_000 + ",1"]
        + _csv_lines()[40:]) + "\n", 41),
}


@pytest.mark.parametrize("case", list(CSVS))
def test_a_line_longer_than_the_reader_allows_says_so(case, write_experiment, tmp_path, runner):
    text, line = CSVS[case][0](), CSVS[case][1]
    size = f"{len(text.splitlines()[line - 1]) / 1e6:.1f} MB"
    path = write_experiment()
    (tmp_path / "data.csv").write_text(text)
    started = time.perf_counter()
    message = _one_message(invoke(runner, "validate", path))
    assert time.perf_counter() - started < 30
    assert f"data.csv: line {line} is {size} long, more than a CSV line may be (2.0 MB)" in message
    assert "probably not a line-by-line CSV file" in message and "no line breaks" in message
    assert "quote" in message
    for misleading in ("data.delimiter, e.g.", "data.encoding", "Out of Memory", "CSV Error"):
        assert misleading not in message


def test_a_header_of_a_million_fields_is_refused_before_reading(write_experiment, tmp_path,
                                                                runner):
    """A file of commas with line breaks the reader does not split on: the reader made a
    million columns, taking gigabytes, before failing."""
    path = write_experiment()
    (tmp_path / "data.csv").write_text("a," * 900_000 + "b\n1,2\n")
    started = time.perf_counter()
    message = _one_message(invoke(runner, "validate", path))
    assert time.perf_counter() - started < 30
    assert "data.csv: line 1 (the header) has 900,001 fields separated by ','" in message
    assert "not a line-by-line CSV file" in message


# --- 3. SVG logos -------------------------------------------------------------------------------

SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{}</svg>'
READS_A_FILE = SVG.format('<image xlink:href="file:///etc/passwd" width="9" height="9"/>')


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


SQUARE = '<rect width="9" height="9" style="fill: rgb(27, 94, 158)"/>'
NESTS_IT = SVG.format(f'<use href="{_data_uri(READS_A_FILE)}"/>')


def _in_style(css: str) -> str:
    return SVG.format(f"<rect width='9' height='9' style={quoteattr(css)}/>")


BAD_SVGS = {  # name: (logo, what the warning says)
    "nested data: URI": (SVG.format(f'<image href="{_data_uri(READS_A_FILE)}"/>'),
                         "embeds an SVG image (a data: URI) that refers to 'file:///etc/passwd'"),
    "nested twice": (SVG.format(f'<image href="{_data_uri(NESTS_IT)}"/>'),
                     "embeds an SVG image (a data: URI) that embeds an SVG image (a data: URI) "
                     "that refers to 'file:///etc/passwd'"),
    "nested data: URI in CSS": (_in_style(f'fill: url("{_data_uri(READS_A_FILE)}")'),
                                "embeds an SVG image (a data: URI) that refers to "
                                "'file:///etc/passwd'"),
    "CSS escape in a style attribute": (_in_style(r"fill: \75 rl(http://127.0.0.1:9/x.svg#a)"),
                                        "refers to 'http://127.0.0.1:9/x.svg#a'"),
    "CSS escapes in a style element": (SVG.format(
        r'<style>rect { fill: \000075\72 L("file:///etc/hosts") }</style><rect/>'),
        "refers to 'file:///etc/hosts'"),
    "CSS comment inside url": (SVG.format(
        "<style>rect { fill: u/**/rl(http://127.0.0.1:9/y) }</style><rect/>"),
        "refers to 'http://127.0.0.1:9/y'"),
    "url in a presentation attribute": (SVG.format(
        '<rect width="9" height="9" fill="url(http://127.0.0.1:9/p.svg#g)"/>'),
        "refers to 'http://127.0.0.1:9/p.svg#g'"),
    "foreignObject": (SVG.format(
        '<foreignObject width="9" height="9"><div xmlns="http://www.w3.org/1999/xhtml">'
        '<img src="http://127.0.0.1:9/t.png"/></div></foreignObject>'),
        "contains <foreignObject> (HTML inside the SVG"),
    "xml-stylesheet": ('<?xml-stylesheet type="text/css" href="http://127.0.0.1:9/s.css"?>'
                       + SVG.format("<rect/>"), "refers to 'http://127.0.0.1:9/s.css'"),
}


@pytest.mark.parametrize("case", list(BAD_SVGS))
def test_svg_logos_that_refer_elsewhere_are_left_out_with_a_warning(case, write_experiment,
                                                                     tmp_path, runner):
    logo, words = BAD_SVGS[case]
    (tmp_path / "logo.svg").write_text(logo)
    path = write_experiment({"customer": {"name": "Acme", "logo": "logo.svg"}})
    result = invoke(runner, "validate", path)
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert f"customer.logo: 'logo.svg' {words}" in output, output
    assert "the report is rendered without this logo" in output


def test_a_report_with_such_logos_renders_without_them(write_experiment, tmp_path, runner):
    (tmp_path / "a.svg").write_text(BAD_SVGS["nested data: URI"][0])
    (tmp_path / "b.svg").write_text(BAD_SVGS["foreignObject"][0])
    path = write_experiment({"customer": {"name": "Acme", "logo": "a.svg"},
                             "vendor": {"name": "Vendorly", "logo": "b.svg"}})
    result = invoke(runner, "report", path, "-o", tmp_path / "q.pdf", "--html",
                    tmp_path / "q.html", "--json", tmp_path / "q.json")
    assert result.exit_code == 0, result.output
    warnings = json.loads((tmp_path / "q.json").read_text())["warnings"]
    assert any(w.startswith("customer.logo: 'a.svg' embeds an SVG image") for w in warnings)
    assert any(w.startswith("vendor.logo: 'b.svg' contains <foreignObject>") for w in warnings)
    html = (tmp_path / "q.html").read_text()
    assert 'class="logo"' not in html and "etc/passwd" not in html
    assert not re.search(r"127\.0\.0\.1", html)


@pytest.mark.parametrize("logo", [
    SVG.format(f'<image href="{_data_uri(SVG.format(SQUARE))}"/>'),
    _in_style("fill: url('#g'); font-family: 'Noto Sans', sans-serif"),
    SVG.format('<defs><linearGradient id="g"/></defs><rect fill="url(#g)" width="9"/>'),
], ids=["embedded svg", "local url and font name", "gradient"])
def test_self_contained_svg_logos_are_kept(logo, write_experiment, tmp_path, runner):
    (tmp_path / "logo.svg").write_text(logo)
    path = write_experiment({"customer": {"name": "Acme", "logo": "logo.svg"}})
    result = invoke(runner, "validate", path)
    assert result.exit_code == 0 and "customer.logo" not in result.output, result.output


def test_a_group_file_of_one_huge_line_is_named_as_such(write_experiment, tmp_path, runner):
    path = write_experiment({"groups": {"column": None, "file": "groups.csv", "treatment": "T",
                                        "control": "C"}})
    (tmp_path / "groups.csv").write_text("unit,group\n" + "U00,T," * 2_000_000)
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2, result.output
    assert "groups.csv: line 2 is" in result.output and "not a line-by-line CSV" in result.output
