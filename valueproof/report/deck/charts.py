"""Native, editable PowerPoint charts for the deck: the data lives in the chart's own embedded
workbook, so the customer's team can restyle or re-plot it.

python-pptx has no API for error bars: the likely ranges are written as `c:errBars` of custom
values that point at two more columns of the embedded workbook (the distance to the range's
upper and lower end), so they stay editable with the data.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from lxml import etree

C_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"


@dataclass(frozen=True)
class Series:
    """One series: its name, values (None: no value in that category), colour (#RRGGBB) and,
    optionally, the likely range of each value (low, high; None where unknown)."""

    name: str
    values: list[float | None]
    colour: str
    ranges: list[tuple[float, float] | None] | None = None
    width_pt: float = 2.0


@dataclass(frozen=True)
class ChartSpec:
    """A chart of the deck: `line` (trends over periods), `bar` (amounts by item, horizontal)
    or `column` (counts over periods); bars have one colour each (`bar_colours`). `marker_at`
    is the index of the first category after the rollout (a dashed line labelled
    `marker_label` goes before it); `number_format` is Excel's format of the axis and the data
    labels."""

    kind: str
    categories: list[str]
    series: list[Series]
    axis_title: str = ""
    number_format: str = "General"
    bar_colours: list[str] = field(default_factory=list)
    marker_at: int | None = None
    marker_label: str = ""
    data_labels: bool = False
    point_labels: list[str] = field(default_factory=list)  # the first series' bars, as shown
    value_axis: bool = True  # False: the bars' labels carry the values


def _q(tag: str) -> str:
    prefix, name = tag.split(":")
    return "{%s}%s" % ({"c": C_NS, "a": A_NS}[prefix], name)


def _hex(colour: str) -> str:
    return colour.lstrip("#").upper()


def add_chart(slide, spec: ChartSpec, x, y, width, height, font: str, rtl: bool):
    """The chart on `slide` at (x, y) of (width, height) EMU; returns the graphic frame."""
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION

    data = CategoryChartData(number_format=spec.number_format)
    data.categories = spec.categories
    # the ranges' two columns go into the workbook as series, then leave the plot (see below)
    hidden = []
    for series in spec.series:
        data.add_series(series.name, series.values)
    for series in spec.series:
        if series.ranges is not None:
            plus = [None if r is None or v is None else r[1] - v
                    for r, v in zip(series.ranges, series.values)]
            minus = [None if r is None or v is None else v - r[0]
                     for r, v in zip(series.ranges, series.values)]
            data.add_series(f"{series.name} +", plus)
            data.add_series(f"{series.name} −", minus)
            hidden.append(series)
    kind = {"line": XL_CHART_TYPE.LINE_MARKERS, "bar": XL_CHART_TYPE.BAR_CLUSTERED,
            "column": XL_CHART_TYPE.COLUMN_CLUSTERED}[spec.kind]
    frame = slide.shapes.add_chart(kind, x, y, width, height, data)
    chart = frame.chart
    chart.has_title = False  # the slide's title says what the chart shows
    chart.font.size = _pt(12)
    chart.font.name = font
    chart.has_legend = spec.kind == "line" and len(spec.series) > 1
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.TOP
        chart.legend.include_in_layout = False
    plot = chart.plots[0]
    if spec.kind != "line":
        plot.gap_width = 60
    category_axis = chart.category_axis
    paint(category_axis.format.line.color, "#9AA5B1")
    category_axis.tick_labels.font.size = _pt(11)
    # at the low end of the value axis: never across the plot where values go below zero
    category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    if spec.kind == "bar":
        category_axis.reverse_order = True  # first item at the top, as read
    else:
        skip = max(1, -(-len(spec.categories) // 8))  # at most about 8 labels side by side
        # every skip-th label (PowerPoint), and tilted so that none is cut or wrapped where a
        # viewer shows them all (LibreOffice ignores the skip)
        body = category_axis._element.get_or_add_txPr().find(_q("a:bodyPr"))
        body.set("rot", "-2700000" if len(spec.categories) > 12 else "0")
        body.set("vert", "horz")
        if skip > 1:
            axis = category_axis._element
            axis.insert(_child_index(axis, ("tickMarkSkip", "noMultiLvlLbl", "extLst")),
                        _element("c:tickLblSkip", skip))
    value_axis = chart.value_axis
    if not spec.value_axis:
        value_axis.visible = False
        low, high = _bar_room(spec)
        value_axis.minimum_scale, value_axis.maximum_scale = low, high
    value_axis.has_major_gridlines = spec.value_axis
    if spec.value_axis:
        paint(value_axis.major_gridlines.format.line.color, "#E4E7EB")
    value_axis.tick_labels.number_format = spec.number_format
    value_axis.tick_labels.number_format_is_linked = False
    value_axis.format.line.fill.background()
    value_axis.tick_labels.font.size = _pt(11)
    # a line: its own range, not from zero (the change is the story); bars with likely ranges:
    # from zero to the ends of every range (the viewers' own scale leaves error bars out)
    if spec.kind == "line" or any(series.ranges for series in spec.series):
        low, high, step = _value_range(spec)
        value_axis.minimum_scale, value_axis.maximum_scale = low, high
        value_axis.major_unit = step
        value_axis.tick_labels.number_format = _step_format(step)
    if spec.axis_title:
        value_axis.has_title = True
        value_axis.axis_title.text_frame.text = spec.axis_title
        value_axis.axis_title.text_frame.paragraphs[0].runs[0].font.size = _pt(11)
        value_axis.axis_title.text_frame.paragraphs[0].runs[0].font.bold = False
    _style_series(chart, spec)
    _error_bars(chart, spec, hidden)
    if spec.kind == "line":
        _fixed_plot_area(chart)
    if rtl:
        _rtl_chart_text(chart)
        if spec.kind == "bar":  # bars grow from the right, their names on the right
            value_axis.reverse_order = True
    return frame


def _value_range(spec: ChartSpec) -> tuple[float, float, float]:
    """(low, high, step) of a value axis: round numbers around every value and range (and
    zero, where bars start)."""
    import math

    ends = [v for series in spec.series for i, v in enumerate(series.values) if v is not None]
    ends += [0.0] if spec.kind != "line" else []
    for series in spec.series:
        ends += [end for r in series.ranges or [] if r is not None for end in r]
    low, high = min(ends), max(ends)
    span = (high - low) or abs(high) or 1.0
    step = 10 ** math.floor(math.log10(span / 4))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if span / (step * m) <= 6)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _step_format(step: float) -> str:
    """Excel's number format showing a value axis' ticks at `step` without trailing zeros."""
    decimals = 0
    while decimals < 6 and abs(step * 10 ** decimals - round(step * 10 ** decimals)) > 1e-9:
        decimals += 1
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _bar_room(spec: ChartSpec) -> tuple[float, float]:
    """A bar chart's value range with room beyond the longest bars for their labels."""
    values = [v for series in spec.series for v in series.values if v is not None]
    low, high = min(0.0, *values), max(0.0, *values)
    pad = 0.3 * ((high - low) or 1.0)
    return (low - pad if low < 0 else 0.0), (high + pad if high > 0 else 0.0)


def _element(tag: str, value) -> etree._Element:
    element = etree.Element(_q(tag))
    element.set("val", str(value))
    return element


def _child_index(parent, before: tuple[str, ...]) -> int:
    """Where a new child goes so that it comes before the first of `before` (schema order)."""
    for index, child in enumerate(parent):
        if etree.QName(child).localname in before:
            return index
    return len(parent)


def _pt(size: float):
    from pptx.util import Pt

    return Pt(size)


THEME = "theme:"  # a colour of the template's theme ("theme:accent1"), not a fixed one


def paint(color_format, colour: str) -> None:
    """Set a python-pptx ColorFormat to `colour`: '#RRGGBB', or a theme colour ('theme:accent1'),
    which follows the template's theme."""
    from pptx.dml.color import RGBColor
    from pptx.enum.dml import MSO_THEME_COLOR

    if colour.startswith(THEME):
        color_format.theme_color = getattr(MSO_THEME_COLOR, colour[len(THEME):].upper()
                                           .replace("ACCENT", "ACCENT_"))
    else:
        color_format.rgb = RGBColor.from_string(_hex(colour))


def _style_series(chart, spec: ChartSpec) -> None:
    from pptx.enum.chart import XL_LABEL_POSITION, XL_MARKER_STYLE

    plot = chart.plots[0]
    for index, series in enumerate(spec.series):
        shown = plot.series[index]
        if spec.kind == "line":
            shown.smooth = False
            paint(shown.format.line.color, series.colour)
            shown.format.line.width = _pt(series.width_pt)
            shown.marker.style = XL_MARKER_STYLE.CIRCLE
            shown.marker.size = 5
            shown.marker.format.fill.solid()
            paint(shown.marker.format.fill.fore_color, series.colour)
            paint(shown.marker.format.line.color, series.colour)
        else:
            shown.invert_if_negative = False
            colours = spec.bar_colours or [series.colour] * len(spec.categories)
            for point, colour in enumerate(colours):
                fill = shown.points[point].format.fill
                fill.solid()
                paint(fill.fore_color, colour)
        if spec.point_labels and index == 0:
            _point_labels(shown, spec.point_labels)
        elif spec.data_labels:
            labels = shown.data_labels
            labels.number_format = spec.number_format
            labels.number_format_is_linked = False
            labels.show_value = True
            labels.font.size = _pt(11)
            labels.position = XL_LABEL_POSITION.OUTSIDE_END


def _point_labels(series, texts: list[str]) -> None:
    """Each bar labelled with its value as the report writes it (the locale's digits and
    currency), at the bar's end."""
    from pptx.enum.chart import XL_LABEL_POSITION

    for point, text in enumerate(texts):
        label = series.points[point].data_label
        label.position = XL_LABEL_POSITION.OUTSIDE_END
        frame = label.text_frame
        frame.text = text
        for paragraph in frame.paragraphs:
            for run in paragraph.runs:
                run.font.size = _pt(11)


def _error_bars(chart, spec: ChartSpec, hidden: list[Series]) -> None:
    """Move each range's two workbook columns out of the plot and into custom error bars of
    their series (`c:errBars`, which python-pptx cannot write)."""
    plot = chart._chartSpace.findall(".//" + _q("c:ser"))
    shown = len(spec.series)
    extra = plot[shown:]
    for position, series in enumerate(hidden):
        target = plot[spec.series.index(series)]
        plus_ser, minus_ser = extra[2 * position], extra[2 * position + 1]
        bars = etree.SubElement(target, _q("c:errBars"))
        if spec.kind == "line":
            etree.SubElement(bars, _q("c:errDir")).set("val", "y")
        etree.SubElement(bars, _q("c:errBarType")).set("val", "both")
        etree.SubElement(bars, _q("c:errValType")).set("val", "cust")
        etree.SubElement(bars, _q("c:noEndCap")).set("val", "0")
        for tag, source in (("c:plus", plus_ser), ("c:minus", minus_ser)):
            holder = etree.SubElement(bars, _q(tag))
            holder.append(copy.deepcopy(source.find(_q("c:val")).find(_q("c:numRef"))))
        line = etree.SubElement(etree.SubElement(bars, _q("c:spPr")), _q("a:ln"), w="15875")
        fill = etree.SubElement(line, _q("a:solidFill"))
        if series.colour.startswith(THEME):
            etree.SubElement(fill, _q("a:schemeClr"), val=series.colour[len(THEME):])
        else:
            etree.SubElement(fill, _q("a:srgbClr"), val=_hex(series.colour))
        # schema order: errBars comes before cat and val
        target.remove(bars)
        target.find(_q("c:cat")).addprevious(bars)
    for ser in extra:
        ser.getparent().remove(ser)


def _fixed_plot_area(chart) -> None:
    """The inner plot area at a known place (fractions of the chart), so that the rollout
    marker drawn over the chart falls between the right categories."""
    plot_area = chart._chartSpace.find(".//" + _q("c:plotArea"))
    layout = plot_area.find(_q("c:layout"))
    if layout is None:
        layout = etree.Element(_q("c:layout"))
        plot_area.insert(0, layout)
    for child in list(layout):
        layout.remove(child)
    manual = etree.SubElement(layout, _q("c:manualLayout"))
    for tag, value in (("c:layoutTarget", "inner"), ("c:xMode", "edge"), ("c:yMode", "edge"),
                       ("c:x", str(PLOT[0])), ("c:y", str(PLOT[1])), ("c:w", str(PLOT[2])),
                       ("c:h", str(PLOT[3]))):
        etree.SubElement(manual, _q(tag)).set("val", value)


PLOT = (0.1, 0.1, 0.87, 0.7)  # x, y, width, height of a line chart's inner plot area


def marker_x(spec: ChartSpec, x: int, width: int) -> int | None:
    """Where (EMU) the rollout falls in a line chart drawn at `x` with `width`: between the
    last category before it and the first after (categories sit in the middle of equal slots)."""
    if spec.marker_at is None or not 0 < spec.marker_at < len(spec.categories):
        return None
    inner = width * PLOT[2]
    return int(x + width * PLOT[0] + inner * spec.marker_at / len(spec.categories))


def _rtl_chart_text(chart) -> None:
    """Chart text (titles, legend, labels) right to left with the complex-script font."""
    for properties in chart._chartSpace.iter(_q("a:pPr")):
        properties.set("rtl", "1")
