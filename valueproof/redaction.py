"""Secrets of this process, masked by value in whatever text leaves valueproof.

Every value the operator's connections read from the environment, and every password or
secret query parameter of their URLs, is kept here when it is resolved (`keep_secret`).
`redact` replaces each in a text: messages (every `ValueproofError`), results JSON, the HTML
the PDF is made from, batch summaries and the terminal. A prefix of a long secret is masked
too (PostgreSQL truncates a 70-character database name to 63 in its messages); a short one
only where it stands as a word of its own, so a one-letter value does not blank every letter.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

HIDDEN = "***"
FULL = 8  # secrets at least this long are masked wherever they appear, ...
PREFIX = 16  # ... and so is a prefix of them this long
SHORT = 3  # shorter secrets are masked only as a whole word, and none shorter than this

_SECRETS: set[str] = set()


def keep_secret(value: str) -> None:
    """Remember `value` (and its percent-encoded forms) as a secret of this process."""
    for form in {value, quote(value, safe=""), unquote(value)}:
        if len(form) >= SHORT:
            _SECRETS.add(form)


def redact(text: str, markup: bool = False) -> str:
    """`text` with every secret this process has resolved replaced by ***; in `markup` (JSON,
    HTML, CSV) only the long ones, as a short one could be a key or a tag."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if not markup or len(secret) >= FULL:
            text = _mask(text, secret)
    return text


def _mask(text: str, secret: str) -> str:
    if len(secret) < FULL:  # a short value: only where it stands as a word of its own
        pattern = rf"(?<![A-Za-z0-9_]){re.escape(secret)}(?![A-Za-z0-9_])"
        return re.sub(pattern, HIDDEN, text)
    head = secret[:min(len(secret), PREFIX)]
    pieces, start = [], 0
    while (found := text.find(head, start)) >= 0:
        end = found + len(head)
        while end < len(text) and end - found < len(secret) and text[end] == secret[end - found]:
            end += 1
        pieces.append(text[start:found] + HIDDEN)
        start = end
    return "".join(pieces) + text[start:]
