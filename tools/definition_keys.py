"""Write the table of every key of an experiment definition into docs/user-guide/definition.md,
from the JSON Schema that `valueproof schema` prints: each key's path, type, default and the
schema's own description, so the page never falls behind the schema.

Run:  python tools/definition_keys.py           rewrites the table between the page's markers
      python tools/definition_keys.py --check   exit status 1 when the page is behind the schema
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "user-guide" / "definition.md"
START = "<!-- keys:start -->"
END = "<!-- keys:end -->"


def schema() -> dict:
    """The JSON Schema as the installed command prints it."""
    printed = subprocess.run([sys.executable, "-m", "valueproof", "schema"], check=True,
                             capture_output=True, text=True).stdout
    return json.loads(printed)


def _definition(document: dict, ref: str) -> dict:
    return document["$defs"][ref.rsplit("/", 1)[-1]]


def _kind(document: dict, node: dict) -> str:
    """A key's type in words: `string`, `date`, `integer or object`, `list of object`, or its
    allowed values."""
    if "$ref" in node:
        target = _definition(document, node["$ref"])
        return _kind(document, target) if "enum" in target else "object"
    if "enum" in node:
        return " \\| ".join(f"`{value}`" for value in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    if "anyOf" in node:
        kinds = [_kind(document, branch) for branch in node["anyOf"] if branch.get("type") != "null"]
        return " or ".join(dict.fromkeys(kinds))
    if node.get("type") == "array":
        return f"list of {_kind(document, node.get('items', {}))}"
    if node.get("format") in ("date", "date-time"):
        return node["format"]
    return node.get("type", "any")


def _objects(document: dict, node: dict, listed: bool = False):
    """(object definition, whether it sits in a list) for every object a key's value may be."""
    if "$ref" in node:
        target = _definition(document, node["$ref"])
        if "properties" in target:
            yield node["$ref"], target, listed
    for branch in node.get("anyOf", []):
        yield from _objects(document, branch, listed)
    if "items" in node:
        yield from _objects(document, node["items"], True)


def _text(value: str) -> str:
    return " ".join(value.split()).replace("|", "\\|")


def rows(document: dict) -> list[tuple[str, str, str, str]]:
    """(path, type, default, description) of every key, parents before their keys; a key that
    several forms of a value share (a file or a table) is listed once."""
    found: dict[str, tuple[str, str, str, str]] = {}

    def walk(obj: dict, prefix: str, seen: frozenset[str]) -> None:
        required = set(obj.get("required", []))
        for name, node in obj.get("properties", {}).items():
            path = prefix + name
            description = node.get("description", "")
            for ref, target, _listed in _objects(document, node):
                description = description or target.get("description", "")
            if "default" in node and node["default"] not in (None, [], {}):
                default = f"`{json.dumps(node['default'], ensure_ascii=False)}`"
            else:
                default = "required" if name in required else "—"
            found.setdefault(path, (f"`{path}`", _kind(document, node), default, _text(description)))
            for ref, target, listed in _objects(document, node):
                if ref not in seen:
                    walk(target, f"{path}[]." if listed else f"{path}.", seen | {ref})

    walk(document, "", frozenset())
    return list(found.values())


def table(document: dict) -> str:
    lines = ["| key | type | default | description |", "| --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows(document)]
    return "\n".join(lines)


def updated(page: str, document: dict) -> str:
    """The page with the table between its markers replaced by the schema's."""
    if START not in page or END not in page:
        raise SystemExit(f"{PAGE}: markers {START} and {END} not found")
    before, _, rest = page.partition(START)
    _, _, after = rest.partition(END)
    return f"{before}{START}\n{table(document)}\n{END}{after}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="only say whether the page is current")
    args = parser.parse_args()
    page = PAGE.read_text(encoding="utf-8")
    new = updated(page, schema())
    if args.check:
        if new != page:
            print(f"{PAGE.relative_to(ROOT)} is behind `valueproof schema`: run python tools/definition_keys.py")
            raise SystemExit(1)
        print(f"{PAGE.relative_to(ROOT)} is current")
        return
    PAGE.write_text(new, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
