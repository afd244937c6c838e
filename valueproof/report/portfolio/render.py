"""Render the portfolio review: its context -> HTML (report_templates/portfolio.html, the QBR's
stylesheet and default brand) -> PDF (WeasyPrint), with nothing fetched but the templates."""

from __future__ import annotations

import os
from pathlib import Path

from valueproof.config.brand import Brand
from valueproof.language.formatting import Formatter
from valueproof.language.i18n import translations
from valueproof.language.words import Words
from valueproof.redaction import redact
from valueproof.report.portfolio.model import Portfolio
from valueproof.report.portfolio.story import chart_style, portfolio_context
from valueproof.report.render import (breakable, safe_fetcher, screen_html, templates_dir,
                                      tie_one_letter_words)
from valueproof.report.svg import printable

TEMPLATE = "portfolio.html"


def portfolio_words(locale: str) -> Words:
    """The review's language: the report's catalogue and formatter for `locale`."""
    return Words(translations(templates_dir() / "locales", locale), Formatter(locale))


def portfolio_html(portfolio: Portfolio, locale: str) -> str:
    """The review as print HTML (the PDF's source), every word in `locale`."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    folder, words, brand = templates_dir(), portfolio_words(locale), Brand()
    context = portfolio_context(words, portfolio, chart_style(brand.primary, brand.neutral, words),
                                folder / "fonts")
    # customer text (account names, KPI labels) without control characters, as in the QBR
    env = Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"],
                      finalize=lambda value: printable(value) if isinstance(value, str) else value)
    env.filters["breakable"] = breakable
    env.install_gettext_translations(words.catalogue, newstyle=True)
    html = env.get_template(TEMPLATE).render(brand=brand, **context)
    return redact(tie_one_letter_words(html, words.fmt), markup=True)


def render_portfolio(portfolio: Portfolio, locale: str, with_pdf: bool = True,
                     with_html: bool = False) -> tuple[bytes | None, str | None]:
    """The PDF bytes and the standalone HTML (each None when not asked for)."""
    folder = templates_dir()
    html = portfolio_html(portfolio, locale)
    pdf = None
    if with_pdf:
        import weasyprint

        os.environ["SOURCE_DATE_EPOCH"] = str(_epoch(portfolio))  # no wall-clock time in the file
        document = weasyprint.HTML(string=html, base_url=folder.as_uri() + "/",
                                   url_fetcher=safe_fetcher(folder))
        pdf = document.write_pdf(pdf_variant="pdf/ua-1")
    return pdf, screen_html(html, folder, {}) if with_html else None


def _epoch(portfolio: Portfolio) -> int:
    """The latest end of the accounts' compared periods, as the PDF's date (0 without one)."""
    import datetime as dt

    ends = []
    for account in portfolio.accounts:
        try:
            ends.append(dt.date.fromisoformat(str(((account.results or {}).get("post") or {})
                                                  .get("end"))[:10]))
        except ValueError:
            continue
    if not ends:
        return 0
    return int(dt.datetime.combine(max(ends), dt.time(), dt.timezone.utc).timestamp())
