"""valueproof: prove, with honest statistics, that a product delivered value."""

__version__ = "0.1.0"


def analyze(path):
    """Analyse an experiment definition (see `valueproof.api.analyze`)."""
    from valueproof.api import analyze as run

    return run(path)


__all__ = ["__version__", "analyze"]
