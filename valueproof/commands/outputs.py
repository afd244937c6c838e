"""Writing output files safely: all or nothing, never a half-written file, never over an input."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from valueproof.errors import ValueproofError

_HINTS = {
    errno.ENOSPC: "the disk is full; free some space or write elsewhere",
    errno.EDQUOT: "the disk quota is used up; free some space or write elsewhere",
    errno.EACCES: "permission denied; choose a folder you can write to",
    errno.EPERM: "permission denied; choose a folder you can write to",
    errno.EROFS: "the folder is on a read-only file system; choose another output path",
}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def oserror_hint(exc: OSError) -> str:
    """What a failed write means and what to do, in words ("the disk is full; free some
    space ..."); the system's own words for an error without a hint."""
    return _HINTS.get(exc.errno, exc.strerror or str(exc))


def _write_error(path: Path, exc: OSError) -> ValueproofError:
    return ValueproofError(f"{path}: cannot write the file: {oserror_hint(exc)}; nothing was written")


def _stage(path: Path, content: str | bytes) -> Path:
    """Write `content` to a new temporary file beside `path` (same folder, so the final rename
    is one step on one file system); its name starts with '.' and ends with '.tmp'."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueproofError(f"{path}: folder '{folder}' does not exist; create it first")
    if path.is_dir():
        raise ValueproofError(f"{path}: is a folder; give a file name")
    data = memoryview(content.encode("utf-8") if isinstance(content, str) else content)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        while data:
            data = data[os.write(handle, data):]
        os.fsync(handle)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; give what `open` would
    except BaseException:
        os.close(handle)
        Path(temporary).unlink(missing_ok=True)
        raise
    os.close(handle)
    return Path(temporary)


def write_all(files: list[tuple[Path, str | bytes]]) -> None:
    """Write every file or none: each is staged in a temporary file beside its target, and only
    when all are written are they renamed into place. A failure (disk full, no permission)
    leaves the previous files as they were and no temporary file behind. Text never carries a
    secret of the operator's connections."""
    from valueproof.redaction import redact

    staged: list[tuple[Path, Path]] = []
    try:
        for path, content in files:
            content = redact(content, markup=True) if isinstance(content, str) else content
            try:
                staged.append((path, _stage(path, content)))
            except OSError as exc:
                raise _write_error(path, exc) from None
        for path, temporary in staged:
            try:
                os.replace(temporary, path)
            except OSError as exc:
                raise _write_error(path, exc) from None
    finally:
        for _, temporary in staged:
            temporary.unlink(missing_ok=True)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write one file through a temporary file beside it, renamed over `path` in one step."""
    write_all([(path, content)])


def results_json(results) -> str:
    """The results as the `--json` file holds them."""
    import json

    return json.dumps(results.to_dict(), indent=2, allow_nan=False) + "\n"


def check_outputs(outputs: dict[str, Path | None], inputs: dict[str, Path]) -> None:
    """Before any work: every output's folder exists, no output is one of the command's inputs,
    and no two outputs are the same file. `outputs` and `inputs` map what each path is (an
    option, a definition key) to the path."""
    seen: dict[Path, str] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        if not path.parent.resolve().is_dir():
            raise ValueproofError(f"{path}: folder '{path.parent}' does not exist; create it first")
        target = path.resolve()
        if target in seen:
            raise ValueproofError(f"{option} {path}: is also given as {seen[target]}; give each "
                                  "output its own file name")
        seen[target] = f"{option} {path}"
        for key, source in inputs.items():
            if target == source.resolve() or _same_file(target, source):
                raise ValueproofError(f"{option} {path}: is the {key} file {source}, an input "
                                      "of this command; write the output to another file")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)  # a hard link has another name but the same file
    except OSError:  # one of them does not exist (yet)
        return False


def experiment_inputs(experiment, definition: Path) -> dict[str, Path]:
    """Every file the definition at `definition` (already read: `experiment`) makes a command
    read: the definition itself, its data (file or DuckDB database), group file, adoption files,
    donors' file, brand file and logos, keyed by what each one is."""
    inputs = {"experiment definition": definition / "experiment.yaml" if definition.is_dir()
              else definition}
    named = [("data.path", experiment.data.path), ("groups.file", experiment.groups.file),
             ("rollout.file", getattr(experiment.rollout, "file", None)),
             ("brand", experiment.brand)]
    from valueproof.data.sources import adoption_files, donor_file, roster_file

    named += roster_file(experiment) + adoption_files(experiment) + donor_file(experiment)
    from valueproof.config.connections import definition_database
    from valueproof.data.sources import database_tables

    named += [(f"{key}.url", Path(definition_database(spec.url)))
              for key, spec, _ in [("data", experiment.data, None), *database_tables(experiment)]
              if spec.url is not None]
    for party in ("customer", "vendor"):
        info = getattr(experiment, party)
        named.append((f"{party}.logo", info.logo if info else None))
    inputs.update({key: experiment.resolve(path, key) for key, path in named if path is not None})
    return inputs
