"""Tests of bsc.links.result: the intervals and the verdict rules."""

import math

import numpy as np
import pandas as pd
import pytest

from bsc.links.result import (
    NOT_SUPPORTED,
    SUPPORTED,
    TOO_LITTLE,
    Estimate,
    correlation,
    difference_of_means,
    difference_of_proportions,
    judged,
    rank_correlation,
)


class TestDifferenceOfProportions:
    def test_wald_interval_by_hand(self):
        # 50 of 100 against 30 of 100: se = sqrt(.5*.5/100 + .3*.7/100) = 0.0678233;
        # 1.959964 * 0.0678233 = 0.132931, so 20 ± 13.2931 points.
        found = difference_of_proportions(
            pd.Series([True] * 50 + [False] * 50), pd.Series([True] * 30 + [False] * 70)
        )
        assert found.value == pytest.approx(20.0)
        assert found.low == pytest.approx(6.7069, abs=1e-3)
        assert found.high == pytest.approx(33.2931, abs=1e-3)
        assert (found.n, found.smallest) == (200, 100)

    def test_an_empty_group_has_no_estimate(self):
        assert math.isnan(difference_of_proportions(pd.Series([True]), pd.Series([], dtype=bool)).value)


class TestDifferenceOfMeans:
    def test_welch_interval_by_hand(self):
        # Means 3 and 1, sample variances 2.5 and 2.5 over 5 each: se = sqrt(0.5 + 0.5) = 1.
        found = difference_of_means(pd.Series([1.0, 2, 3, 4, 5]), pd.Series([-1.0, 0, 1, 2, 3]))
        assert (found.value, found.low, found.high) == pytest.approx(
            (2.0, 2 - 1.959964, 2 + 1.959964), abs=1e-5
        )


class TestCorrelations:
    def test_spearman_matches_pandas_and_the_fieller_interval(self):
        rng = np.random.default_rng(3)
        x = pd.Series(rng.normal(size=50))
        y = x + pd.Series(rng.normal(size=50))
        found = rank_correlation(x, y)
        rho = x.corr(y, method="spearman")
        # Fieller, Hartley & Pearson (1957): se of atanh(rho) is sqrt(1.06 / (n - 3)).
        margin = 1.959964 * math.sqrt(1.06 / 47)
        assert found.value == pytest.approx(rho)
        assert found.low == pytest.approx(math.tanh(math.atanh(rho) - margin), abs=1e-6)
        assert found.high == pytest.approx(math.tanh(math.atanh(rho) + margin), abs=1e-6)

    def test_pearson_fisher_interval(self):
        # x = 1..5, y = 2,1,4,3,5: r = 8 / sqrt(10 * 10) = 0.8. atanh 0.8 = 1.098612, ± 1.959964 / sqrt(2)
        # = 1.385904, so tanh(-0.287292) = -0.27964 and tanh(2.484516) = 0.98620.
        found = correlation(pd.Series([1.0, 2, 3, 4, 5]), pd.Series([2.0, 1, 4, 3, 5]))
        assert found.value == pytest.approx(0.8)
        assert (found.low, found.high) == pytest.approx((-0.27964, 0.98620), abs=1e-4)

    def test_constant_values_have_no_estimate(self):
        assert math.isnan(rank_correlation(pd.Series([1.0] * 10), pd.Series(range(10))).value)


class TestVerdict:
    @pytest.mark.parametrize(
        ("estimate", "expected", "verdict"),
        [
            (Estimate(5, 1, 9, 100, 50), +1, SUPPORTED),
            (Estimate(5, -1, 9, 100, 50), +1, NOT_SUPPORTED),
            (Estimate(-5, -9, -1, 100, 50), +1, NOT_SUPPORTED),
            (Estimate(-5, -9, -1, 100, 50), -1, SUPPORTED),
            (Estimate(5, 1, 9, 100, 29), +1, TOO_LITTLE),
            (Estimate(math.nan, math.nan, math.nan, 0, 0), +1, TOO_LITTLE),
        ],
        ids=[
            "excludes-0-expected-side",
            "covers-0",
            "wrong-side",
            "expected-negative",
            "below-minimum",
            "none",
        ],
    )
    def test_verdicts(self, estimate, expected, verdict):
        result = judged(
            "nps",
            "churn_rate",
            estimate,
            expected=expected,
            minimum=30,
            method="m",
            meaning="s",
            unit="points",
        )
        assert result.verdict == verdict
