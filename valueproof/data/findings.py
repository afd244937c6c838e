"""What the data stage tells the user about the data: a `Finding`, never silently acted on."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    """A data-quality observation shown to the user; never silently acted on."""

    kind: str
    message: str  # in English, for the terminal and the JSON
    kpi: str | None = None
    params: dict = field(default_factory=dict)  # the numbers, for wording it in other languages
