"""Confidence intervals, checked against published values and independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from bsc.errors import InputError
from bsc.stats import mean_interval, nps_interval, nps_margin_of_error, wilson_interval, z_value


class TestZValue:
    @pytest.mark.parametrize(
        ("confidence", "expected"),
        # Standard normal table: z(0.975) = 1.959964, z(0.95) = 1.644854, z(0.995) = 2.575829.
        [(0.95, 1.959964), (0.90, 1.644854), (0.99, 2.575829)],
        ids=["95%", "90%", "99%"],
    )
    def test_known_quantiles(self, confidence: float, expected: float):
        assert z_value(confidence) == pytest.approx(expected, abs=1e-6)

    @pytest.mark.parametrize("confidence", [0.0, 1.0, 95.0, -0.5], ids=["zero", "one", "percent", "negative"])
    def test_confidence_outside_zero_one_is_rejected(self, confidence: float):
        with pytest.raises(InputError, match="confidence level must lie between 0 and 1"):
            z_value(confidence)


class TestWilsonInterval:
    @pytest.mark.parametrize(
        ("successes", "n", "low", "high"),
        # R. G. Newcombe, "Two-sided confidence intervals for the single proportion: comparison of
        # seven methods", Statistics in Medicine 17, 857–872 (1998), table II, method 3 (score).
        [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
        ids=["81-of-263", "15-of-148", "0-of-20", "1-of-29"],
    )
    def test_published_examples(self, successes: int, n: int, low: float, high: float):
        got_low, got_high = wilson_interval(successes, n)
        assert float(got_low) == pytest.approx(low, abs=5e-5)
        assert float(got_high) == pytest.approx(high, abs=5e-5)

    def test_all_successes_stay_inside_the_unit_interval(self):
        # 10 of 10: the upper bound is exactly 1 and the lower bound 10 / (10 + z²) = 0.7225.
        low, high = wilson_interval(10, 10)
        assert float(high) == pytest.approx(1.0)
        assert float(low) == pytest.approx(10 / (10 + z_value() ** 2))

    def test_no_trials_give_no_interval(self):
        low, high = wilson_interval(0, 0)
        assert math.isnan(low) and math.isnan(high)

    def test_works_on_arrays(self):
        low, high = wilson_interval(np.array([81, 0]), np.array([263, 0]))
        assert low.shape == (2,)
        assert float(low[0]) == pytest.approx(0.2553, abs=5e-5)
        assert math.isnan(high[1])


class TestNps:
    def test_margin_of_error_by_hand(self):
        # 50 promoters, 20 detractors, 30 passives: NPS 30; variance 0.5 + 0.2 − 0.3² = 0.61;
        # margin 100 × 1.96 × √(0.61 / 100) = 15.31.
        margin = nps_margin_of_error(50, 20, 100)
        assert float(margin) == pytest.approx(100 * 1.959964 * math.sqrt(0.61 / 100), rel=1e-6)

    def test_margin_equals_normal_interval_of_the_scores(self):
        # Independently: the +1/0/−1 scores, their population standard deviation and z.
        scores = np.array([1] * 50 + [0] * 30 + [-1] * 20)
        expected = 100 * z_value() * scores.std() / math.sqrt(len(scores))
        assert float(nps_margin_of_error(50, 20, 100)) == pytest.approx(expected)

    def test_interval_is_centred_on_the_nps(self):
        low, high = nps_interval(50, 20, 100)
        assert (float(low) + float(high)) / 2 == pytest.approx(30.0)

    def test_all_promoters_have_no_spread(self):
        low, high = nps_interval(12, 0, 12)
        assert (float(low), float(high)) == (100.0, 100.0)

    def test_interval_is_clipped_to_the_scale(self):
        # 1 promoter, 1 detractor: margin 138.6 points, clipped to ±100.
        low, high = nps_interval(1, 1, 2)
        assert (float(low), float(high)) == (-100.0, 100.0)

    def test_no_responses_give_no_interval(self):
        low, high = nps_interval(0, 0, 0)
        assert math.isnan(low) and math.isnan(high)
        assert math.isnan(nps_margin_of_error(0, 0, 0))


class TestMeanInterval:
    def test_matches_scipy_t_interval_of_the_raw_values(self):
        values = np.array([2.0, 5.0, 3.0, 4.0, 4.0, 1.0, 7.0])
        low, high = mean_interval(values.sum(), (values**2).sum(), len(values))
        expected = scipy_stats.t.interval(
            0.95, len(values) - 1, loc=values.mean(), scale=scipy_stats.sem(values)
        )
        assert (float(low), float(high)) == pytest.approx(expected)

    def test_by_hand_for_three_values(self):
        # 2, 5, 3: mean 10/3, s² = 7/3, t(0.975, 2) = 4.302653 -> ±4.302653 × √(7/9) = ±3.7946.
        low, high = mean_interval(10.0, 38.0, 3)
        assert float(high) - 10 / 3 == pytest.approx(4.302653 * math.sqrt(7 / 9), rel=1e-6)
        assert float(low) == pytest.approx(10 / 3 - 4.302653 * math.sqrt(7 / 9), rel=1e-6)

    def test_normal_variant(self):
        # 2, 5, 3 with z: ±1.959964 × √(7/9) = ±1.7285.
        low, high = mean_interval(10.0, 38.0, 3, distribution="normal")
        assert float(high) - 10 / 3 == pytest.approx(1.959964 * math.sqrt(7 / 9), rel=1e-6)
        assert 10 / 3 - float(low) == pytest.approx(1.959964 * math.sqrt(7 / 9), rel=1e-6)

    def test_identical_values_give_a_point(self):
        low, high = mean_interval(12.0, 48.0, 3)  # 4, 4, 4
        assert float(low) == pytest.approx(4.0) and float(high) == pytest.approx(4.0)

    @pytest.mark.parametrize("n", [0, 1], ids=["no-values", "one-value"])
    def test_fewer_than_two_values_give_no_interval(self, n: int):
        low, high = mean_interval(float(n) * 3, float(n) * 9, n)
        assert math.isnan(low) and math.isnan(high)

    def test_works_on_arrays(self):
        low, _high = mean_interval(np.array([10.0, 3.0]), np.array([38.0, 9.0]), np.array([3, 1]))
        assert float(low[0]) == pytest.approx(10 / 3 - 4.302653 * math.sqrt(7 / 9), rel=1e-6)
        assert math.isnan(low[1])

    def test_unknown_distribution_is_rejected(self):
        with pytest.raises(InputError, match="Unknown distribution"):
            mean_interval(1.0, 1.0, 2, distribution="cauchy")
