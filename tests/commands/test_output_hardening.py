"""What a definition writes is data wherever it goes: no control text reaches the terminal, no
markup in it is parsed, no CSV cell is read as a formula, a locale is a locale, and a full disk
is named as the output folder's."""

from __future__ import annotations

import csv
import errno
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import EXAMPLES, invoke, panel_frame, sales_account

OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"  # sets the clipboard
CLEAR = "\x1b[2J"
LINK = "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\"  # OSC 8 hyperlink
MARKUP = ("[/bold]", "[link=http://x]y[/link]", "[beta]")
OVERPRINT = "\rEVIL\x08\x9b2J"  # carriage return, backspace, 8-bit CSI
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # anything but a plain newline


def assert_clean(text: str) -> None:
    found = CONTROL.search(text)
    assert found is None, f"control character {found.group()!r} in {text!r}"
    assert "[beta]" in text and "[link=http://x]y[/link]" in text, text
    assert "Traceback" not in text


def hostile_experiment(write_experiment) -> Path:
    """A definition whose name, customer, KPI labels and group values carry escape sequences
    and markup (labels hold at most 100 characters: the strings are shared out)."""
    frame = panel_frame()
    treatment, control = "T" + OSC52 + "[beta]", "C" + CLEAR + "[/bold]"
    frame["group"] = frame["group"].map({"T": treatment, "C": control})
    stray = frame.iloc[:3].assign(unit="X" + LINK, group="other\x08\x9b2J[beta]")  # no CR:
    # a CR inside a CSV cell reads as a mixed line ending
    frame = pd.concat([frame, stray], ignore_index=True)
    return write_experiment({
        "name": "Pilot" + OSC52 + CLEAR + "".join(MARKUP) + ":fire:",
        "customer": {"name": "Acme" + OVERPRINT + LINK + "".join(MARKUP)},
        "groups": {"treatment": treatment, "control": control},
        "kpis": [
            {"id": "minutes", "label": "Handle time" + OSC52 + CLEAR + MARKUP[0] + MARKUP[2],
             "column": "minutes", "unit": "min", "better": "lower"},
            {"id": "resolved", "label": "Rate" + LINK + MARKUP[1] + OVERPRINT,
             "numerator": "resolved", "better": "higher", "aggregate": "rate"},
        ],
        "success_criteria": [{"kpi": "minutes", "label": "Goal" + CLEAR + "[beta]",
                              "target": -0.5}],
    }, frame=frame)


def test_validate_and_analyze_print_definition_text_clean(write_experiment, runner):
    path = hostile_experiment(write_experiment)
    for command in ("validate", "analyze"):
        result = invoke(runner, command, path)
        assert result.exit_code == 0, repr(result.output)
        assert_clean(result.output)
        assert "Pilot[/bold][link=http://x]y[/link][beta]:fire:" in result.output  # no emoji
        assert "Rateclick" in result.output  # the link's text stays, its target does not
        assert "http://evil" not in result.output
    assert "time[/bold][beta]" in result.output and "Goal[beta]" in result.output


def test_report_and_batch_print_definition_text_clean(write_experiment, runner, tmp_path):
    path = hostile_experiment(write_experiment)
    result = invoke(runner, "report", path, "-o", tmp_path / "qbr.pdf")
    assert result.exit_code == 0, repr(result.output)
    assert not CONTROL.search(result.output) and "Traceback" not in result.output
    for extra in (["--dry-run"], ["-j", "1"]):
        result = invoke(runner, "batch", path, "-o", tmp_path / "out", *extra)
        assert result.exit_code == 0, repr(result.output)
        assert_clean(result.output)
        assert "[/bold]" in result.output  # the customer's name, as written
    rows = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert rows[0]["status"] == "rendered"
    assert rows[0]["account"] == "Acme" + OVERPRINT + LINK + "".join(MARKUP)  # data stays data


def test_progress_line_shows_the_account_as_text(write_experiment, tmp_path, monkeypatch):
    """The progress bar's description is markup too: an account named '[/bold]' must not
    raise there either."""
    from rich.console import Console

    from valueproof.cli import terminal
    from valueproof.commands.batch.plan import BatchOptions, plan

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    path = hostile_experiment(write_experiment)
    written = io.StringIO()
    monkeypatch.setattr(terminal, "Console",
                        lambda **kw: Console(file=written, force_terminal=False, width=200))
    monkeypatch.setattr("sys.stderr", Terminal())
    options = BatchOptions(out_dir=tmp_path / "out", jobs=1)
    (tmp_path / "out").mkdir()
    tasks = plan([path], options, {})
    tasks[0].reason, tasks[0].error = "invalid", "[/bold] " + CLEAR  # fail fast: no render
    assert terminal.run_batch(tasks, options, dry_run=False, quiet=False) == 1
    assert "[/bold]" in written.getvalue() and not CONTROL.search(written.getvalue())


def test_error_messages_quoting_a_definition_are_clean(write_experiment, runner, tmp_path):
    path = write_experiment({"kpis": [{"id": "minutes", "label": "Minutes",
                                       "column": "min" + OSC52 + CLEAR + "[beta]",
                                       "better": "lower"}]})
    for args in (["validate", path], ["analyze", path],
                 ["report", path, "-o", tmp_path / "q.pdf"]):
        result = invoke(runner, *args)
        assert result.exit_code == 2, repr(result.output)
        assert "min" in result.output and "[beta]" in result.output
        assert not CONTROL.search(result.output), repr(result.output)


def test_terminal_text_keeps_words_and_drops_sequences():
    from valueproof.safe_text import plain_text, terminal_text

    assert plain_text(LINK) == "click"
    assert plain_text("a" + OSC52 + CLEAR + "b\x1bc\x1b(Bc") == "abc"
    assert plain_text("line one\r\nline two\tend", newlines=True) == "line one\nline two end"
    assert plain_text("one\ntwo") == "one two"
    assert plain_text("unterminated \x1b]52;c;AAAA") == "unterminated "
    assert plain_text("right\u202eto left") == "rightto left"
    assert terminal_text("[beta]") == "\\[beta]"
    from rich.console import Console

    console = Console(file=io.StringIO(), width=200)
    for tail in ("\\", "\\\\\\", "[/bold]", "[link=x]"):
        console.print(f"[bold]{terminal_text('name' + tail)}[/bold]")  # never raises


# CSV ------------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x","y")', "@SUM(1)", "-2+3", "+cmd|' /C calc'!A0"]


def test_summary_csv_cells_are_never_formulas(tmp_path, runner):
    root, out = tmp_path / "portfolio", tmp_path / "out"
    for number, name in enumerate(FORMULAS[:3]):
        sales_account(root, f"acct{number}", name)
    bad = root / "=1+2"  # a broken account is named after its folder
    bad.mkdir()
    (bad / "experiment.yaml").write_text("name: [unclosed\n")
    result = invoke(runner, "batch", root, "-o", out, "-j", "2", "-q")
    assert result.exit_code == 1, result.output
    rows = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text())))
    accounts = {row["account"] for row in rows}
    assert accounts == {"'" + name for name in FORMULAS[:3]} | {"'=1+2"}
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), (column, cell)
            assert not cell.startswith("-") or re.fullmatch(r"-[\d.e+-]+", cell), (column, cell)
        if row["status"] == "rendered":
            float(row["roi"])  # a number stays a number
    raw = {row["account"] for row in json.loads((out / "summary.json").read_text())}
    assert raw == set(FORMULAS[:3]) | {"=1+2"}


def test_every_summary_cell_goes_through_one_rule(tmp_path):
    from valueproof.commands.batch.summary import Outcome, write_summary

    outcomes = [Outcome("@SUM(1)", "-def", "failed", experiment="\tTAB", roi=-3.5, seconds=-0.0,
                        error="=cmd|' /C calc'!A0"),
                Outcome("\r=x", "/d", "rendered", experiment="-2+3", roi=-0.25, pdf="+a.pdf",
                        error="-3.5")]
    write_summary(tmp_path, outcomes)
    text = (tmp_path / "summary.csv").read_bytes().decode()
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows[0]["account"] == "'@SUM(1)" and rows[0]["definition"] == "'-def"
    assert rows[0]["experiment"] == "'\tTAB" and rows[0]["error"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["roi"] == "-3.5"
    assert rows[1]["account"] == "'\r=x" and rows[1]["experiment"] == "'-2+3"
    assert rows[1]["pdf"] == "'+a.pdf" and rows[1]["roi"] == "-0.25"
    assert rows[1]["error"] == "-3.5"  # a number written as text is still a number


# Locales --------------------------------------------------------------------------------------

BAD_LOCALES = ["pl@x/../..", "pl@x", "../pl", "pl/..", "en..", "pl_PL.UTF-8", "en_US@euro", "pl\\x",
               ""]


@pytest.mark.parametrize("locale", BAD_LOCALES)
def test_locale_option_is_a_locale(locale, runner, tmp_path):
    example = EXAMPLES / "sales_rollout"
    result = invoke(runner, "report", example, "-o", tmp_path / "q.pdf", "--locale", locale)
    assert result.exit_code == 2, result.output
    assert "--locale" in result.output and "en, " in result.output and "pl" in result.output
    assert not (tmp_path / "q.pdf").exists()
    result = invoke(runner, "batch", example, "-o", tmp_path / "out", "--locale", locale)
    assert result.exit_code == 2, result.output
    assert "--locale" in result.output and "en, " in result.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@pytest.mark.parametrize("locale", ["pl@x/../..", "pl@x", "pl_PL.UTF-8"])
def test_definition_locale_follows_the_same_rule(locale, write_experiment, runner):
    result = invoke(runner, "validate", write_experiment({"locale": locale}))
    assert result.exit_code == 2, result.output
    assert "locale" in result.output and "en, " in result.output


@pytest.mark.parametrize("locale", ["en", "pl", "pl_PL", "pl-PL", "en_GB", "de_AT", "zh_Hant_TW"])
def test_real_locales_pass(locale):
    from valueproof.config.types import check_locale

    if locale.startswith("zh"):
        with pytest.raises(ValueError, match="no complete translation"):
            check_locale(locale)
    else:
        assert check_locale(locale) == locale


# A full disk ----------------------------------------------------------------------------------

def test_full_disk_names_the_output_folder_not_the_staging_folder(tmp_path, runner, monkeypatch):
    import valueproof.commands.outputs

    root, out = tmp_path / "portfolio", tmp_path / "out"
    sales_account(root, "acct", "Full Disk Co")
    real_stage = valueproof.commands.outputs._stage

    def full(path: Path, content):
        if path.suffix == ".pdf":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_stage(path, content)

    monkeypatch.setattr(valueproof.commands.outputs, "_stage", full)
    result = invoke(runner, "batch", root, "-o", out, "-j", "1")
    assert result.exit_code == 1, result.output
    error = json.loads((out / "summary.json").read_text())[0]["error"]
    assert "disk is full" in error and str(out) in error, error
    assert ".valueproof-" not in error and ".tmp" not in error, error
    assert ".valueproof-" not in result.output
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_full_disk_before_any_report_names_the_output_folder(tmp_path, runner, monkeypatch):
    import tempfile

    root, out = tmp_path / "portfolio", tmp_path / "out"
    sales_account(root, "acct", "Full Disk Co")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device",
                      str(out / ".valueproof-abcdef.tmp"))

    monkeypatch.setattr(tempfile, "mkdtemp", full)
    result = invoke(runner, "batch", root, "-o", out, "-j", "1")
    assert result.exit_code == 2, result.output
    assert str(out) in result.output and "disk is full" in result.output
    assert ".valueproof-" not in result.output and "Traceback" not in result.output
