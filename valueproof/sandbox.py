"""The one rule of what a definition may read: files under its own folder, or under a folder the
operator allowed (`--allow-path DIR`, or the VALUEPROOF_ALLOW_PATH environment variable).

A definition is untrusted: it may name any path, so every file it names is resolved here, with
symlinks followed, and refused when it lands outside those folders. The report's renderer uses
the same rule for what WeasyPrint may fetch (the experiment's folders and the templates).
"""

from __future__ import annotations

from pathlib import Path

from valueproof.errors import ConfigError


class Sandbox:
    """Folders whose files may be read. The first is the one relative paths start from (a
    definition's own folder); the others are folders the operator allowed besides it."""

    def __init__(self, folder: Path, *allowed: Path):
        self.folder = folder
        self.roots = tuple(root.resolve() for root in (folder, *allowed))

    def holds(self, path: Path) -> bool:
        """Whether `path`, already resolved (symlinks followed), lies under one of the folders."""
        return any(path.is_relative_to(root) for root in self.roots)

    def file(self, path: Path, key: str = "path") -> Path:
        """A file the definition names (at `key`), resolved against its folder.

        After following symlinks the file must lie under one of the folders, and must not be a
        folder, pipe or device (reading those would hang or read something else than data).
        Whether it exists is left to the caller, which knows what a missing file means.
        """
        full = (path if path.is_absolute() else self.folder / path).resolve()
        if not self.holds(full):
            raise ConfigError(
                f"{key}: '{path}' is {full}, outside the experiment's folder {self.roots[0]}; a "
                "definition may read only files under its folder. Copy the file into the folder, "
                "or, if you trust this definition, allow the file's folder with --allow-path DIR "
                "(or the VALUEPROOF_ALLOW_PATH environment variable)"
            )
        wildcards = sorted(set(str(full)) & set("*?[]{}"))
        if wildcards:  # the data engine would expand them, reaching files never named
            raise ConfigError(
                f"{key}: '{path}' is {full}, whose name contains {' '.join(wildcards)}; the data "
                "reader treats these as wildcards, so rename the file or folder without them"
            )
        if full.exists() and not full.is_file():
            kind = "a folder" if full.is_dir() else "not a regular file (a pipe, socket or device)"
            raise ConfigError(f"{key}: '{path}' is {kind}; give a data file")
        return full
