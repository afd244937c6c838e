"""Report stage: the story of the results in words, charts and pages, rendered to PDF and HTML.
Takes the definition and its results as arguments; it never runs a stage."""
