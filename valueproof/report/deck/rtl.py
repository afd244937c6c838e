"""Text direction and fonts of the deck's text: python-pptx has no API for either.

A right-to-left paragraph needs `rtl="1"` and right alignment on its `a:pPr`; Arabic letters are
drawn in the run's complex-script font (`a:cs`), not its Latin one (`a:latin`), so both are set on
every run."""

from __future__ import annotations

from lxml import etree

A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"


def _q(name: str) -> str:
    return "{%s}%s" % (A_NS, name)


# the order of a:rPr's children in the schema: a font element goes before those after it
_AFTER_FONTS = ("hlinkClick", "hlinkMouseOver", "rtl", "extLst")


def set_fonts(run_properties, latin: str | None, complex_script: str | None) -> None:
    """`a:latin` and `a:cs` of one run's properties (`a:rPr` or `a:defRPr`), in schema order
    (ln, fills, effects, highlight, uLnTx…, latin, ea, cs, sym, hlinkClick…)."""
    for name, typeface in (("latin", latin), ("cs", complex_script)):
        if typeface is None:
            continue
        element = run_properties.find(_q(name))
        if element is None:
            element = etree.Element(_q(name))
            following = [child for child in run_properties
                         if etree.QName(child).localname in ("ea", "cs", "sym", *_AFTER_FONTS)]
            if name == "cs":
                following = [c for c in following if etree.QName(c).localname != "ea"]
            if following:
                following[0].addprevious(element)
            else:
                run_properties.append(element)
        element.set("typeface", typeface)


def direct_text_frame(text_frame, rtl: bool, latin: str | None, complex_script: str | None,
                      align_start: bool = True) -> None:
    """Every paragraph of `text_frame` in the reading direction (right to left: `rtl="1"`, and
    aligned right when `align_start`) and every run in the given fonts."""
    for paragraph in text_frame.paragraphs:
        properties = paragraph._p.get_or_add_pPr()
        if rtl:
            properties.set("rtl", "1")
            if align_start and properties.get("algn") in (None, "l"):
                properties.set("algn", "r")
        for run in paragraph.runs:
            set_fonts(run._r.get_or_add_rPr(), latin, complex_script)
        end = paragraph._p.find(_q("endParaRPr"))
        if end is not None:
            set_fonts(end, latin, complex_script)
