"""`valueproof portfolio` on a real batch: the support example copied to four accounts whose data
come from its generator with other seeds, plus one account whose definition is broken."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import EXAMPLES, invoke
from valueproof.cli import main

SEEDS = {"Alpha Logistics": 3, "Beta Retail": 4, "Gamma Energy": 5, "Delta Telecom": 6}
TRUE_HANDLE_TIME = -2.4  # minutes per ticket, as examples/support_copilot/generate_data.py writes


def _generator():
    spec = importlib.util.spec_from_file_location(
        "support_generator", EXAMPLES / "support_copilot" / "generate_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("accounts")
    generator = _generator()
    for name, seed in SEEDS.items():
        folder = root / name.split()[0].lower()
        shutil.copytree(EXAMPLES / "support_copilot", folder)
        generator.generate(seed=seed, n_pilot=16, n_standard=24).to_csv(
            folder / "data" / "tickets.csv", index=False)
        path = folder / "experiment.yaml"
        definition = yaml.safe_load(path.read_text())
        definition["customer"]["name"] = name
        path.write_text(yaml.safe_dump(definition, allow_unicode=True))
    broken = root / "broken"
    shutil.copytree(EXAMPLES / "support_copilot", broken)
    (broken / "experiment.yaml").write_text("name: Broken\nkpis: not a list\n")
    out = root / "out"
    result = invoke(CliRunner(), "batch", root, "-o", out, "--jobs", "2", "--json", "--quiet")
    assert result.exit_code == 1, result.output  # the broken account failed, the rest rendered
    return out


def test_portfolio_pools_the_accounts_and_writes_every_output(batch_dir, tmp_path):
    pdf, html, data = tmp_path / "p.pdf", tmp_path / "p.html", tmp_path / "p.json"
    result = invoke(CliRunner(), "portfolio", batch_dir, "-o", pdf, "--html", html,
                    "--json", data)
    assert result.exit_code == 0, result.output
    assert "Average handle time" in result.output and "4/5" in result.output
    pooled = json.loads(data.read_text())
    handle = next(k for k in pooled["kpis"] if k["id"] == "handle_time")
    assert handle["scale"] == "units" and handle["measurable"] == 4 and handle["total"] == 5
    assert {a["account"] for a in handle["accounts"]} == set(SEEDS)
    [failed] = handle["left_out"]
    assert failed["reason"] == "failed" and "kpis" in failed["detail"]
    estimate = handle["pooled"]
    assert estimate["hksj_low"] <= TRUE_HANDLE_TIME <= estimate["hksj_high"]
    assert estimate["pi_low"] < estimate["estimate"] < estimate["pi_high"]
    assert estimate["tau2"] >= 0
    assert all(a["weight"] > 0 for a in handle["accounts"])
    assert [r["currency"] for r in pooled["roi"]] == ["EUR"] and pooled["roi"][0]["accounts"] == 4
    assert sum(pooled["health"].values()) == 5
    assert pdf.read_bytes().startswith(b"%PDF")
    page = html.read_text()
    assert "Internal — names customers" in page and "Gamma Energy" in page
    assert "For a new account the effect could be between" in page
    summary = page.split('<section class="summary">')[1].split("</section>")[0]
    assert "Results by KPI" in summary and "4 of 5" in summary  # the overview, on page 2
    row = summary.split("Average handle time")[1].split("</tr>")[0]
    shown = [float(x.replace("−", "-")) for x in re.findall(r"[−+]?\d+(?:\.\d+)?(?= min)", row)]
    assert shown == pytest.approx([estimate[k] for k in ("estimate", "hksj_low", "hksj_high",
                                                         "pi_low", "pi_high")], abs=0.05)


def test_portfolio_in_another_language_and_pdf_is_deterministic(batch_dir, tmp_path):
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    for path in (first, second):
        assert invoke(CliRunner(), "portfolio", batch_dir, "-o", path, "--locale", "de",
                      "--html", path.with_suffix(".html")).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    assert "Intern" in first.with_suffix(".html").read_text()


def test_a_damaged_account_file_is_left_out_with_its_reason(batch_dir, tmp_path):
    copy = tmp_path / "batch"
    shutil.copytree(batch_dir, copy)
    victim = next(p for p in copy.glob("*.json") if p.name.startswith("alpha"))
    victim.write_text('{"kpis": [{"id": 1}]}')
    out = tmp_path / "p.json"
    result = invoke(CliRunner(), "portfolio", copy, "--json", out)
    assert result.exit_code == 0, result.output
    handle = next(k for k in json.loads(out.read_text())["kpis"] if k["id"] == "handle_time")
    reasons = {x["account"]: x for x in handle["left_out"]}
    assert "Alpha Logistics" in reasons and "kpis" in reasons["Alpha Logistics"]["detail"]
    victim.write_text("{not json")
    result = invoke(CliRunner(), "portfolio", copy, "--json", out)
    assert result.exit_code == 0
    assert "! Alpha Logistics left out:" in result.output and "cannot be read as JSON" in result.output


@pytest.mark.parametrize("summary, message", [
    (None, "summary.json: no such file"),
    ("{}", "not a batch summary"),
    ("[NaN]", "cannot be read as JSON"),
    ("[]", "the batch has no accounts"),
])
def test_bad_batch_folder_is_one_message_and_no_output(tmp_path, summary, message):
    folder = tmp_path / "batch"
    folder.mkdir()
    if summary is not None:
        (folder / "summary.json").write_text(summary)
    out = tmp_path / "p.pdf"
    result = CliRunner().invoke(main, ["portfolio", str(folder), "-o", str(out)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_a_missing_batch_folder_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["portfolio", "nothere", "--json", "p.json"])
    assert result.exit_code == 2 and "nothere: no such folder or file" in result.output
    assert not (tmp_path / "p.json").exists()


def test_outputs_never_go_into_the_batch_folder(batch_dir):
    result = invoke(CliRunner(), "portfolio", batch_dir, "--json", batch_dir / "pooled.json")
    assert result.exit_code == 2 and "the batch's folder" in result.output
    assert not (batch_dir / "pooled.json").exists()


def _account(name: str, effect: float, se: float, **kpi) -> "AccountResults":
    from valueproof.report.portfolio.model import AccountResults

    base = {"id": "handle_time", "label": "Handle time", "unit": "min", "better": "lower",
            "method": "did", "inference": "model", "df": 1e9, "effect": effect,
            "ci_low": effect - 1.959964 * se, "ci_high": effect + 1.959964 * se,
            "relative_effect": effect / 12, "relative_ci_low": (effect - 1.959964 * se) / 12,
            "relative_ci_high": (effect + 1.959964 * se) / 12}
    return AccountResults(name, "rendered", {"alpha": 0.05, "kpis": [{**base, **kpi}]})


def test_forty_simulated_accounts_through_the_portfolio_model():
    import numpy as np

    from valueproof.report.portfolio.model import build_portfolio

    rng = np.random.default_rng(28)
    truth = rng.normal(-2.4, 0.5, 40)  # minutes per ticket; accounts truly differ
    se = rng.uniform(0.1, 0.3, 40)
    accounts = [_account(f"Account {i}", t + rng.normal(0, s), s)
                for i, (t, s) in enumerate(zip(truth, se))]
    [kpi] = build_portfolio(accounts).kpis
    pooled = kpi.pooled
    assert kpi.scale == "units" and len(kpi.accounts) == 40
    assert pooled.hksj_low <= -2.4 <= pooled.hksj_high
    assert [a.se for a in kpi.accounts] == pytest.approx(list(se), rel=1e-5)
    assert np.mean((pooled.pi_low <= truth) & (truth <= pooled.pi_high)) >= 0.9
    assert pooled.tau == pytest.approx(0.5, abs=0.15)


def test_accounts_of_the_same_customer_each_count():
    from valueproof.report.portfolio.model import build_portfolio

    [kpi] = build_portfolio([_account("Acme", -2.0, 0.2), _account("Acme", -2.6, 0.2),
                             _account("Acme", -2.3, 0.3)]).kpis
    assert len(kpi.accounts) == 3 and kpi.pooled.k == 3


def test_reasons_and_the_relative_scale_when_units_differ():
    from valueproof.report.portfolio.model import AccountResults, build_portfolio

    accounts = [
        _account("A", -2.0, 0.2), _account("B", -2.5, 0.3),
        _account("Seconds", -150.0, 20.0, unit="s", relative_effect=-0.2,  # another unit:
                 relative_ci_low=-0.25, relative_ci_high=-0.15),  # the relative scale
        _account("No control", -2.0, 0.2, method="pre_post"),
        _account("Undetectable", -2.0, 0.2, ci_low=None, ci_high=None),
        _account("Zero base", -2.0, 0.2, relative_effect=None),
        AccountResults("Other KPIs", "rendered", {"kpis": [{"id": "csat"}]}),
        AccountResults("Broken", "failed", None, "bad YAML"),
    ]
    portfolio = build_portfolio(accounts)
    kpi = next(k for k in portfolio.kpis if k.id == "handle_time")
    assert kpi.scale == "relative" and kpi.total == 8
    assert {a.account for a in kpi.accounts} == {"A", "B", "Seconds"}
    assert {x.account: x.reason for x in kpi.left_out} == {
        "No control": "no_comparison", "Undetectable": "not_measurable",
        "Zero base": "no_relative", "Other KPIs": "no_kpi", "Broken": "failed"}
    assert kpi.pooled.k == 3 and kpi.pooled.pi_low is not None
    assert portfolio.health == {"green": 0, "amber": 0, "red": 0, "none": 8}


def test_a_summary_row_never_reads_outside_the_batch_folder(batch_dir, tmp_path):
    copy = tmp_path / "batch"
    shutil.copytree(batch_dir, copy)
    (tmp_path / "outside.json").write_text(next(copy.glob("alpha*.json")).read_text())
    rows = [r for r in json.loads((copy / "summary.json").read_text())
            if r["status"] == "rendered"]
    rows[0]["pdf"] = "../outside.pdf"
    rows[1]["pdf"] = str(tmp_path / "outside.pdf")
    (copy / "sub").mkdir()
    moved = copy / "sub" / Path(rows[2]["pdf"]).with_suffix(".json").name
    (copy / Path(rows[2]["pdf"]).with_suffix(".json")).rename(moved)
    rows[2]["pdf"] = f"sub/{moved.stem}.pdf"  # a merged summary's subfolder: read
    (copy / "summary.json").write_text(json.dumps(rows))
    out = tmp_path / "p.json"
    result = invoke(CliRunner(), "portfolio", copy / "summary.json", "--json", out)
    assert result.exit_code == 0, result.output
    accounts = {a["name"]: a for a in json.loads(out.read_text())["accounts"]}
    assert "names no results file inside" in accounts[rows[0]["account"]]["reason"]
    assert "names no results file inside" in accounts[rows[1]["account"]]["reason"]
    assert accounts[rows[2]["account"]]["reason"] == ""


def test_hostile_account_names_stay_text(tmp_path):
    from valueproof.report.portfolio.model import build_portfolio
    from valueproof.report.portfolio.render import render_portfolio

    names = ["<script>alert(1)</script>", "Bell\x07 & \x1b[31mRed", "Plain Co"]
    accounts = [_account(name, -2.0 - i / 10, 0.2) for i, name in enumerate(names)]
    pdf, html = render_portfolio(build_portfolio(accounts), "en", with_html=True)
    assert pdf.startswith(b"%PDF")
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "\x07" not in html and "\x1b" not in html


@pytest.mark.parametrize("results, problem", [
    ([], "not a valueproof results file"),
    ({"kpis": {"id": "x"}}, "'kpis' is not a list"),
    ({"kpis": [], "roi": []}, "'roi' is not an object"),
    ({"kpis": [], "roi": {"currency": "<b>"}}, "three-letter code"),
    ({"kpis": [{"id": "x", "label": ["a"]}]}, "is not text"),
    ({"kpis": [{"id": "x"}], "roi": {"currency": "EUR"}, "health": None}, None),
])
def test_the_shape_of_an_account_file_is_checked_before_use(results, problem):
    from valueproof.commands.portfolio import results_problem

    found = results_problem(results)
    assert (found is None) if problem is None else (problem in found)


def test_a_customer_on_several_rows_is_told_apart(batch_dir, tmp_path):
    copy = tmp_path / "batch"
    shutil.copytree(batch_dir, copy)
    rows = json.loads((copy / "summary.json").read_text())
    rendered = [r for r in rows if r["status"] == "rendered"]
    rendered[1]["account"] = rendered[0]["account"]
    (copy / "summary.json").write_text(json.dumps(rows))
    out = tmp_path / "p.json"
    assert invoke(CliRunner(), "portfolio", copy, "--json", out).exit_code == 0
    names = [a["name"] for a in json.loads(out.read_text())["accounts"]]
    assert len(set(names)) == len(names)
    assert f"{rendered[0]['account']} ({Path(rendered[0]['pdf']).stem})" in names
