"""The text in a chart and the SVG it becomes: customer text made printable and fitted to a
width in the chart's font, and matplotlib's SVG turned into the data URI the report embeds, with
fewer nodes for WeasyPrint to draw, presentation attributes instead of CSS, and right-to-left
text shaped and in display order. Text is measured once per process: every chart of every
report shares the measurements (matplotlib keeps them only for one drawing)."""

from __future__ import annotations

import base64
import functools
import io
import re
import textwrap

from valueproof.language.formatting import RIGHT_TO_LEFT, unisolated

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Customer text with control characters (a form feed, an escape) as spaces: they have no
    glyph in the report's fonts, and most are not allowed in SVG's XML."""
    return _CONTROL.sub(" ", text)


def fit(text: str, width_pt: float, lines: int = 1, chars: int | None = None,
         weight: str = "normal", size: float = 8.5) -> str:
    """`text` in at most `lines` lines of at most `chars` characters, each no wider than
    `width_pt` points in the chart's font; what does not fit ends in '…'. Customer text of any
    length (a name without spaces, a 200-character label) stays inside the chart."""
    text = re.sub(r"[ \t\n\r\f\v]+", " ", unisolated(printable(str(text)))).strip(" ")  # keeps NBSP
    n = max(1, chars or len(text))
    while True:
        wrapped = textwrap.wrap(text, n) or [text]
        if len(wrapped) > lines:
            wrapped = wrapped[:lines]
            wrapped[-1] = wrapped[-1][:max(n - 1, 1)].rstrip() + "…"
        if n == 1 or all(text_width(line, weight, size) <= width_pt for line in wrapped):
            return "\n".join(wrapped)
        n = max(1, min(n - 1, int(n * 0.9)))


def text_width(text: str, weight: str, size: float) -> float:
    """Width in points of one line of plain text (no mathtext) in the chart font."""
    from matplotlib.font_manager import FontProperties

    return _measure(text, FontProperties(size=size, weight=weight), False)[0]


_MEASURED: dict = {}


def _measure(text: str, properties, ismath) -> tuple[float, float, float]:
    """Width, height and descent in points of `text` in `properties`, measured once per
    process (as matplotlib keys its own cache: the text, a copy of the font properties, and
    whether it is mathtext)."""
    from matplotlib.textpath import text_to_path

    key = (text, properties.copy(), ismath)
    if key not in _MEASURED:
        if len(_MEASURED) >= 8192:  # customer text of many reports: keep the memory bounded
            _MEASURED.clear()
        _MEASURED[key] = text_to_path.get_text_width_height_descent(text, properties, ismath)
    return _MEASURED[key]


def data_uri(fig) -> str:
    """The figure as an SVG data URI (an <img> source: parsed apart from the page's CSS)."""
    buffer = io.StringIO()
    _canvas()(fig).print_figure(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = flatten(re.sub(r"<metadata>.*?</metadata>", "", buffer.getvalue(), flags=re.S))
    return "data:image/svg+xml;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")


@functools.cache
def _canvas():
    """matplotlib's SVG canvas, drawing with a renderer that takes its text measurements from
    `_measure`: the same SVG, without measuring a tick label again in every chart. (A class
    made on first use: matplotlib is imported only by the commands that draw.)"""
    from matplotlib.backends.backend_mixed import MixedModeRenderer
    from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG

    class MeasuringRenderer(RendererSVG):
        def get_text_width_height_descent(self, s, prop, ismath):
            return _measure(s, prop, ismath)

    class Canvas(FigureCanvasSVG):
        def print_svg(self, filename, *, bbox_inches_restore=None, metadata=None, **_):
            # FigureCanvasSVG.print_svg with the renderer above (`filename`: a text buffer;
            # `print_figure` has already applied the dpi and colours it passes on as `_`)
            dpi = self.figure.dpi
            self.figure.dpi = 72
            width, height = self.figure.get_size_inches()
            renderer = MixedModeRenderer(
                self.figure, width, height, dpi,
                MeasuringRenderer(width * 72, height * 72, filename, image_dpi=dpi,
                                  metadata=metadata),
                bbox_inches_restore=bbox_inches_restore)
            self.figure.draw(renderer)
            renderer.finalize()

    return Canvas


SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"


def flatten(svg: str) -> str:
    """Unwrap matplotlib's many `<g id=…>` groups that carry nothing but an id.

    WeasyPrint styles and draws every SVG node in Python, so a chart with a third of the nodes
    renders correspondingly faster; the drawing is the same.
    """
    from xml.etree import ElementTree

    ElementTree.register_namespace("", SVG_NS)
    ElementTree.register_namespace("xlink", XLINK_NS)
    root = ElementTree.fromstring(svg)
    group = f"{{{SVG_NS}}}g"

    def unwrap(parent) -> None:
        children = []
        for child in list(parent):
            unwrap(child)
            if child.tag == group and set(child.attrib) <= {"id"}:
                children.extend(list(child))
            else:
                children.append(child)
        parent[:] = children

    unwrap(root)
    _presentation_attributes(root)
    _visual_order(root)
    _page_font_names(root)
    return ElementTree.tostring(root, encoding="unicode")


def _visual_order(root) -> None:
    """Arabic (and Hebrew) chart text shaped and in display order, held there.

    WeasyPrint draws an SVG <text> one character after another, left to right, each on its
    own: Arabic would come out as isolated letters in reverse order. So the text is written as
    it is to be seen: Arabic letters in their joined forms (arabic-reshaper) and the line in
    visual order by the Unicode bidi algorithm (python-bidi; the base direction from the first
    strong character, as `dir="auto"` would; brackets mirrored, which python-bidi's faster
    `bidi.get_display` leaves to the renderer). `unicode-bidi="bidi-override"` with
    `direction="ltr"` keeps a browser (the HTML copy shows the same SVG inline) from reordering
    it a second time.

    The chart itself is laid out left to right by matplotlib: `direction="ltr"` on the root,
    or a browser showing it inline in a right-to-left page would anchor every text from the
    other end (tick labels over the axis)."""
    import arabic_reshaper
    from bidi.algorithm import get_display

    root.set("direction", "ltr")
    for node in root.iter(f"{{{SVG_NS}}}text"):
        if node.text and RIGHT_TO_LEFT.search(node.text):
            # a sign stays before its number ('−120 ألف'): a left-to-right mark before it joins
            # them into one left-to-right run; the mark is dropped once the line is ordered
            marked = re.sub(r"([−+-])(?=\d)", "\u200e\\1", arabic_reshaper.reshape(node.text))
            node.text = get_display(marked, base_dir=_base_direction(node.text)).replace(
                "\u200e", "")
            node.set("direction", "ltr")
            node.set("unicode-bidi", "bidi-override")


def _base_direction(text: str) -> str:
    """'R' or 'L': the direction of the first letter with a strong direction (Unicode's rule
    P2, as `dir="auto"`)."""
    import unicodedata

    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "R"
        if kind == "L":
            return "L"
    return "L"


def _page_font_names(root) -> None:
    """Font lists without a space after their commas ("'Noto Sans','Noto Sans Arabic',…").
    WeasyPrint strips the quotes of each name in an SVG's list but not a space before them, so
    every name after the first was unknown and the minus sign and Arabic letters came from
    whatever system font had them (DejaVu), not from the shipped fonts."""
    for node in root.iter(f"{{{SVG_NS}}}text"):
        family = node.get("font-family")
        if family and "," in family:
            node.set("font-family", ",".join(name.strip() for name in family.split(",")))


# SVG presentation attributes matplotlib writes as CSS in `style`
_PRESENTATION = frozenset({
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap",
    "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset",
    "stroke-opacity", "opacity", "font-size", "font-family", "font-weight", "font-style",
    "text-anchor", "clip-path"})
_IDENTITY_ROTATION = re.compile(r"rotate\(-?0 [-\d.e]+ [-\d.e]+\)")


def _presentation_attributes(root) -> None:
    """matplotlib's `style="fill: …; stroke: …"` as attributes (`fill="…" stroke="…"`), its
    `<style>*{…}</style>` as attributes of the root (both properties it sets are inherited),
    and no `rotate(0)` on upright text: the same drawing, without a CSS parse per node, which
    is most of the time WeasyPrint spends on a chart's lines."""
    style_tag = f"{{{SVG_NS}}}style"
    for parent in root.iter():
        for child in list(parent):
            rule = re.fullmatch(r"\s*\*\s*\{([^{}]*)\}\s*", child.text or "")
            if child.tag == style_tag and rule and _declarations(rule.group(1)) is not None:
                root.attrib.update(_declarations(rule.group(1)))
                parent.remove(child)
    for node in root.iter():
        declarations = _declarations(node.get("style", ""))
        if declarations is not None:
            del node.attrib["style"]
            node.attrib.update(declarations)
        if _IDENTITY_ROTATION.fullmatch(node.get("transform", "")):
            del node.attrib["transform"]


def _declarations(style: str) -> dict[str, str] | None:
    """'fill: none; stroke: #fff' as {'fill': 'none', 'stroke': '#fff'}; None when empty or
    when any property is not a presentation attribute (the style is then kept as it is)."""
    pairs = [part.split(":", 1) for part in style.split(";") if part.strip()]
    if not pairs or any(len(pair) != 2 or pair[0].strip() not in _PRESENTATION for pair in pairs):
        return None
    return {name.strip(): value.strip() for name, value in pairs}
