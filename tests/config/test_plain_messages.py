"""Validation messages a CSM can act on: a value of the wrong form gets a plain sentence with the
fix, never the schema's regular expression or the parser's wording (`valueproof validate`, exit 2,
one message)."""

from __future__ import annotations

import pytest

from tests.conftest import invoke

ROI = {"currency": "EUR", "costs": [{"label": "Licence", "amount": 12000, "per": "year"}],
       "benefits": [{"kpi": "minutes", "value_per_unit": 0.75, "volume": 5000, "per": "month"}]}
INTERNALS = ("pattern", "^", "\\d", "[A-Z]", "input should", "unable to parse", "keys should be",
             "string should")


def _roi(**cost) -> dict:
    return {**ROI, "costs": [{**ROI["costs"][0], **cost}]}


def _one_message(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.output.count("Error") == 1
    message = " ".join(result.output.split())
    assert not [bit for bit in INTERNALS if bit in message], message
    return message


@pytest.mark.parametrize("changes, expected", [
    ({"quarter": "Q2 2026"}, "quarter: 'Q2 2026' is not a quarter as the definition writes it; "
                             "write the year, a hyphen and the quarter: 2026-Q2"),
    ({"quarter": "2026 q4"}, "write the year, a hyphen and the quarter: 2026-Q4"),
    ({"quarter": "third quarter"}, "write the year, a hyphen and the quarter: 2026-Q3"),
    ({"roi": _roi(amount="12,000")},
     "roi.costs[0].amount: '12,000' is not a number as the definition writes it; write 12000 "
     "(digits only, a dot for decimals, no thousands separators)"),
    ({"roi": _roi(amount="€12 000")}, "write 12000 (digits only, a dot for decimals, no "
                                      "thousands separators or currency signs)"),
    ({"roi": {**ROI, "benefits": [{**ROI["benefits"][0], "value_per_unit": "0,75"}]}},
     "roi.benefits[0].value_per_unit: '0,75' is not a number as the definition writes it; "
     "write 0.75"),
    ({"roi": {**ROI, "currency": "€"}},
     "roi.currency: '€' is a currency sign; write the currency's three-letter code: EUR"),
    ({"roi": {**ROI, "currency": "zł"}}, "write the currency's three-letter code: PLN"),
    ({"roi": {**ROI, "currency": "usd"}},
     "roi.currency: 'usd': write the currency's three-letter code in capitals: USD"),
    ({"roi": {**ROI, "currency": "Euro"}}, "roi.currency: 'Euro' is not a currency code; write "
                                           "its three letters (ISO 4217), such as EUR, USD or PLN"),
], ids=["quarter", "quarter lower case", "quarter unknown", "amount with comma",
        "amount with sign and space", "decimal comma", "euro sign", "zloty sign", "lower case",
        "word"])
def test_validate_says_what_to_write(changes, expected, write_experiment, runner, tmp_path):
    path = write_experiment(changes)
    message = _one_message(invoke(runner, "validate", path))
    assert f"{path.name}:" in message and expected in message


def test_a_thousands_comma_inside_braces_is_explained(write_experiment, runner):
    """`{label: Licence, amount: 12,000}`: YAML reads amount 12 and a key 000 — the message
    says why, at the line, instead of 'keys should be strings'."""
    path = write_experiment({"roi": ROI})
    path.write_text(_without_roi(path.read_text()) + (
        "roi:\n  currency: EUR\n  costs:\n    - {label: Licence, amount: 12,500, per: year}\n"
        "  benefits:\n    - {kpi: minutes, value_per_unit: 0.75, volume: 5000, per: month}\n"))
    message = _one_message(invoke(runner, "validate", path))
    assert "roi.costs[0]: '500' was read as a key: inside { … } a comma separates the entries" \
        in message and "write numbers without separators (12000, not 12,000)" in message


def _without_roi(text: str) -> str:
    """The definition's YAML without its top-level `roi:` block."""
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("roi:"):
            skipping = True
            continue
        if skipping and line[:1] not in (" ", "-"):
            skipping = False
        if not skipping:
            out.append(line)
    return "".join(out)


def test_a_bad_kpi_id_says_which_characters(write_experiment, runner):
    path = write_experiment({"kpis": [{"id": "handle time", "column": "minutes"}]})
    message = _one_message(invoke(runner, "validate", path))
    assert "kpis[0].id: 'handle time' cannot be an id; use letters, digits and _ only" in message
