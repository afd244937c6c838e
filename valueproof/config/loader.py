"""Load experiment.yaml into an `Experiment`, citing file, line and key for every mistake."""

from __future__ import annotations

import difflib
import hashlib
import re
import types
import typing
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from valueproof.config.limits import shorten, too_long, too_many
from valueproof.config.schema import Experiment
from valueproof.config.types import LocatedError
from valueproof.errors import ConfigError

Loc = tuple[str | int, ...]


MAX_BYTES = 1_000_000  # a definition is a page or two of YAML
MAX_VALUES = 100_000  # values after expanding aliases: stops "billion laughs" files
MAX_DEPTH = 64


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader; a date that does not exist (2026-02-30) stays text, so the schema
    reports it with its key and line instead of PyYAML raising a bare ValueError."""

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _check_structure(root: yaml.Node, path: Path) -> None:
    """Refuse duplicate keys, deep nesting and alias bombs before anything walks the tree."""
    expanded: dict[int, int] = {}  # node id -> values it stands for, aliases expanded

    def visit(node: yaml.Node, depth: int) -> int:
        if id(node) in expanded:  # an alias: its size counts again, its walk does not
            return expanded[id(node)]
        if depth > MAX_DEPTH:
            raise ConfigError(f"{path}:{node.start_mark.line + 1}: nested more than {MAX_DEPTH} "
                              "levels deep; a definition needs only a few levels")
        expanded[id(node)] = 1
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise ConfigError(
                        f"{path}:{line}: key '{key}' is given twice (lines {seen[key]} and {line}); "
                        "the second would silently replace the first, so keep one"
                    )
                seen[key] = line
                total += visit(key_node, depth + 1) + visit(value_node, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(visit(item, depth + 1) for item in node.value)
        if total > MAX_VALUES:
            raise ConfigError(f"{path}: expands to more than {MAX_VALUES:,} values through YAML "
                              "aliases (& and *); write the values out instead")
        expanded[id(node)] = total
        return total

    visit(root, 0)


def parse_yaml(text: str, path: Path) -> tuple[object, yaml.Node | None]:
    """The document and its node tree (for line numbers), or ConfigError with file and line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_structure(node, path)
        return loader.construct_document(node), node
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: YAML syntax error: {problem}; check indentation and quoting") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to read; a definition needs only a few "
                          "levels") from None
    finally:
        loader.dispose()


def _line_index(node: yaml.Node, loc: Loc = (), seen: set[int] | None = None) -> dict[Loc, int]:
    """Map every key path of a composed YAML document to its 1-based line (an alias is not
    walked again: its keys take the line of the alias)."""
    seen = set() if seen is None else seen
    lines: dict[Loc, int] = {loc: node.start_mark.line + 1}
    if id(node) in seen:
        return lines
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*loc, key_node.value)
            lines.update(_line_index(value_node, child, seen))
            lines[child] = key_node.start_mark.line + 1  # point at the key, not its value
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.update(_line_index(item, (*loc, i), seen))
    return lines


def _line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """Line of the deepest part of `loc` that exists in the file."""
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return None


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class that owns the key at `loc` (for 'did you mean' hints)."""
    current: object = Experiment
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: object) -> object:
    """Strip Optional / Annotated wrappers; keep list[...] for the index step."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            annotation = models[0] if models else members[0]
        else:
            return annotation


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        part = part if isinstance(part, int) else shorten(str(part))
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"


CURRENCY_SIGNS = {"€": "EUR", "$": "USD", "US$": "USD", "£": "GBP", "¥": "JPY", "zł": "PLN",
                  "₺": "TRY", "Kč": "CZK", "₹": "INR", "₩": "KRW", "R$": "BRL", "Fr.": "CHF",
                  "C$": "CAD", "A$": "AUD", "د.إ": "AED", "ر.س": "SAR", "лв": "BGN", "Ft": "HUF"}


def _pattern_message(key: object, written: str) -> str:
    """A value of the wrong form, in a plain sentence with the fix (never the pattern)."""
    shown = shorten(written)
    if key == "quarter":
        year = re.search(r"\d{4}", written)
        number = re.search(r"(?i)q\s*([1-4])\b|\b([1-4])\s*q", written)
        example = (f"{year.group()}-Q{number.group(1) or number.group(2)}" if year and number
                   else "2026-Q3")
        return (f"'{shown}' is not a quarter as the definition writes it; write the year, a "
                f"hyphen and the quarter: {example}")
    if key == "currency":
        text = written.strip()
        code = CURRENCY_SIGNS.get(text) or (text.upper() if re.fullmatch(r"[A-Za-z]{3}", text)
                                            else None)
        if code and text in CURRENCY_SIGNS:
            return f"'{shown}' is a currency sign; write the currency's three-letter code: {code}"
        if code:
            return f"'{shown}': write the currency's three-letter code in capitals: {code}"
        return (f"'{shown}' is not a currency code; write its three letters (ISO 4217), such as "
                "EUR, USD or PLN")
    if key == "id":
        return (f"'{shown}' cannot be an id; use letters, digits and _ only, starting with a "
                "letter, e.g. handle_time")
    return f"'{shown}' is not written in the expected form"


def _number_message(written: str) -> str:
    """A number written as people write it in prose ('12,000', '€0,75'), with the fix."""
    text = re.sub(r"[^\d.,\s'-]", "", written).strip()
    sign = " or currency signs" if re.search(r"[^\d.,\s'+-]", written) else ""
    grouped = re.sub(r"[,\s'\u00a0\u202f]", "", text)
    if re.fullmatch(r"-?[1-9]\d{0,2}([,\s'\u00a0\u202f]\d{3})+(\.\d+)?", text):
        fix = grouped  # 12,000 or 12 000: thousands separators
    elif re.fullmatch(r"-?\d+,\d{1,2}", text):
        fix = text.replace(",", ".")  # 0,75: a decimal comma
    elif re.fullmatch(r"-?\d+(\.\d+)?", text):
        fix = text  # only a sign or a word around the digits
    else:
        return (f"'{shorten(written)}' is not a number; write digits only, with a dot for "
                "decimals, e.g. 12000 or 0.75")
    return (f"'{shorten(written)}' is not a number as the definition writes it; write {fix} "
            f"(digits only, a dot for decimals, no thousands separators{sign})")


def _describe(error: dict) -> tuple[Loc, str]:
    """Turn one pydantic error into (key path, plain message)."""
    loc: Loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
    kind = error["type"]
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, LocatedError):
        return (*loc, *cause.loc), str(cause)
    written = error.get("input")
    if kind == "string_pattern_mismatch" and isinstance(written, str):
        return loc, _pattern_message(loc[-1] if loc else None, written)
    if kind in ("float_parsing", "int_parsing", "decimal_parsing") and isinstance(written, str):
        return loc, _number_message(written)
    if kind == "invalid_key":  # {amount: 12,000}: inside { } a comma ends the value
        return loc[:-1], (f"'{shorten(str(written))}' was read as a key: inside {{ … }} a comma "
                          "separates the entries, so a number written with a thousands "
                          "separator breaks in two; write numbers without separators (12000, "
                          "not 12,000)")
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        known = list(model.model_fields) if model else []
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        message = f"unknown key '{shorten(str(loc[-1]))}'"
        message += f"; did you mean '{hint[0]}'?" if hint else f"; expected one of: {', '.join(known)}"
        return loc, message
    if kind == "missing":
        return loc, f"required key '{loc[-1]}' is missing"
    if kind in ("string_too_long", "too_long"):  # a text, or a list (too_long of a list)
        if isinstance(error["input"], str):
            return loc, too_long(error["ctx"]["max_length"], len(error["input"]))
        return loc, too_many(error["ctx"]["max_length"], len(error["input"]))
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if kind == "literal_error":
        message = f"got '{shorten(str(error['input']))}'; {message.lower()}"
    elif "input" in error and not isinstance(error["input"], (dict, list)) and kind not in (
        "value_error",
    ):
        message = f"got {shorten(repr(error['input']))}: {message[0].lower()}{message[1:]}"
    return loc, message


def load_experiment(path: str | Path, allowed_roots: tuple[Path, ...] = (),
                    connections=None) -> Experiment:
    """Read and validate an experiment definition; raise ConfigError naming file, line and key.

    `allowed_roots` are folders outside the definition's own that its files may lie in;
    `connections` (a `connections.Connections`) the operator's named databases (None: the file
    of VALUEPROOF_CONNECTIONS or the user's configuration folder)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no such file; give the path of an experiment definition (YAML)")
    if path.is_dir():
        candidate = path / "experiment.yaml"
        if not candidate.exists():
            raise ConfigError(f"{path}: is a folder without experiment.yaml; give the YAML file")
        path = candidate
    if not path.is_file():
        raise ConfigError(f"{path}: is not a regular file; give the experiment definition (YAML)")
    if path.stat().st_size > MAX_BYTES:
        raise ConfigError(f"{path}: is larger than {MAX_BYTES:,} bytes; an experiment definition "
                          "is a short YAML file (data belong in data.path)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not a UTF-8 text file; save the definition as UTF-8 YAML") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    raw, node = parse_yaml(text, path)
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: expected a mapping of keys (name:, data:, groups:, ...), "
            f"got {type(raw).__name__ if raw is not None else 'an empty file'}"
        )
    lines = _line_index(node) if node is not None else {}
    try:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        experiment = Experiment.model_validate(raw).located_at(
            path.resolve().parent, digest, allowed_roots, connections)
    except ValidationError as exc:
        messages = []
        for error in exc.errors():
            loc, message = _describe(error)
            line = _line_of(lines, loc)
            where = f"{path}:{line}" if line else str(path)
            messages.append(f"{where}: {_dotted(loc)}: {message}")
        raise ConfigError("\n".join(messages)) from None
    return experiment
