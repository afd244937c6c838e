"""`valueproof portfolio OUTDIR`: the vendor's pooled view of a batch's accounts.

Reads a batch's output folder (its summary.json, or a merged summary, and each account's
results JSON beside it, as `valueproof batch … --json` writes them) and nothing else, pools
every KPI across the accounts and writes the vendor-internal PDF (and HTML, JSON, slide deck)
all together or not at all.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import replace
from pathlib import Path

from valueproof.errors import ValueproofError
from valueproof.report.portfolio.model import AccountResults, Portfolio, build_portfolio

SUMMARY = "summary.json"
MAX_JSON_BYTES = 64 * 1024 * 1024  # an account's results are a few hundred kB
WITH_RESULTS = ("rendered", "skipped")  # skipped: up to date, its files from an earlier run


def read_batch(path: Path) -> list[AccountResults]:
    """Every account of a batch: `path` is its output folder or a summary file in it (a merged
    summary too: the same rows). A customer named on several rows (other quarters) is told
    apart by its file name. Each row's results file is the one its PDF names, `<name>.json`,
    and must be in the summary's folder. A bad or missing summary is a ValueproofError; a bad
    or missing account file leaves that account out with the reason."""
    summary = summary_file(path)
    rows = _load_json(summary, f"run 'valueproof batch … -o {path} --json' first")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueproofError(f"{summary}: not a batch summary (a list of accounts); give the "
                              "folder of a 'valueproof batch' run")
    folder = summary.parent
    accounts = [_account(row, folder) for row in rows]
    counts = Counter(a.name for a in accounts)
    accounts = [replace(a, name=f"{a.name} ({Path(str(row.get('pdf') or '')).stem or i + 1})")
                if counts[a.name] > 1 else a for i, (a, row) in enumerate(zip(accounts, rows))]
    if not accounts:
        raise ValueproofError(f"{summary}: the batch has no accounts; run 'valueproof batch' "
                              "on your definitions first")
    return accounts


def summary_file(path: Path) -> Path:
    """The batch's summary: `path` itself, or summary.json in the folder `path`."""
    if not os.path.exists(path):
        raise ValueproofError(f"{path}: no such folder or file; give the output folder of "
                              "'valueproof batch … --json'")
    return path / SUMMARY if os.path.isdir(path) else path


def _load_json(path: Path, fix: str):
    try:
        if os.path.getsize(path) > MAX_JSON_BYTES:
            raise ValueproofError(f"{path}: larger than {MAX_JSON_BYTES // 2**20} MB; not a "
                                  "valueproof file")
        with open(path, encoding="utf-8") as handle:
            return json.load(handle, parse_constant=_no_constant)
    except FileNotFoundError:
        raise ValueproofError(f"{path}: no such file; {fix}") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueproofError(f"{path}: cannot be read as JSON ({_short(exc)}); {fix}") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _short(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc).split("\n")[0][:200]


def _account(row: dict, folder: Path) -> AccountResults:
    name = str(row.get("account") or row.get("definition") or "?")
    status = str(row.get("status", ""))
    if status not in WITH_RESULTS:
        return AccountResults(name, status, None, str(row.get("error") or status))
    results_file = _results_file(str(row.get("pdf") or ""), folder)
    if results_file is None:
        return AccountResults(name, status, None, "its summary row names no results file "
                                                  f"inside {folder}")
    try:
        results = _load_json(results_file, "run the batch with --json")
    except ValueproofError as exc:
        return AccountResults(name, status, None, exc.message)
    problem = results_problem(results)
    if problem:
        return AccountResults(name, status, None, f"{results_file}: {problem}")
    return AccountResults(name, status, results)


def _results_file(pdf: str, folder: Path) -> Path | None:
    """The results JSON beside a summary row's PDF (`<name>.pdf` -> `<name>.json`; a merged
    summary's row may name one in a subfolder), or None unless it stays inside `folder`."""
    relative = Path(pdf)
    if (relative.suffix != ".pdf" or relative.is_absolute() or ".." in relative.parts
            or not relative.stem):
        return None
    path = folder / relative.with_suffix(".json")
    real_folder = os.path.realpath(folder)
    return path if os.path.realpath(path).startswith(real_folder + os.sep) else None


def results_problem(results) -> str | None:
    """What makes a parsed results file unusable here (None when it is usable): the shape the
    portfolio reads, checked before any of it is trusted."""
    if not isinstance(results, dict):
        return "not a valueproof results file"
    kpis = results.get("kpis")
    if not isinstance(kpis, list) or not all(
            isinstance(k, dict) and isinstance(k.get("id"), str) for k in kpis):
        return "its 'kpis' is not a list of KPIs with an id"
    for key in ("roi", "health"):
        if results.get(key) is not None and not isinstance(results[key], dict):
            return f"its '{key}' is not an object"
    currency = (results.get("roi") or {}).get("currency")
    if currency is not None and not (isinstance(currency, str) and len(currency) == 3
                                     and currency.isascii() and currency.isupper()):
        return "its ROI's currency is not a three-letter code"
    text_fields = ("label", "unit", "better", "method", "transform", "model", "inference")
    if any(k.get(f) is not None and not isinstance(k[f], str) for k in kpis for f in text_fields):
        return "a KPI's label, unit or method is not text"
    return None


def make_portfolio(path: Path, output: Path | None = None, html_path: Path | None = None,
                   json_path: Path | None = None, locale: str = "en",
                   method: str = "REML", deck: Path | None = None) -> Portfolio:
    """Read the batch at `path`, pool it, and write the asked-for outputs together (`deck`: a
    .pptx, or a .pdf of its slides)."""
    from valueproof.commands.outputs import check_outputs, write_all
    from valueproof.commands.report import check_deck_option

    check_deck_option(deck)
    outputs = {"-o": output, "--html": html_path, "--json": json_path, "--deck": deck}
    summary = summary_file(path)
    check_outputs(outputs, {"the batch summary": summary})
    for given in outputs.values():
        if given is not None and given.resolve().parent == summary.resolve().parent:
            raise ValueproofError(f"{given}: the batch's folder holds the accounts' own files; "
                                  "write the portfolio elsewhere")
    portfolio = build_portfolio(read_batch(path), method=method)
    files: list[tuple[Path, str | bytes]] = []
    if json_path is not None:
        files.append((json_path, json.dumps(portfolio.to_dict(), indent=2, ensure_ascii=False,
                                            allow_nan=False) + "\n"))
    pages = output is not None or html_path is not None
    if pages or deck is not None:
        from valueproof.report.portfolio.render import portfolio_pages, render_portfolio

        shared = portfolio_pages(portfolio, locale, drawn=pages)  # once, for the PDF and deck
    if pages:
        pdf, html = render_portfolio(portfolio, locale, with_pdf=output is not None,
                                     with_html=html_path is not None, pages=shared)
        files += [(p, c) for p, c in ((output, pdf), (html_path, html)) if p is not None]
    if deck is not None:
        from valueproof.report.deck.pdf import convert
        from valueproof.report.deck.portfolio import render_portfolio_deck

        pptx = render_portfolio_deck(portfolio, *shared)
        files.append((deck, convert(pptx) if deck.suffix.lower() == ".pdf" else pptx))
    write_all(files)
    return portfolio
