"""Message catalogues of the report: gettext through Babel, compiled in memory from the .po files
under report_templates/locales (no compiled .mo files to keep in step)."""

from __future__ import annotations

import functools
import io
from gettext import NullTranslations
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations


@functools.lru_cache(maxsize=16)
def translations(locales_dir: Path, locale: str) -> NullTranslations:
    """Translations for `locale` (falls back from pl_PL to pl; English is the source text)."""
    for name in (locale.replace("-", "_"), locale.split("_")[0].split("-")[0]):
        po = locales_dir / name / "LC_MESSAGES" / "messages.po"
        if po.is_file():
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=name)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            return Translations(buffer)
    return NullTranslations()


def locales_dir() -> Path:
    """report_templates/locales, shipped inside the wheel."""
    from importlib import resources

    return Path(str(resources.files("report_templates"))) / "locales"


@functools.lru_cache(maxsize=4)
def complete_languages(folder: Path | None = None) -> tuple[str, ...]:
    """Languages whose catalogue translates every message (none missing or fuzzy), and English,
    the source text."""
    folder = folder or locales_dir()
    complete = ["en"]
    for po in sorted(folder.glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        messages = [m for m in catalog if m.id]
        if all((all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
               for m in messages):
            complete.append(po.parent.parent.name)
    return tuple(complete)


def available_locales(locales_dir: Path) -> list[str]:
    return sorted(["en"] + [p.name for p in locales_dir.iterdir() if (p / "LC_MESSAGES").is_dir()])
