"""Logos: decide, before rendering, whether a logo file can be drawn safely.

A logo that cannot (a broken or disguised file, an SVG that refers to other files or addresses, a
decompression bomb) is left out of the report with a warning that says why, instead of being
dropped silently by the renderer or hanging it.
"""

from __future__ import annotations

import re
from pathlib import Path

# MPO is how Pillow names a camera JPEG with extra frames
RASTER_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg"}
MAX_BYTES = 10_000_000  # a logo is a few kilobytes; more is a mistake or an attack
MAX_PIXELS = 25_000_000  # 5000 × 5000: decoding stays well under a second and 100 MB
MAX_ELEMENTS = 20_000  # an SVG logo has tens or hundreds; drawing each one takes time
_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)", re.I)
_IMPORT = re.compile(r"@import", re.I)


class LogoProblem(Exception):
    """Why a logo cannot be used; the text completes 'customer.logo: 'x.svg' …'."""


def logo_mime(path: Path) -> str:
    """The logo's MIME type, from its content; LogoProblem when it is not a usable image."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LogoProblem(f"cannot be read ({exc.strerror})") from None
    if size > MAX_BYTES:
        raise LogoProblem(f"is {size / 1e6:.0f} MB; a logo should be under "
                          f"{MAX_BYTES // 1_000_000} MB")
    if path.suffix.lower() == ".svg":
        _check_svg(path.read_bytes())
        return "image/svg+xml"
    if path.suffix.lower() in (".png", ".jpg", ".jpeg"):
        return _check_raster(path)
    raise LogoProblem("is not an SVG, PNG or JPEG image")


def _check_raster(path: Path) -> str:
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():  # Pillow warns of large images; we refuse them below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)  # reads the header only
        with image:
            if image.format not in RASTER_FORMATS:
                raise LogoProblem(f"is a {image.format} image, not PNG or JPEG")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise LogoProblem(f"declares {width:,} × {height:,} pixels; a logo needs at most "
                                  f"{MAX_PIXELS:,} (about 5000 × 5000)")
            _decode(image)
            return RASTER_FORMATS[image.format]
    except LogoProblem:
        raise
    except Image.DecompressionBombError:
        raise LogoProblem(f"declares far more pixels than a logo needs (at most {MAX_PIXELS:,}, "
                          "about 5000 × 5000)") from None
    except Exception as exc:  # Pillow reports a bad file with many types (OSError, SyntaxError…)
        raise LogoProblem(f"is not a readable PNG or JPEG image ({_reason(exc)})") from None


def _decode(image) -> None:
    """Decode every pixel: a truncated or corrupt file fails here. WeasyPrint switches Pillow to
    accept truncated images for the whole process, so say otherwise while checking a logo."""
    from PIL import ImageFile

    accept = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        image.load()
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = accept


def _reason(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def _check_svg(content: bytes) -> None:
    """Well-formed XML with an <svg> root, no entity declarations (billion laughs, external
    entities) and no reference to anything outside the file itself."""
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root: list[str] = []
    open_elements: list[str] = []
    count = [0]
    styles: list[str] = []

    def refuse_entities(name, *_):
        raise LogoProblem(f"declares the XML entity '{name}'; save the SVG without a DTD")

    def start(tag, attributes):
        local = tag.rsplit(" ", 1)[-1]
        root[:] = root or [local]
        open_elements.append(local)
        count[0] += 1
        if count[0] > MAX_ELEMENTS:
            raise LogoProblem(f"has more than {MAX_ELEMENTS:,} elements; simplify the logo")
        for name, value in attributes.items():
            attribute = name.rsplit(" ", 1)[-1]
            if attribute == "href":
                _check_reference(value.strip())
            elif attribute == "style":
                _check_css(value)

    def text(data):
        if open_elements[-1:] == ["style"]:
            styles.append(data)

    parser.EntityDeclHandler = refuse_entities
    parser.ExternalEntityRefHandler = lambda *_: refuse_entities("external")
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda _: open_elements.pop()
    parser.CharacterDataHandler = text
    try:
        parser.Parse(content, True)
    except expat.ExpatError as exc:
        raise LogoProblem(f"is not a well-formed SVG file ({expat.ErrorString(exc.code)}, "
                          f"line {exc.lineno})") from None
    if root != ["svg"]:
        raise LogoProblem("is not an SVG image (its first element is not <svg>)")
    _check_css("".join(styles))


def _check_reference(url: str) -> None:
    if url and not url.startswith(("#", "data:")):
        raise LogoProblem(f"refers to '{url[:80]}'; a logo must be self-contained (embed images "
                          "as data: URIs), since the report reads no other files or addresses")


def _check_css(css: str) -> None:
    if _IMPORT.search(css):
        raise LogoProblem("imports a stylesheet; a logo must be self-contained")
    for url in _URL.findall(css):
        _check_reference(url.strip())


def logo_warning(key: str, path: Path, problem: LogoProblem) -> str:
    """The warning shown when a logo is left out."""
    return f"{key}: '{path}' {problem}; the report is rendered without this logo"
