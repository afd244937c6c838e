"""Database URLs of a definition: `${NAME}` read from the environment, and redaction.

Credentials never sit in a definition: `postgresql://analyst:${PGPASSWORD}@db/crm` takes the
password from the environment of whoever runs valueproof. What valueproof shows of a URL (in
messages, terminal output, results JSON, the report, the data fingerprint) is always the
redacted form, where the password and every `${…}` value are `***`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from valueproof.errors import DataError

VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
HIDDEN = "***"


@dataclass(frozen=True)
class DatabaseUrl:
    """A URL as written (`template`), resolved from the environment (`resolved`, never shown)
    and redacted (`shown`, safe everywhere)."""

    template: str
    resolved: str
    shown: str
    secrets: tuple[str, ...]  # values that must never appear in output

    @property
    def scheme(self) -> str:
        return self.template.split("://", 1)[0].lower() if "://" in self.template else ""

    def redact(self, text: str) -> str:
        """`text` (e.g. a driver's error message) with the URL and every secret replaced."""
        text = text.replace(self.resolved, self.shown)
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, HIDDEN)
        return text


def database_url(template: str, key: str = "data.url",
                 environ: dict[str, str] | None = None) -> DatabaseUrl:
    """Resolve `${NAME}`s of `template`; DataError naming a variable that is not set."""
    environ = os.environ if environ is None else environ
    secrets: list[str] = []

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in environ:
            raise DataError(f"{key}: the environment variable {name} is not set; set it "
                            f"(export {name}=…) in the shell that runs valueproof")
        found = environ[name]
        if found:
            secrets.append(found)
        return _in_url(found, template, match.start())

    resolved = VARIABLE.sub(value, template)
    password = _password(resolved)
    if password:
        secrets.extend({password, _unquote(password)})
    return DatabaseUrl(template, resolved, redacted(template), tuple(s for s in secrets if s))


def redacted(url: str) -> str:
    """`url` with its password and every `${…}` shown as ***."""
    shown = VARIABLE.sub(HIDDEN, url)
    try:
        parts = urlsplit(shown)
    except ValueError:
        return re.sub(r"(//[^/:@]*:)[^@/]*@", rf"\1{HIDDEN}@", shown)
    if parts.password is None:
        return shown
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{HIDDEN}@{host}"))


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)


def _in_url(value: str, template: str, position: int) -> str:
    """A variable's value, percent-encoded when it lands in the user or password part (a
    password with '@' or '/' would otherwise break the URL)."""
    head = template[:position]
    scheme_end = head.find("://")
    if scheme_end >= 0 and "@" not in head[scheme_end + 3:] and "/" not in head[scheme_end + 3:] \
            and "@" in template[position:]:
        return quote(value, safe="")
    return value
