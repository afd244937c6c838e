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


def available_locales(locales_dir: Path) -> list[str]:
    return sorted(["en"] + [p.name for p in locales_dir.iterdir() if (p / "LC_MESSAGES").is_dir()])
