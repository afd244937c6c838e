"""Real users' files: spreadsheet CSV dialects, encodings, dates, odd values, groups and IDs.

Each case writes real files into tmp_path and runs the CLI: usable data pass (exit 0, with the
warning where one applies), unusable data end in one message naming the cause and the key that
fixes it (exit 2), never a traceback, never an output file.
"""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest
import yaml

from tests.conftest import BASE_DEFINITION, invoke, panel_frame


def definition(tmp_path, data: dict | None = None, **changes) -> str:
    """Write BASE_DEFINITION with `data` keys and top-level `changes` merged in."""
    spec = copy.deepcopy(BASE_DEFINITION)
    spec["data"].update(data or {})
    for key, value in changes.items():
        if value is None:
            spec.pop(key, None)
        elif isinstance(value, dict) and isinstance(spec.get(key), dict):
            spec[key].update(value)
            spec[key] = {k: v for k, v in spec[key].items() if v is not None}
        else:
            spec[key] = value
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return str(path)


def ok(runner, *args):
    result = invoke(runner, *args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def fails(runner, tmp_path, *args, words: list[str]):
    """Exit 2, every key word in the one message, no traceback, no results file."""
    target = tmp_path / "results.json"
    result = invoke(runner, *args, "--json", target) if args[0] == "analyze" else invoke(runner, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.count("Error:") == 1, result.output
    text = " ".join(result.output.split())
    for word in words:
        assert word in text, f"{word!r} not in: {text}"
    assert not target.exists()
    return text


def effect(tmp_path, runner, path) -> float:
    out = tmp_path / "results.json"
    ok(runner, "analyze", path, "--json", out)
    return json.loads(out.read_text())["kpis"][0]["effect"]


# -- Polish / German Excel exports: ';' separators, decimal commas, cp1250 ------------------------

def polish_frame() -> pd.DataFrame:
    frame = panel_frame(n_treated=6, n_control=6)
    names = ["Łukasz", "Żaneta", "Świętosław", "Ćwik", "Gżegżółka", "Źdźbło"]
    frame["unit"] = frame["unit"].map(lambda u: f"{names[int(u[1:]) % 6]}-{u}")
    frame["group"] = frame["group"].map({"T": "pilotaż", "C": "kontrola"})
    return frame


def write_excel_csv(frame: pd.DataFrame, path, encoding="cp1250", sep=";", decimal=","):
    frame.to_csv(path, sep=sep, decimal=decimal, index=False, encoding=encoding)


POLISH_GROUPS = {"treatment": "pilotaż", "control": "kontrola"}


def test_polish_excel_csv_works_with_its_keys(runner, tmp_path):
    write_excel_csv(polish_frame(), tmp_path / "data.csv")
    path = definition(tmp_path, {"delimiter": ";", "decimal": ",", "encoding": "cp1250"},
                      groups=POLISH_GROUPS)
    out = ok(runner, "validate", path)
    assert "Usable" in out and "12 " not in out.split("Units")[0]  # names decoded, no error
    # the same data written as plain UTF-8 CSV gives the same estimate
    reference = tmp_path / "ref"
    reference.mkdir()
    polish_frame().to_csv(reference / "data.csv", index=False)
    assert effect(tmp_path, runner, path) == pytest.approx(
        effect(reference, runner, definition(reference, groups=POLISH_GROUPS)), abs=1e-12)


def test_polish_excel_csv_without_encoding_names_the_key(runner, tmp_path):
    write_excel_csv(polish_frame(), tmp_path / "data.csv")
    fails(runner, tmp_path, "analyze", definition(tmp_path, groups=POLISH_GROUPS),
          words=["data.csv", "not UTF-8", "data.encoding", "cp1250"])


def test_decimal_comma_without_key_names_data_decimal(runner, tmp_path):
    write_excel_csv(polish_frame(), tmp_path / "data.csv", encoding="utf-8")
    fails(runner, tmp_path, "validate", definition(tmp_path, groups=POLISH_GROUPS),
          words=["column 'minutes'", "decimal comma", 'data.decimal: ","'])


def test_wrong_delimiter_gives_single_column_hint(runner, tmp_path):
    write_excel_csv(polish_frame(), tmp_path / "data.csv", encoding="utf-8")
    fails(runner, tmp_path, "validate",
          definition(tmp_path, {"delimiter": "|"}, groups=POLISH_GROUPS),
          words=["single column", "data.delimiter: \";\"", "data.decimal"])


def test_mixed_line_endings_are_named(runner, tmp_path):
    lines = panel_frame().to_csv(index=False).splitlines()
    endings = ["\r", "\n", "\r\n"]
    text = "".join(line + endings[i % 3] for i, line in enumerate(lines))
    (tmp_path / "data.csv").write_bytes(text.encode())
    text = fails(runner, tmp_path, "validate", definition(tmp_path),
                 words=["data.csv", "mixed line endings", "save it again as CSV"])
    assert "state machine" not in text and "sniff" not in text


@pytest.mark.parametrize("delimiter", [None, ","])
def test_row_with_extra_fields_is_named(runner, tmp_path, delimiter):
    lines = panel_frame().to_csv(index=False).splitlines()
    lines[20] += ",5,6"
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    fails(runner, tmp_path, "validate",
          definition(tmp_path, {"delimiter": delimiter} if delimiter else {}),
          words=["row 21 has 7 fields but the header has 5", "without quotes"])


@pytest.mark.parametrize("encoding, key", [("utf-16", "utf-16"), ("utf-16", None),
                                           ("latin-1", "iso-8859-1"), ("cp1252", "windows-1252")])
def test_other_encodings_are_read(runner, tmp_path, encoding, key):
    frame = panel_frame(n_treated=4, n_control=4)
    frame["unit"] = "Agent-é-" + frame["unit"]
    frame.to_csv(tmp_path / "data.csv", index=False, encoding=encoding)
    path = definition(tmp_path, {"encoding": key} if key else {})
    out = ok(runner, "validate", path)
    assert "Usable" in out


def test_latin1_file_read_as_utf8_names_the_key(runner, tmp_path):
    frame = panel_frame(n_treated=4, n_control=4)
    frame["unit"] = "Agent-é-" + frame["unit"]
    frame.to_csv(tmp_path / "data.csv", index=False, encoding="latin-1")
    fails(runner, tmp_path, "validate", definition(tmp_path),
          words=["not UTF-8", "data.encoding", "latin-1"])


@pytest.mark.parametrize("key, value, words", [
    ("encoding", "klingon", ["data.encoding", "'klingon' is not a known text encoding", "cp1250"]),
    ("delimiter", ";;", ["data.delimiter", "write one character"]),
    ("decimal", ";", ["data.decimal", "'.'", "','"]),
    ("date_format", "%d/%m", ["data.date_format", "day, month and year", "%d/%m/%Y"]),
])
def test_dialect_keys_are_validated(runner, tmp_path, key, value, words):
    panel_frame().to_csv(tmp_path / "data.csv", index=False)
    fails(runner, tmp_path, "validate", definition(tmp_path, {key: value}), words=words)


# -- dates ------------------------------------------------------------------------------------------

def with_days(frame: pd.DataFrame, fmt: str) -> pd.DataFrame:
    frame["day"] = pd.to_datetime(frame["day"]).dt.strftime(fmt)
    return frame


def test_ambiguous_day_month_dates_are_not_guessed(runner, tmp_path):
    # 2026-02-02 .. 2026-03-27: every day part and month part is at most 12 only if we keep the
    # days early in the month; take rows on days 1..12 so both readings are possible
    frame = with_days(panel_frame(), "%d/%m/%Y")
    frame = frame[frame["day"].str[:2].astype(int) <= 12]
    frame.to_csv(tmp_path / "data.csv", index=False)
    fails(runner, tmp_path, "validate", definition(tmp_path),
          words=["column 'day'", "does not guess", "data.date_format: '%d/%m/%Y'", "'%m/%d/%Y'"])


def test_day_first_dates_need_the_format_and_then_match_iso(runner, tmp_path):
    with_days(panel_frame(), "%d/%m/%Y").to_csv(tmp_path / "data.csv", index=False)
    fails(runner, tmp_path, "validate", definition(tmp_path),
          words=["day-first dates", "data.date_format: '%d/%m/%Y'"])
    path = definition(tmp_path, {"date_format": "%d/%m/%Y"})
    reference = tmp_path / "ref"
    reference.mkdir()
    panel_frame().to_csv(reference / "data.csv", index=False)
    assert effect(tmp_path, runner, path) == pytest.approx(
        effect(reference, runner, definition(reference)), abs=1e-12)


def test_values_not_matching_date_format(runner, tmp_path):
    frame = with_days(panel_frame(), "%d/%m/%Y")
    frame.loc[3, "day"] = "2026-02-05"
    frame.to_csv(tmp_path / "data.csv", index=False)
    fails(runner, tmp_path, "validate", definition(tmp_path, {"date_format": "%d/%m/%Y"}),
          words=["column 'day'", "1 value(s)", "data.date_format '%d/%m/%Y'", "'2026-02-05'"])


def test_excel_serial_day_numbers(runner, tmp_path):
    frame = panel_frame()
    frame["day"] = (pd.to_datetime(frame["day"]) - pd.Timestamp("1899-12-30")).dt.days
    frame.to_csv(tmp_path / "data.csv", index=False)
    fails(runner, tmp_path, "validate", definition(tmp_path),
          words=["column 'day'", "Excel serial day numbers", "format the column as dates"])


def test_title_row_above_header_csv(runner, tmp_path):
    body = panel_frame().to_csv(index=False)
    (tmp_path / "data.csv").write_text("Ticket export Q1 2026,,,,\n" + body)
    fails(runner, tmp_path, "validate", definition(tmp_path),
          words=["not found", "row 2", "data.header_row: 2"])
    assert "Usable" in ok(runner, "validate", definition(tmp_path, {"header_row": 2}))


# -- Excel workbooks --------------------------------------------------------------------------------

def test_xlsx_columns_on_another_sheet(runner, tmp_path):
    with pd.ExcelWriter(tmp_path / "data.xlsx", engine="openpyxl") as writer:
        pd.DataFrame({"note": ["exported by CRM"]}).to_excel(writer, sheet_name="Notes", index=False)
        panel_frame().to_excel(writer, sheet_name="Tickets", index=False)
    fails(runner, tmp_path, "validate", definition(tmp_path, {"path": "data.xlsx"}),
          words=["data.xlsx", "worksheet 'Tickets'", "data.sheet: Tickets"])
    assert "Usable" in ok(runner, "validate",
                          definition(tmp_path, {"path": "data.xlsx", "sheet": "Tickets"}))


def test_xlsx_title_rows_above_header(runner, tmp_path):
    with pd.ExcelWriter(tmp_path / "data.xlsx", engine="openpyxl") as writer:
        panel_frame().to_excel(writer, sheet_name="Data", index=False, startrow=2)
        writer.sheets["Data"]["A1"] = "Support tickets, Q1 2026"
    fails(runner, tmp_path, "validate", definition(tmp_path, {"path": "data.xlsx"}),
          words=["data.xlsx", "row 3", "data.header_row: 3"])
    assert "Usable" in ok(runner, "validate",
                          definition(tmp_path, {"path": "data.xlsx", "header_row": 3}))


def test_xlsx_formulas_without_cached_values(runner, tmp_path):
    import openpyxl

    frame = panel_frame(n_treated=3, n_control=3)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(frame.columns) + ["seconds"])
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        sheet.append([*row[:3], f"=F{i}/60", row[4], row[3] * 60])  # minutes as a formula
    book.save(tmp_path / "data.xlsx")
    fails(runner, tmp_path, "validate", definition(tmp_path, {"path": "data.xlsx"}),
          words=["'minutes'", "formulas", "never calculated", "open it in Excel and save it"])


# -- values -----------------------------------------------------------------------------------------

def test_na_nan_and_empty_are_missing_not_errors(runner, tmp_path):
    frame = panel_frame()
    frame["minutes"] = frame["minutes"].astype(object)
    frame.loc[[1, 2, 3], "minutes"] = ["NA", "NaN", ""]
    frame.loc[4, "minutes"] = "nan"
    frame.to_csv(tmp_path / "data.csv", index=False)
    out = " ".join(ok(runner, "validate", definition(tmp_path)).split())
    assert "KPI 'minutes': 4 observation(s)" in out and "have no value" in out


def test_nan_in_parquet_is_missing(runner, tmp_path):
    frame = panel_frame()
    frame.loc[[5, 6], "minutes"] = float("nan")
    frame.to_parquet(tmp_path / "data.parquet", index=False)
    out = " ".join(ok(runner, "validate", definition(tmp_path, {"path": "data.parquet"})).split())
    assert "KPI 'minutes': 2 observation(s)" in out


@pytest.mark.parametrize("value", ["inf", "-inf", "3e16"])
def test_infinite_or_absurd_values_name_column_and_row(runner, tmp_path, value):
    frame = panel_frame()
    frame["minutes"] = frame["minutes"].astype(object)
    frame.loc[7, "minutes"] = value
    frame.to_csv(tmp_path / "data.csv", index=False)
    row = frame.loc[7]
    fails(runner, tmp_path, "analyze", definition(tmp_path),
          words=["column 'minutes'", "infinite or larger than 1e+15",
                 f"unit '{row['unit']}'", f"time {row['day']}"])


@pytest.mark.parametrize("words", [("true", "false"), ("TRUE", "FALSE"), ("yes", "no")])
def test_boolean_words_are_one_and_zero(runner, tmp_path, words):
    frame = panel_frame()
    numeric = tmp_path / "ref"
    numeric.mkdir()
    frame.to_csv(numeric / "data.csv", index=False)
    frame["resolved"] = frame["resolved"].map({1: words[0], 0: words[1]})
    frame.loc[3, "resolved"] = ""  # a gap, to keep the column text even for true/false
    frame.to_csv(tmp_path / "data.csv", index=False)
    out = tmp_path / "results.json"
    ok(runner, "analyze", definition(tmp_path), "--json", out)
    rate = json.loads(out.read_text())["kpis"][1]
    frame_numeric = pd.read_csv(numeric / "data.csv")
    frame_numeric.loc[3, "resolved"] = None
    frame_numeric.to_csv(numeric / "data.csv", index=False)
    ok(runner, "analyze", definition(numeric), "--json", numeric / "r.json")
    assert rate["effect"] == pytest.approx(
        json.loads((numeric / "r.json").read_text())["kpis"][1]["effect"], abs=1e-12)


def test_negative_values_in_summed_kpi_warn(runner, tmp_path):
    frame = panel_frame()
    frame.loc[9, "minutes"] = -4.0
    frame.to_csv(tmp_path / "data.csv", index=False)
    kpis = [{"id": "minutes", "column": "minutes", "better": "lower", "aggregate": "sum"}]
    out = " ".join(ok(runner, "validate", definition(tmp_path, kpis=kpis)).split())
    assert "column 'minutes' has 1 negative value(s)" in out
    assert f"unit '{frame.loc[9, 'unit']}'" in out
    # a mean KPI may legitimately be negative (a change, a margin): no warning
    assert "negative value" not in ok(runner, "validate", definition(tmp_path))


def test_conflicting_duplicate_rows_warn(runner, tmp_path):
    frame = panel_frame()
    copy_row = frame.loc[[10]].assign(minutes=frame.loc[10, "minutes"] + 5)
    pd.concat([frame, copy_row]).to_csv(tmp_path / "data.csv", index=False)
    out = " ".join(ok(runner, "validate", definition(tmp_path)).split())
    assert "1 set(s) of rows agree on every column but the KPI values" in out
    assert f"unit {frame.loc[10, 'unit']}, {frame.loc[10, 'day']}" in out
    # data.duplicates: skip looks for neither duplicates nor conflicts
    skipped = ok(runner, "validate", definition(tmp_path, data={"duplicates": "skip"}))
    assert "agree on every column" not in skipped and "exact duplicate" not in skipped


def test_many_rows_per_unit_and_day_are_not_conflicts(runner, tmp_path):
    # ticket-like data with no ticket id: several rows share unit and day by nature
    frame = panel_frame()
    frame["day"] = pd.to_datetime(frame["day"]).dt.to_period("W").dt.start_time.dt.date.astype(str)
    frame.to_csv(tmp_path / "data.csv", index=False)
    out = ok(runner, "validate", definition(tmp_path))
    assert "agree on every column" not in out


# -- groups and unit IDs ----------------------------------------------------------------------------

def test_group_value_differing_in_case_and_spaces(runner, tmp_path):
    frame = panel_frame()
    frame["group"] = frame["group"].map({"T": "pilot ", "C": "standard"})
    frame.to_csv(tmp_path / "data.csv", index=False)
    fails(runner, tmp_path, "validate",
          definition(tmp_path, groups={"treatment": "Pilot", "control": "standard"}),
          words=["groups.treatment", "'Pilot'", "did you mean 'pilot '?", "upper/lower case or spaces"])


@pytest.mark.parametrize("data_ids, file_ids", [("{:02d}", "{}"), ("{}", "{}.0")])
def test_unit_ids_written_differently_in_group_file(runner, tmp_path, data_ids, file_ids):
    frame = panel_frame().drop(columns="group")
    number = frame["unit"].str[1:].astype(int) + 1
    frame["unit"] = number.map(data_ids.format)
    frame.to_csv(tmp_path / "data.csv", index=False)
    groups = pd.DataFrame({"unit": sorted(set(number))})
    groups["group"] = ["T" if u <= 12 else "C" for u in groups["unit"]]
    groups["unit"] = groups["unit"].map(file_ids.format)
    groups.to_csv(tmp_path / "groups.csv", index=False)
    fails(runner, tmp_path, "validate",
          definition(tmp_path, groups={"file": "groups.csv", "column": None, "treatment": "T",
                                       "control": "C"}),
          words=["groups.file", "leading zeros", "the data have e.g.", "groups.csv has e.g.",
                 f"'{data_ids.format(1)}'", f"'{file_ids.format(1)}'"])


def test_one_control_unit_gives_the_estimate_without_a_standard_error(runner, tmp_path):
    panel_frame(n_treated=3, n_control=1).to_csv(tmp_path / "data.csv", index=False)
    out = ok(runner, "analyze", definition(tmp_path))
    assert "control group has only 1 unit" in out and "at least two units per group" in out
    assert "groups.control" in out and "no variance" not in out


def test_one_unit_without_control_group_gives_no_standard_error(runner, tmp_path):
    frame = panel_frame(n_treated=1, n_control=1)
    frame[frame["group"] == "T"].to_csv(tmp_path / "data.csv", index=False)
    out = ok(runner, "analyze", definition(tmp_path, groups={"control": None}))
    assert "treatment group has only 1 unit" in out and "at least two units per group" in out


def test_one_treated_unit_with_several_controls_is_supported(runner, tmp_path):
    panel_frame(n_treated=1, n_control=6).to_csv(tmp_path / "data.csv", index=False)
    out = ok(runner, "analyze", definition(tmp_path))
    assert "permutation" in out


def test_new_findings_are_worded_in_polish():
    from pathlib import Path

    from valueproof.language.words import Words
    from valueproof.report.findings import finding_text
    from valueproof.language.formatting import Formatter
    from valueproof.language.i18n import translations

    locales = Path(__file__).resolve().parents[2] / "report_templates" / "locales"
    words = Words(translations(locales, "pl"), Formatter("pl"))
    negative = finding_text(words, {"kind": "negative_values",
                                    "params": {"column": "revenue", "rows": 3}}, {})
    conflict = finding_text(words, {"kind": "conflicting_rows", "params": {"sets": 2}}, {})
    assert negative.startswith("Kolumna revenue zawiera 3 wartości ujemne")
    assert conflict.startswith("2 zestawy wierszy zgadzają się")


def test_a_small_file_is_read_once_into_a_table_and_a_large_one_streams(tmp_path, monkeypatch):
    """`raw` of a small file is a table (one parse, not one per statement of the data stage);
    past SMALL_FILE_BYTES it stays a view over the file."""
    from valueproof.data.backends import files

    small = tmp_path / "small.csv"
    small.write_text("a,b\n1,2\n")
    assert files.raw_kind(small) == "TEMP TABLE"
    monkeypatch.setattr(files, "SMALL_FILE_BYTES", small.stat().st_size - 1)
    assert files.raw_kind(small) == "VIEW"
