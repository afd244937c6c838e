"""How long each text of a definition or brand file may be, and the message when one is longer.

A definition is untrusted: without a bound a 20,000-character footer overprints every page and a
50,000-character label makes a PDF of hundreds of pages. The limits are far above what a real
report needs, and each was rendered at its limit to check that the pages survive it (tests in
tests/config/test_text_limits.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, WithJsonSchema

#: Any text without a limit of its own: column names, group values, IDs, sheet, encoding …
TEXT = 200
#: A name: the experiment, the customer, the vendor, the person who prepared the report.
NAME = 100
#: A label: a KPI, a feature, a cost or benefit, a group as the report names it.
LABEL = 100
#: Who owns an action or goal.
OWNER = 100
#: A sentence: an action, a goal, a roadmap item, a highlight, an ask, a criterion as worded.
SENTENCE = 300
#: Where an ROI figure comes from (a benefit's or cost's `note`), shown in the ROI table.
NOTE = 200
#: The brand's footer, printed in the margin of every page.
FOOTER = 300
#: When a roadmap item comes (2027-Q1, a date, "next spring").
WHEN = 24
#: Items of a list of sentences (highlights, asks, roadmap, next_quarter), and actions per KPI or
#: goal: each is printed in full, so a long list is pages of text.
ITEMS = 20
ACTIONS = 10
#: A file's path as written in the definition (and each folder or file name in it).
PATH = 1000
PATH_PART = 255


def too_long(limit: int, got: int) -> str:
    """The message for a text longer than `limit` (completes 'file:line: key: …')."""
    return f"at most {limit:,} characters (got {got:,}); shorten it"


def too_many(limit: int, got: int) -> str:
    """The message for a list longer than `limit` (completes 'file:line: key: …')."""
    return f"at most {limit} items (got {got:,}); keep the ones that matter most"


def _bounded_path(value: object) -> object:
    if isinstance(value, str):
        if len(value) > PATH:
            raise ValueError(too_long(PATH, len(value)))
        longest = max(Path(value).parts or ("",), key=len)
        if len(longest) > PATH_PART:
            raise ValueError(f"the name '{longest[:40]}…' has {len(longest):,} characters; a "
                             f"file or folder name has at most {PATH_PART}, so shorten it")
    return value


#: A path as written in the definition: refused when longer than the file system could open.
FilePath = Annotated[Path, BeforeValidator(_bounded_path),
                     WithJsonSchema({"type": "string", "format": "path", "maxLength": PATH})]


#: A sentence in a list (highlights, asks).
Sentence = Annotated[str, Field(min_length=1, max_length=SENTENCE)]


def shorten(shown: str, most: int = 80) -> str:
    """A text as a message quotes it: cut to `most` characters when longer."""
    return shown if len(shown) <= most else f"{shown[:most]}… ({len(shown):,} characters)"
