"""The slide deck: another renderer of the report's context (`report.context.report_context`,
built once for the PDF and the deck), as an editable PowerPoint file (native charts, speaker
notes, the customer's template) and, through LibreOffice, as a 16:9 PDF of the same slides.

    slides.py, kpi_slides.py   the story: which slides, with which words, figures, charts, tables
    story.py                   what a slide holds (renderer-free)
    pptx_writer.py             the slides drawn with python-pptx
    charts.py                  native charts, their likely ranges as error bars
    rtl.py                     right-to-left paragraphs and complex-script fonts
    template.py                the brand's template (.pptx, .potx), layouts by name
    reproducible.py            byte-identical files
    pdf.py                     the deck as PDF (LibreOffice headless)
    render.py                  the one entry: `render_deck`, `deck_pdf`
    portfolio.py               the vendor's portfolio review as slides (its context, the PDF's)
"""
