"""valueproof: prove, with honest statistics, that a product delivered value.

The package's face for Python callers, at the top of the house beside the CLI: it only hands on
to `valueproof.commands.pipeline`."""

from valueproof._version import __version__


def analyze(path, allowed_roots=(), connections=None):
    """Analyse an experiment definition; returns results with `to_dict()` and `to_frame()` (see
    `valueproof.commands.pipeline.analyze`)."""
    from valueproof.commands.pipeline import analyze as run

    return run(path, allowed_roots=allowed_roots, connections=connections)


__all__ = ["__version__", "analyze"]
