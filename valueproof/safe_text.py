"""Customer text made safe for where it goes: a terminal (no control characters or escape
sequences, rich markup escaped) and a CSV file (never read as a formula by a spreadsheet).

A definition is untrusted: its names, labels, file names and data values may hold an escape
sequence that clears the screen, rewrites a line, sets the clipboard (OSC 52) or shows a link
(OSC 8), or text such as "[/bold]" that rich would read as markup."""

from __future__ import annotations

import re

#: Escape sequences, removed whole: CSI (ESC [ or 0x9B, parameters, final byte); OSC, DCS,
#: SOS, PM and APC strings up to their terminator (BEL, ESC \ or 0x9C) or the end of the
#: text; and the two- or three-character escapes (ESC c resets the terminal, ESC ( B ...).
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|\Z)"
    r"|\x1b[ -/]*[0-~]?",
    re.S)
#: What is left of the C0 and C1 controls (and DEL), and the bidirectional overrides and
#: isolates, which reorder what the terminal shows (U+202A-U+202E, U+2066-U+2069).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
#: First characters that make a spreadsheet read a cell as a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain_text(value, newlines: bool = False) -> str:
    """`value` as text without escape sequences or control characters. A tab is a space; a
    line break stays one with `newlines` (a message of several lines) and is a space otherwise
    (a name, a table cell); a carriage return, which could overprint a line, is dropped."""
    from valueproof.redaction import redact

    text = _SEQUENCE.sub("", str(value)).replace("\r\n", "\n").replace("\t", " ")
    if not newlines:
        text = text.replace("\n", " ")
    return redact(_CONTROL.sub("", text))


def terminal_text(value, newlines: bool = False) -> str:
    """`value` ready to go inside a rich markup string or table cell: `plain_text`, with its
    square brackets escaped ("[beta]" shows as itself, "[/bold]" never closes a tag)."""
    from rich.markup import escape

    text = escape(plain_text(value, newlines))
    trailing = len(text) - len(text.rstrip("\\"))
    return text + "\\" if trailing % 2 else text  # never escape a tag that follows it


def csv_cell(value):
    """A CSV cell no spreadsheet reads as a formula: text starting with =, +, -, @, a tab or a
    carriage return (after any spaces) gets a leading single quote; numbers, and text that is
    a number ("-3.5"), are left as they are."""
    if not isinstance(value, str) or _NUMBER.fullmatch(value.strip()):
        return value
    if value.lstrip(" ").startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_row(row: dict) -> dict:
    """Every cell of a row through `csv_cell`."""
    return {key: csv_cell(value) for key, value in row.items()}
