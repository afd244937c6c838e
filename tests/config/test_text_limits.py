"""Every text of a definition and of the brand file has a length limit (and every list of
sentences a number of items): one longer is refused with one message naming the file, the key,
the limit and the fix; a report with every text at its limit renders on a bounded number of
pages, with no text printed over another."""

from __future__ import annotations


import pytest
import yaml
from pypdf import PdfReader

from tests.conftest import BASE_DEFINITION, invoke
from valueproof.config import limits

KPIS = BASE_DEFINITION["kpis"]
ROI = {"currency": "EUR", "costs": [{"label": "Licence", "amount": 500, "per": "month"}],
       "benefits": [{"kpi": "minutes", "label": "Time saved", "value_per_unit": 1,
                     "volume": 2000}]}
WORDS = ("Quarterly review of the assistant rollout across the evening shift with the pilot "
         "team and the support leads who agreed the goals ").split()


def words(length: int, start: str = "Text") -> str:
    """Ordinary text (words and spaces) of exactly `length` characters."""
    out, i = start, 0
    while len(out) < length:
        out += " " + WORDS[i % len(WORDS)]
        i += 1
    return out[:length].rstrip() + "x" * (length - len(out[:length].rstrip()))


def at_limit(extra: int = 0) -> tuple[dict, dict]:
    """Changes to the base definition with every text at its limit (+ `extra` characters), and
    the brand file."""
    n = lambda limit, start="Text": words(limit + extra, start)  # noqa: E731
    action = {"do": n(limits.SENTENCE, "Do"), "owner": n(limits.OWNER, "Owner"),
              "by": "2026-06-30"}
    kpis = [{**kpi, "label": n(limits.LABEL, f"KPI{i}"), "unit": n(40, "u"),
             "actions": [action]} for i, kpi in enumerate(KPIS)]
    changes = {
        "name": n(limits.NAME, "Name"), "customer": {"name": n(limits.NAME, "Customer")},
        "vendor": {"name": n(limits.NAME, "Vendor")}, "prepared_by": n(limits.NAME, "By"),
        "brand": "brand.yaml", "quarter": "2026-Q1",
        "groups": {"treatment_label": n(limits.LABEL, "Pilot"),
                   "control_label": n(limits.LABEL, "Standard")},
        "kpis": kpis,
        "success_criteria": [{"kpi": "minutes", "label": n(limits.SENTENCE, "Goal"),
                              "target": "-30%", "by": "2026-12-31", "actions": [action]}],
        "next_quarter": [{"goal": n(limits.SENTENCE, f"Next{i}"), "owner": n(limits.OWNER),
                          "by": "2026-09-30"} for i in range(3)],
        "highlights": [n(limits.SENTENCE, f"Win{i}") for i in range(3)],
        "roadmap": [{"item": n(limits.SENTENCE, f"Road{i}"), "when": n(limits.WHEN, "Q3")}
                    for i in range(3)],
        "asks": [n(limits.SENTENCE, f"Ask{i}") for i in range(3)],
        "roi": {**ROI, "costs": [{**ROI["costs"][0], "label": n(limits.LABEL, "Cost")}],
                "benefits": [{**ROI["benefits"][0], "label": n(limits.LABEL, "Benefit")}]},
    }
    return changes, {"footer": n(limits.FOOTER, "Footer")}


def _write(write_experiment, tmp_path, changes: dict, brand: dict | None = None):
    (tmp_path / "brand.yaml").write_text(yaml.safe_dump(brand or {"footer": "Confidential"},
                                                        sort_keys=False))
    return write_experiment({"brand": "brand.yaml", **changes})


def _refused(result, where: str, key: str, limit: int, got: int) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    expected = f"{key}: at most {limit:,} characters (got {got:,}); shorten it"
    assert expected in result.output, result.output
    assert where in result.output, result.output


# --- one more character than the limit is refused ------------------------------------------------

def _set(definition: dict, key: str, value) -> None:
    """Set a dotted key (kpis[0].label, roadmap[0].when) in a definition."""
    import re

    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", key)]
    target = definition
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value


TEXTS = {
    "name": limits.NAME, "customer.name": limits.NAME, "vendor.name": limits.NAME,
    "prepared_by": limits.NAME, "groups.treatment_label": limits.LABEL,
    "groups.control_label": limits.LABEL, "kpis[0].label": limits.LABEL, "kpis[1].unit": 40,
    "kpis[0].actions[0].do": limits.SENTENCE, "kpis[0].actions[0].owner": limits.OWNER,
    "success_criteria[0].label": limits.SENTENCE, "next_quarter[1].goal": limits.SENTENCE,
    "next_quarter[1].owner": limits.OWNER, "highlights[2]": limits.SENTENCE,
    "roadmap[0].item": limits.SENTENCE, "roadmap[0].when": limits.WHEN,
    "asks[1]": limits.SENTENCE, "roi.costs[0].label": limits.LABEL,
    "roi.benefits[0].label": limits.LABEL,
    # texts without a limit of their own: column names, group values
    "data.unit": limits.TEXT, "kpis[0].column": limits.TEXT, "groups.control[0]": limits.TEXT,
}


@pytest.mark.parametrize("key", list(TEXTS))
def test_one_character_over_the_limit_is_refused(key, write_experiment, tmp_path, runner):
    changes, brand = at_limit()
    changes["groups"].update({"control": ["C"]})
    path = _write(write_experiment, tmp_path, changes, brand)
    definition = yaml.safe_load(path.read_text())
    _set(definition, key, words(TEXTS[key] + 1, "Long"))
    path.write_text(yaml.safe_dump(definition, sort_keys=False, allow_unicode=True))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), start=1)
                if "Long" in text)
    result = invoke(runner, "report", path, "-o", tmp_path / "q.pdf")
    _refused(result, f"experiment.yaml:{line}:", key, TEXTS[key], TEXTS[key] + 1)
    assert not (tmp_path / "q.pdf").exists()


def test_a_huge_label_is_refused_in_one_short_message(write_experiment, tmp_path, runner):
    """The 50,000-character label that made a 160-page PDF: refused at once, and the message
    does not print it back."""
    path = write_experiment({"kpis": [{**KPIS[0], "label": "L" * 50_000},
                                      KPIS[1]]})
    result = invoke(runner, "report", path, "-o", tmp_path / "q.pdf")
    _refused(result, "experiment.yaml:", "kpis[0].label", limits.LABEL, 50_000)
    assert len(result.output) < 400 and not (tmp_path / "q.pdf").exists()


def test_a_huge_footer_in_the_brand_file_is_refused(write_experiment, tmp_path, runner):
    """The 200,000-character footer that did not finish rendering in 3 minutes."""
    path = _write(write_experiment, tmp_path, {}, {"primary": "#1B5E9E", "footer": "F" * 200_000})
    result = invoke(runner, "report", path, "-o", tmp_path / "q.pdf")
    _refused(result, "brand.yaml:2:", "footer", limits.FOOTER, 200_000)
    assert len(result.output) < 400 and not (tmp_path / "q.pdf").exists()


def test_the_footer_one_over_the_limit_is_refused(write_experiment, tmp_path, runner):
    path = _write(write_experiment, tmp_path, {}, {"footer": words(limits.FOOTER + 1)})
    result = invoke(runner, "validate", path)
    _refused(result, "brand.yaml:1:", "footer", limits.FOOTER, limits.FOOTER + 1)


@pytest.mark.parametrize("name", ["a" * 1001 + ".csv", "a" * 300 + ".csv"])
def test_an_overlong_path_is_refused(name, write_experiment, tmp_path, runner):
    """An over-long path used to end in 'File name too long' with a traceback."""
    result = invoke(runner, "validate", write_experiment({"data": {"path": name}}))
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "data.path:" in result.output and "shorten it" in result.output
    assert len(result.output) < 400


def test_an_overlong_unknown_key_is_not_printed_back(write_experiment, tmp_path, runner):
    result = invoke(runner, "validate", write_experiment({"k" * 10_000: 1}))
    assert result.exit_code == 2 and "unknown key 'kkk" in result.output
    assert "(10,000 characters)" in result.output and len(result.output) < 600


@pytest.mark.parametrize("key, most", [("highlights", limits.ITEMS), ("asks", limits.ITEMS),
                                       ("roadmap", limits.ITEMS), ("next_quarter", limits.ITEMS),
                                       ("kpis[0].actions", limits.ACTIONS)])
def test_a_list_one_item_over_the_limit_is_refused(key, most, write_experiment, tmp_path,
                                                   runner):
    kpis = [dict(kpi) for kpi in KPIS]
    path = write_experiment({"kpis": kpis})
    definition = yaml.safe_load(path.read_text())
    _set(definition, key, [f"Item {i}" if key != "kpis[0].actions" else {"do": f"Item {i}"}
                           for i in range(most + 1)])
    path.write_text(yaml.safe_dump(definition, sort_keys=False))
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{key}: at most {most} items (got {most + 1}); keep the ones that matter most" \
        in result.output, result.output


# --- a report at the limits --------------------------------------------------------------------

def _overprinted(document) -> list[str]:
    """Lines of text of a laid-out WeasyPrint document drawn over another line (their glyphs,
    one font size tall, overlapping by more than a fifth of a line)."""
    found = []
    for number, page in enumerate(document.pages, start=1):
        lines = []
        for box in page._page_box.descendants(placeholders=True):  # also absolute boxes
            if type(box).__name__ == "TextBox" and box.text.strip():
                size = box.style["font_size"]
                top = box.position_y + (box.height - size) / 2
                lines.append((top, top + size, box.position_x, box.position_x + box.width,
                              box.text))
        lines.sort()
        for i, a in enumerate(lines):
            for b in lines[i + 1:]:
                if b[0] >= a[1]:
                    break
                overlap = min(a[1], b[1]) - b[0]
                if a[2] < b[3] - 1 and b[2] < a[3] - 1 and overlap > 0.2 * (b[1] - b[0]):
                    found.append(f"page {number}: {a[4][:20]!r} over {b[4][:20]!r}")
    return found


@pytest.mark.parametrize("many", [False, True], ids=["texts", "texts-and-lists"])
def test_a_report_at_every_limit_renders_on_bounded_pages(many, write_experiment, tmp_path,
                                                          runner, laid_out):
    documents = laid_out
    changes, brand = at_limit()
    if many:  # every list of sentences at its number of items too
        for key in ("next_quarter", "highlights", "roadmap", "asks"):
            changes[key] = (changes[key] * limits.ITEMS)[:limits.ITEMS]
        for kpi in changes["kpis"]:
            kpi["actions"] = kpi["actions"] * limits.ACTIONS
    path = _write(write_experiment, tmp_path, changes, brand)
    result = invoke(runner, "report", path, "-o", tmp_path / "q.pdf")
    assert result.exit_code == 0, result.output
    pages = len(PdfReader(tmp_path / "q.pdf").pages)
    assert pages <= (24 if many else 12), pages  # 10 and 19 when the limits were set
    assert len(documents) == 1 and _overprinted(documents[0]) == []
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "q.pdf").pages)
    assert changes["highlights"][0][:40] in " ".join(text.split())
