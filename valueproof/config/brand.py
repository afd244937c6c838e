"""The brand file: colours, font, page size and footer of the report, and the slide deck's
template."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from valueproof.config.base import Strict
from valueproof.config.limits import FOOTER, shorten, too_long
from valueproof.errors import ConfigError

Colour = str


class Brand(Strict):
    primary: Colour = Field("#1B5E9E", pattern=r"^#[0-9A-Fa-f]{6}$",
                            description="Treatment group and headings.")
    accent: Colour = Field("#E07A1F", pattern=r"^#[0-9A-Fa-f]{6}$", description="Highlights.")
    neutral: Colour = Field("#8A939B", pattern=r"^#[0-9A-Fa-f]{6}$", description="Control group.")
    page_size: Literal["A4", "Letter"] = "A4"
    footer: str | None = Field(
        None, max_length=FOOTER,
        description="Confidentiality line on every page (default: 'Confidential' in the report's "
                    "language).")
    template: str | None = Field(
        None, max_length=300, pattern=r"(?i)^[^\x00-\x1f]*\.(pptx|potx)$",
        description="The slide deck's PowerPoint template (.pptx or .potx), relative to the brand "
                    "file: its layouts (picked by name), theme fonts and colours are kept "
                    "(default: a built-in 16:9 design in the brand's colours).")


def load_brand(path: Path | None) -> Brand:
    """Read a brand file; the default theme when there is none."""
    if path is None:
        return Brand()
    if not path.is_file():
        raise ConfigError(f"{path}: brand file not found; check 'brand' in the definition")
    from valueproof.config.loader import MAX_BYTES, parse_yaml

    if path.stat().st_size > MAX_BYTES:
        raise ConfigError(f"{path}: is larger than {MAX_BYTES:,} bytes; a brand file is a few lines")
    try:
        raw, node = parse_yaml(path.read_text(encoding="utf-8"), path)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not a UTF-8 text file; save the brand file as UTF-8 YAML") from None
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected keys such as primary:, footer:, page_size:")
    try:
        return Brand.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        written = ".".join(str(p) for p in error["loc"])
        key = shorten(written)
        line = next((k.start_mark.line + 1 for k, _ in (node.value if node else [])
                     if k.value == written), None)
        where = f"{path}:{line}" if line else str(path)
        if error["type"] == "extra_forbidden":
            message = f"unknown key; the keys are {', '.join(Brand.model_fields)}"
        elif error["type"] == "string_too_long":
            message = too_long(error["ctx"]["max_length"], len(error["input"]))
        elif error["type"] == "string_pattern_mismatch" and written == "template":
            message = (f"'{shorten(str(error['input']))}' is not a PowerPoint template; give a "
                       ".pptx or .potx file, e.g. template: deck.potx")
        elif error["type"] == "string_pattern_mismatch":
            message = (f"'{shorten(str(error['input']))}' is not a colour; write it as #RRGGBB, "
                       "e.g. #1B5E9E")
        else:
            message = error["msg"]
        raise ConfigError(f"{where}: {key}: {message}") from None
