"""The HTML copy of the report in a real browser: Debian's chromium, driven by Playwright.

Each example's HTML copy (and the report of `valueproof init`) is rendered once through the CLI
and opened at a desktop and a phone width. Screenshots of the whole page are saved in each test's
tmp_path, to be looked at.
"""

from __future__ import annotations

import functools
import shutil

import pytest
from click.testing import CliRunner

from tests.conftest import EXAMPLES, invoke

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium executable on PATH (Debian package `chromium`); "
                             "Playwright drives the system browser and never downloads one")

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
REPORTS = ("support_copilot", "sales_rollout", "team_waves", "init")


@pytest.fixture(scope="module")
def html_copy(tmp_path_factory):
    """The HTML copy of a report, rendered through the CLI the first time it is asked for."""
    runner = CliRunner()
    folder = tmp_path_factory.mktemp("html")

    @functools.cache
    def render(name: str):
        definition = EXAMPLES / name / "experiment.yaml"
        if name == "init":
            assert invoke(runner, "init", folder / "scaffold").exit_code == 0
            definition = folder / "scaffold" / "experiment.yaml"
        html = folder / f"{name}.html"
        result = invoke(runner, "report", definition, "-o", folder / f"{name}.pdf",
                        "--html", html)
        assert result.exit_code == 0, result.output
        return html

    return render


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # the sandbox needs user namespaces, which a container seldom grants
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(params=VIEWPORTS)
def page(request, browser):
    """A page at the viewport's size; a phone honours the page's viewport meta tag, as a real
    one does. `page.problems` collects console errors, page errors and failed requests;
    `page.requests` every URL the page asked for."""
    phone = request.param == "phone"
    context = browser.new_context(viewport=VIEWPORTS[request.param], is_mobile=phone,
                                  has_touch=phone)
    page = context.new_page()
    page.viewport_name = request.param
    page.problems, page.requests = [], []
    page.on("console", lambda message: message.type == "error" and page.problems.append(
        f"console error: {message.text}"))
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda failed: page.problems.append(
        f"request failed: {failed.url[:80]} ({failed.failure})"))
    page.on("request", lambda sent: page.requests.append(sent.url))
    yield page
    context.close()


FONT_STATUS = """async () => {
    await document.fonts.ready;
    // a face no text has needed yet is still "unloaded": load it, so that a broken one shows
    await Promise.allSettled([...document.fonts].map(face => face.load()));
    return [...document.fonts].map(face => [face.family.replaceAll('"', ''), face.weight,
                                            face.status]);
}"""

LAYOUT = """() => {
    const html = document.documentElement;
    const outside = [...document.querySelectorAll('body *')].filter(element => {
        if (element.closest('.table-scroll, .chart-scroll')) return false;  // scrolls in its box
        const box = element.getBoundingClientRect();
        return box.width > 0 && (box.left < -0.5 || box.right > innerWidth + 0.5);
    }).map(element => element.tagName + ' ' + (element.getAttribute('class') || ''));
    const sections = [...document.querySelectorAll('section')].map(section => {
        const box = section.getBoundingClientRect();
        return [box.left, innerWidth - box.right];
    });
    return {
        scrollWidth: html.scrollWidth, innerWidth,
        overflowX: [getComputedStyle(html).overflowX, getComputedStyle(document.body).overflowX],
        outside, sections,
        running: [...document.querySelectorAll('.running')].map(el => el.getClientRects().length),
        chartImages: document.querySelectorAll('img[src^="data:image/svg+xml"]:not(.logo)').length,
        charts: document.querySelectorAll('figure.chart svg.chart').length,
        chartFont: [...document.querySelectorAll('svg.chart text')].map(
            text => getComputedStyle(text).fontFamily),
        notoSans: document.fonts.check('12px "Noto Sans"')
                  && document.fonts.check('bold 12px "Noto Sans"'),
    };
}"""


def _fonts_drawn(page, selector: str) -> set[str]:
    """The fonts Chromium actually used for the text of the elements matching `selector`."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]
    fonts = set()
    for node in nodes:
        for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
            fonts.add(f"{font['familyName']}{'' if font['isCustomFont'] else ' (system)'}")
    cdp.detach()
    return fonts


@pytest.mark.parametrize("report", REPORTS)
def test_html_copy_in_chromium(report, html_copy, page, tmp_path):
    path = html_copy(report)
    page.goto(path.as_uri(), wait_until="load")
    fonts = page.evaluate(FONT_STATUS)
    layout = page.evaluate(LAYOUT)
    page.screenshot(path=tmp_path / f"{report}-{page.viewport_name}.png", full_page=True)

    # one self-contained file: nothing but the file itself and its data: URIs is requested
    assert [url for url in page.requests
            if url != path.as_uri() and not url.startswith("data:")] == []
    assert page.problems == []

    # every font face of the stylesheet loads: the report's own Noto Sans, Arabic and symbols
    assert {(family, weight) for family, weight, _ in fonts} >= {("Noto Sans", "400"),
                                                                 ("Noto Sans", "700")}
    assert [face for face in fonts if face[2] != "loaded"] == []
    assert layout["notoSans"]

    # the page is laid out at the device's width and never scrolls sideways
    width = VIEWPORTS[page.viewport_name]["width"]
    assert layout["innerWidth"] == width
    assert layout["overflowX"] == ["visible", "visible"]  # nothing wider is clipped out of sight
    assert layout["scrollWidth"] <= width
    assert layout["outside"] == []

    # each printed page is a card: centred, at a readable width on the desktop
    assert len(layout["sections"]) >= 5
    for left, right in layout["sections"]:
        assert abs(left - right) <= 1
        if page.viewport_name == "desktop":
            assert left >= 150  # about 60em wide at most, not the window's 1280 px
    assert layout["running"] and set(layout["running"]) == {0}  # page headers and footers hidden

    # charts are inline SVG, their text set in the page's Noto Sans (not a fallback serif)
    assert layout["chartImages"] == 0 and layout["charts"] >= 3
    assert layout["chartFont"] and all(font.startswith('"Noto Sans"')
                                       for font in layout["chartFont"])
    # (the true minus sign of negative tick labels comes from the shipped math subset)
    assert "Noto Sans" in _fonts_drawn(page, "svg.chart text") <= {"Noto Sans", "Noto Sans Math"}
    if page.viewport_name == "desktop":  # the same fonts at every width; this check is slow
        # and all other text in the fonts the report carries, none from the system
        assert _fonts_drawn(page, "body *:not(svg *)") <= {
            "Noto Sans", "Noto Sans Arabic", "Noto Sans Math", "Noto Sans Symbols2"}


PHONE_READING = """() => {
    const effective = element => parseFloat(getComputedStyle(element).fontSize)
                                 * (element.currentCSSZoom || 1);
    const small = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode());) {
        const element = node.parentElement;
        if (!node.textContent.trim() || element.closest('svg, .running, style')) continue;
        if (!element.getClientRects().length) continue;  // not shown on a screen
        const size = effective(element);
        if (size < 13.95) small.push([element.tagName + '.' + element.className,
                                      Math.round(size * 10) / 10, node.textContent.trim().slice(0, 30)]);
    }
    const charts = [...document.querySelectorAll('svg.chart')].map(svg => {
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        const sizes = [...svg.querySelectorAll('text')].map(text =>
            parseFloat(text.getAttribute('font-size') || getComputedStyle(text).fontSize));
        return Math.min(...sizes) * scale;
    });
    // every table that scrolls, scrolled to its far end: are its key cells still in its box?
    const hidden = [];
    for (const box of document.querySelectorAll('.table-scroll')) {
        if (box.scrollWidth <= box.clientWidth + 1) continue;
        const table = box.firstElementChild;
        const inView = cell => { const a = cell.getBoundingClientRect(), b = box.getBoundingClientRect();
                                 return a.left >= b.left - 0.5 && a.right <= b.right + 0.5; };
        for (const end of [1, -1]) {  // the far end and back to the start
            box.scrollLeft = end * box.scrollWidth * (getComputedStyle(box).direction === 'rtl' ? -1 : 1);
            for (const row of table.rows) {
                const keys = [row.cells[0]];
                if (table.classList.contains('scorecard')) keys.push(row.cells[row.cells.length - 1]);
                for (const cell of keys) if (cell && cell.colSpan === 1 && !inView(cell))
                    hidden.push(table.className + ': ' + cell.textContent.trim().slice(0, 30));
            }
        }
    }
    return {small, charts, hidden};
}"""


@pytest.mark.parametrize("report, locale", [("support_copilot", "en"), ("support_copilot", "ar"),
                                            ("sales_rollout", "pl")])
def test_html_copy_reads_on_a_phone(report, locale, browser, tmp_path):
    """At 390 px: body text at least 14 px, chart text at least 10 px (a chart keeps a legible
    width and scrolls in its own box), and a table that scrolls keeps its key columns in view
    (the row's name; the scorecard's status)."""
    runner = CliRunner()
    html = tmp_path / f"{report}-{locale}.html"
    result = invoke(runner, "report", EXAMPLES / report, "-o", tmp_path / "r.pdf", "--html", html,
                    "--locale", locale)
    assert result.exit_code == 0, result.output
    context = browser.new_context(viewport=VIEWPORTS["phone"], is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(html.as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready")
    page.screenshot(path=tmp_path / f"{report}-{locale}-phone.png", full_page=True)
    reading = page.evaluate(PHONE_READING)
    context.close()
    assert reading["small"] == []
    assert len(reading["charts"]) >= 3 and min(reading["charts"]) >= 10
    assert reading["hidden"] == []
