"""Message catalogues of the report: gettext through Babel, compiled in memory from the .po files
under report_templates/locales (no compiled .mo files to keep in step), and the plural form of a
count, whole or decimal, by the language's CLDR rules."""

from __future__ import annotations

import functools
import io
import numbers
from decimal import Decimal, InvalidOperation
from gettext import NullTranslations
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import NumberFormatError, parse_decimal
from babel.support import Translations

from valueproof.language.formatting import unisolated

#: msgctxt of the form a decimal count takes where no whole number shares its CLDR category
#: (Polish "2,5 dnia", Slovak "2,5 dňa"): gettext's plural formula only knows whole numbers.
DECIMAL_CONTEXT = "decimal"


@functools.lru_cache(maxsize=16)
def translations(locales_dir: Path, locale: str) -> NullTranslations:
    """Translations for `locale` (falls back from pl_PL to pl; English is the source text)."""
    for name in (locale.replace("-", "_"), locale.split("_")[0].split("-")[0]):
        po = locales_dir / name / "LC_MESSAGES" / "messages.po"
        if po.is_file():
            buffer = io.BytesIO()
            write_mo(buffer, _catalog(po))
            buffer.seek(0)
            return Translations(buffer)
    return NullTranslations()


@functools.lru_cache(maxsize=16)
def _catalog(po: Path):
    """A .po file, parsed once per process (checking a language and translating with it read
    the same file)."""
    with po.open("rb") as handle:
        return read_po(handle, locale=po.parent.parent.name)


def is_complete_language(language: str, folder: Path | None = None) -> bool:
    """Whether `language` ('pl') has a complete catalogue; English, the source text, has."""
    po = (folder or locales_dir()) / language / "LC_MESSAGES" / "messages.po"
    return language == "en" or (po.is_file() and is_complete(_catalog(po)))


def locales_dir() -> Path:
    """report_templates/locales, shipped inside the wheel."""
    from importlib import resources

    return Path(str(resources.files("report_templates"))) / "locales"


def is_complete(catalog) -> bool:
    """Every message translated, none fuzzy, and every plural message with all its forms."""
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            return False
        if message.pluralizable:
            forms = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
            if len(forms) != catalog.num_plurals or not all(forms):
                return False
        elif not message.string:
            return False
    return True


@functools.lru_cache(maxsize=4)
def complete_languages(folder: Path | None = None) -> tuple[str, ...]:
    """Languages whose catalogue translates every message (none missing or fuzzy, no plural
    form left empty), and English, the source text."""
    folder = folder or locales_dir()
    complete = ["en"]
    for po in sorted(folder.glob("*/LC_MESSAGES/messages.po")):
        if is_complete(_catalog(po)):
            complete.append(po.parent.parent.name)
    return tuple(complete)


def available_locales(locales_dir: Path) -> list[str]:
    return sorted(["en"] + [p.name for p in locales_dir.iterdir() if (p / "LC_MESSAGES").is_dir()])


def plural_operand(count, locale: Locale) -> Decimal | int:
    """The number whose plural form a text takes: an int as it is; a float or a shown text
    ('6,2', '+1,0', '−2.50') as a Decimal with its visible decimals, which CLDR's rules read
    ('1.0 days' is plural in English)."""
    if isinstance(count, numbers.Integral):
        return int(count)
    if isinstance(count, str):
        text = unisolated(count).strip().lstrip("+−-±").replace("\u202f", "\u00a0")
        try:
            return parse_decimal(text, locale=locale)
        except (NumberFormatError, InvalidOperation, ValueError):
            return 0
    return Decimal(repr(abs(float(count))))


@functools.lru_cache(maxsize=64)
def whole_number_of(locale: Locale, category: str) -> int | None:
    """A whole number of CLDR plural `category` in `locale` (None: only decimals are in it, as
    'other' in Polish); gettext's formula gives that number's form."""
    rule = locale.plural_form
    return next((n for n in range(0, 1000) if rule(n) == category), None)


def plural_form_count(count, locale: Locale) -> int | None:
    """The whole number to hand ngettext for `count`: the count itself when whole, else a whole
    number of the same CLDR category (French '1,5 jour' like 1, English '1.5 days' like 2); None
    when the category holds no whole number (Polish '2,5 dnia'): use the DECIMAL_CONTEXT form."""
    operand = plural_operand(count, locale)
    if isinstance(operand, int):
        return abs(operand)
    if operand == operand.to_integral_value() and operand.as_tuple().exponent >= 0:
        return abs(int(operand))
    return whole_number_of(locale, locale.plural_form(operand))


def unit_form(forms: dict[str, str], count, locale: Locale) -> str:
    """The analyst's unit in the form for `count`: `forms` maps CLDR categories (one, few,
    many, other, ...) to words; a missing category takes `other`."""
    category = locale.plural_form(plural_operand(count, locale))
    return forms.get(category) or forms["other"]
