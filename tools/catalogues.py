"""The report's message catalogues: keep them in step with the sources, and check them.

    python tools/catalogues.py update   # extract messages.pot, update every language's .po
    python tools/catalogues.py check    # fail on anything a translator still has to do

The .po files under report_templates/locales are the source of truth: translators edit them
(Poedit, Weblate, a text editor); the report compiles them in memory when it loads them.
`update` never guesses (no fuzzy matching): a changed message is new and untranslated, and its
old translation stays at the end of the file as an obsolete (#~) entry to copy from and delete.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.plurals import get_plural
from babel.messages.pofile import PoFileError, read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "report_templates" / "locales"
#: Words.__call__ and Jinja's _ take one message; Words.plural takes singular and plural;
#: gettext's own names (ngettext, pgettext for the decimal forms, ...) are Babel's defaults.
KEYWORDS = ("words", "_", "plural:1,2")
WIDTH = 100
PLACEHOLDER = re.compile(r"%\(([^)]+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def extract(pot: Path) -> None:
    """Babel's extract (babel.cfg) of every message of the templates and the report code."""
    args = ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(pot),
            "--no-location", "--omit-header", f"--width={WIDTH}"]
    for keyword in KEYWORDS:
        args += ["-k", keyword]
    CommandLineInterface().run(args + ["."])


def _po_files(locales: Path) -> list[Path]:
    return sorted(locales.glob("*/LC_MESSAGES/messages.po"))


def _read(path: Path, abort: bool = False):
    with path.open("rb") as handle:
        return read_po(handle, locale=path.parent.parent.name, abort_invalid=abort)


def update(locales: Path = LOCALES) -> None:
    """messages.pot from the sources, then every .po brought in step with it."""
    import os

    here = Path.cwd()
    os.chdir(ROOT)  # paths in the extracted catalogue are relative to the project
    try:
        extract(locales / "messages.pot")
    finally:
        os.chdir(here)
    with (locales / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    for po in _po_files(locales):
        catalog = _read(po)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        with po.open("wb") as handle:
            write_po(handle, catalog, width=WIDTH, no_location=True, omit_header=False)


def _names(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _forms(message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


def _label(message) -> str:
    msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
    short = msgid if len(msgid) <= 70 else msgid[:67] + "..."
    return (f"[{message.context}] " if message.context else "") + repr(short)


def catalogue_problems(po: Path, template) -> list[str]:
    """Everything wrong with one language's catalogue, one line each."""
    language = po.parent.parent.name
    try:
        catalog = _read(po, abort=True)
    except PoFileError as error:
        return [f"{po}: {error}"]
    problems = []
    expected = get_plural(language).num_plurals
    if catalog.num_plurals != expected:
        problems.append(f"Plural-Forms gives {catalog.num_plurals} plural forms; {language} has "
                        f"{expected} ({get_plural(language).plural_forms})")
    if catalog.fuzzy:
        problems.append("the header is marked fuzzy")
    wanted = {(m.id, m.context) for m in template if m.id}
    for message in template:
        if message.id and catalog.get(message.id, message.context) is None:
            problems.append(f"missing {_label(message)} (run update)")
    for message in catalog:
        if not message.id:
            continue
        if (message.id, message.context) not in wanted:
            problems.append(f"not in messages.pot {_label(message)} (run update)")
            continue
        forms = _forms(message)
        if message.fuzzy:
            problems.append(f"fuzzy {_label(message)}")
        if not all(forms):
            problems.append(f"untranslated {_label(message)}")
            continue
        if message.pluralizable and len(forms) != expected:
            problems.append(f"{len(forms)} plural forms, not {expected}: {_label(message)}")
        ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        names = set().union(*map(_names, ids))
        found = [_names(form) for form in forms]
        if message.pluralizable:
            # a form may leave the count out ('jeden dzień'), never add or lose another name
            wrong = any(f - names for f in found) or set().union(*found) != names
        else:
            wrong = found[0] != names
        if wrong:
            shown = ", ".join(sorted(set().union(*found))) or "none"
            problems.append(f"placeholders {shown} differ from the msgid's "
                            f"({', '.join(sorted(names)) or 'none'}): {_label(message)}")
    for message in catalog.obsolete.values():
        problems.append(f"obsolete {_label(message)} (copy what still fits, then delete it)")
    return [f"{po}: {problem}" for problem in problems]


def check(locales: Path = LOCALES, sources: bool = True) -> list[str]:
    """Problems of every catalogue under `locales`, and (with `sources`) whether messages.pot
    is what extract gives from the current templates and code."""
    problems = []
    pot = locales / "messages.pot"
    if sources:
        import os

        with tempfile.TemporaryDirectory() as folder:
            fresh = Path(folder) / "messages.pot"
            here = Path.cwd()
            os.chdir(ROOT)
            try:
                extract(fresh)
            finally:
                os.chdir(here)
            if not pot.is_file() or fresh.read_bytes() != pot.read_bytes():
                problems.append(f"{pot}: not what extract gives from the current sources "
                                "(run update)")
    with pot.open("rb") as handle:
        template = read_po(handle)
    for po in _po_files(locales):
        problems += catalogue_problems(po, template)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["update", "check"])
    parser.add_argument("--locales", type=Path, default=LOCALES,
                        help="folder with messages.pot and <lang>/LC_MESSAGES/messages.po")
    parser.add_argument("--no-sources", action="store_true",
                        help="check: do not compare messages.pot with the sources")
    args = parser.parse_args(argv)
    if args.command == "update":
        update(args.locales)
        return 0
    problems = check(args.locales, sources=not args.no_sources)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in the catalogues", file=sys.stderr)
        return 1
    print(f"catalogues complete: {', '.join(p.parent.parent.name for p in _po_files(args.locales))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
