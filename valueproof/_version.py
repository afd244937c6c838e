"""The version of valueproof, in one place (the package, the CLI and the reports read it)."""

__version__ = "0.1.0"
