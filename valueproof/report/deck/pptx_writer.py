"""The slides (`story.Slide`) drawn into a python-pptx presentation: the title in the layout's
title placeholder, then big figures, body lines, a native chart and a table in a fixed grid,
the speaker notes, and every paragraph in the reading direction."""

from __future__ import annotations

import valueproof.report.deck.charts as charts
import valueproof.report.deck.rtl as rtl
from valueproof.report.deck.charts import paint
from valueproof.report.deck.story import Slide, Table
from valueproof.report.deck.template import (clear_other_placeholders, pick_layout,
                                             title_placeholder)

BUILT_IN_FONT = "Arial"  # on every PowerPoint and Keynote, with Arabic letters; LibreOffice
COMPLEX_FONT = "Arial"   # draws it in the metric-compatible Liberation Sans
INK, MUTED, RULE = "#1F2933", "#52606D", "#D9DEE3"


class DeckWriter:
    """Writes slides into `deck` (a python-pptx Presentation); `built_in` draws our own quiet
    design (no template): a brand-coloured rule, the section label and the footer."""

    def __init__(self, deck, colours: dict, rtl_text: bool, built_in: bool, footer: str):
        from pptx.util import Emu

        self.deck, self.colours, self.rtl, self.built_in = deck, colours, rtl_text, built_in
        self.footer = footer
        self.width, self.height = Emu(deck.slide_width), Emu(deck.slide_height)
        self.margin = int(self.width * 0.045)
        self.latin = BUILT_IN_FONT if built_in else None  # a template's theme fonts stay
        self.layouts: dict[str, object] = {}  # kind of slide -> its layout, looked up once

    # -- text -------------------------------------------------------------------------------
    def _text(self, slide, x, y, w, h, paragraphs: list[tuple[str, float, bool, str]],
              anchor: str = "top", align: str | None = None):
        """A text box of paragraphs (text, size pt, bold, colour)."""
        from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
        from pptx.util import Pt

        box = slide.shapes.add_textbox(x, y, w, h)
        frame = box.text_frame
        frame.word_wrap = True
        frame.vertical_anchor = {"top": MSO_ANCHOR.TOP, "middle": MSO_ANCHOR.MIDDLE,
                                 "bottom": MSO_ANCHOR.BOTTOM}[anchor]
        frame.margin_left = frame.margin_right = 0
        for index, (text, size, bold, colour) in enumerate(paragraphs):
            paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
            run = paragraph.add_run()
            run.text = text
            run.font.size, run.font.bold = Pt(size), bold
            paint(run.font.color, colour)
            if align == "center":
                paragraph.alignment = PP_ALIGN.CENTER
        self._direct(frame, align_start=align != "center")
        return box

    def _direct(self, frame, align_start: bool = True) -> None:
        rtl.direct_text_frame(frame, self.rtl, self.latin, COMPLEX_FONT, align_start)

    def _isolated(self, text: str) -> str:
        """Left-to-right text (a slide number) kept in its order inside a right-to-left line."""
        return f"\u2066{text}\u2069" if self.rtl else text

    def _x(self, x, w):
        """Mirror a box's left edge in a right-to-left deck (its columns read right to left)."""
        return self.width - x - w if self.rtl else x

    # -- slides -----------------------------------------------------------------------------
    def add(self, story: Slide, number: int, total: int) -> None:
        if story.kind not in self.layouts:
            self.layouts[story.kind] = pick_layout(self.deck, story.kind)
        slide = self.deck.slides.add_slide(self.layouts[story.kind])
        title = title_placeholder(slide)
        keep = [title] if title is not None else []
        if story.kind == "title" and story.subtitle:
            subtitle = next((p for p in slide.placeholders if p.placeholder_format.type == 4),
                            None)  # SUBTITLE
            if subtitle is not None:
                keep.append(subtitle)
                subtitle.text_frame.text = story.subtitle
                if self.built_in:
                    self._built_in_subtitle(subtitle)
                self._direct(subtitle.text_frame)
        clear_other_placeholders(slide, keep)
        top = self._title(slide, title, story)
        if story.kind == "title":
            if story.subtitle and len(keep) < 2:
                self._text(slide, self.margin, int(self.height * 0.58),
                           self.width - 2 * self.margin, int(self.height * 0.25),
                           [(line, 18, False, MUTED) for line in story.subtitle.split("\n")])
        else:
            self._body(slide, story, top)
        if self.built_in:
            self._frame(slide, number, total)
        notes = slide.notes_slide.notes_text_frame
        notes.text = "\n".join(story.notes)
        self._direct(notes)

    def _built_in_subtitle(self, placeholder) -> None:
        from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
        from pptx.util import Pt

        placeholder.left, placeholder.width = self.margin, self.width - 2 * self.margin
        placeholder.top, placeholder.height = int(self.height * 0.6), int(self.height * 0.25)
        placeholder.text_frame.vertical_anchor = MSO_ANCHOR.TOP
        for paragraph in placeholder.text_frame.paragraphs:
            paragraph.alignment = PP_ALIGN.LEFT
            for run in paragraph.runs:
                run.font.size = Pt(20)
                paint(run.font.color, MUTED)

    def _title(self, slide, placeholder, story: Slide) -> int:
        """The title (the slide's message) and the section label; returns the body's top."""
        from pptx.util import Inches, Pt

        size = (36 if story.kind == "title" else 26 if len(story.title) < 70
                else 22 if len(story.title) < 120 else 20)
        if placeholder is not None and not self.built_in:
            # the template's font, colour and place; a size that holds a sentence-long title
            frame = placeholder.text_frame
            frame.text = story.title
            frame.word_wrap = True
            body = frame._txBody.bodyPr
            for child in list(body):
                if child.tag.endswith(("noAutofit", "spAutoFit", "normAutofit")):
                    body.remove(child)
            warp = body.find(f"{{{rtl.A_NS}}}prstTxWarp")  # the one child before autofit
            body.insert(0 if warp is None else 1,
                        body.makeelement(f"{{{rtl.A_NS}}}normAutofit", {}))
            if story.kind != "title" or len(story.title) > 40:
                size = 28 if len(story.title) < 60 else 24 if len(story.title) < 100 else 20
                for paragraph in frame.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(size)
            self._direct(frame)
            return max(int(placeholder.top + placeholder.height) + Inches(0.1), Inches(1.6))
        if placeholder is not None:  # our design: the placeholder where we want it
            placeholder.left, placeholder.width = self.margin, self.width - 2 * self.margin
            if story.kind == "title":
                placeholder.top = int(self.height * 0.3)
                placeholder.height = int(self.height * 0.26)
            else:
                placeholder.top, placeholder.height = Inches(0.75), Inches(1.15)
            frame = placeholder.text_frame
            frame.text = story.title
            frame.word_wrap = True
            from pptx.enum.text import MSO_ANCHOR, PP_ALIGN

            frame.vertical_anchor = MSO_ANCHOR.BOTTOM if story.kind == "title" else MSO_ANCHOR.TOP
            for paragraph in frame.paragraphs:
                paragraph.alignment = PP_ALIGN.LEFT
                for run in paragraph.runs:
                    run.font.size, run.font.bold = Pt(size), True
                    paint(run.font.color,
                          self.colours["primary"] if story.kind == "title" else INK)
            self._direct(frame)
        if story.section and self.built_in:
            self._text(slide, self.margin, Inches(0.38), self.width - 2 * self.margin,
                       Inches(0.35), [(story.section.upper() if not self.rtl else story.section,
                                       12, True, self.colours["primary"])])
        return Inches(2.0)

    def _frame(self, slide, number: int, total: int) -> None:
        """Our design's rule at the top edge and the footer: the confidentiality line and the
        slide's number."""
        from pptx.enum.shapes import MSO_SHAPE
        from pptx.util import Inches

        rule = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, self.width, Inches(0.12))
        rule.fill.solid()
        paint(rule.fill.fore_color, self.colours["primary"])
        rule.line.fill.background()
        y = self.height - Inches(0.45)
        self._text(slide, self._x(self.margin, self.width * 0.7), y, int(self.width * 0.7),
                   Inches(0.3), [(self.footer, 10, False, MUTED)])
        self._text(slide, self._x(self.width - self.margin - Inches(1), Inches(1)), y, Inches(1),
                   Inches(0.3), [(self._isolated(f"{number} / {total}"), 10, False, MUTED)])

    def _body(self, slide, story: Slide, top: int) -> None:
        from pptx.util import Inches

        left, width = self.margin, self.width - 2 * self.margin
        bottom = self.height - Inches(0.6)
        if story.chart and not story.table and len(story.figures) <= 2:
            self._chart_beside(slide, story, left, top, width, bottom)
            return
        if story.figures:
            self._figures(slide, story.figures, left, top, width, Inches(1.35))
            top += Inches(1.55)
        if story.lines:
            size = 18 if sum(len(line) for line in story.lines) < 260 else 15
            lines_height = Inches(0.42) * len(story.lines) + Inches(0.1)
            if story.chart or story.table:
                lines_height = min(lines_height, Inches(1.1))
            self._text(slide, left, top, width, lines_height,
                       [(line, size, False, INK) for line in story.lines])
            top += lines_height + Inches(0.1)
        if story.chart and story.table:
            chart_width = int(width * 0.55)
            self._chart(slide, story.chart, self._x(left, chart_width), top, chart_width,
                        bottom - top)
            table_left = left + chart_width + Inches(0.3)
            self._table(slide, story.table, self._x(table_left, width - chart_width - Inches(0.3)),
                        top, width - chart_width - Inches(0.3), bottom - top)
        elif story.chart:
            self._chart(slide, story.chart, left, top, width, bottom - top)
        elif story.table:
            self._table(slide, story.table, left, top, width, bottom - top)

    def _chart_beside(self, slide, story: Slide, left, top, width, bottom) -> None:
        """A chart slide: the chart large, the figures and the sentence in a column beside it
        (at the reading end: right in a left-to-right deck)."""
        from pptx.util import Inches

        column = int(width * 0.3)
        chart_width = width - column - Inches(0.3)
        self._chart(slide, story.chart, self._x(left, chart_width), top, chart_width,
                    bottom - top)
        x = self._x(left + chart_width + Inches(0.3), column)
        y = top
        for figure in story.figures:
            paragraphs = [(figure.value, 30 if len(figure.value) <= 12 else 22, True,
                           self.colours["primary"]), (figure.label, 13, True, INK)]
            if figure.note:
                paragraphs.append((figure.note, 12, False, MUTED))
            self._text(slide, x, y, column, Inches(1.3), paragraphs)
            y += Inches(1.45)
        if story.lines:
            self._text(slide, x, y, column, bottom - y, [(line, 15, False, INK)
                                                          for line in story.lines])

    def _figures(self, slide, figures, left, top, width, height) -> None:
        """Big numbers side by side: the figure, its label, the range under it."""
        gap = int(width * 0.02)
        each = int((width - gap * (len(figures) - 1)) / len(figures))
        for index, figure in enumerate(figures):
            x = self._x(left + index * (each + gap), each)
            size = 32 if len(figure.value) <= 12 else 22
            paragraphs = [(figure.value, size, True, self.colours["primary"]),
                          (figure.label, 13, True, INK)]
            if figure.note:
                paragraphs.append((figure.note, 11, False, MUTED))
            self._text(slide, x, top, each, height, paragraphs)

    def _chart(self, slide, spec: charts.ChartSpec, x, y, w, h) -> None:
        from pptx.enum.dml import MSO_LINE
        from pptx.enum.shapes import MSO_CONNECTOR
        from pptx.util import Inches, Pt

        charts.add_chart(slide, spec, x, y, w, h, self.latin or COMPLEX_FONT, self.rtl)
        at = charts.marker_x(spec, x, w)
        if at is None:
            return
        plot_top, plot_bottom = y + int(h * charts.PLOT[1]), y + int(h * sum(charts.PLOT[1::2]))
        line = slide.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, at, plot_top, at, plot_bottom)
        paint(line.line.color, INK)
        line.line.width = Pt(1)
        line.line.dash_style = MSO_LINE.DASH
        self._text(slide, at + Inches(0.06), plot_top, Inches(1.6), Inches(0.3),
                   [(spec.marker_label, 11, False, INK)])

    def _table(self, slide, table: Table, x, y, w, h) -> None:
        from pptx.util import Inches, Pt

        rows = table.rows  # every row: no KPI is ever left out; a long table is set smaller
        row_height = min(Inches(0.5), int(h / (len(rows) + 1)))
        size = 14 if len(rows) <= 5 else 12 if len(rows) <= 8 else 10 if len(rows) <= 14 else 8
        shape = slide.shapes.add_table(len(rows) + 1, len(table.header), x, y, w,
                                       row_height * (len(rows) + 1))
        grid = shape.table
        weights = table.widths or [1.0] * len(table.header)
        order = list(range(len(table.header)))  # a right-to-left table: tblPr rtl, below
        for column, weight in enumerate(weights):
            grid.columns[column].width = int(w * weight / sum(weights))
        for row_index, row in enumerate([table.header, *rows]):
            for column, source in enumerate(order):
                cell = grid.cell(row_index, column)
                cell.text = str(row[source]) if source < len(row) else ""
                cell.margin_left = cell.margin_right = Inches(0.08)
                header = row_index == 0
                cell.fill.solid()
                paint(cell.fill.fore_color, self.colours["primary"] if header else
                      "#F3F5F7" if row_index % 2 == 0 else "#FFFFFF")
                for paragraph in cell.text_frame.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(size - (1 if header else 0))
                        run.font.bold = header
                        paint(run.font.color, "#FFFFFF" if header else INK)
                self._direct(cell.text_frame)
        if self.rtl:
            shape._element.graphic.graphicData.tbl.tblPr.set("rtl", "1")
