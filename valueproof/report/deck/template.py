"""The deck's starting point: the customer's or vendor's own template (`brand.template`, a
.pptx or .potx) with its theme, masters and layouts, or a plain 16:9 presentation in the
brand's colours. Layouts are picked by name (with fallbacks), never by position, because every
template orders them differently."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from valueproof.errors import ReportError

_TEMPLATE_MAIN = b"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml"
_PRESENTATION_MAIN = (b"application/vnd.openxmlformats-officedocument.presentationml."
                      b"presentation.main+xml")

MAX_BYTES = 50 * 2**20  # a template with its images; more is a deck, not a template

# each kind of slide: the layout names to look for, in order (English and the usual
# localised names of Office's built-in layouts); a layout whose name contains one counts
LAYOUT_NAMES = {
    "title": ("title slide", "titelfolie", "diapositive de titre", "slajd tytułowy",
              "diapositiva de título", "titel", "title"),
    "content": ("title only", "nur titel", "titre seul", "tylko tytuł", "solo el título",
                "title and content", "titel und inhalt", "titre et contenu",
                "tytuł i zawartość", "título y objetos"),
}


def presentation_bytes(path: Path) -> bytes:
    """The template at `path` as a presentation python-pptx opens: a .potx is the same package
    with another content type for its main part, which python-pptx refuses."""
    if path.stat().st_size > MAX_BYTES:
        raise ReportError(f"{path}: is larger than {MAX_BYTES // 2**20} MB; a slide template "
                          "holds masters and layouts, not a whole deck: save it without its slides")
    data = path.read_bytes()
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        types = source.read("[Content_Types].xml")
    except (zipfile.BadZipFile, KeyError):
        raise ReportError(f"{path}: is not a PowerPoint file (.pptx or .potx); check "
                          "'template' in the brand file") from None
    if sum(info.file_size for info in source.infolist()) > 4 * MAX_BYTES:
        raise ReportError(f"{path}: unpacks to more than {4 * MAX_BYTES // 2**20} MB; give a "
                          "smaller template")
    if _TEMPLATE_MAIN not in types:
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                content = content.replace(_TEMPLATE_MAIN, _PRESENTATION_MAIN)
            target.writestr(info, content)
    return out.getvalue()


def open_template(path: Path | None):
    """A python-pptx Presentation: the template without its own slides, or (no template) the
    built-in one at 16:9."""
    from pptx import Presentation
    from pptx.util import Emu

    if path is None:
        deck = Presentation()
        deck.slide_width, deck.slide_height = Emu(12192000), Emu(6858000)  # 16:9, 13.33 × 7.5 in
        return deck
    try:
        deck = Presentation(io.BytesIO(presentation_bytes(path)))
    except ReportError:
        raise
    except Exception as exc:  # a damaged package: say which file
        raise ReportError(f"{path}: cannot be read as a PowerPoint template ({exc}); check "
                          "'template' in the brand file") from None
    _remove_slides(deck)
    return deck


def _remove_slides(deck) -> None:
    """A template's sample slides are not part of the QBR."""
    slide_ids = deck.slides._sldIdLst
    for slide_id in list(slide_ids):
        deck.part.drop_rel(slide_id.rId)
        slide_ids.remove(slide_id)


def _normal(name: str) -> str:
    return re.sub(r"\s+", " ", name or "").strip().lower()


def pick_layout(deck, kind: str):
    """The layout for a `kind` of slide ('title', 'content'): the first of `LAYOUT_NAMES` that
    the template has, else a layout with a title placeholder and the fewest others, else the
    layout with the fewest placeholders."""
    layouts = [layout for master in deck.slide_masters for layout in master.slide_layouts]
    names = [_normal(layout.name) for layout in layouts]
    for wanted in LAYOUT_NAMES[kind]:
        for layout, name in zip(layouts, names):
            if name == wanted:
                return layout
    for wanted in LAYOUT_NAMES[kind]:
        for layout, name in zip(layouts, names):
            if wanted in name:
                return layout

    def has_title(layout) -> bool:
        # 1: title, 3: centred title
        return any(p.placeholder_format.type in (1, 3) for p in layout.placeholders)

    titled = [layout for layout in layouts if has_title(layout)]
    return min(titled or layouts, key=lambda layout: len(layout.placeholders))


def title_placeholder(slide):
    """The slide's title placeholder, or None."""
    for shape in slide.placeholders:
        if shape.placeholder_format.type in (1, 3):
            return shape
    return None


def clear_other_placeholders(slide, keep) -> None:
    """Remove the layout's empty placeholders other than `keep` (an empty placeholder shows
    'Click to add text' in the editor)."""
    for shape in list(slide.placeholders):
        if shape not in keep:
            shape._element.getparent().remove(shape._element)
