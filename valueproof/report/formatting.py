"""Every number, percentage, date and amount a customer reads is formatted here, with Babel.

Templates never format numbers themselves: they call these through the `fmt` object in their
context, which is bound to the report's locale.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_compact_decimal, format_currency, format_decimal, format_percent


def round_significant(value: float, digits: int = 2) -> float:
    """Round to `digits` significant figures (2.546 -> 2.5, 234352 -> 230000)."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - int(math.floor(math.log10(abs(value)))))


#: Languages whose typography keeps a one-letter word (a conjunction or preposition) off the end
#: of a line: Polish, Czech, Slovak.
ONE_LETTER_TIES = {"pl", "cs", "sk"}
_ONE_LETTER = re.compile(r"(?<![\w\u00a0])([A-Za-zÀ-ž])\s+(?=\S)")
NBSP = "\u00a0"


def decimals_for_interval(low: float | None, high: float | None, digits: int = 2) -> int:
    """Decimals that show an interval's half-width with `digits` significant figures: every
    number of one KPI (estimate, bounds, levels) is then shown with the same decimals, never
    "9.440" beside "11.72". Half-width 0.4 -> 2 decimals, 2.5 -> 1, 25 -> 0."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)) \
            or high <= low:
        return 2
    half = (high - low) / 2
    return max(0, digits - 1 - int(math.floor(math.log10(half))))


def _decimals_for(value: float, digits: int) -> int:
    if value == 0 or not math.isfinite(value):
        return 0
    return max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))


class Formatter:
    """Locale-bound formatting. `sig` = significant figures for prose; tables pass more."""

    def __init__(self, locale: str):
        self.locale = Locale.parse(locale.replace("-", "_"))

    @property
    def rtl(self) -> bool:
        return self.locale.character_order == "right-to-left"

    @property
    def language(self) -> str:
        return str(self.locale).replace("_", "-")

    def number(self, value: float | None, sig: int = 2, signed: bool = False) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "–"
        rounded = round_significant(value, sig)
        decimals = _decimals_for(rounded, sig)
        body = "#,##0" + ("." + "#" * decimals if decimals else "")  # no trailing zeros
        pattern = f"+{body};-{body}" if signed else body
        return format_decimal(rounded, format=pattern, locale=self.locale).replace("-", "−")

    def fixed(self, value: float | None, decimals: int = 2, signed: bool = False) -> str:
        """Fixed decimals, for tables where figures line up."""
        if value is None or not math.isfinite(value):
            return "–"
        body = "#,##0" + ("." + "0" * decimals if decimals else "")
        pattern = f"+{body};-{body}" if signed else body
        return format_decimal(value, format=pattern, locale=self.locale).replace("-", "−")

    def percent(self, value: float | None, sig: int = 2, signed: bool = False) -> str:
        """0.2146 -> '21%' (two significant figures) or '+21%'."""
        if value is None or not math.isfinite(value):
            return "–"
        rounded = round_significant(value * 100, sig) / 100
        decimals = max(0, _decimals_for(rounded * 100, sig))
        body = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
        pattern = f"+{body};-{body}" if signed else body
        return format_percent(rounded, format=pattern, locale=self.locale).replace("-", "−")

    def percent_fixed(self, value: float | None, decimals: int, signed: bool = False) -> str:
        """A percentage with fixed decimals (0.2146, 1 -> '21.5%'): one precision for a KPI's
        relative effect and its bounds."""
        if value is None or not math.isfinite(value):
            return "–"
        body = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
        pattern = f"+{body};-{body}" if signed else body
        return format_percent(value, format=pattern, locale=self.locale).replace("-", "−")

    def money(self, value: float | None, currency: str, sig: int | None = 2) -> str:
        """Money in prose: two significant figures; `sig=None` for exact table values."""
        if value is None or not math.isfinite(value):
            return "–"
        if sig is None:  # exact, for tables: whole units from 100 up, cents below
            if abs(value) >= 100:
                return format_currency(round(value), currency, locale=self.locale,
                                       format=self._money_pattern(),
                                       currency_digits=False).replace("-", "−")
            return format_currency(value, currency, locale=self.locale).replace("-", "−")
        rounded = round_significant(value, sig)
        decimals = 0 if abs(rounded) >= 1 else _decimals_for(rounded, sig)
        return format_currency(rounded, currency, locale=self.locale,
                               format_type="standard", currency_digits=False,
                               decimal_quantization=True,
                               format=None if decimals else self._money_pattern()).replace("-", "−")

    def _money_pattern(self) -> str:
        pattern = self.locale.currency_formats["standard"].pattern.split(";")[0]
        return pattern.replace(".00", "").replace(",00", "")

    def compact(self, value: float) -> str:
        """Axis ticks: 150K, 150 tys."""
        return format_compact_decimal(value, locale=self.locale, fraction_digits=1).replace("-", "−")

    def date(self, value: dt.date | str | None, style: str = "long") -> str:
        if value is None:
            return "–"
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                return value  # an integer period, shown as written
        return format_date(value, format=style, locale=self.locale)

    def p_value(self, value: float | None) -> str:
        """"0.628", or "< 0.001" held together by a no-break space."""
        if value is None or not math.isfinite(value):
            return "–"
        if value < 0.001:
            return "<" + NBSP + self.fixed(0.001, 3)
        return self.fixed(value, 3)

    def tie(self, text: str) -> str:
        """Text with a no-break space after each one-letter word in languages whose typography
        wants it (Polish "w", "z", "i", "a"...), so that none ends a line."""
        if self.locale.language not in ONE_LETTER_TIES:
            return text
        return _ONE_LETTER.sub(lambda m: m.group(1) + NBSP, text)
