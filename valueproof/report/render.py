"""Render the QBR: context -> HTML (Jinja2) -> PDF (WeasyPrint), safely and reproducibly."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import itertools
import mimetypes
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from valueproof.config import Experiment
from valueproof.errors import ReportError
from valueproof.redaction import redact
from valueproof.sandbox import Sandbox
from valueproof.report.svg import printable
from valueproof.report.context import ReportContext, report_context, report_date, templates_dir
from valueproof.language.formatting import Formatter, isolated_text
from valueproof.stats.results import Results


def safe_fetcher(*roots: Path):
    """A WeasyPrint URL fetcher that serves only files inside `roots`: no network, no `file:`
    elsewhere, nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SafeFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
            self.guard = PathGuard(*roots)

        def fetch(self, url, headers=None):
            if url.startswith("data:"):  # the charts: self-contained, nothing is read
                return super().fetch(url, headers)
            path = self.guard.allowed_path(url)
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), body=path.read_bytes(),
                                      headers={"Content-Type": mime})

    return SafeFetcher()


class PathGuard:
    """Decides which URLs the report may read: files under the allowed folders only."""

    def __init__(self, *roots: Path):
        self.sandbox = Sandbox(*roots)

    def allowed_path(self, url: str) -> Path:
        parsed = urlparse(url)
        if parsed.scheme != "file":
            raise ReportError(f"refused to fetch '{url}': the report reads only local files "
                              "inside the experiment's folder and the templates")
        path = Path(unquote(parsed.path)).resolve()
        if not self.sandbox.holds(path):
            raise ReportError(f"refused to read '{path}': it lies outside the experiment's "
                              "folder and the templates")
        return path


def capfirst(value: object) -> str:
    """First letter upper case, the rest as written (unlike Jinja's `capitalize`)."""
    text = str(value)
    return text[:1].upper() + text[1:]


_LONG_RUN = re.compile(r"\S{31,}")


def breakable(value: object) -> str:
    """Text with invisible break opportunities (U+200B) inside runs of more than 30 characters
    without a space, so that a long name wraps in a table cell instead of widening the table
    past the page. Ordinary words are left alone."""
    return _LONG_RUN.sub(lambda run: "\u200b".join(
        run.group()[i:i + 15] for i in range(0, len(run.group()), 15)), str(value))


def _printable(value: object) -> object:
    """Every value the template prints, without control characters (see `svg.printable`)."""
    from markupsafe import Markup

    if isinstance(value, Markup):  # removing a control character cannot create markup
        return Markup(printable(str(value)))
    return printable(value) if isinstance(value, str) else value


def _data_uri(path: Path, mime: str | None = None) -> str:
    mime = mime or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def logo_sources(experiment: Experiment) -> tuple[dict[str, str | None], list[str]]:
    """Each party's logo as a data URI (None without a usable logo), and a warning for every
    logo left out because it cannot be drawn safely."""
    from valueproof.report.logos import LogoProblem, logo_mime, logo_warning

    guard = PathGuard(experiment.base_dir, *experiment.allowed_roots)
    sources, warnings = {}, []
    for party in ("customer", "vendor"):
        info = getattr(experiment, party)
        sources[f"{party}_logo"] = None
        if not (info and info.logo):
            continue
        path = guard.allowed_path(experiment.resolve(info.logo, f"{party}.logo").as_uri())
        try:
            sources[f"{party}_logo"] = _data_uri(path, logo_mime(path))
        except LogoProblem as problem:
            warnings.append(logo_warning(f"{party}.logo", info.logo, problem))
    return sources, warnings


def render_html(experiment: Experiment, results: Results, locale: str | None = None,
                logos: dict[str, str | None] | None = None,
                context: ReportContext | None = None) -> tuple[str, Path]:
    """The report as HTML and the folder its relative URLs (style.css, fonts) resolve against.

    `context`: the report's context when the caller built it already (`report_context`, shared
    with the slide deck); built here in `locale` otherwise. Logos (from `logo_sources`, computed
    here when not given) and charts are data URIs, so nothing outside the templates is fetched
    while rendering; `inline_stylesheet` makes the HTML travel alone.
    """
    report = context or report_context(experiment, results, locale)
    locale, gettext, folder = report.locale, report.catalogue, templates_dir()
    values = {**report.values, **(logos if logos is not None else logo_sources(experiment)[0])}
    env = _environment(folder, Formatter(locale).rtl)
    env.install_gettext_translations(gettext, newstyle=True)
    html = env.get_template("qbr.html").render(**values)
    return redact(tie_one_letter_words(html, Formatter(locale)), markup=True), folder


@functools.lru_cache(maxsize=4)
def _environment(folder: Path, rtl: bool = False):
    """The Jinja2 environment of the templates in `folder`, made once per process (and page
    direction): it keeps the compiled template, which a batch worker would otherwise compile
    again for every report (about 0.2 s). The language is installed on it before each
    rendering. In a right-to-left page the analyst's text (`breakable`: names, goals, steps) is
    isolated, so that a Latin name keeps its own order ('Hurtownia Bałtyk Sp. z o.o.', not
    '.Hurtownia Bałtyk Sp. z o.o')."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], finalize=_printable)
    env.filters["capfirst"] = capfirst
    env.filters["breakable"] = (lambda value: isolated_text(breakable(value))) if rtl else breakable
    return env


_MARKUP = re.compile(r"(<[^>]*>)")


def tie_one_letter_words(html: str, fmt: Formatter) -> str:
    """The page's text with a no-break space after one-letter words where the language's
    typography wants it (Polish, Czech, Slovak: `Formatter.tie`); markup, styles and scripts
    are left as they are."""
    from valueproof.language.formatting import ONE_LETTER_TIES

    if fmt.locale.language not in ONE_LETTER_TIES:
        return html
    out, skip = [], None
    for part in _MARKUP.split(html):
        if part.startswith("<"):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", part)
            tag = name.group(1).lower() if name else ""
            if skip is None and tag in ("style", "script", "svg") and not part.startswith("</"):
                skip = tag
            elif skip == tag and part.startswith("</"):
                skip = None
            out.append(part)
        else:
            out.append(part if skip else fmt.tie(part))
    return "".join(out)


_STYLESHEET = '<link rel="stylesheet" href="style.css">'


def inline_stylesheet(html: str, folder: Path) -> str:
    """Put style.css, with its fonts as data URIs, and the screen layout (screen.css) inside the
    HTML. The PDF never sees screen.css."""
    css = (folder / "style.css").read_text(encoding="utf-8")
    css = re.sub(r'url\("fonts/([^"]+)"\)',
                 lambda m: f'url("{_data_uri(folder / "fonts" / m.group(1))}")', css)
    screen = (folder / "screen.css").read_text(encoding="utf-8")
    return html.replace(_STYLESHEET, f"<style>{css}</style>\n<style>{screen}</style>")


def print_html(html: str) -> str:
    """The HTML WeasyPrint renders: style.css followed by print.css, which lays the same page
    out in forms WeasyPrint is faster with. The standalone HTML copy never sees print.css."""
    return html.replace(_STYLESHEET, _STYLESHEET + '\n<link rel="stylesheet" href="print.css">', 1)


_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_IMG = re.compile(r"<img\b[^>]*>")
_ATTRIBUTE = re.compile(r'\b(src|alt)="([^"]*)"')
_SVG_URI = "data:image/svg+xml;base64,"


def screen_html(html: str, folder: Path, logos: dict[str, str | None]) -> str:
    """The standalone HTML copy, for a browser: one file with its stylesheets and fonts inside,
    each table in a box of its own that scrolls sideways on a narrow screen (the page itself
    never does), and the charts as inline SVG so that their text is set in the page's fonts (an
    SVG shown as an image cannot use them), each in a box that scrolls sideways on a phone. Logos
    stay images: they are customer files."""
    # a phone lays the page out at its own width (without this, at 980 px and scaled down)
    html = html.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n<meta name="viewport" '
                        'content="width=device-width, initial-scale=1">', 1)
    html = _TABLE.sub(lambda m: f'<div class="table-scroll">{m.group()}</div>', html)
    numbers = itertools.count(1)
    kept = {uri for uri in logos.values() if uri}
    html = _IMG.sub(lambda m: _inline_chart(m.group(), kept, next(numbers)), html)
    return inline_stylesheet(html, folder)


def _inline_chart(tag: str, kept: set[str], number: int) -> str:
    """An <img> of one of our SVG charts as the <svg> itself, labelled with the image's alt
    text and its ids made unique in the page; any other image unchanged."""
    attributes = dict(_ATTRIBUTE.findall(tag))
    src = attributes.get("src", "")
    if not src.startswith(_SVG_URI) or src in kept:
        return tag
    svg = base64.b64decode(src[len(_SVG_URI):]).decode("utf-8")
    prefix = f"chart{number}-"
    # ids and references inside tags only: the text between them is the customer's
    svg = re.sub(r"<[^>]+>", lambda element: re.sub(r'(\bid="|url\(#|href="#)', rf"\g<1>{prefix}",
                                                element.group()), svg)
    # the alt text is already escaped for an attribute by the template
    label = attributes.get("alt", "")
    # in a box of its own: on a phone the chart keeps a legible width and scrolls inside it,
    # while its caption stays put
    return ('<div class="chart-scroll">'
            + svg.replace("<svg ", f'<svg class="chart" role="img" aria-label="{label}" ', 1)
            + "</div>")


@dataclass(frozen=True)
class RenderedReport:
    """One report, rendered in memory: nothing is written until every output is ready."""

    pdf: bytes
    html: str | None  # the standalone HTML, when asked for
    warnings: list[str]  # what was left out, and why (a logo that cannot be drawn)


def render_report(experiment: Experiment, results: Results, context: ReportContext,
                  with_html: bool = False) -> RenderedReport:
    """The PDF (and optionally the standalone HTML) as bytes and text, from the report's
    `context` (`report_context`)."""
    logos, warnings = logo_sources(experiment)
    html, base = render_html(experiment, results, logos=logos, context=context)
    pdf = pdf_bytes(html, base, experiment, results)
    return RenderedReport(pdf, screen_html(html, base, logos) if with_html else None, warnings)


def pdf_bytes(html: str, base: Path, experiment: Experiment, results: Results) -> bytes:
    import weasyprint

    # No wall-clock time in the file: the date comes from the definition or the data.
    try:
        stamp = dt.datetime.fromisoformat(report_date(experiment, results))
        epoch = int(stamp.replace(tzinfo=dt.timezone.utc).timestamp())
    except ValueError:  # integer periods and no report_date
        epoch = 0
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    fetcher = safe_fetcher(base, experiment.base_dir, *experiment.allowed_roots)
    document = weasyprint.HTML(string=print_html(html), base_url=base.as_uri() + "/",
                               url_fetcher=fetcher)
    return document.write_pdf(pdf_variant="pdf/ua-1")  # tagged, accessible PDF
