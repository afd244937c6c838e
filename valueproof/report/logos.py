"""Logos: decide, before rendering, whether a logo file can be drawn safely.

A logo that cannot (a broken or disguised file, an SVG that refers to other files or addresses, a
decompression bomb) is left out of the report with a warning that says why, instead of being
dropped silently by the renderer or hanging it.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from urllib.parse import unquote_to_bytes

# MPO is how Pillow names a camera JPEG with extra frames
RASTER_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg"}
MAX_BYTES = 10_000_000  # a logo is a few kilobytes; more is a mistake or an attack
MAX_PIXELS = 25_000_000  # 5000 × 5000: decoding stays well under a second and 100 MB
MAX_ELEMENTS = 20_000  # an SVG logo has tens or hundreds; drawing each one takes time
MAX_NESTING = 3  # an SVG embedded as a data: URI in an SVG embedded in …
#: url("…"), url('…') or url(…): the address, as written
_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^"'\s)]*))""", re.I)
_IMPORT = re.compile(r"@import", re.I)
#: CSS functions other than url() that take addresses as strings (image-set("a.png" 1x, …))
_ADDRESSES = re.compile(r"(?:image-set|image|src|cross-fade)\(([^)]*)", re.I)
_STRING = re.compile(r""""([^"]*)"|'([^']*)'""")
_CSS_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.S)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\r\n\f]?|\\(.)", re.S)
#: attributes that name another file or address, in SVG or the HTML of a <foreignObject>
_REFERENCES = {"href", "src", "srcset", "data", "poster", "action", "formaction", "background"}
_DATA_URI = re.compile(r"data:([^,]*?)(;base64)?,(.*)", re.I | re.S)


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


def _check_svg(content: bytes, depth: int = 0) -> None:
    """Well-formed XML with an <svg> root, no entity declarations (billion laughs, external
    entities), no HTML inside (<foreignObject>) and no reference to anything outside the file
    itself: in any attribute, in CSS (however escaped), or inside an image embedded as a data:
    URI (checked as a logo of its own)."""
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
        if local == "foreignObject":
            raise LogoProblem("contains <foreignObject> (HTML inside the SVG, which can load other "
                              "files and is not drawn in the PDF); save the logo as plain SVG "
                              "shapes")
        for name, value in attributes.items():
            if name.rsplit(" ", 1)[-1].lower() in _REFERENCES:
                _check_reference(value.strip(), depth)
            else:  # style, and presentation attributes such as fill="url(…)"
                _check_css(value, depth)

    def text(data):
        if open_elements[-1:] == ["style"]:
            styles.append(data)

    def instruction(target, data):
        if target.lower() == "xml-stylesheet":
            found = re.search(r"href\s*=\s*['\"]([^'\"]*)", data)
            _check_reference(found.group(1).strip() if found else "?", depth)

    parser.EntityDeclHandler = refuse_entities
    parser.ProcessingInstructionHandler = instruction
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
    _check_css("".join(styles), depth)


def _check_reference(url: str, depth: int = 0) -> None:
    if url.lower().startswith("data:"):
        _check_data_uri(url, depth)
    elif url and not url.startswith("#"):
        raise LogoProblem(f"refers to '{url[:80]}'; a logo must be self-contained (embed images "
                          "as data: URIs), since the report reads no other files or addresses")


def _check_data_uri(url: str, depth: int) -> None:
    """An image embedded in the logo: an SVG is checked as a logo of its own (it may refer to
    other files in turn); other types are drawn from the bytes they carry."""
    found = _DATA_URI.fullmatch(url.strip())
    if found is None or "svg" not in found.group(1).lower():
        return
    if depth + 1 > MAX_NESTING:
        raise LogoProblem(f"nests SVG images as data: URIs more than {MAX_NESTING} deep; "
                          "simplify the logo")
    try:
        content = (base64.b64decode(unquote_to_bytes(found.group(3)), validate=False)
                   if found.group(2) else unquote_to_bytes(found.group(3)))
    except (binascii.Error, ValueError):
        raise LogoProblem("embeds an SVG image (a data: URI) that cannot be decoded") from None
    try:
        _check_svg(content, depth + 1)
    except LogoProblem as problem:
        raise LogoProblem(f"embeds an SVG image (a data: URI) that {problem}") from None


def _check_css(css: str, depth: int = 0) -> None:
    """No stylesheet imported and no address in url(), image-set() and the like, after CSS
    comments are removed and escapes (\\75 rl for url) decoded as the renderer would."""
    css = _CSS_COMMENT.sub("", css)
    css = _CSS_ESCAPE.sub(lambda m: _unescaped(m.group(1)) if m.group(1) else m.group(2), css)
    if _IMPORT.search(css):
        raise LogoProblem("imports a stylesheet; a logo must be self-contained")
    found = _URL.findall(css) + [string for inside in _ADDRESSES.findall(css)
                                 for string in _STRING.findall(inside)]
    for url in ("".join(groups).strip() for groups in found):
        _check_reference(url, depth)


def _unescaped(code: str) -> str:
    number = int(code, 16)
    return chr(number) if 0 < number <= 0x10FFFF and not 0xD800 <= number <= 0xDFFF else "\ufffd"


def logo_warning(key: str, path: Path, problem: LogoProblem) -> str:
    """The warning shown when a logo is left out."""
    return f"{key}: '{path}' {problem}; the report is rendered without this logo"
