"""Writing output files safely: all or nothing, never a half-written file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from valueproof.errors import ValueproofError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path` in one step."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueproofError(f"{path}: folder '{folder}' does not exist; create it first")
    if path.is_dir():
        raise ValueproofError(f"{path}: is a folder; give a file name")
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; give what `open` would
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
