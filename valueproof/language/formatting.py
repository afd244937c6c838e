"""Every number, percentage, date and amount a customer reads is formatted here, with Babel.

Templates never format numbers themselves: they call these through the `fmt` object in their
context, which is bound to the report's locale.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

from babel import Locale
from babel.dates import format_date, format_skeleton
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


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def isolated_text(text: str) -> str:
    """Text of its own direction inside a right-to-left page: a first-strong isolate (FSI …
    PDI, the plain-text `<bdi>`), so a Latin name keeps its own order and punctuation."""
    return FSI + text + PDI if text else text


def unisolated(text: str) -> str:
    """`text` without the isolates `Formatter` puts around numbers in a right-to-left language
    and its word joiners (for a chart, whose text is ordered for display before it is drawn
    and never wraps)."""
    return (text.replace(LRI, "").replace(FSI, "").replace(PDI, "")
            .replace(WORD_JOINER, ""))


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


#: Hebrew and Arabic letters, and Arabic's joined letter forms: text set right to left
RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
#: Left-to-right and first-strong isolates and their end (the plain-text <bdi dir="ltr">, <bdi>)
LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"
WORD_JOINER = "\u2060"  # no line break here
#: Babel formats with the symbols of a locale's numbering system but always with Latin digits:
#: the zero digit of the systems CLDR makes some locale's default (ar_SA, ar_EG, fa, bn, mr, my)
_ZERO = {"arab": "ARABIC-INDIC DIGIT ZERO", "arabext": "EXTENDED ARABIC-INDIC DIGIT ZERO",
         "beng": "BENGALI DIGIT ZERO", "deva": "DEVANAGARI DIGIT ZERO",
         "mymr": "MYANMAR DIGIT ZERO"}
_BIDI_MARKS = str.maketrans("", "", "\u061c\u200e\u200f")  # ALM, LRM, RLM: an isolate replaces them


class Formatter:
    """Locale-bound formatting. `sig` = significant figures for prose; tables pass more.

    Digits are those CLDR makes the locale's default (Arabic-Indic for ar_SA and ar_EG, Latin
    for ar and ar_AE); Babel's dates know only Latin digits, so theirs are mapped. In a
    right-to-left language every number, amount and percentage comes out isolated (LRI … PDI),
    so that its sign, % and currency stay where they belong inside Arabic text ("−21%", not
    "%21−") and a range reads in the language's order."""

    def __init__(self, locale: str):
        self.locale = Locale.parse(locale.replace("-", "_"))
        zero = _ZERO.get(self.locale.default_numbering_system)
        self._digits = None if zero is None else str.maketrans(
            "0123456789", "".join(chr(ord(unicodedata.lookup(zero)) + d) for d in range(10)))

    def _shown(self, text: str) -> str:
        """A formatted number as the reader sees it: the true minus sign, isolated in a
        right-to-left language."""
        text = text.replace("-", "−")
        # a sign before a symbol stays with it (Turkish '−%21' never breaks after the sign)
        text = re.sub(r"^([−+])(?=[^\d\u0660-\u0669\u06f0-\u06f9])", r"\1" + WORD_JOINER, text)
        if self._digits:
            text = text.translate(self._digits)
        return self._isolated(text.translate(_BIDI_MARKS) if self.rtl else text)

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
        return self._shown(format_decimal(rounded, format=pattern, locale=self.locale,
                                          numbering_system="default"))

    def fixed(self, value: float | None, decimals: int = 2, signed: bool = False) -> str:
        """Fixed decimals, for tables where figures line up."""
        if value is None or not math.isfinite(value):
            return "–"
        body = "#,##0" + ("." + "0" * decimals if decimals else "")
        pattern = f"+{body};-{body}" if signed else body
        return self._shown(format_decimal(value, format=pattern, locale=self.locale,
                                          numbering_system="default"))

    def names(self, items: list[str]) -> str:
        """Names (KPIs, features, units) listed in a sentence as the locale lists them:
        'A, B and C', 'A, B und C', Arabic 'A وB وC' (CLDR's pattern, never a Latin comma)."""
        from babel.lists import format_list

        return format_list(list(items), locale=self.locale) if items else ""

    def joined(self, shown: str, before: str = "", after: str = "") -> str:
        """A shown number with text joined to it inside its isolate ('±' + '0.12', '2.5' +
        ' min'): in a right-to-left language a sign or a Latin unit outside the isolate would be
        drawn on the other side of the number."""
        return self._isolated(before + unisolated(shown) + after)

    def with_percent(self, shown: str) -> str:
        """A shown number as a percentage, with the sign where the locale puts it ('68.1%',
        '68,1 %', Turkish '%68,1')."""
        pattern = self.locale.percent_formats[None].pattern.split(";")[0]
        digits = [i for i, c in enumerate(pattern) if c in "#0,."]
        sign = self.locale.number_symbols["latn"]["percentSign"]
        prefix, suffix = (part.replace("%", sign).replace(" ", NBSP) for part in
                          (pattern[:digits[0]], pattern[digits[-1] + 1:]))
        return self.joined(shown, prefix, suffix)

    def _isolated(self, text: str) -> str:
        return LRI + text + PDI if self.rtl else text

    def percent(self, value: float | None, sig: int = 2, signed: bool = False) -> str:
        """0.2146 -> '21%' (two significant figures) or '+21%'."""
        if value is None or not math.isfinite(value):
            return "–"
        rounded = round_significant(value * 100, sig) / 100
        decimals = max(0, _decimals_for(rounded * 100, sig))
        return self._shown(format_percent(rounded, format=self._percent_pattern(decimals, signed),
                                          locale=self.locale, numbering_system="default"))

    def percent_fixed(self, value: float | None, decimals: int, signed: bool = False) -> str:
        """A percentage with fixed decimals (0.2146, 1 -> '21.5%'): one precision for a KPI's
        relative effect and its bounds."""
        if value is None or not math.isfinite(value):
            return "–"
        return self._shown(format_percent(value, format=self._percent_pattern(decimals, signed),
                                          locale=self.locale, numbering_system="default"))

    def _percent_pattern(self, decimals: int, signed: bool) -> str:
        """The locale's percent pattern ('#,##0 %', Turkish '%#,##0') with `decimals` fixed
        decimals, and an explicit + sign when `signed`."""
        base = self.locale.percent_formats[None].pattern.split(";")[0]
        body = base.replace("#,##0", "#,##0" + ("." + "0" * decimals if decimals else ""), 1)
        return f"+{body};-{body}" if signed else body

    def money(self, value: float | None, currency: str, sig: int | None = 2) -> str:
        """Money in prose: two significant figures; `sig=None` for exact table values."""
        if value is None or not math.isfinite(value):
            return "–"
        if sig is None:  # exact, for tables: whole units from 100 up, cents below
            if abs(value) >= 100:
                return self._shown(self._spaced(format_currency(
                    round(value), currency, locale=self.locale, format=self._money_pattern(),
                    currency_digits=False, numbering_system="default")))
            return self._shown(self._spaced(format_currency(value, currency, locale=self.locale,
                                                            numbering_system="default")))
        rounded = round_significant(value, sig)
        decimals = 0 if abs(rounded) >= 1 else _decimals_for(rounded, sig)
        return self._shown(self._spaced(format_currency(
            rounded, currency, locale=self.locale, format_type="standard", currency_digits=False,
            decimal_quantization=True, format=None if decimals else self._money_pattern(),
            numbering_system="default")))

    @staticmethod
    def _spaced(text: str) -> str:
        """CLDR's currency spacing, which Babel leaves out: a no-break space between a currency
        code and the digits ('PLN 5.44', not 'PLN5.44')."""
        return re.sub(r"(?<=[A-Za-z])(?=[\d−+-])|(?<=\d)(?=[A-Za-z])", NBSP, text)

    def _money_pattern(self) -> str:
        pattern = self.locale.currency_formats["standard"].pattern.split(";")[0]
        return pattern.replace(".00", "").replace(",00", "")

    def compact(self, value: float) -> str:
        """Axis ticks and bar labels: 150K, 150 tys.; where the locale has no short form for
        the size (German thousands) the rounded number with grouping, never '267251,13'."""
        rounded = round_significant(value, 2)
        text = format_compact_decimal(rounded, locale=self.locale, fraction_digits=1,
                                      numbering_system="default")
        if not re.search(r"[^\d\s.,\u00a0\u202f+\-−]", text):  # no short form was used
            return self.number(rounded, sig=2)
        return self._shown(text)

    def day_month(self, value: dt.date | str) -> str:
        """A day of a month, short, as the locale writes it ('Jul 1', '1. Juli', '1 lip')."""
        text = format_skeleton("MMMd", _as_date(value), locale=self.locale)
        return self._date_digits(text.replace(" ", NBSP))

    def month_year(self, value: dt.date | str) -> str:
        text = format_skeleton("yMMM", _as_date(value), locale=self.locale)
        return self._date_digits(text.replace(" ", NBSP))

    def quarter(self, label: str) -> str:
        """A quarter ('2026-Q3') as the locale names it ('Q3 2026', 'III kw. 2026', 'T3 2026'),
        never broken at a line end; a label of another form is shown as written."""
        match = re.fullmatch(r"(\d{4})-Q([1-4])", label)
        if not match:
            return label.replace("-", "\u2011")
        first = dt.date(int(match.group(1)), 3 * int(match.group(2)) - 2, 1)
        text = format_skeleton("yQQQ", first, locale=self.locale)
        return self._date_digits(text).replace(" ", NBSP)

    def _date_digits(self, text: str) -> str:
        return text.translate(self._digits) if self._digits else text

    def date(self, value: dt.date | str | None, style: str = "long") -> str:
        if value is None:
            return "–"
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                return value  # an integer period, shown as written
        text = format_date(value, format=style, locale=self.locale)
        if style != "long":  # a short date never breaks at a line end ('6 lip 2026')
            text = text.replace(" ", NBSP)
        return self._date_digits(text)

    def p_value(self, value: float | None) -> str:
        """"0.628", or "< 0.001" held together by a no-break space."""
        if value is None or not math.isfinite(value):
            return "–"
        if value < 0.001:
            return self._shown("<" + NBSP + unisolated(self.fixed(0.001, 3)))
        return self.fixed(value, 3)

    def tie(self, text: str) -> str:
        """Text with a no-break space after each one-letter word in languages whose typography
        wants it (Polish "w", "z", "i", "a"...), so that none ends a line."""
        if self.locale.language not in ONE_LETTER_TIES:
            return text
        return _ONE_LETTER.sub(lambda m: m.group(1) + NBSP, text)
