"""The NPS interval (Rocks' adjusted Wald) and the change between quarters: the formulas by
hand, and their exact coverage over every outcome of the multinomial (deterministic, no
simulation), where the plain Wald interval fell to 76% near the top of the scale."""

from __future__ import annotations

import math

import pytest

from tests.nps_exact import MIXES, SIZES, change_coverage, coverage, wald
from valueproof.adoption.nps import change_interval, nps_interval

Z = 1.959964


def test_the_adjusted_wald_interval_by_hand():
    """12 promoters, 5 passives, 3 detractors: +45, interval from (12.75 - 3.75) / 23."""
    score, se, low, high = nps_interval(12, 5, 3)
    p, d = 12.75 / 23, 3.75 / 23
    spread = Z * 100 * math.sqrt((p + d - (p - d) ** 2) / 23)
    assert score == pytest.approx(45)  # the raw score is what the report shows
    assert se == pytest.approx(spread / Z)
    assert (low, high) == (pytest.approx(100 * (p - d) - spread),
                           pytest.approx(100 * (p - d) + spread))


def test_every_answer_a_promoter_still_has_a_range():
    """50 promoters of 50 gave the plain Wald interval zero width (+100 to +100)."""
    score, _, low, high = nps_interval(50, 0, 0)
    assert score == 100 and high == 100
    assert low == pytest.approx(100 * 50 / 53 - Z * 100 * math.sqrt(
        (51.5 / 53 - (50 / 53) ** 2) / 53))
    assert 85 < low < 90
    assert nps_interval(0, 0, 40)[2] == -100  # and at the bottom, cut at -100


def test_the_change_between_quarters_by_hand():
    now, before = (30, 10, 10), (10, 10, 20)
    change, low, high = change_interval(now, before)
    assert change == pytest.approx(40 - (-25))  # raw scores
    p1, d1 = 30.75 / 53, 10.75 / 53
    p0, d0 = 10.75 / 43, 20.75 / 43
    centre = 100 * ((p1 - d1) - (p0 - d0))
    spread = Z * 100 * math.sqrt((p1 + d1 - (p1 - d1) ** 2) / 53
                                 + (p0 + d0 - (p0 - d0) ** 2) / 43)
    assert (low, high) == (pytest.approx(centre - spread), pytest.approx(centre + spread))
    assert change_interval(now, (0, 0, 0)) == (None, None, None)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("mix", MIXES, ids=lambda m: "/".join(map(str, m)))
def test_exact_coverage_from_95_4_1_to_30_30_40(mix, n):
    """93-97% on every mix from the top of the scale to a negative score, at 30, 50 and 200
    answers. The one cell above 97% is 95/4/1 with 30 answers (97.6%): there only outcomes
    below the truth can miss it (29 or 30 promoters of 30 lie above +94 and no interval from
    30 answers excludes +94 for them), so it errs on the safe side."""
    covered = coverage(mix, n)
    assert covered >= 0.93, covered
    assert covered <= (0.977 if (mix, n) == ((95, 4, 1), 30) else 0.97), covered


def test_the_plain_wald_interval_is_what_the_audit_measured():
    """The interval it replaces: 75.9% at 95/4/1 with 50 answers (the README claimed 93-97%)."""
    assert coverage((95, 4, 1), 50, wald) == pytest.approx(0.759, abs=0.001)
    assert coverage((95, 4, 1), 50) > 0.95


@pytest.mark.parametrize("before, after", [
    ((50, 30, 20), (70, 20, 10)), ((30, 30, 40), (50, 30, 20)), ((30, 30, 40), (30, 30, 40)),
    ((80, 15, 5), (95, 4, 1)), ((95, 4, 1), (95, 4, 1))])
def test_exact_coverage_of_the_change(before, after):
    """The change between two quarters of 30 and of 50 answers each: 95-96% between mid-scale
    mixes, never under 93% anywhere; at the top of the scale conservative (up to 100% between
    two 95/4/1 quarters, where the plain Wald interval gave 95-97%)."""
    for n in (30, 50):
        covered = change_coverage(before, after, n, n)
        assert covered >= 0.93, (n, covered)
        if max(before[0], after[0]) <= 70:
            assert covered <= 0.97, (n, covered)
