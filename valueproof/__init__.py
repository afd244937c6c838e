"""valueproof: prove, with honest statistics, that a product delivered value."""

__version__ = "0.1.0"

__all__ = ["__version__"]
