"""User-facing errors: one clear line, exit status 2, never a traceback."""

from __future__ import annotations

import click


class ValueproofError(click.ClickException):
    """Base of every mistake a user can make; Click prints it as one message and exits 2.
    The message never holds a secret of the operator's connections (`redaction`)."""

    exit_code = 2

    def __init__(self, message: str):
        from valueproof.redaction import redact

        super().__init__(redact(message))

    def format_message(self) -> str:  # pragma: no cover - trivial
        return self.message


class ConfigError(ValueproofError):
    """The experiment definition is invalid (YAML syntax, keys, types, values)."""


class DataError(ValueproofError):
    """The data cannot be read or does not fit the definition."""


class ReportError(ValueproofError):
    """The report cannot be rendered (brand assets, fonts, output path)."""
