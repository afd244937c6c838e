"""`valueproof batch` before it renders: which definitions, their output names, what is up to date.

Planning runs in the main process and is cheap (the definitions read, their data fingerprinted,
no statistics): it finds the definitions (files, folders, portfolio files), names every
account's outputs the same way from run to run, and compares each account's key (what its
outputs depend on) with the state file the earlier runs left in the output folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from valueproof._version import __version__
from valueproof.commands.batch.shard import SHARD_FILE, Shard, identities, plan_hash, shard_number
from valueproof.errors import ConfigError, ValueproofError

STATE_FILE = ".valueproof-batch.json"
RESERVED_NAMES = frozenset({"summary"})  # summary.csv and summary.json are the batch's own files
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class Task:
    definition: Path
    name: str  # output file stem: customer and quarter, safe as a file name ("" when invalid)
    account: str
    key: str  # what the outputs depend on; unchanged key and present PDF = up to date
    reason: str  # new | changed | forced | up to date | invalid
    error: str | None = None  # set when the definition cannot even be read
    position: int = 0  # its place in the whole batch's plan: the summary's order


@dataclass
class BatchOptions:
    out_dir: Path
    jobs: int
    locale: str | None = None
    force: bool = False
    html: bool = False
    json: bool = False
    fail_fast: bool = False
    allowed_roots: tuple[Path, ...] = ()  # --allow-path: folders definitions may read besides their own
    connections: Path | None = None  # --connections: the operator's named databases
    deck: str | None = None  # --deck: pptx | pdf, each account's slide deck too
    shard: Shard | None = None  # --shard: render only this shard's accounts
    executor: str | None = None  # --executor dask://…: the Dask scheduler's address


def is_reserved(name: str) -> bool:
    """Whether `name` is an output stem of the batch's own files (its summaries)."""
    return name in RESERVED_NAMES or SHARD_FILE.fullmatch(f"{name}.json") is not None


def own_files(options: BatchOptions) -> list[str]:
    """The batch's own files in the output folder: its summaries and its state file."""
    if options.shard is None:
        return ["summary.csv", "summary.json", STATE_FILE]
    stem = options.shard.stem
    return [f"{stem}.csv", f"{stem}.json", options.shard.state_file]


def deck_file(name: str, deck: str | None) -> str | None:
    """An account's deck: `<name>.pptx`, or `<name>.deck.pdf` beside its report `<name>.pdf`
    (a dot never appears in a name, so no account's files take another's)."""
    return None if deck is None else f"{name}.pptx" if deck == "pptx" else f"{name}.deck.pdf"


def find_definitions(paths: list[Path], origins: dict[Path, str] | None = None) -> list[Path]:
    """Experiment files given, experiment.yaml files under folders, and those listed in a
    portfolio file (one path per line, relative to the file; # starts a comment).

    A listed path that does not exist is kept (planning reports it as that account's failure);
    `origins`, when given, maps it to the portfolio line that names it ("file:line").
    A portfolio file is read once however often it is listed, even by itself."""
    origins = {} if origins is None else origins
    found: list[Path] = []
    read: set[Path] = set()
    for path in paths:
        if not (os.path.exists(path) or path.suffix.lower() in YAML_SUFFIXES):
            raise ValueproofError(f"{path}: no such file or folder; give experiment files, folders "
                                  "or a portfolio file")
        found += _collect(path, read, origins)
    return list(dict.fromkeys(_real(p) for p in found))


def _real(path: Path) -> Path:
    """The absolute path with symlinks followed; never raises (a symlink loop stays as it is)."""
    return Path(os.path.realpath(path))


def _collect(path: Path, read: set[Path], origins: dict[Path, str]) -> list[Path]:
    # os.path's tests, not Path's: they answer False, never raise, for a name too long to exist
    if os.path.isdir(path):
        return sorted(path.rglob("experiment.yaml"))
    if path.suffix.lower() in YAML_SUFFIXES or not os.path.isfile(path):
        return [path]  # planning says what is wrong with a missing or irregular one
    if _real(path) in read:
        return []
    read.add(_real(path))
    found: list[Path] = []
    for number, line in enumerate(_portfolio_lines(path), 1):
        line = line.split("#", 1)[0].strip()
        if line:
            listed = path.parent / line
            if not os.path.exists(listed):
                origins[_real(listed)] = f"{path}:{number}"
            found += _collect(listed, read, origins)
    return found


def _portfolio_lines(path: Path) -> list[str]:
    not_text = (f"{path}: is not a UTF-8 text file; a portfolio file lists experiment files or "
                "folders, one per line")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueproofError(not_text) from None
    except OSError as exc:
        raise ValueproofError(f"{path}: cannot be read ({exc.strerror}); "
                              "check its permissions") from None
    if "\x00" in text:
        raise ValueproofError(not_text)
    return text.splitlines()


def safe_name(text: str) -> str:
    """'Hurtownia Bałtyk Sp. z o.o.' + quarter -> 'hurtownia-baltyk-sp-z-o-o'."""
    text = text.replace("ł", "l").replace("Ł", "L")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "report"


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def _identify(definition: Path, options: BatchOptions,
              origin: str | None) -> tuple[str, str, str, dict[str, Path]]:
    """(account, output stem, key, input files) of one definition; raises whatever is wrong
    with it.

    Every file is reached through `Experiment.resolve`, which refuses folders, pipes and devices,
    so hashing never blocks on a FIFO or reads /dev/zero for ever."""
    from valueproof.commands.outputs import experiment_inputs
    from valueproof.commands.pipeline import load_definition
    from valueproof.data.sources import data_fingerprint

    if not definition.exists():
        listed = f" (listed in {origin}); fix or remove that line" if origin else ""
        raise ConfigError(f"{definition}: no such file{listed}")
    if not definition.is_file():
        kind = ("a folder" if definition.is_dir() else
                "not a regular file (a pipe, socket or device)")
        raise ConfigError(f"{definition}: is {kind}; an experiment definition is a YAML file")
    experiment = load_definition(definition, options.allowed_roots, options.connections)
    account = experiment.customer.name if experiment.customer else experiment.name
    stem = safe_name(f"{account} {experiment.quarter or ''}")
    parts = [__version__, experiment.definition_hash, data_fingerprint(experiment),
             options.locale or experiment.locale, str(options.html), str(options.json)]
    if options.deck:  # with its template: a new template is a new deck
        from valueproof.commands.report import deck_inputs

        template = deck_inputs(experiment)
        parts += [f"deck:{options.deck}", *(_file_hash(path) for path in template.values())]
    customer, vendor = experiment.customer, experiment.vendor
    for where, asset in (("brand", experiment.brand),
                         ("customer.logo", customer.logo if customer else None),
                         ("vendor.logo", vendor.logo if vendor else None)):
        parts.append(_file_hash(experiment.resolve(asset, where)) if asset else "")
    key = hashlib.sha256("|".join(parts).encode()).hexdigest()
    inputs = experiment_inputs(experiment, definition)
    if options.deck:
        inputs.update(template)
    return account, stem, key, inputs


def _check_not_inputs(files: list[str], options: BatchOptions, inputs: dict[str, Path]) -> None:
    """None of `files` in the output folder is one of an account's inputs (an output folder
    that is also an experiment's folder); ValueproofError naming both otherwise."""
    from valueproof.commands.outputs import check_outputs

    if options.out_dir.is_dir():  # else nothing in it can be an input
        for file in files:
            check_outputs({"-o": options.out_dir / file}, inputs)


def _planning_error(definition: Path, exc: Exception) -> str:
    if isinstance(exc, ValueproofError):  # some name only the key: say which definition
        return exc.message if str(definition) in exc.message else f"{definition}: {exc.message}"
    if isinstance(exc, OSError):
        return (f"{exc.filename or definition}: cannot be read ({exc.strerror or exc}); check that "
                "it exists and that you may read it")
    return (f"{definition}: cannot be read ({type(exc).__name__}: {exc}); check it with "
            f"`valueproof validate {definition}`")


def output_names(stems: dict[Path, str], state: dict) -> dict[Path, str]:
    """Each account's output file stem, the same whatever the order of the paths and from run
    to run: `<customer>-<quarter>` when no other account has it, in this run or (by the state
    file) as the owner of that PDF in the output folder; otherwise the experiment's folder name
    is added (and, if that still clashes, a short hash of the definition's path). The names of
    the batch's own files (summary.csv, summary.json) are never used."""

    def owner(name: str) -> Path | None:
        recorded = state.get(name, {}).get("definition")
        return Path(recorded) if recorded and Path(recorded).is_file() else None

    sharing = Counter(stems.values())
    names: dict[Path, str] = {}
    for definition, stem in stems.items():
        holder = owner(stem)
        if not is_reserved(stem) and (holder == definition or
                                           (holder is None and sharing[stem] == 1)):
            names[definition] = stem
    qualified = {definition: f"{stem}-{safe_name(definition.parent.name)}"
                 for definition, stem in stems.items() if definition not in names}
    clashes, taken = Counter(qualified.values()), set(names.values())
    for definition, name in qualified.items():
        if (clashes[name] > 1 or name in taken or is_reserved(name)
                or owner(name) not in (None, definition)):
            name += "-" + hashlib.sha256(str(definition).encode()).hexdigest()[:8]
        names[definition] = name
    return names


def plan(definitions: list[Path], options: BatchOptions, state: dict,
         origins: dict[Path, str] | None = None, on_work=None) -> list[Task]:
    """Name every output and decide whether it needs rendering (cheap: hashes, no statistics).
    `on_work` is called once, as soon as an account is sure to need rendering (its key is not
    one the output folder was rendered with, or --force), so that workers can start early.

    Anything wrong with one definition, whatever exception it raises, is that account's failure."""
    origins = origins or {}
    rendered_keys = {entry.get("key") for entry in state.values() if isinstance(entry, dict)}
    planned = []
    for definition in definitions:
        try:
            account, stem, key, inputs = _identify(definition, options, origins.get(definition))
            error = None
        except Exception as exc:  # one account's problem never stops the others
            account, stem, key, inputs = definition.parent.name, "", "", {}
            error = _planning_error(definition, exc)
        if on_work is not None and not error and (options.force or key not in rendered_keys):
            on_work()
            on_work = None
        planned.append((definition, account, stem, key, inputs, error))
    names = output_names({d: stem for d, _, stem, _, _, error in planned if not error}, state)
    tasks = []
    for definition, account, _, key, inputs, error in planned:
        try:  # the batch's own files: no account can run, so the command is refused
            _check_not_inputs(own_files(options), options, inputs)
        except ValueproofError as exc:
            raise ValueproofError(_planning_error(definition, exc)) from None
        name = names.get(definition, "")
        if name and not error:
            try:
                _check_not_inputs(output_files(name, options), options, inputs)
            except ValueproofError as exc:
                name, error = "", _planning_error(definition, exc)
        previous = state.get(name, {}) if name else {}
        if error:
            reason = "invalid"
        elif options.force:
            reason = "forced"
        elif previous.get("key") == key and (options.out_dir / f"{name}.pdf").is_file():
            reason = "up to date"
        else:
            reason = "changed" if previous.get("key") else "new"
        tasks.append(Task(definition, name, account, key, reason, error, len(tasks)))
    return tasks


def output_files(name: str, options: BatchOptions) -> list[str]:
    """The files one account writes; the PDF last, so that a present PDF means all are there."""
    deck = deck_file(name, options.deck)
    return ([f"{name}.html"] if options.html else []) + ([f"{name}.json"] if options.json else []) \
        + ([deck] if deck else []) + [f"{name}.pdf"]


def load_state(out_dir: Path, shard: Shard | None = None, file: str = STATE_FILE) -> dict:
    """What earlier runs rendered into `out_dir`: output name -> {key, summary, definition};
    for a shard, what the whole batch rendered there with what the shard rendered on top."""
    try:
        state = json.loads((out_dir / file).read_text())
    except (OSError, ValueError):
        state = {}
    if not isinstance(state, dict):
        state = {}
    state = {name: entry for name, entry in state.items() if isinstance(entry, dict)}
    return state | load_state(out_dir, file=shard.state_file) if shard else state


def save_state(out_dir: Path, state: dict, shard: Shard | None = None) -> None:
    from valueproof.commands.outputs import write_atomic

    write_atomic(out_dir / (shard.state_file if shard else STATE_FILE),
                 json.dumps(state, indent=1, sort_keys=True))


def check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueproofError(f"{out_dir}: exists and is not a folder; give -o a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    if not os.access(out_dir, os.W_OK):
        raise ValueproofError(f"{out_dir}: is not writable")


def plan_batch(paths: list[Path], options: BatchOptions, dry_run: bool = False,
               on_work=None) -> list[Task]:
    """Everything `valueproof batch` does before it renders: find the definitions, check
    --locale, make the output folder (not for a dry run) and plan every account (`on_work`:
    see `plan`)."""
    from valueproof.commands.report import check_deck_option, check_locale_option

    origins: dict[Path, str] = {}  # a listed path that does not exist -> "portfolio:line"
    definitions = find_definitions(paths, origins)
    if not definitions:
        raise ValueproofError("no experiment definitions found; give experiment.yaml files or "
                              "folders that contain them")
    if options.locale is not None:
        check_locale_option(options.locale)
    if options.deck is not None:  # python-pptx missing: say so before any work
        check_deck_option(Path(f"deck.{options.deck}"))
    if not dry_run:
        check_out_dir(options.out_dir)
    out_dir = options.out_dir
    state = load_state(out_dir, options.shard) if out_dir.is_dir() else {}
    tasks = plan(definitions, options, state, origins, None if dry_run else on_work)
    return tasks if options.shard is None else _shard_tasks(tasks, options.shard)


def _shard_tasks(tasks: list[Task], shard: Shard) -> list[Task]:
    """The accounts of `shard` (the whole plan's size and hash recorded in it for the merge)."""
    names = identities([task.definition for task in tasks])
    shard.accounts, shard.plan = len(tasks), plan_hash(names)
    return [task for task, name in zip(tasks, names)
            if shard_number(name, shard.count) == shard.index]
