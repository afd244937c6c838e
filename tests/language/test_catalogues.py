"""The message catalogues: the project's pass `tools/catalogues.py check` (so CI fails on a bad
one), each kind of failure is caught on small hand-made catalogues, and plural forms (ngettext,
decimals by CLDR, the analyst's unit forms) read right in Polish."""

import re
import subprocess
import sys
from gettext import NullTranslations
from pathlib import Path

import pytest

from tests.conftest import ROOT, invoke
from valueproof.language.words import POINTS, Unit, Words
from valueproof.language.formatting import Formatter
from valueproof.language.i18n import complete_languages, locales_dir, translations

TOOL = ROOT / "tools" / "catalogues.py"
POT = '''#, python-format
msgid "%(n)s day"
msgid_plural "%(n)s days"
msgstr[0] ""
msgstr[1] ""

#, python-format
msgid "Hello %(name)s"
msgstr ""
'''
HEADER = '''msgid ""
msgstr ""
"Project-Id-Version: valueproof\\n"
"Language: pl\\n"
"Plural-Forms: nplurals={n}; plural={formula};\\n"
"Content-Type: text/plain; charset=utf-8\\n"

'''
PL_FORMULA = "(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)"
GOOD = '''#, python-format
msgid "%(n)s day"
msgid_plural "%(n)s days"
msgstr[0] "%(n)s dzień"
msgstr[1] "%(n)s dni"
msgstr[2] "%(n)s dni"

#, python-format
msgid "Hello %(name)s"
msgstr "Cześć %(name)s"
'''


def run_check(locales: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), "check", "--locales", str(locales), *extra],
                          capture_output=True, text=True, cwd=ROOT)


def write_catalogues(root: Path, body: str, nplurals: int = 3) -> Path:
    (root / "messages.pot").write_text(POT)
    folder = root / "pl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    formula = PL_FORMULA if nplurals == 3 else "(n != 1)"
    (folder / "messages.po").write_text(HEADER.format(n=nplurals, formula=formula) + body)
    return root


def test_project_catalogues_pass_the_check():
    result = run_check(ROOT / "report_templates" / "locales")
    assert result.returncode == 0, result.stderr
    shipped = sorted(p.name for p in (ROOT / "report_templates" / "locales").iterdir()
                     if p.is_dir())
    assert f"catalogues complete: {', '.join(shipped)}" in result.stdout
    assert {"ar", "de", "es", "fr", "pl", "sk", "tr"} <= set(shipped)


def test_a_good_hand_made_catalogue_passes(tmp_path):
    result = run_check(write_catalogues(tmp_path, GOOD), "--no-sources")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("body, nplurals, expected", [
    (GOOD.replace('msgstr "Cześć %(name)s"', 'msgstr ""'), 3, "untranslated 'Hello %(name)s'"),
    (GOOD.split("\n\n")[0] + "\n", 3, "missing 'Hello %(name)s'"),
    (GOOD.replace('#, python-format\nmsgid "Hello', '#, fuzzy, python-format\nmsgid "Hello'), 3,
     "fuzzy 'Hello %(name)s'"),
    (GOOD + '\n#~ msgid "Bye"\n#~ msgstr "Pa"\n', 3, "obsolete 'Bye'"),
    (GOOD.replace('"Cześć %(name)s"', '"Cześć %(imie)s"'), 3,
     "placeholders imie differ from the msgid's (name)"),
    (GOOD.replace('msgstr[1] "%(n)s dni"', 'msgstr[1] "%(count)s dni"'), 3,
     "placeholders count, n differ from the msgid's (n)"),
    (GOOD.replace('msgstr[2] "%(n)s dni"\n', ''), 3, "untranslated '%(n)s day'"),
    (GOOD.replace('msgstr[2] "%(n)s dni"\n', ''), 2, "Plural-Forms gives 2 plural forms; pl has 3"),
    (GOOD + '\nmsgid "Extra"\nmsgstr "Dodatkowy"\n', 3, "not in messages.pot 'Extra'"),
])
def test_each_kind_of_problem_fails_the_check(tmp_path, body, nplurals, expected):
    result = run_check(write_catalogues(tmp_path, body, nplurals), "--no-sources")
    assert result.returncode == 1
    assert expected in result.stderr, result.stderr


def test_a_pot_behind_the_sources_fails_the_check(tmp_path):
    real = ROOT / "report_templates" / "locales" / "messages.pot"
    (tmp_path / "messages.pot").write_text(real.read_text().replace('msgid "Page"\nmsgstr ""\n\n', ""))
    result = run_check(tmp_path)
    assert result.returncode == 1
    assert "not what extract gives from the current sources" in result.stderr


def test_a_plural_with_an_empty_form_is_not_a_complete_language(tmp_path):
    write_catalogues(tmp_path, GOOD)
    assert complete_languages(tmp_path) == ("en", "pl")
    po = tmp_path / "pl" / "LC_MESSAGES" / "messages.po"
    other = tmp_path / "other"
    (other / "pl" / "LC_MESSAGES").mkdir(parents=True)
    (other / "pl" / "LC_MESSAGES" / "messages.po").write_text(
        po.read_text().replace('msgstr[2] "%(n)s dni"', 'msgstr[2] ""'))
    assert complete_languages(other) == ("en",)


def polish() -> Words:
    return Words(translations(locales_dir(), "pl"), Formatter("pl"))


def test_percentage_points_take_the_cldr_form_of_the_number_shown():
    points = Unit(polish(), POINTS)
    shown = [points.after(n).replace("\u00a0", " ") for n in ("1", "2", "5", "22", "6,2", "+1,0")]
    assert shown == ["1 punkt procentowy", "2 punkty procentowe", "5 punktów procentowych",
                     "22 punkty procentowe", "6,2 punktu procentowego",
                     "+1,0 punktu procentowego"]
    english = Unit(Words(NullTranslations(), Formatter("en")), POINTS)
    assert [english.after(n) for n in ("1", "1.5", "2")] == [
        "1\u00a0percentage point", "1.5\u00a0percentage points", "2\u00a0percentage points"]


def test_a_french_decimal_below_two_is_singular_without_a_decimal_message():
    from valueproof.language.i18n import plural_form_count
    from babel import Locale

    assert plural_form_count("1,5", Locale.parse("fr")) in (0, 1)  # "1,5 jour", like 0 and 1
    assert plural_form_count("2,5", Locale.parse("fr")) >= 2
    assert plural_form_count("2,5", Locale.parse("pl")) is None  # only decimals: "2,5 dnia"


def _plural_unit(forms: dict) -> str:
    from valueproof.config.kpis import PluralUnit

    return PluralUnit(forms)


def test_the_analysts_unit_forms_follow_the_number():
    days = Unit(polish(), _plural_unit({"one": "dzień", "few": "dni", "many": "dni",
                                        "other": "dnia"}))
    assert [days.after(n).replace("\u00a0", " ") for n in ("1", "2", "5", "2,5")] == [
        "1 dzień", "2 dni", "5 dni", "2,5 dnia"]
    assert str(days) == "dni"  # a header takes the nominative plural
    units = Unit(polish(), _plural_unit({"one": "jednostka", "few": "jednostki",
                                         "many": "jednostek", "other": "jednostki"}))
    assert [units.after(n).replace("\u00a0", " ") for n in ("1", "2", "5")] == [
        "1 jednostka", "2 jednostki", "5 jednostek"]
    # native review: "Średnia (szans)" reads as a broken count; a header says "(szanse)"
    chances = Unit(polish(), _plural_unit({"one": "szansa", "few": "szanse", "many": "szans",
                                           "other": "szansy"}))
    assert str(chances) == "szanse" and chances.after("5") == "5\u00a0szans"
    assert str(Unit(polish(), _plural_unit({"one": "minuta", "other": "minuty"}))) == "minuty"


def test_a_polish_report_counts_its_units_and_kpis(runner, write_experiment, tmp_path):
    kpis = [{"id": "minutes", "label": "Czas obsługi", "column": "minutes", "better": "lower",
             "unit": {"one": "minuta", "few": "minuty", "many": "minut", "other": "minuty"}},
            {"id": "resolved", "label": "Rozwiązane", "numerator": "resolved",
             "better": "higher", "aggregate": "rate"}]
    path = write_experiment({"kpis": kpis, "locale": "pl"})
    result = invoke(runner, "report", path, "-o", tmp_path / "qbr.pdf", "--html",
                    tmp_path / "qbr.html")
    assert result.exit_code == 0, result.output
    text = re.sub(r"<[^>]+>", " ", (tmp_path / "qbr.html").read_text()).replace("\u00a0", " ")
    assert "po korekcie na 2 wskaźniki" in text
    amounts = re.findall(r"(−?[\d,]+) (minuta|minuty|minut)\b", text)
    assert amounts, "no amount in minutes"
    from babel import Locale

    forms = {"one": "minuta", "few": "minuty", "many": "minut", "other": "minuty"}
    for number, word in amounts:
        category = Locale.parse("pl").plural_form(
            __import__("babel.numbers").numbers.parse_decimal(number.lstrip("−"), locale="pl"))
        assert word == forms[category], (number, word)
    assert "punktu procentowego" in text or "punkty procentowe" in text \
        or "punktów procentowych" in text


def test_a_unit_with_forms_in_the_definition_and_the_schema(runner, write_experiment, tmp_path):
    bad = write_experiment({"kpis": [{"id": "minutes", "column": "minutes", "better": "lower",
                                      "unit": {"one": "dzień", "plural": "dni"}}]})
    result = invoke(runner, "validate", bad)
    assert result.exit_code == 2
    assert "kpis[0].unit: unknown plural category 'plural'" in result.output
    no_other = write_experiment({"kpis": [{"id": "minutes", "column": "minutes",
                                           "better": "lower", "unit": {"one": "dzień"}}]})
    result = invoke(runner, "validate", no_other)
    assert result.exit_code == 2 and "need 'other'" in result.output
    good = write_experiment({"kpis": [{"id": "minutes", "column": "minutes", "better": "lower",
                                       "unit": {"one": "day", "other": "days"}}]})
    result = invoke(runner, "analyze", good, "--json", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert '"unit": "days"' in (tmp_path / "r.json").read_text()
    schema = invoke(runner, "schema").output
    import json

    unit = json.loads(schema)["$defs"]["KPI"]["properties"]["unit"]
    assert {"type": "string", "maxLength": 40} in unit["anyOf"]
    assert any(s.get("required") == ["other"] for s in unit["anyOf"])
