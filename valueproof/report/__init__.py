"""Report stage: the story of the results in words, charts and pages, rendered to PDF and HTML.
Takes the definition and its results as arguments; it never runs a stage.

`context.build_context` assembles the template's dict: one page per KPI (`kpi_page`, its
sentences in `sentences`), the goals, the plan and the next steps (`scorecard`), the ROI page
(`roi_words`), what weakens the evidence (`findings`, `grid_words`), a rollout in waves (`waves`,
`waves_method`), adoption and health (`adoption`, `health`), the words of a goal not yet confirmed
and of a first quarter (`wording`) and of a rate ratio (`words_rate_ratio`), and the terms they
share (`terms`). `charts` draws the figures and `svg` makes them the SVG the page embeds; `render`
turns the context into HTML and PDF, with the customer's logos checked by `logos`.
"""
