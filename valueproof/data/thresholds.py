"""How few units are too few: the small-group thresholds every stage words its cautions by.

The data stage's findings, the estimators' warnings, `validate` and the report all read these,
so a group or a wave is "small" in the same sense everywhere.
"""

#: Units per group below which estimates are fragile (a finding, and a caution on each KPI).
FEW_UNITS = 10
#: Units in a rollout wave below which its own effect says nothing on its own.
SMALL_WAVE = 3
