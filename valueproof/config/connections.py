"""The operator's named database connections (`connections.yaml`) and the secrets they hold.

A definition is untrusted, so it never chooses a host or a secret: it says `connection:
warehouse`, and the person who runs valueproof keeps the URLs, as dbt keeps its profiles:

    # connections.yaml: --connections FILE, or VALUEPROOF_CONNECTIONS, or the user's
    # config folder (~/.config/valueproof/connections.yaml)
    warehouse:
      url: postgresql://analyst:${WAREHOUSE_PASSWORD}@db.internal:5432/crm

`${NAME}` is read from the environment of whoever runs valueproof, only here. Every value read
so, the URL's password and secret query parameters (`?password=`) are secrets of this
process: `redaction.redact` masks them, by value, in whatever text leaves valueproof.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

from valueproof.errors import ConfigError
from valueproof.redaction import HIDDEN, keep_secret, redact

ENVIRONMENT = "VALUEPROOF_CONNECTIONS"
FILE_NAME = "connections.yaml"
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
MAX_BYTES = 256 * 1024
# query parameters of a URL whose values are secrets wherever they come from
SECRET_PARAMETERS = re.compile(r"pass|pwd|secret|token|key|credential", re.IGNORECASE)


@dataclass(frozen=True)
class DatabaseUrl:
    """A database URL as written (`template`), resolved from the environment (`resolved`, never
    shown) and redacted (`shown`); `name` is the connection's name (None for a definition's own
    DuckDB file) and `origin` says where it is defined, for messages."""

    template: str
    resolved: str
    shown: str
    secrets: tuple[str, ...] = ()
    name: str | None = None
    origin: str = "data.url"
    folder: Path | None = None  # a relative DuckDB file lies in this folder

    @property
    def scheme(self) -> str:
        return self.template.split("://", 1)[0].lower() if "://" in self.template else ""

    @property
    def label(self) -> str:
        """How messages and outputs name the database: the connection, or the redacted URL."""
        return f"connection '{self.name}'" if self.name else self.shown

    def redact(self, text: str) -> str:
        """`text` (e.g. a driver's error message) with the URL and every secret replaced."""
        return redact(text.replace(self.resolved, self.shown))


def database_url(template: str, origin: str, environ=None, name: str | None = None,
                 folder: Path | None = None) -> DatabaseUrl:
    """Resolve the `${NAME}`s of an operator's URL; ConfigError naming a variable not set."""
    environ = os.environ if environ is None else environ
    found: list[str] = []

    def value(match: re.Match) -> str:
        variable = match.group(1)
        if variable not in environ:
            raise ConfigError(f"{origin}: the environment variable {variable} is not set; set it "
                              f"(export {variable}=…) in the shell that runs valueproof")
        found.append(environ[variable])
        return _in_url(environ[variable], template, match.start())

    resolved = VARIABLE.sub(value, template)
    found.extend(_secret_fields(resolved))
    secrets = tuple(s for s in found if s)
    for secret in secrets:
        keep_secret(secret)
    return DatabaseUrl(template, resolved, redacted(template), secrets, name, origin, folder)


def redacted(url: str) -> str:
    """`url` with its password, every `${…}` and secret query parameters shown as ***."""
    shown = VARIABLE.sub(HIDDEN, url)
    try:
        parts = urlsplit(shown)
    except ValueError:
        return re.sub(r"(//[^/:@]*:)[^@/]*@", rf"\1{HIDDEN}@", shown)
    if parts.password is not None:
        userinfo, _, host = parts.netloc.rpartition("@")
        parts = parts._replace(netloc=f"{userinfo.split(':', 1)[0]}:{HIDDEN}@{host}")
    if parts.query:
        parts = parts._replace(query="&".join(
            f"{key}={HIDDEN}" if SECRET_PARAMETERS.search(key) else f"{key}={value}"
            for key, value in parse_qsl(parts.query, keep_blank_values=True)))
    return parts.geturl()


def _secret_fields(url: str) -> list[str]:
    """The password and the secret query parameters' values of `url`."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return []
    values = [password] if password else []
    values += [value for key, value in parse_qsl(parts.query) if SECRET_PARAMETERS.search(key)]
    return values


def _in_url(value: str, template: str, position: int) -> str:
    """A variable's value, percent-encoded when it lands in the user or password part (a
    password with '@' or '/' would otherwise break the URL)."""
    head = template[:position]
    scheme_end = head.find("://")
    if scheme_end >= 0 and "@" not in head[scheme_end + 3:] and "/" not in head[scheme_end + 3:] \
            and "@" in template[position:]:
        return quote(value, safe="")
    return value


def default_location(environ=None) -> Path:
    """Where connections.yaml is looked for when neither --connections nor the environment
    variable names it: the user's configuration folder."""
    environ = os.environ if environ is None else environ
    if os.name == "nt" and environ.get("APPDATA"):
        return Path(environ["APPDATA"]) / "valueproof" / FILE_NAME
    base = environ.get("XDG_CONFIG_HOME") or str(Path("~").expanduser() / ".config")
    return Path(base) / "valueproof" / FILE_NAME


class Connections:
    """The operator's connections file (`path`: --connections, else VALUEPROOF_CONNECTIONS,
    else the user's configuration folder), read when a definition first names a connection."""

    def __init__(self, path: Path | None = None, environ=None):
        self.environ = os.environ if environ is None else environ
        self.path = Path(path or self.environ.get(ENVIRONMENT) or default_location(self.environ))
        self._urls: dict[str, str] | None = None

    def get(self, name: str, key: str) -> DatabaseUrl:
        """The connection `name` that the definition names at `key`."""
        urls = self._read()
        if name not in urls:
            known = (f"it has {', '.join(sorted(urls))}" if urls else "it has none")
            raise ConfigError(
                f"{key}: no connection named '{name}' in {self.path} ({known}); the person who "
                f"runs valueproof adds it there ({name}: {{url: postgresql://user:${{PASSWORD}}"
                "@host/db}), or give another file with --connections FILE")
        origin = f"connection '{name}' in {self.path}"
        return database_url(urls[name], origin, self.environ, name, self.path.parent)

    def _read(self) -> dict[str, str]:
        if self._urls is None:
            self._urls = self._load()
        return self._urls

    def _load(self) -> dict[str, str]:
        import yaml

        path = self.path
        if not path.is_file():
            raise ConfigError(f"{path}: no such connections file; the definition names a "
                              "database ('connection: NAME') that the person running valueproof "
                              "defines in connections.yaml, given with --connections FILE or "
                              f"{ENVIRONMENT}, or kept at {default_location(self.environ)}")
        if path.stat().st_size > MAX_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_BYTES:,} bytes; a connections file is a "
                              "short list of names and URLs")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: is not a readable YAML file "
                              f"({str(exc).splitlines()[0]}); fix it") from None
        raw = {} if raw is None else raw
        example = "warehouse: {url: postgresql://user:${PASSWORD}@host/db}"
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected connections by name, e.g. {example}")
        urls: dict[str, str] = {}
        for name, entry in raw.items():
            if not isinstance(name, str) or not NAME.fullmatch(name):
                raise ConfigError(f"{path}: '{name}' is not a connection name; use letters, "
                                  "digits, '_', '-' and '.', starting with a letter")
            url = entry.get("url") if isinstance(entry, dict) else None
            extra = sorted(set(entry) - {"url"}) if isinstance(entry, dict) else []
            if not isinstance(url, str) or not url.strip() or extra:
                raise ConfigError(f"{path}: {name}: give the connection's url and nothing else, "
                                  f"e.g. {example}")
            urls[name] = url.strip()
        return urls


ACCEPTED = ("a definition's url names only a DuckDB file in its folder: duckdb:///file.duckdb "
            "(relative to the definition) or duckdb:////absolute/path/file.duckdb inside a "
            "folder allowed with --allow-path; any other database is a named connection that "
            "the person running valueproof keeps in connections.yaml, which the definition "
            "names with 'connection: NAME' instead of 'url'")


def definition_database(url: str) -> str:
    """The path of the DuckDB file a definition's `url` names (`duckdb:///relative.duckdb` or
    `duckdb:////absolute.duckdb`), still to be checked against the definition's folder;
    ValueError for anything else: a host, a `${…}`, another scheme, options."""
    text = url.strip()
    if "${" in text:
        raise ValueError(f"'{redacted(text)}' reads the environment; a definition never holds a "
                         f"secret or a host: {ACCEPTED}")
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    path = text[len("duckdb:///"):] if text.lower().startswith("duckdb:///") else None
    if path is None or not path or path.startswith("//") or "?" in path or "#" in path \
            or path == ":memory:" or any(ord(c) < 32 for c in path):
        what = (f"names a {scheme}: database, which a definition may not do" if scheme and
                scheme != "duckdb" else "is not a DuckDB file's URL")
        raise ValueError(f"'{redacted(text)}' {what}; {ACCEPTED}")
    return path
