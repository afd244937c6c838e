"""The report, HTML and deck of KPIs measured against the vendor's other accounts (synthetic
difference-in-differences): the account beside its weighted blend, the blend described without a
name, the pre-rollout fit and dip as cautions, too few accounts said plainly, the method in the
appendix; and no donor account's id anywhere in what the customer reads."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import EXAMPLES, invoke
from valueproof.commands.pipeline import pipeline
from valueproof.report.context import report_context
from valueproof.report.render import render_html, render_report
from valueproof.stats.results import PreTrend, Results

# distinctive ids: none may reach a customer's page, slide or chart workbook
DONORS = [f"zqx-donor-{name}-{i}" for i, name in enumerate(
    ["Quokka", "Narwhal", "Axolotl", "Pangolin", "Okapi", "Tapir", "Dugong", "Fossa", "Kinkajou",
     "Numbat", "Saiga", "Gerenuk", "Markhor", "Zorilla", "Tarsier", "Aye-aye", "Binturong",
     "Cassowary", "Dhole", "Echidna", "Gharial", "Hoatzin", "Ibex"])]
LEFT_OUT = ["zqx-left-Wombat-1", "zqx-left-Quoll-2", "zqx-left-Bilby-3"]


def _synthetic(kpi, donors: list[str], fit: str = "good", dip: bool = False):
    """`kpi` as the stats stage reports a comparison with donor accounts: one treated account,
    its twin as the comparison line, the placebo test over `donors`."""
    count = len(donors)
    weights = [0.18] + [0.82 / (count - 1)] * (count - 1)
    smallest = 1 / (count + 1)
    detectable = smallest < 0.05
    trend = [dataclasses.replace(
        p, control=None if p.treatment is None else p.treatment * (0.97 if p.post else 1.0),
        treatment_low=None, treatment_high=None, control_low=None, control_high=None)
        for p in kpi.trend]
    changes = {} if detectable else {"verdict": "inconclusive", "significant": False,
                                     "improved": False}
    p_value = max(kpi.p_value, smallest)
    return dataclasses.replace(
        kpi, method="synthetic_did", inference="placebo",
        n_units={"treatment": 1, "control": count}, trend=trend, smallest_p=smallest,
        detectable=detectable, p_value=p_value,
        pre_trend=PreTrend("not_testable", None, None, None, 0),
        synthetic={"donors": count, "largest_weight": weights[0],
                   "effective_donors": 1 / sum(w * w for w in weights),
                   "pre_rmspe": abs(kpi.effect) / 4, "pre_fit": fit, "dip": dip,
                   "placebo_se": kpi.se,
                   "estimators": {"sdid": {"effect": kpi.effect, "ci_low": kpi.ci_low,
                                           "ci_high": kpi.ci_high, "p_value": p_value},
                                  "sc": {"effect": kpi.effect * 1.1, "p_value": 0.08},
                                  "did": {"effect": kpi.effect * 0.8, "p_value": 0.2}},
                   "weights": [{"donor": d, "weight": w} for d, w in zip(donors, weights)],
                   "time_weights": [{"period": p.period, "weight": 0.25} for p in kpi.trend[:4]]},
        **changes)


@pytest.fixture(scope="module")
def case():
    """The sales example's results as a comparison with 23 donor accounts (12 for the third
    KPI: too few to detect anything), the second KPI with a poor fit and a dip."""
    experiment, results = pipeline(EXAMPLES / "sales_rollout" / "experiment.yaml")
    # no comparison group of its own: the account is named by the customer's name
    groups = experiment.groups.model_copy(update={"treatment_label": None, "control_label": None})
    experiment = experiment.model_copy(update={"groups": groups})
    first, second, third = results.kpis[:3]
    kpis = [_synthetic(first, DONORS), _synthetic(second, DONORS, fit="poor", dip=True),
            _synthetic(third, DONORS[:12]), *results.kpis[3:]]
    excluded = [{"donor": LEFT_OUT[0], "reason": "rolled out on 2026-02-01"},
                {"donor": LEFT_OUT[1], "reason": "listed in comparison.exclude"},
                {"donor": LEFT_OUT[2], "reason": "no value in 2026-W05 for win_rate"}]
    synthetic: Results = dataclasses.replace(
        results, method="synthetic_did", kpis=kpis,
        donors={"kept": DONORS, "excluded": excluded})
    return experiment, synthetic


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")
                  .replace("\u2066", "").replace("\u2069", "").replace("\u00ad", ""))


def _pdf_pages(pdf: bytes, folder: Path) -> list[str]:
    path = folder / "qbr.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return [_flat(page) for page in text.split("\f")]


def _no_donor(text: str) -> None:
    leaked = [d for d in DONORS + LEFT_OUT if d.lower() in text.lower()]
    assert not leaked, f"donor ids in the customer's output: {leaked}"
    assert "zqx-" not in text.lower()


@pytest.fixture(scope="module")
def english(case, tmp_path_factory):
    experiment, results = case
    rendered = render_report(experiment, results, report_context(experiment, results, "en"),
                             with_html=True)
    return _pdf_pages(rendered.pdf, tmp_path_factory.mktemp("en")), rendered.html


def test_kpi_pages_compare_with_a_named_blend_of_unnamed_accounts(english):
    pages, html = english
    kpi_pages = [p for p in pages if "OUTCOME" in p[:120]]
    assert len(kpi_pages) == 3
    for page in kpi_pages[:2]:
        assert "compared with a weighted blend of 23 comparable accounts (largest weight 18%)" \
            in page
        assert "placebo test over the 23 comparable accounts" in page
        assert "Pre-trend check" not in page
    assert "Before the rollout the weighted blend followed this KPI closely" in kpi_pages[0]
    assert "Caution: before the rollout the weighted blend did not follow this KPI closely" \
        in kpi_pages[1]
    assert "fell behind its weighted blend" in kpi_pages[1]
    assert "fell behind" not in kpi_pages[0]
    assert ("Not detectable with this design: with 12 comparable accounts, no effect however "
            "large could reach significance (the smallest possible p-value is 0.077)") \
        in kpi_pages[2]
    assert "units with the product" not in " ".join(kpi_pages).lower()
    # the poor fit is a warning, drawn as one
    assert re.search(r'<p class="note warn">Caution: before the rollout the weighted blend',
                     html)


def test_summary_appendix_and_glossary_explain_the_comparison(english):
    pages, _ = english
    text = " ".join(pages)
    assert "not detectable with this design: too few comparable accounts" in pages[1]
    assert "weighted blend of 12–23 comparable accounts that did not have it" in pages[1]
    assert "Their names stay confidential" in pages[1]
    assert ("Of the 26 accounts offered for comparison, 23 were kept and 3 left out" in text)
    assert "synthetic difference-in-differences; Arkhangelsky" in text
    assert "Abadie, Diamond and Hainmueller" in text
    assert "takes at least 20 comparable accounts" in text
    for term in ("Synthetic comparison", "Placebo test", "Pre-rollout fit"):  # the glossary
        assert term in text
    assert "Pre-trend check" not in text and "Welch p" not in text


def test_the_chart_draws_the_account_beside_its_weighted_blend(case):
    experiment, results = case
    page = report_context(experiment, results, "en").values["kpis"][0]
    chart = base64.b64decode(page["trend_svg"].split(",", 1)[1]).decode()
    texts = " ".join(re.findall(r">([^<>]+)</text>", chart))
    assert "Comparable" in texts and "weighted" in texts  # the twin's direct label
    assert "Bałtyk" in texts  # the account, by the customer's name
    assert "Rollout" in texts


def test_no_donor_id_in_the_pdf_or_the_html(english):
    pages, html = english
    _no_donor(" ".join(pages))
    _no_donor(html)


def test_polish_report_says_the_blend_in_polish(case, tmp_path):
    experiment, results = case
    html, _ = render_html(experiment, results, context=report_context(experiment, results, "pl"))
    text = _flat(re.sub(r"<[^>]+>", " ", html))
    _no_donor(html)
    assert "w porównaniu z ważoną kombinacją 23 porównywalnych kont (największa waga 18%)" in text
    assert "Ważona kombinacja porównywalnych kont" in text  # the glossary
    assert "Testy odporności" in text and "Test trendów przed wdrożeniem" not in text


def test_arabic_counts_the_accounts_in_its_own_plural_forms(case):
    experiment, results = case
    pages = report_context(experiment, results, "ar").values["kpis"]
    bare = [re.sub("[\u2066-\u2069]", "", page["sentence"]) for page in pages]
    assert "مزيج مرجّح من 23 حسابًا مماثلًا" in bare[0]  # 11–99: the accusative singular
    assert "مزيج مرجّح من 12 حسابًا مماثلًا" in bare[2]


def _deck_xml(pptx: bytes) -> str:
    """Every XML part of the deck, and of the workbooks embedded in its charts."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(pptx)) as deck:
        for name in deck.namelist():
            data = deck.read(name)
            if name.endswith(".xlsx"):
                with zipfile.ZipFile(io.BytesIO(data)) as book:
                    parts += [book.read(n).decode("utf-8", "replace") for n in book.namelist()]
            else:
                parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


@pytest.mark.parametrize("locale", ["en", "de"])
def test_deck_shows_the_twin_and_names_no_donor(case, locale):
    pytest.importorskip("pptx")
    from valueproof.report.deck.render import render_deck

    experiment, results = case
    xml = _deck_xml(render_deck(experiment, results, report_context(experiment, results, locale)))
    _no_donor(xml)
    if locale == "en":
        assert "Comparable accounts, weighted" in xml  # the twin's series in the KPI charts
        assert "weighted blend of 23 comparable accounts (largest weight 18%)" in xml
        assert "Never name those accounts" in xml  # the speaker notes
        assert "Robustness: synthetic control" in xml
        assert "placebo test: each comparable account in turn" in xml  # the appendix's notes
        assert "CR2" not in xml
    else:
        assert ("gegenüber einer gewichteten Kombination aus 23 vergleichbaren Kunden (größtes "
                "Gewicht 18\u00a0%)") in xml
        assert "Nennen Sie diese Kunden nie" in xml


@pytest.fixture(scope="module")
def no_control(tmp_path_factory):
    """The example without a control group through the CLI: results JSON, PDF, HTML, deck."""
    pytest.importorskip("pptx")
    out = tmp_path_factory.mktemp("no_control")
    result = invoke(CliRunner(), "report", EXAMPLES / "no_control" / "experiment.yaml",
                    "-o", out / "qbr.pdf", "--html", out / "qbr.html", "--json",
                    out / "results.json", "--deck", out / "deck.pptx")
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "results.json").read_text())


def test_example_names_its_donors_only_in_the_vendor_json(no_control):
    out, results = no_control
    donors = {d["donor"] for k in results["kpis"] for d in k["synthetic"]["weights"]}
    donors |= set(results["donors"]["kept"]) | {d["donor"] for d in results["donors"]["excluded"]}
    assert len(donors) > 20 and results["donors"]["excluded"]
    pages = _pdf_pages((out / "qbr.pdf").read_bytes(), out)
    shown = {"PDF": " ".join(pages), "HTML": (out / "qbr.html").read_text(),
             "deck": _deck_xml((out / "deck.pptx").read_bytes())}
    for where, text in shown.items():
        leaked = sorted(d for d in donors if re.search(rf"(?<![\w-]){re.escape(d)}(?![\w-])", text))
        assert not leaked, f"{where} names donor accounts {leaked}"
    first = results["kpis"][0]
    blend = (f"compared with a weighted blend of {first['synthetic']['donors']} comparable "
             f"accounts (largest weight ")
    assert blend in shown["PDF"] and blend in shown["deck"]


def test_analyze_names_the_method_and_the_fit(runner):
    result = invoke(runner, "analyze", EXAMPLES / "no_control" / "experiment.yaml")
    assert result.exit_code == 0, result.output
    assert "synthetic difference-in-differences against donor accounts" in result.output
    assert re.search(r"fit (good|poor), \d+ donors", result.output)
