"""Byte-identical decks: a .pptx is a zip of parts, and python-pptx, XlsxWriter and zipfile all
write the wall-clock time somewhere (zip entries' times, the core properties' dates, the dates
inside each chart's embedded workbook). Every one of them is set to the report's date here, and
the parts are written in a fixed order."""

from __future__ import annotations

import io
import re
import zipfile

_CORE = "docProps/core.xml"
_DATE_ELEMENTS = re.compile(
    rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:(created|modified)>)")


def _fixed_core(xml: bytes, stamp: str) -> bytes:
    """The core properties with `stamp` (ISO date-time, UTC) as created and modified date,
    and the revision 1."""
    xml = _DATE_ELEMENTS.sub(lambda m: m.group(1) + stamp.encode() + m.group(3), xml)
    return re.sub(rb"<cp:revision>[^<]*</cp:revision>", b"<cp:revision>1</cp:revision>", xml)


def _order(name: str) -> tuple[int, str]:
    # [Content_Types].xml first, as Office writes it; then the package relationships
    first = {"[Content_Types].xml": 0, "_rels/.rels": 1}
    return (first.get(name, 2), name)


def normalised_zip(data: bytes, stamp: str, date_time: tuple[int, ...]) -> bytes:
    """The Office file `data` rewritten with every entry dated `date_time` (zip's local time
    tuple), in a fixed order, deflated at one fixed level, its core properties dated `stamp`
    and every embedded Office file (the charts' workbooks) normalised the same way."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in sorted(source.namelist(), key=_order):
            content = source.read(name)
            if name == _CORE:
                content = _fixed_core(content, stamp)
            elif name.endswith((".xlsx", ".xlsm")):
                content = normalised_zip(content, stamp, date_time)
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            info.create_system = 0
            target.writestr(info, content, compresslevel=6)
    return out.getvalue()


def stamp_of(report_date: str) -> tuple[str, tuple[int, ...]]:
    """(ISO date-time for the core properties, zip date-time) of the report's date ('2026-10-08';
    an integer period or anything else: 1 January 1980, zip's first day)."""
    import datetime as dt

    try:
        day = dt.date.fromisoformat(report_date)
    except ValueError:
        day = dt.date(1980, 1, 1)
    day = max(day, dt.date(1980, 1, 1))
    return f"{day.isoformat()}T00:00:00Z", (day.year, day.month, day.day, 0, 0, 0)
