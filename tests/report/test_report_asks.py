"""A report a CSM sends as is (issue 25, section 2): page 2 ends with the decisions asked of the
customer, steps without an owner or a date are warned about, default steps are joint in every
language, the ROI's assumptions are visible, `init` names the parties it writes, KPI names are in
sentence case inside sentences, and the terminal prints the PDF's figures."""

from __future__ import annotations

import html
import re
import shutil
from gettext import NullTranslations
from types import SimpleNamespace

import pytest
import yaml

from tests.conftest import EXAMPLES, invoke
from valueproof.language.formatting import Formatter, unisolated
from valueproof.report.sentences import in_sentence
from valueproof.value.plan import steps_without_owner

LANGUAGES = ("ar", "de", "es", "fr", "pl", "sk", "tr")
JOINT_STEPS = (
    "Together: find out why %(kpi)s got worse among the units that use the product, and agree "
    "a fix.",
    "Together: agree how to close the gap to the target: wider use, training, or a later date.",
    "Together: extend the pilot or add units, so that smaller changes can be detected.",
    "Together: measure for longer or add units to confirm the goal.",
)
#: the word for the customer in each language: a joint step never speaks of "the customer"
CUSTOMER = {"en": "customer", "ar": "العميل", "de": "Kunde", "es": "cliente", "fr": "client",
            "pl": "klient", "sk": "zákazník", "tr": "müşteri"}


def _flat(text: str) -> str:
    text = re.sub(r"<[^>]+>", " ", html.unescape(unisolated(text)))
    return " ".join(text.split())


def _html(folder, language="en") -> str:
    import valueproof
    from valueproof.config import load_experiment
    from valueproof.report.render import render_html

    results = valueproof.analyze(folder / "experiment.yaml")
    experiment = load_experiment(folder / "experiment.yaml")
    return render_html(experiment, results, language, logos={})[0]


def _summary(page: str) -> str:
    """Page 2: from the executive summary to the first KPI's page."""
    return page[page.index('<section class="summary'):page.index('<section class="kpi"')]


# -- decisions and owners -----------------------------------------------------------------------

def test_steps_without_owner_are_counted_in_one_sentence():
    assert steps_without_owner([{"owner": "CSM", "by": "2026-10-01"}]) is None
    assert steps_without_owner([]) is None
    three = steps_without_owner([{"owner": None, "by": None}] * 3)
    assert three.startswith("3 next steps have no owner and 3 have no date: ")
    assert "owner:" in three and "by:" in three  # the keys that settle them
    assert steps_without_owner([{"owner": "CSM", "by": None}]).startswith(
        "1 next step has no date: ")
    assert steps_without_owner([{"owner": None, "by": "2026-10-01"},
                                {"owner": "CSM", "by": "2026-10-01"}]).startswith(
        "1 next step has no owner: ")


def test_validate_and_analyze_warn_about_steps_without_owner(runner):
    # validate counts the steps the definition writes (next_quarter's second goal)
    checked = invoke(runner, "validate", EXAMPLES / "support_copilot" / "experiment.yaml")
    assert checked.exit_code == 0, checked.output
    assert "1 next step has no owner and 1 has no date" in " ".join(checked.output.split())
    # analyze and report count the plan's steps too: two default steps and that goal
    result = invoke(runner, "analyze", EXAMPLES / "support_copilot")
    assert result.exit_code == 0, result.output
    assert "3 next steps have no owner and 3 have no date" in " ".join(result.output.split())


def test_page_two_ends_with_the_decisions_asked_of_the_customer():
    summary = _flat(_summary(_html(EXAMPLES / "support_copilot")))
    decisions = summary[summary.index("Decisions we need from you"):]
    # the asks first, then the steps without an owner or a date (one line for a shared step)
    asks = ["Name an owner for the rollout at the second support site",
            "Book the training for the pilot agents who have not completed it"]
    assert [decisions.index(a) for a in asks] == sorted(decisions.index(a) for a in asks)
    assert decisions.count("Together: agree how to close the gap") == 1
    assert decisions.count("(owner and date to agree)") == 2
    # the table of next steps keeps the steps with an owner and a date
    steps = summary[summary.index("Next steps"):summary.index("Decisions we need from you")]
    assert "Helpdeskly CSM" in steps and "to agree" not in steps
    assert summary.rstrip().endswith("(owner and date to agree)")  # page 2 ends with them


@pytest.mark.parametrize("language", LANGUAGES)
def test_default_steps_are_joint_in_every_language(language):
    from valueproof.language.i18n import translations
    from valueproof.report.render import templates_dir

    catalogue = translations(templates_dir() / "locales", language)
    for message in JOINT_STEPS:
        translated = catalogue.gettext(message)
        assert translated != message, (language, message)
        assert CUSTOMER[language].lower() not in translated.lower(), (language, translated)
        assert translated.count("%(kpi)s") == message.count("%(kpi)s")
    for message in JOINT_STEPS:
        assert CUSTOMER["en"] not in message


# -- sentence case ------------------------------------------------------------------------------

@pytest.mark.parametrize("locale, label, shown", [
    ("en", "Reopen rate", "reopen rate"),
    ("en", "First-contact resolution", "first-contact resolution"),
    ("en", "Customer satisfaction (CSAT)", "customer satisfaction (CSAT)"),
    ("en", "CSAT", "CSAT"), ("en", "NPS of admins", "NPS of admins"),
    ("en", "iOS crashes", "iOS crashes"), ("en", "McKinsey index", "McKinsey index"),
    ("en", "A", "A"), ("en", "P95 latency", "P95 latency"),
    ("de", "Bearbeitungszeit", "Bearbeitungszeit"),  # a German noun keeps its capital
    ("de", "Durchschnittliche Bearbeitungszeit", "Durchschnittliche Bearbeitungszeit"),
    ("pl", "Skuteczność ofert", "skuteczność ofert"),
    ("tr", "Işlem süresi", "ışlem süresi"), ("tr", "İade oranı", "iade oranı"),
    ("ar", "معدل إعادة الفتح", "معدل إعادة الفتح"),
])
def test_kpi_names_inside_sentences(locale, label, shown):
    assert in_sentence(Formatter(locale), label) == shown


# -- ROI assumptions ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def noted(tmp_path_factory):
    """The support example with a source note on a benefit and a cost."""
    folder = tmp_path_factory.mktemp("noted") / "example"
    shutil.copytree(EXAMPLES / "support_copilot", folder)
    path = folder / "experiment.yaml"
    definition = yaml.safe_load(path.read_text(encoding="utf-8"))
    definition["roi"]["benefits"][0]["note"] = "loaded agent cost of €45 an hour"
    definition["roi"]["costs"][0]["note"] = "order form: 32 seats"
    path.write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
    return folder


def test_roi_table_shows_each_figures_source_and_time_saved_as_capacity(noted):
    page = _html(noted)
    roi = _flat(page[page.index('<section class="roi"'):page.index("</section>",
                                                                   page.index('<section class="roi"'))])
    assert "Agent time saved loaded agent cost of €45 an hour Average handle time" in roi
    assert "Subscription (32 seats) order form: 32 seats" in roi
    # handle time is in minutes: its benefit is capacity, the others are not named
    assert ("Agent time saved is time freed: capacity for other work, not cash, unless that "
            "time is re-deployed (or hiring avoided).") in roi
    assert "Fewer follow-up contacts is time freed" not in roi
    assert ("The conservative figure, an ROI of 301%, comes from the lower end of the total's "
            "range.") in roi


def test_a_note_is_validated_with_the_key_named(noted, tmp_path, runner):
    folder = tmp_path / "example"
    shutil.copytree(noted, folder)
    path = folder / "experiment.yaml"
    definition = yaml.safe_load(path.read_text(encoding="utf-8"))
    definition["roi"]["benefits"][0]["note"] = "x" * 201
    path.write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2
    assert "roi.benefits.0.note" in result.output or "note" in result.output
    assert "at most 200 characters" in result.output


def test_conservative_figure_only_when_it_differs_from_the_headline():
    from valueproof.report.roi_words import conservative_differs, range_note, roi_percent

    words = SimpleNamespace(fmt=Formatter("en"))
    percent = lambda v: roi_percent(words.fmt, v)  # noqa: E731
    same = SimpleNamespace(roi=4.331, roi_low=4.329)
    assert not conservative_differs(same, percent)  # both read 433%
    assert conservative_differs(SimpleNamespace(roi=4.33, roi_low=3.01), percent)
    assert not conservative_differs(SimpleNamespace(roi=4.33, roi_low=float("-inf")), percent)

    from valueproof.language.words import Words

    english = Words(NullTranslations(), Formatter("en"))
    roi = SimpleNamespace(roi=4.331, roi_low=4.329, level=0.95, range_method="joint",
                          each_level=None)
    assert "conservative" not in range_note(english, roi, percent)
    roi.roi_low = 3.01
    assert "The conservative figure, an ROI of 301%," in range_note(english, roi, percent)


# -- init ---------------------------------------------------------------------------------------

def test_init_writes_the_names_it_is_given(runner, tmp_path):
    from valueproof.config.brand import Brand

    target = tmp_path / "acme"
    result = invoke(runner, "init", target, "--customer", "Acme: EU & Co", "--vendor", "Helpdeskly")
    assert result.exit_code == 0, result.output
    written = {p: (target / p).read_text(encoding="utf-8")
               for p in ("experiment.yaml", "brand/brand.yaml", "brand/logo.svg")}
    assert not any("Example" in text for text in written.values())
    definition = yaml.safe_load(written["experiment.yaml"])
    assert definition["customer"]["name"] == "Acme: EU & Co"
    assert definition["vendor"]["name"] == "Helpdeskly"
    brand = yaml.safe_load(written["brand/brand.yaml"])
    assert brand["footer"] == "Confidential — prepared for Acme: EU & Co"
    assert ">Acme: EU &amp; Co</text>" in written["brand/logo.svg"] and ">A</text>" in \
        written["brand/logo.svg"]
    # the brand file's comments name only keys that exist, and it sets only those
    named = re.findall(r"^#\s+([a-z_]+)\s", written["brand/brand.yaml"], re.M)
    assert named and set(named) <= set(Brand.model_fields) and set(brand) <= set(Brand.model_fields)
    checked = invoke(runner, "validate", target / "experiment.yaml")
    assert checked.exit_code == 0, checked.output


def test_init_refuses_an_empty_name(runner, tmp_path):
    result = invoke(runner, "init", tmp_path / "x", "--customer", " ")
    assert result.exit_code == 2 and "--customer" in result.output
    assert not (tmp_path / "x").exists()


# -- one precision per figure ---------------------------------------------------------------------

def test_terminal_prints_the_detail_boxs_figures(runner):
    page = _flat(_html(EXAMPLES / "support_copilot"))
    result = invoke(runner, "analyze", EXAMPLES / "support_copilot")
    output = " ".join(result.output.split())
    # reopen rate: +6.0 (+4.5 … +7.5) in the PDF, the same figures in the terminal
    assert "Effect (percentage points) +6.0 +4.5 … +7.5" in page
    assert "+6.0 pp [+4.5, +7.5]" in output and "+5.98" not in output
    assert "Effect (min) −2.47 −2.73 … −2.22" in page
    # (the table may wrap the cell after its first bound)
    assert "−2.47 min [−2.73," in output and "−2.22]" in output and "-2.47" not in output
    assert "ROI over 12 months: 433% (€5.33 back for every €1 spent" in output


@pytest.mark.parametrize("kind, unit, target, measured, shown", [
    ("relative", "min", -0.01, 0.9050119, ("+91%", "−1%")),
    ("relative", "min", -0.15, -0.2063, ("−21%", "−15%")),
    ("relative", "min", 0.025, 0.0312, ("+3.1%", "+2.5%")),
    ("absolute", "%", 0.08, 0.0615, ("+6.2 pp", "+8.0 pp")),
    ("absolute", "min", -1.25, -2.4745, ("−2.47 min", "−1.25 min")),
    ("level", "points", 4.3, 4.0763, ("4.08 points", "4.30 points")),
])
def test_a_goals_cell_has_one_precision(kind, unit, target, measured, shown):
    from valueproof.cli.terminal import english, short_units
    from valueproof.report.scorecard import goal_figures

    criterion = SimpleNamespace(kind=kind, target=target, measured=measured)
    _, got_measured, got_target = goal_figures(english(), criterion, SimpleNamespace(unit=unit))
    plain = lambda text: short_units(text).replace("\u00a0", " ")  # noqa: E731
    assert (plain(got_measured), plain(got_target)) == shown
