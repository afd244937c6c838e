"""Report hardening: customer text never reaches CSS or mathtext, bad logos are left out with a
warning, long names stay on the page, and outputs are all-or-nothing and never overwrite an
input."""

from __future__ import annotations

import base64
import errno
import json
import re
import struct
import tempfile
import zlib
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from tests.conftest import invoke
from valueproof.config import limits

ROI = {"currency": "EUR", "costs": [{"label": "Licence", "amount": 500, "per": "month"}],
       "benefits": [{"kpi": "minutes", "label": "Time saved", "value_per_unit": 1, "volume": 2000}]}
KPIS = [{"id": "minutes", "label": "Handle time", "column": "minutes", "unit": "min",
         "better": "lower"},
        {"id": "resolved", "label": "Resolution rate", "numerator": "resolved",
         "better": "higher", "aggregate": "rate"}]


def _squeeze(text: str) -> str:
    """Text without whitespace (and the invisible break opportunities the report adds)."""
    return re.sub(r"[\s\u200b]+", "", text)


def _pages(pdf: Path) -> list[str]:
    return [_squeeze(page.extract_text()) for page in PdfReader(pdf).pages]


def _experiment(write_experiment, tmp_path: Path, changes: dict, footer: str = "Confidential"):
    (tmp_path / "brand.yaml").write_text(yaml.safe_dump({"footer": footer}, allow_unicode=True))
    return write_experiment({"brand": "brand.yaml", "roi": ROI, **changes})


def _svgs(html: str) -> list[str]:
    """The SVG images of a report's HTML copy (the charts are inline, logos data URIs), as text."""
    return re.findall(r"<svg\b.*?</svg>", html, flags=re.S) + [
        base64.b64decode(data).decode("utf-8")
        for data in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)]


# --- 1. no customer text inside CSS -------------------------------------------------------------

PAYLOADS = {"formfeed": "Acme\f} } html { display:none }",
            "return": "Acme\r} } html { display:none }",
            "style": "Acme</style><style>html { display:none }</style>",
            "brace": "Acme} html {display:none}",
            "script": "Acme<script>alert(1)</script>"}
FIELDS = ("customer", "footer", "vendor", "kpi", "prepared_by")


@pytest.mark.parametrize("payloads", [("formfeed", "return", "style", "brace", "script"),
                                      ("return", "formfeed", "script", "style", "brace"),
                                      ("style", "script", "brace", "formfeed", "return")],
                         ids=lambda names: "+".join(names[:2]))
def test_css_payloads_print_literally_on_every_page(payloads, write_experiment, tmp_path, runner):
    """A payload in each of customer.name, brand footer, vendor.name, a KPI label and prepared_by
    (rotated, so that the two page-margin texts see the control characters and the others)."""
    text = {field: PAYLOADS[name] + " " + field for field, name in zip(FIELDS, payloads)}
    kpis = [{**KPIS[0], "label": text["kpi"]}, KPIS[1]]
    path = _experiment(write_experiment, tmp_path,
                       {"customer": {"name": text["customer"]}, "vendor": {"name": text["vendor"]},
                        "prepared_by": text["prepared_by"], "kpis": kpis}, footer=text["footer"])
    result = invoke(runner, "report", path, "-o", tmp_path / "q.pdf")
    assert result.exit_code == 0, result.output
    pages = _pages(tmp_path / "q.pdf")
    literal = {field: _squeeze(value) for field, value in text.items()}
    assert len(pages) >= 6
    assert "Testpilot" in pages[0] and "Preparedby" in pages[0]
    assert literal["vendor"] in pages[0] and literal["prepared_by"] in pages[0]
    assert literal["footer"] in pages[0]
    for number, page in enumerate(pages[1:], start=2):  # header and footer on every page
        assert literal["customer"] in page and literal["footer"] in page, number
        assert "QuarterlyBusinessReview" in page and f"Page{number}of{len(pages)}" in page
    everything = "".join(pages)
    for heading in ("Executivesummary", "Resolutionrate", literal["kpi"], "Returnoninvestment",
                    "Howtheseresultsweremeasured", "Reproducibility"):
        assert heading in everything


# --- 2. labels are plain text, never mathtext ---------------------------------------------------

def test_dollar_signs_in_labels_are_plain_text(write_experiment, tmp_path, runner):
    kpis = [{**KPIS[0], "label": r"$\frac{x}$ at $50/h", "unit": "$/h"}, KPIS[1]]
    roi = {**ROI, "benefits": [{**ROI["benefits"][0], "label": "$50/h saved, $5_000 a month"}]}
    path = _experiment(write_experiment, tmp_path, {"kpis": kpis, "roi": roi})
    result = invoke(runner, "report", path, "-o", tmp_path / "q.pdf", "--html", tmp_path / "q.html")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    charts = "".join(_svgs((tmp_path / "q.html").read_text()))
    assert r"$\frac{x}$ at $50/h ($/h)" in charts  # the trend chart's axis label, as written
    assert "$50/h saved, $5_000 a month" in charts  # the ROI chart's bar label
    text = "".join(_pages(tmp_path / "q.pdf"))
    assert _squeeze(r"$\frac{x}$ at $50/h") in text and _squeeze("$50/h saved, $5_000") in text


# --- 3. bad logos: a warning, and the report without that logo ----------------------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, pixels: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels)
            + _chunk(b"IEND", b""))


def _good_png() -> bytes:
    row = b"\x00" + b"\xff\x00\x00" * 4
    return _png(4, 4, zlib.compress(row * 4))


SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{}</svg>'
LOGOS = {
    "broken png": ("logo.png", _png(40, 40, b"not zlib data"), "is not a readable PNG"),
    "garbage svg": ("logo.svg", b"<svg><g></svg", "is not a well-formed SVG"),
    "svg reading a local file": (
        "logo.svg", SVG.format('<image xlink:href="file:///etc/passwd" width="9" height="9"/>')
        .encode(), "refers to 'file:///etc/passwd'"),
    "svg fetching an address": (
        "logo.svg", SVG.format('<image href="http://127.0.0.1:9/x.png" width="9" height="9"/>')
        .encode(), "refers to 'http://127.0.0.1:9/x.png'"),
    "decompression bomb": ("logo.png", _png(30000, 30000, zlib.compress(b"\0" * 4096)),
                           "declares far more pixels than a logo needs"),
    "wrong type": ("logo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
                   "is not an SVG, PNG or JPEG"),
    "svg with entities": (
        "logo.svg", b'<!DOCTYPE svg [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        + SVG.format("<text>&b;&b;&b;</text>").encode(), "declares the XML entity 'a'"),
    "svg too large to draw": ("logo.svg", SVG.format("<g/>" * 30_000).encode(),
                              "has more than 20,000 elements"),
}


@pytest.mark.parametrize("customer, vendor", [
    ("broken png", "garbage svg"), ("svg reading a local file", "svg fetching an address"),
    ("decompression bomb", "wrong type"), ("svg with entities", "svg too large to draw")])
def test_bad_logos_are_left_out_with_a_warning(customer, vendor, write_experiment, tmp_path,
                                               runner):
    parties = {}
    for party, case in (("customer", customer), ("vendor", vendor)):
        name, content, _ = LOGOS[case]
        (tmp_path / party).mkdir()
        (tmp_path / party / name).write_bytes(content)
        parties[party] = {"name": f"{party.title()} Co", "logo": f"{party}/{name}"}
    path = _experiment(write_experiment, tmp_path, parties)
    out = tmp_path / "q.pdf"
    result = invoke(runner, "report", path, "-o", out, "--html", tmp_path / "q.html",
                    "--json", tmp_path / "q.json")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and out.is_file()
    warnings = json.loads((tmp_path / "q.json").read_text())["warnings"]
    for party, case in (("customer", customer), ("vendor", vendor)):
        expected = f"{party}.logo: '{parties[party]['logo']}' {LOGOS[case][2]}"
        assert expected in result.output  # printed by `report`
        assert any(w.startswith(expected) and w.endswith("rendered without this logo")
                   for w in warnings)
    html = (tmp_path / "q.html").read_text()
    assert 'class="logo"' not in html and '<span class="wordmark">Vendor Co</span>' in html
    checked = invoke(runner, "validate", path)  # validate warns about the same logos
    assert checked.exit_code == 0
    for party, case in (("customer", customer), ("vendor", vendor)):
        assert LOGOS[case][2] in checked.output


def test_good_logos_are_kept(write_experiment, tmp_path, runner):
    (tmp_path / "a.png").write_bytes(_good_png())
    (tmp_path / "b.svg").write_text(SVG.format('<rect width="9" height="9" fill="#123456"/>'))
    path = _experiment(write_experiment, tmp_path, {"customer": {"name": "A", "logo": "a.png"},
                                                     "vendor": {"name": "B", "logo": "b.svg"}})
    result = invoke(runner, "report", path, "-o", tmp_path / "q.pdf", "--html", tmp_path / "q.html")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.strip().startswith("!")]
    assert not any("logo" in line for line in warnings), warnings  # no warning about them
    html = (tmp_path / "q.html").read_text()
    assert 'class="logo" src="data:image/png;base64,' in html
    assert 'class="logo" src="data:image/svg+xml;base64,' in html


# --- 3b. very long names stay on the page --------------------------------------------------------

def _overflowing_text(document) -> list[str]:
    """Lines of text of a laid-out WeasyPrint document that reach past the page's edges."""
    outside = []
    for number, page in enumerate(document.pages, start=1):
        for box in page._page_box.descendants():
            if type(box).__name__ == "TextBox" and (
                    box.position_x < -0.5 or box.position_x + box.width > page.width + 0.5):
                outside.append(f"page {number}: {box.text[:30]}")
    return outside


def test_long_names_wrap_inside_the_page(write_experiment, tmp_path, runner, laid_out):
    documents = laid_out
    kpis = [{**KPIS[0], "label": "K" * limits.LABEL}, KPIS[1]]  # each name at its limit
    roi = {**ROI, "benefits": [{**ROI["benefits"][0], "label": "B" * limits.LABEL}]}
    path = _experiment(write_experiment, tmp_path,
                       {"customer": {"name": "C" * limits.NAME},
                        "vendor": {"name": "V" * limits.NAME},
                        "prepared_by": "P" * limits.NAME, "kpis": kpis, "roi": roi,
                        "groups": {"treatment_label": "T" * limits.LABEL}},
                       footer="F" * limits.FOOTER)
    result = invoke(runner, "report", path, "-o", tmp_path / "q.pdf")
    assert result.exit_code == 0, result.output
    assert len(documents) == 1 and _overflowing_text(documents[0]) == []
    # shortened only in the page header
    assert "C" * limits.NAME in "".join(_pages(tmp_path / "q.pdf"))


def test_chart_labels_fit_their_room():
    from valueproof.report import charts, svg
    from valueproof.report.render import templates_dir

    charts._matplotlib(templates_dir() / "fonts")
    for label in ("W" * 200, "word " * 60, "Customer satisfaction (CSAT) (points)"):
        for lines in (1, 2, 3):
            fitted = svg.fit(label, 120, lines=lines)
            assert len(fitted.splitlines()) <= lines
            assert all(svg.text_width(line, "normal", 8.5) <= 120
                       for line in fitted.splitlines())
    short = "Subscription (32 seats)"
    assert svg.fit(short, 150, lines=2, chars=30) == short  # what fits stays as it was


# --- 4. outputs: never over an input, all or nothing ---------------------------------------------

@pytest.mark.parametrize("option, name, key", [
    ("-o", "data.csv", "data.path"), ("--html", "experiment.yaml", "experiment definition"),
    ("--json", "brand.yaml", "brand"), ("-o", "logo.png", "customer.logo")])
def test_report_refuses_to_overwrite_an_input(option, name, key, write_experiment, tmp_path,
                                              runner):
    (tmp_path / "logo.png").write_bytes(_good_png())
    path = _experiment(write_experiment, tmp_path, {"customer": {"name": "A", "logo": "logo.png"}})
    before = (tmp_path / name).read_bytes()
    args = ["-o", tmp_path / "q.pdf"] if option != "-o" else []
    result = invoke(runner, "report", path, *args, option, tmp_path / name)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert str(tmp_path / name) in result.output and f"the {key} file" in result.output
    assert (tmp_path / name).read_bytes() == before and not (tmp_path / "q.pdf").exists()


def test_analyze_refuses_to_overwrite_its_data(write_experiment, tmp_path, runner):
    path = write_experiment()
    before = (tmp_path / "data.csv").read_bytes()
    result = invoke(runner, "analyze", path, "--json", tmp_path / "data.csv")
    assert result.exit_code == 2 and "--json" in result.output and "data.path" in result.output
    assert (tmp_path / "data.csv").read_bytes() == before


def test_two_outputs_on_one_path(write_experiment, tmp_path, runner):
    path = write_experiment()
    result = invoke(runner, "report", path, "-o", tmp_path / "q.pdf", "--json", tmp_path / "q.pdf")
    assert result.exit_code == 2 and "is also given as --output" in result.output
    assert not (tmp_path / "q.pdf").exists()


def _previous_outputs(tmp_path: Path) -> dict[Path, bytes]:
    files = {tmp_path / "q.pdf": b"%PDF last quarter", tmp_path / "q.html": b"<p>last quarter",
             tmp_path / "q.json": b'{"last": "quarter"}'}
    for path, content in files.items():
        path.write_bytes(content)
    return files


def _no_temporary_files(tmp_path: Path) -> bool:
    return not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_disk_full_on_the_last_output_keeps_every_previous_file(write_experiment, tmp_path, runner,
                                                                monkeypatch):
    import os

    path = write_experiment({"roi": ROI})
    previous = _previous_outputs(tmp_path)
    real_write = os.write

    def full_disk(fd, data):  # the results JSON is written last
        if bytes(data[:30]).startswith(b'{\n  "valueproof_version"'):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_disk)
    result = invoke(runner, "report", path, "-o", tmp_path / "q.pdf", "--html", tmp_path / "q.html",
                    "--json", tmp_path / "q.json")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{tmp_path / 'q.json'}: cannot write the file: the disk is full" in result.output
    assert all(p.read_bytes() == content for p, content in previous.items())
    assert _no_temporary_files(tmp_path)


def test_analyze_json_on_a_full_disk(write_experiment, tmp_path, runner, monkeypatch):
    import os

    path = write_experiment()
    (tmp_path / "r.json").write_text("previous")

    def full_disk(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    result = invoke(runner, "analyze", path, "--json", tmp_path / "r.json")
    assert result.exit_code == 2 and "the disk is full" in result.output
    assert (tmp_path / "r.json").read_text() == "previous" and _no_temporary_files(tmp_path)


@pytest.mark.parametrize("code, words", [(errno.EACCES, "permission denied"),
                                         (errno.EROFS, "read-only file system")])
def test_unwritable_folder_writes_nothing(code, words, write_experiment, tmp_path, runner,
                                          monkeypatch):
    path = write_experiment()
    (tmp_path / "html").mkdir()
    real_mkstemp = tempfile.mkstemp

    def refuse(*args, dir=None, **kwargs):  # the HTML's folder cannot be written to
        if Path(dir).name == "html":
            raise OSError(code, "refused")
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    result = invoke(runner, "report", path, "-o", tmp_path / "q.pdf",
                    "--html", tmp_path / "html" / "q.html")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{tmp_path / 'html' / 'q.html'}: cannot write the file" in result.output
    assert words in result.output
    assert not (tmp_path / "q.pdf").exists() and _no_temporary_files(tmp_path)
