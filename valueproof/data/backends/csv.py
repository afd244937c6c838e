"""CSV files as spreadsheets export them (separators, decimal commas, encodings, title rows),
and `CsvSource`, the `Source` of a CSV data file.

UTF-8 files are read by DuckDB in place (the fast path the big benchmarks use). Any other
encoding is transcoded by Python's codecs, in 1 MB blocks, into a temporary UTF-8 copy that DuckDB
loads into a table before the copy is deleted: DuckDB itself knows only UTF-8, UTF-16 and Latin-1
without downloading an extension.

Dates are never typed by DuckDB's sniffer: it silently picks day-first or month-first for
`04/01/2026`. Date columns therefore arrive as text and the data stage parses them (ISO dates, or
`data.date_format`), so an ambiguous date is an error the user resolves, not a guess.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from valueproof.data.backends.files import FileSource, header_row_hint, raw_kind
from valueproof.data.sqltext import literal
from valueproof.errors import DataError

#: Column types the sniffer may choose: no DATE, TIME or TIMESTAMP (see the module docstring).
TYPE_CANDIDATES = "['BOOLEAN', 'BIGINT', 'DOUBLE', 'VARCHAR']"
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
SEPARATORS = (",", ";", "\t", "|")
HEADER_SEARCH_ROWS = 30
#: The longest line the reader takes (DuckDB's max_line_size): a CSV line is one observation, a
#: few hundred bytes; a longer one means the file is not read line by line as it should be.
MAX_LINE_BYTES = 2_000_000
#: More fields in the header than any export has: a file read with the wrong line ending or
#: separator (DuckDB would need gigabytes to make as many columns before failing).
MAX_COLUMNS = 10_000
ENCODING_FIX = ("set data.encoding to the file's encoding, e.g. cp1250 (Polish and Central "
                "European Excel), windows-1252 (Western European Excel), latin-1 or utf-16")


def separator_name(separator: str) -> str:
    return {"\t": "'\\t' (a tab)", " ": "' ' (a space)"}.get(separator, f"'{separator}'")


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written; the `data.*` keys of the definition."""

    delimiter: str | None = None
    decimal: str = "."
    encoding: str = "utf-8"
    header_row: int | None = None

    def effective_encoding(self, path: Path) -> str:
        """The codec to read with: the key's, except that a UTF-16 byte-order mark is obeyed
        when the key was left at its default (a BOM declares the encoding; nothing is guessed)."""
        name = codecs.lookup(self.encoding).name
        if name == "utf-8":
            with path.open("rb") as handle:
                if handle.read(2) in UTF16_BOMS:
                    return "utf-16"
        return name

    def options(self, types: dict[str, str] | None = None) -> str:
        parts = ["header = true", f"auto_type_candidates = {TYPE_CANDIDATES}",
                 f"max_line_size = {MAX_LINE_BYTES}"]
        if self.delimiter:
            parts.append(f"delim = {literal(self.delimiter)}")
        if self.decimal != ".":
            parts.append(f"decimal_separator = {literal(self.decimal)}")
        if self.header_row:
            parts.append(f"skip = {self.header_row - 1}")
        if types:
            pairs = ", ".join(f"{literal(k)}: {literal(v)}" for k, v in types.items())
            parts.append(f"types = {{{pairs}}}")
        return ", ".join(parts)


def register_csv(con, path: Path, dialect: CsvDialect, text_columns: tuple[str, ...]) -> None:
    """Create `raw` from a CSV file; `text_columns` (the unit IDs) are kept as text so that
    '007' stays '007'. Raises DataError with the likely cause when it cannot be read."""
    import duckdb

    encoding = dialect.effective_encoding(path)
    try:
        if encoding in ("utf-8", "utf-8-sig"):
            check_lines(path, path, dialect)
            _create(con, raw_kind(path), path, dialect, text_columns)
        else:
            with tempfile.TemporaryDirectory(prefix="valueproof-") as folder:
                copy = Path(folder) / "utf8.csv"
                _transcode(path, copy, encoding)
                check_lines(copy, path, dialect)
                _create(con, "TEMP TABLE", copy, dialect, text_columns)
        con.execute("SELECT * FROM raw LIMIT 1").fetchall()
    except duckdb.Error as exc:
        raise DataError(explain_csv_error(path, dialect, exc)) from None
    _check_split(con, path, dialect)


def _create(con, kind: str, path: Path, dialect: CsvDialect, text_columns: tuple[str, ...]) -> None:
    source = f"read_csv({literal(str(path))}, {dialect.options()})"
    sniffed = {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    # always named, even when sniffed as text: the reader sniffs again when it runs, and may
    # then type a column of years as numbers until an 'NA' far down the file
    retype = {c: "VARCHAR" for c in text_columns if c in sniffed}
    if retype:
        source = f"read_csv({literal(str(path))}, {dialect.options(retype)})"
    con.execute(f"CREATE {kind} raw AS SELECT * FROM {source}")


def _transcode(source: Path, target: Path, encoding: str) -> None:
    try:
        with source.open(encoding=encoding, newline="") as text, \
                target.open("w", encoding="utf-8", newline="") as out:
            shutil.copyfileobj(text, out, 1 << 20)
    except UnicodeError as exc:
        where = f" at byte {exc.start:,}" if isinstance(exc, UnicodeDecodeError) else ""
        raise DataError(
            f"{source}: is not {encoding} text (undecodable bytes{where}); check data.encoding — "
            f"{ENCODING_FIX}"
        ) from None


def _line_lengths(path: Path, most: int | None = 100_000_000):
    """(line number, length in bytes) of each line of the file's first `most` bytes (None: all
    of it; CR LF, LF and CR end a line, as for the reader); the last may be cut off."""
    number, length, after_cr = 1, 0, False
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            for piece in re.split(rb"(\r\n|\r|\n)", block):
                if piece in (b"\r\n", b"\r", b"\n"):
                    if not (piece == b"\n" and after_cr):  # CR LF split across two blocks
                        yield number, length
                        number, length = number + 1, 0
                    after_cr = piece == b"\r"
                elif piece:
                    length, after_cr = length + len(piece), False
            if most is not None:
                most -= len(block)
                if most <= 0:
                    break
    yield number, length


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 1_000_000 else f"{count:,} bytes"


def _long_line(shown: Path, number: int, length: int) -> str:
    return (f"{shown}: line {number:,} is {_size(length)} long, more than a CSV line may be "
            f"({_size(MAX_LINE_BYTES)}); a data file has one observation per line, so this one "
            "is probably not a line-by-line CSV file: it has no line breaks (a JSON file, or an "
            "export saved as one line), or a quote (\") opens a value that never closes so the "
            "rest of the file reads as one value. Open it in a text editor to check, and save "
            "the data again as CSV with one row per line")


def check_lines(path: Path, shown: Path, dialect: CsvDialect, every_line: bool = False) -> None:
    """Refuse, before the reader sees it, a file whose first lines (`every_line`: any line, for
    a small table such as a group file) are longer than a CSV line may be, or whose header has
    more fields than any export: the reader would spend seconds and gigabytes to fail with a
    message that says neither. `shown` names the file in messages (`path` may be its UTF-8
    copy)."""
    header = dialect.header_row or 1
    for number, length in _line_lengths(path, None if every_line else MAX_LINE_BYTES + 1):
        if length > MAX_LINE_BYTES:
            full = next((n for i, n in _line_lengths(path) if i == number), length)
            raise DataError(_long_line(shown, number, full))
        if number >= header and not every_line:
            break
    with path.open("rb") as handle:
        head = handle.read(MAX_LINE_BYTES + 2).decode("utf-8", errors="replace")
    lines = re.split(r"\r\n|\r|\n", head, maxsplit=header)
    line = lines[header - 1] if len(lines) >= header else ""
    separator = dialect.delimiter or max(SEPARATORS, key=line.count)
    fields = line.count(separator) + 1
    if fields > MAX_COLUMNS:
        raise DataError(
            f"{shown}: line {header} (the header) has {fields:,} fields separated by "
            f"{separator_name(separator)}, more than any data export (at most {MAX_COLUMNS:,}); "
            "the file is probably not a line-by-line CSV file (no line breaks, or line breaks "
            "the reader does not know), or its header is not on that line (data.header_row)")


def explain_csv_error(path: Path, dialect: CsvDialect, exc: Exception) -> str:
    """DuckDB's CSV error in the user's terms: the likely cause and the key that fixes it."""
    text = str(exc)
    if "Maximum line size" in text:  # further down than `check_lines` looks
        found = next(((n, size) for n, size in _line_lengths(path) if size > MAX_LINE_BYTES),
                     None)
        return _long_line(path, *found) if found else _long_line(path, 0, MAX_LINE_BYTES + 1)
    line = re.search(r"[Ll]ine:? (\d+)", text)
    at = f" (line {line.group(1)})" if line else ""
    if "invalid unicode" in text.lower():
        with path.open("rb") as handle:
            utf16 = handle.read(2) in UTF16_BOMS
        fix = "set data.encoding: utf-16" if utf16 else ENCODING_FIX
        return f"{path}: is not UTF-8 text{at}; {fix}"
    if "Expected Number of Columns" in text or "too many columns" in text.lower():
        return (f"{path}: a row has a different number of fields than the header{at}; check "
                "data.delimiter, values that contain the separator without quotes, and title "
                "rows above the header (data.header_row)")
    if "sniffing" in text:
        diagnosis = _diagnose_head(path, dialect)
        if diagnosis:
            return f"{path}: {diagnosis}"
    first = text.strip().splitlines()[0]
    return (f"{path}: could not be read as CSV{at} ({first}). Likely causes: the field separator "
            "(set data.delimiter, e.g. ';'), the encoding (data.encoding, e.g. cp1250), title rows "
            "above the header (data.header_row) or mixed line endings (save the file again as CSV "
            "from the spreadsheet)")


def _diagnose_head(path: Path, dialect: CsvDialect) -> str | None:
    """Why the first 64 KB of a file defeat DuckDB's sniffer, when it is visible: mixed line
    endings, or a row with more or fewer fields than the header."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    crlf = head.count(b"\r\n")
    endings = [n for n in (crlf, head.count(b"\r") - crlf, head.count(b"\n") - crlf) if n]
    if len(endings) > 1:
        return ("has mixed line endings (some rows end in CR LF, others in LF or CR); save it "
                "again as CSV from the spreadsheet, or convert its line endings")
    lines = head.decode(dialect.effective_encoding(path), errors="replace").splitlines()[:200]
    lines = lines[(dialect.header_row or 1) - 1:-1]  # the last line may be cut off
    if not lines:
        return None
    separator = dialect.delimiter or max(SEPARATORS, key=lines[0].count)
    sizes = [len(row) for row in csv.reader(lines, delimiter=separator)]
    for number, size in enumerate(sizes[1:], start=(dialect.header_row or 1) + 1):
        if size != sizes[0]:
            return (f"row {number} has {size} fields but the header has {sizes[0]} (separator "
                    f"{separator_name(separator)}); check data.delimiter, values that contain the "
                    "separator without quotes, and title rows above the header (data.header_row)")
    return None


def _check_split(con, path: Path, dialect: CsvDialect) -> None:
    """A file whose fields were not split comes back as one column named like 'a;b;c'."""
    names = [row[0] for row in con.execute("DESCRIBE raw").fetchall()]
    if len(names) != 1:
        return
    inside = [s for s in SEPARATORS if s in names[0] and s != dialect.delimiter]
    if inside:
        ragged = _diagnose_head(path, dataclasses.replace(dialect, delimiter=inside[0]))
        if ragged:
            raise DataError(f"{path}: {ragged}")
        raise DataError(
            f"{path}: was read as a single column named '{names[0]}', so its fields were not "
            f"split; the separator looks like {separator_name(inside[0])}: set data.delimiter: "
            f"\"{inside[0]}\"" + ("" if dialect.decimal == "," or inside[0] != ";" else
                                  " (and data.decimal: \",\" if numbers use decimal commas)")
        )


def find_header_row(path: Path, dialect: CsvDialect, names: list[str]) -> int | None:
    """The 1-based row among the first few that holds all `names`, if it is not the header used."""
    try:
        with path.open(encoding=dialect.effective_encoding(path), errors="replace", newline="") as handle:
            lines = [line for _, line in zip(range(HEADER_SEARCH_ROWS), handle)]
    except OSError:
        return None
    separators = [dialect.delimiter] if dialect.delimiter else list(SEPARATORS)
    for number, line in enumerate(lines, start=1):
        for separator in separators:
            cells = {cell.strip() for cell in next(csv.reader([line], delimiter=separator), [])}
            if all(name in cells for name in names) and number != (dialect.header_row or 1):
                return number
    return None



@dataclass(frozen=True)
class CsvSource(FileSource):
    """A CSV (or TSV) data file; `text_columns` are kept as text (unit IDs such as '007')."""

    dialect: CsvDialect = dataclasses.field(default_factory=CsvDialect)
    text_columns: tuple[str, ...] = ()

    def _create_raw(self, con) -> None:
        register_csv(con, self.path, self.dialect, self.text_columns)

    def explain(self, exc: Exception) -> str | None:
        """A DuckDB error met while scanning the whole file (e.g. a bad byte on line 50,000)."""
        import duckdb

        if not isinstance(exc, duckdb.InvalidInputException):
            return None
        return explain_csv_error(self.path, self.dialect, exc)

    def missing_columns_hint(self, names: list[str]) -> str | None:
        """The header is further down (title rows above it)."""
        row = find_header_row(self.path, self.dialect, names)
        return header_row_hint(row) if row else None
