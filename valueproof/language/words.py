"""The words kit: a report's language (its catalogue and formatter) as one callable, and the
units shown after numbers, counted in that language.

Every renderer (the PDF and HTML pages, the terminal, the deck) speaks through `Words` and states
a KPI's change through `kpi_scale`, so a change reads the same everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from gettext import NullTranslations

from valueproof.language.formatting import FSI, LRI, RIGHT_TO_LEFT, Formatter, isolated_text
from valueproof.language.i18n import plural_form_count, unit_form


def fill(text: str, values: dict) -> str:
    return text % values if values or "%%" in text else text


@dataclass(frozen=True)
class Words:
    """The report's language: its message catalogue (gettext's translations; English, the
    source text, is `NullTranslations()`), plus the formatter."""

    catalogue: NullTranslations
    fmt: Formatter

    def __call__(self, message: str, **values) -> str:
        return fill(self.catalogue.gettext(message), self._isolated(values))

    def _isolated(self, values: dict) -> dict:
        """In a right-to-left language every text put into a sentence (a name, a number) is
        isolated, so a Latin name keeps its own order inside Arabic text."""
        if not self.fmt.rtl:
            return values
        return {key: isolated_text(value) if isinstance(value, str) and value[:1] not in
                (LRI, FSI) else value for key, value in values.items()}

    def pgettext(self, context: str, message: str) -> str:
        return self.catalogue.pgettext(context, message)

    def plural(self, singular: str, plural: str, count, decimal: str | None = None,
               **values) -> str:
        """ngettext: the form of the message for `count` in the report's language. `count` is
        a whole number, or a decimal as shown ('6,2'), whose form CLDR's rules give: the form
        of a whole number of the same category, or, where only decimals are in it (Polish
        '6,2 punktu procentowego'), `decimal` — the message looked up with
        `words.pgettext(DECIMAL_CONTEXT, plural)`."""
        n = plural_form_count(count, self.fmt.locale)
        if n is None:
            text = decimal if decimal is not None else self.catalogue.ngettext(singular, plural, 5)
        else:
            text = self.catalogue.ngettext(singular, plural, n)
        return fill(text, self._isolated(values))


@dataclass(frozen=True)
class Unit:
    """A unit shown after numbers: the analyst's text ('min'), their plural forms (a
    PluralUnit: 'dzień / dni / dnia'), or percentage points, a counted message. `str()` is the
    form for a column header or an axis: the nominative plural ('days', 'dni', 'szanse': the
    `few` form where the language has one, else the form of a count of 5)."""

    words: Words
    text: str

    def after(self, shown: str) -> str:
        """`shown` (a formatted number) with the unit in the form for it, kept on one line."""
        if not self.text:
            return shown
        fmt = self.words.fmt
        if self.text == "%":
            return fmt.with_percent(shown)
        if self.text == POINTS:
            counted = self.words.plural(
                "%(n)s percentage point", "%(n)s percentage points", shown,
                decimal=self.words.pgettext("decimal", "%(n)s percentage points"), n=shown)
            return counted.replace(f"{shown} ", f"{shown}\u00a0", 1)
        forms = getattr(self.text, "forms", None)
        word = unit_form(forms, shown, fmt.locale) if forms else self.text
        if fmt.rtl and not RIGHT_TO_LEFT.search(word):
            return fmt.joined(shown, after="\u00a0" + word)  # 'min' stays after '2.5'
        return f"{shown}\u00a0{word}"

    def short(self, shown: str) -> str:
        """`shown` with the unit's short English form, as the terminal prints it: '4.3%',
        '+6.2 pp' (percentage points), '-2.5 min' (the analyst's text, its `other` form)."""
        if not self.text:
            return shown
        if self.text == "%":
            return f"{shown}%"
        return f"{shown} {SHORT.get(self.text, self.text)}"

    def __str__(self) -> str:
        if self.text == POINTS:
            return self.words("percentage points")
        forms = getattr(self.text, "forms", None)
        if not forms:
            return str(self.text)
        # a header names what is counted, in the nominative plural: the `few` form where the
        # language has one (Polish 'Średnia (szanse)', not the counted genitive 'szans')
        return forms.get("few") or unit_form(forms, 5, self.words.fmt.locale)

    def __bool__(self) -> bool:
        return bool(self.text)


POINTS = "\x00points"  # the change of a rate: percentage points, counted by the catalogue
SHORT = {POINTS: "pp"}  # short forms of the units the words kit names (`Unit.short`)


def kpi_scale(kpi, words: Words) -> tuple[float, Unit, Unit]:
    """(scale, unit of levels, unit of changes) of a KPI (anything with a `unit`): rates are
    shown in % and percentage points. The one wording of a KPI's change, for every renderer."""
    if kpi.unit == "%":
        return 100.0, Unit(words, "%"), Unit(words, POINTS)
    return 1.0, Unit(words, kpi.unit), Unit(words, kpi.unit)


def with_unit(text: str, unit: Unit | str) -> str:
    if isinstance(unit, Unit):
        return unit.after(text)
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text}\u00a0{unit}"
