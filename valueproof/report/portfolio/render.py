"""Render the portfolio review: its context -> HTML (report_templates/portfolio.html, the QBR's
stylesheet and default brand) -> PDF (WeasyPrint), with nothing fetched but the templates."""

from __future__ import annotations

import os

from valueproof.config.brand import Brand
from valueproof.language.formatting import Formatter
from valueproof.language.i18n import translations
from valueproof.language.words import Words
from valueproof.redaction import redact
from valueproof.report.portfolio.model import Portfolio, portfolio_date
from valueproof.report.portfolio.story import chart_style, portfolio_context
from valueproof.report.render import (breakable, safe_fetcher, screen_html, templates_dir,
                                      tie_one_letter_words)
from valueproof.report.svg import printable

TEMPLATE = "portfolio.html"


def portfolio_words(locale: str) -> Words:
    """The review's language: the report's catalogue and formatter for `locale`."""
    return Words(translations(templates_dir() / "locales", locale), Formatter(locale))


def portfolio_pages(portfolio: Portfolio, locale: str,
                    drawn: bool = True) -> tuple[Words, dict]:
    """The review's words and context (`portfolio_context`), built once for the PDF and the
    deck; the forest plots drawn for the PDF only when `drawn`."""
    words, brand = portfolio_words(locale), Brand()
    return words, portfolio_context(words, portfolio,
                                    chart_style(brand.primary, brand.neutral, words),
                                    templates_dir() / "fonts" if drawn else None)


def portfolio_html(words: Words, context: dict) -> str:
    """The review as print HTML (the PDF's source), every word in `words`' language."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    folder, brand = templates_dir(), Brand()
    # customer text (account names, KPI labels) without control characters, as in the QBR
    env = Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"],
                      finalize=lambda value: printable(value) if isinstance(value, str) else value)
    env.filters["breakable"] = breakable
    env.install_gettext_translations(words.catalogue, newstyle=True)
    html = env.get_template(TEMPLATE).render(brand=brand, **context)
    return redact(tie_one_letter_words(html, words.fmt), markup=True)


def render_portfolio(portfolio: Portfolio, locale: str, with_pdf: bool = True,
                     with_html: bool = False,
                     pages: tuple[Words, dict] | None = None) -> tuple[bytes | None, str | None]:
    """The PDF bytes and the standalone HTML (each None when not asked for); `pages` is the
    review's words and context when the deck shares them (`portfolio_pages`)."""
    folder = templates_dir()
    html = portfolio_html(*(pages or portfolio_pages(portfolio, locale)))
    pdf = None
    if with_pdf:
        import weasyprint

        os.environ["SOURCE_DATE_EPOCH"] = str(_epoch(portfolio_date(portfolio)))  # no clock time
        document = weasyprint.HTML(string=html, base_url=folder.as_uri() + "/",
                                   url_fetcher=safe_fetcher(folder))
        pdf = document.write_pdf(pdf_variant="pdf/ua-1")
    return pdf, screen_html(html, folder, {}) if with_html else None


def _epoch(day: str) -> int:
    """A date ('2026-09-30') as seconds since 1970 at its midnight UTC (0 without one)."""
    import datetime as dt

    if not day:
        return 0
    return int(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(),
                                   dt.timezone.utc).timestamp())
