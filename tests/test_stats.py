"""Confidence intervals, checked against published values and independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from bsc.errors import InputError
from bsc.stats import (
    bh_adjusted,
    difference_test,
    mean_interval,
    mean_standard_error,
    nps_difference_test,
    nps_interval,
    nps_margin_of_error,
    nps_standard_error,
    nps_variance,
    poisson_rate_test,
    two_proportion_test,
    welch_test,
    wilson_interval,
    z_value,
)


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
    def test_variance_by_hand(self):
        # 50 promoters, 20 detractors, 30 passives: variance 0.5 + 0.2 − 0.3² = 0.61.
        assert float(nps_variance(50, 20, 100)) == pytest.approx(0.61)
        # The standard error in points: 100 × √(0.61 / 100) = 7.8102.
        assert float(nps_standard_error(50, 20, 100)) == pytest.approx(100 * math.sqrt(0.61 / 100))

    def test_variance_equals_that_of_the_scores(self):
        # Independently: the population variance of the +1/0/−1 scores.
        scores = np.array([1] * 50 + [0] * 30 + [-1] * 20)
        assert float(nps_variance(50, 20, 100)) == pytest.approx(scores.var())

    def test_adjusted_wald_margin_by_hand(self):
        # Rocks (2016), adjusted Wald: add 3/4 promoter and 3/4 detractor, n + 3.
        # 50 P, 20 D of 100: ñ = 103, p̃_P = 50.75/103, p̃_D = 20.75/103, p̃_P − p̃_D = 30/103;
        # variance 71.5/103 − (30/103)² = 0.609341; margin 100 × 1.959964 × √(0.609341 / 103) = 15.0751.
        margin = nps_margin_of_error(50, 20, 100)
        assert float(margin) == pytest.approx(15.0751, abs=1e-4)

    def test_adjusted_wald_equals_the_scores_with_pseudo_answers(self):
        # Independently: the weighted +1/0/−1 scores with 3/4 promoter, 3/2 passive and
        # 3/4 detractor added, their weighted mean and population variance, and z √(var / ñ).
        scores = np.array([1.0, 0.0, -1.0])
        weights = np.array([50 + 0.75, 30 + 1.5, 20 + 0.75])
        mean = np.average(scores, weights=weights)
        variance = np.average((scores - mean) ** 2, weights=weights)
        margin = 100 * z_value() * math.sqrt(variance / weights.sum())
        low, high = nps_interval(50, 20, 100)
        assert float(low) == pytest.approx(100 * mean - margin)
        assert float(high) == pytest.approx(100 * mean + margin)

    def test_interval_is_centred_on_the_adjusted_nps(self):
        # Centre 100 × 30/103 = 29.13, pulled towards 0 from the observed NPS of 30, which stays inside.
        low, high = nps_interval(50, 20, 100)
        assert (float(low) + float(high)) / 2 == pytest.approx(100 * 30 / 103)
        assert float(low) < 30 < float(high)

    def test_all_promoters_keep_a_width(self):
        # The Wald interval's failure: 12 promoters of 12 gave [100, 100]. Adjusted: ñ = 15,
        # p̃_P = 12.75/15 = 0.85, p̃_D = 0.75/15 = 0.05, centre 80, variance 0.9 − 0.8² = 0.26,
        # margin 100 × 1.959964 × √(0.26/15) = 25.804 -> [54.196, 105.804], clipped to 100.
        low, high = nps_interval(12, 0, 12)
        assert float(low) == pytest.approx(80 - 100 * 1.959964 * math.sqrt(0.26 / 15), abs=1e-4)
        assert float(high) == 100.0
        assert float(nps_margin_of_error(12, 0, 12)) > 0

    def test_a_single_answer_gets_a_wide_interval(self):
        # 1 promoter of 1: ñ = 4, p̃_P = 1.75/4, p̃_D = 0.75/4, centre 25, variance
        # 0.625 − 0.25² = 0.5625, margin 100 × 1.959964 × √(0.5625/4) = 73.50 -> [−48.50, 98.50].
        low, high = nps_interval(1, 0, 1)
        margin = 100 * 1.959964 * math.sqrt(0.5625 / 4)
        assert (float(low), float(high)) == pytest.approx((25 - margin, 25 + margin), abs=1e-4)

    def test_interval_is_clipped_to_the_scale(self):
        # 5 promoters of 5: ñ = 8, centre 100 × (5.75 − 0.75)/8 = 62.5, variance
        # 0.8125 − 0.625² = 0.421875, margin 100 × 1.959964 × √(0.421875/8) = 45.01 -> 107.5, clipped.
        low, high = nps_interval(5, 0, 5)
        assert float(high) == 100.0
        assert float(low) == pytest.approx(62.5 - 100 * 1.959964 * math.sqrt(0.421875 / 8), abs=1e-4)

    def test_no_responses_give_no_interval(self):
        low, high = nps_interval(0, 0, 0)
        assert math.isnan(low) and math.isnan(high)
        assert math.isnan(nps_margin_of_error(0, 0, 0))
        assert math.isnan(nps_variance(0, 0, 0)) and math.isnan(nps_standard_error(0, 0, 0))


# True NPS of the coverage simulations, as (promoter share, detractor share).
_TRUE_NPS = {"0": (0.30, 0.30), "+50": (0.60, 0.10), "+85": (0.88, 0.03)}


def _wald_nps_interval(
    promoters: np.ndarray, detractors: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    # The plain Wald interval this module used before (Rocks' "Wald"), for comparison.
    margin = 100 * z_value() * np.sqrt(nps_variance(promoters, detractors, n) / n)
    centre = 100 * (promoters - detractors) / n
    return centre - margin, centre + margin


class TestNpsCoverage:
    """Coverage of the 95 % NPS interval by simulation: 4,000 trinomial samples per case, seed 11."""

    @pytest.mark.parametrize("n", [30, 100, 1000])
    @pytest.mark.parametrize("true_nps", list(_TRUE_NPS))
    def test_adjusted_wald_covers_about_95_percent(self, true_nps: str, n: int):
        promoter_share, detractor_share = _TRUE_NPS[true_nps]
        rng = np.random.default_rng(11)
        counts = rng.multinomial(
            n, [promoter_share, detractor_share, 1 - promoter_share - detractor_share], 4000
        )
        low, high = nps_interval(counts[:, 0], counts[:, 1], n)
        truth = 100 * (promoter_share - detractor_share)
        coverage = np.mean((low <= truth) & (truth <= high))
        # Measured (seed 11): 94.6 % to 96.7 % over the nine cases (Wald: 89.8 % to 95.5 %).
        assert 0.93 <= coverage <= 0.97, coverage

    def test_wald_undercovers_near_plus_85_at_n_30(self):
        # What motivated the change: at n = 30 and NPS +85 the Wald interval misses the truth
        # about one time in ten (measured 89.8 % with seed 11), and has zero width on all-promoter samples.
        rng = np.random.default_rng(11)
        counts = rng.multinomial(30, [0.88, 0.03, 0.09], 4000)
        low, high = _wald_nps_interval(counts[:, 0], counts[:, 1], 30)
        assert np.mean((low <= 85) & (high >= 85)) < 0.93
        all_promoters = counts[:, 0] == 30
        assert all_promoters.any()
        assert np.all(high[all_promoters] - low[all_promoters] == 0)
        adjusted_low, adjusted_high = nps_interval(counts[:, 0], counts[:, 1], 30)
        assert np.all(adjusted_high[all_promoters] - adjusted_low[all_promoters] > 10)


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


class TestMeanStandardError:
    def test_matches_scipy_sem(self):
        values = np.array([2.0, 5.0, 3.0, 4.0, 4.0, 1.0, 7.0])
        error = mean_standard_error(values.sum(), (values**2).sum(), len(values))
        assert float(error) == pytest.approx(scipy_stats.sem(values))

    @pytest.mark.parametrize("n", [0, 1], ids=["no-values", "one-value"])
    def test_fewer_than_two_values_give_none(self, n: int):
        assert math.isnan(mean_standard_error(float(n) * 3, float(n) * 9, n))


class TestTwoProportionTest:
    def test_by_hand(self):
        # 50 of 100 then 70 of 100: pooled 120/200 = 0.6, se = √(0.6 × 0.4 × (1/100 + 1/100))
        # = 0.0692820, z = 0.2 / 0.0692820 = 2.88675; p = 2 × (1 − Φ(2.88675)) = 0.003892.
        z, p = two_proportion_test(50, 100, 70, 100)
        assert float(z) == pytest.approx(2.88675, abs=1e-5)
        assert float(p) == pytest.approx(0.003892, abs=1e-6)

    def test_z_squared_is_pearsons_chi_squared(self):
        # Independently: scipy's chi-squared test of the 2 × 2 table, without continuity correction.
        table = np.array([[37, 163], [52, 148]])
        chi2, p_chi2, _, _ = scipy_stats.chi2_contingency(table, correction=False)
        z, p = two_proportion_test(37, 200, 52, 200)
        assert float(z) ** 2 == pytest.approx(chi2)
        assert float(p) == pytest.approx(p_chi2)
        assert float(z) > 0  # the second share is higher

    def test_identical_extremes_show_no_change(self):
        # Both periods all satisfied: the pooled variance is 0 and nothing differs.
        z, p = two_proportion_test(40, 40, 25, 25)
        assert (float(z), float(p)) == (0.0, 1.0)

    def test_an_empty_sample_gives_no_test(self):
        z, p = two_proportion_test(0, 0, 5, 10)
        assert math.isnan(z) and math.isnan(p)

    def test_works_on_arrays(self):
        z, _ = two_proportion_test(
            np.array([50, 0]), np.array([100, 0]), np.array([70, 1]), np.array([100, 2])
        )
        assert float(z[0]) == pytest.approx(2.88675, abs=1e-5)
        assert math.isnan(z[1])


class TestNpsDifferenceTest:
    def test_by_hand(self):
        # Before 40 P, 20 D of 100: NPS 20, variance 0.6 − 0.2² = 0.56. After 50 P, 10 D of 100:
        # NPS 40, variance 0.6 − 0.4² = 0.44. se = √(0.56/100 + 0.44/100) = 0.1 (10 points),
        # z = 20 / 10 = 2.0, p = 2 × (1 − Φ(2)) = 0.0455003.
        z, p = nps_difference_test(40, 20, 100, 50, 10, 100)
        assert float(z) == pytest.approx(2.0)
        assert float(p) == pytest.approx(0.0455003, abs=1e-7)

    def test_same_as_difference_test_on_standard_errors(self):
        z, p = nps_difference_test(40, 20, 100, 50, 10, 100)
        expected = difference_test(
            20.0, nps_standard_error(40, 20, 100), 40.0, nps_standard_error(50, 10, 100)
        )
        assert (float(z), float(p)) == pytest.approx((float(expected[0]), float(expected[1])))

    def test_no_spread_in_either_sample(self):
        # All promoters twice: nothing changed. All promoters then all detractors: no spread to
        # measure the noise by, so no test.
        assert tuple(map(float, nps_difference_test(10, 0, 10, 20, 0, 20))) == (0.0, 1.0)
        assert all(math.isnan(x) for x in nps_difference_test(10, 0, 10, 0, 20, 20))

    def test_an_empty_sample_gives_no_test(self):
        assert all(math.isnan(x) for x in nps_difference_test(0, 0, 0, 5, 1, 10))


class TestWelchTest:
    def test_matches_scipy_on_the_raw_values(self):
        # Independently: scipy's Welch test (equal_var=False) on the raw answers.
        before = np.array([5.0, 6.0, 4.0, 7.0, 5.0, 6.0, 3.0, 5.0])
        after = np.array([6.0, 7.0, 7.0, 5.0, 6.0, 7.0, 6.0, 7.0, 4.0, 7.0, 6.0])

        def summary(values: np.ndarray) -> tuple[float, float, int]:
            error = mean_standard_error(values.sum(), (values**2).sum(), len(values))
            return values.mean(), float(error), len(values)

        t, p = welch_test(*summary(before), *summary(after))
        expected = scipy_stats.ttest_ind(after, before, equal_var=False)
        assert float(t) == pytest.approx(expected.statistic)
        assert float(p) == pytest.approx(expected.pvalue)

    def test_by_hand_degrees_of_freedom(self):
        # se² 0.04 and 0.09, n 11 and 21: ν = 0.13² / (0.04²/10 + 0.09²/20) = 0.0169 / 0.000565
        # = 29.912; t = 0.5 / √0.13 = 1.38675; p from t(29.912).
        t, p = welch_test(4.0, 0.2, 11, 4.5, 0.3, 21)
        assert float(t) == pytest.approx(0.5 / math.sqrt(0.13))
        assert float(p) == pytest.approx(2 * scipy_stats.t.sf(0.5 / math.sqrt(0.13), 0.0169 / 0.000565))

    def test_too_few_values_give_no_test(self):
        assert all(math.isnan(x) for x in welch_test(4.0, math.nan, 1, 4.5, 0.3, 21))
        assert all(math.isnan(x) for x in welch_test(4.0, 0.2, 11, 4.5, 0.0, 1))

    def test_no_spread_at_all(self):
        assert tuple(map(float, welch_test(3.0, 0.0, 5, 3.0, 0.0, 8))) == (0.0, 1.0)
        assert all(math.isnan(x) for x in welch_test(3.0, 0.0, 5, 4.0, 0.0, 8))


class TestPoissonRateTest:
    @staticmethod
    def _mid_p_by_hand(count_2: int, total: int, share: float) -> float:
        # Independently of scipy: binomial probabilities from math.comb.
        pmf = [math.comb(total, x) * share**x * (1 - share) ** (total - x) for x in range(total + 1)]
        below = sum(pmf[:count_2]) + pmf[count_2] / 2
        above = sum(pmf[count_2 + 1 :]) + pmf[count_2] / 2
        return min(1.0, 2 * min(below, above))

    def test_equal_periods_by_hand(self):
        # 10 then 20 events: given 30, the second count is Binomial(30, 1/2) under no change;
        # z = (20 − 15) / √7.5 = 1.82574.
        z, p = poisson_rate_test(10, 20)
        assert float(z) == pytest.approx(5 / math.sqrt(7.5))
        assert float(p) == pytest.approx(self._mid_p_by_hand(20, 30, 0.5))
        assert 0.05 < float(p) < 0.1

    def test_spend_as_exposure(self):
        # 20 customers for 1,000 then 10 for 2,000: CPA 50 -> 200. π₀ = 2000/3000, expected 20 of 30.
        z, p = poisson_rate_test(20, 10, exposure_1=1000.0, exposure_2=2000.0)
        assert float(z) == pytest.approx((10 - 20) / math.sqrt(30 * (2 / 3) * (1 / 3)))
        assert float(p) == pytest.approx(self._mid_p_by_hand(10, 30, 2 / 3))
        assert float(p) < 0.001
        # Same CPA both periods (20 for 1,000, 40 for 2,000): z = 0 and no evidence of change.
        z, p = poisson_rate_test(20, 40, exposure_1=1000.0, exposure_2=2000.0)
        assert float(z) == pytest.approx(0.0) and float(p) > 0.9

    def test_edge_cases(self):
        assert tuple(map(float, poisson_rate_test(0, 0))) == (0.0, 1.0)
        assert all(math.isnan(x) for x in poisson_rate_test(5, 3, exposure_1=0.0, exposure_2=100.0))
        assert all(math.isnan(x) for x in poisson_rate_test(math.nan, 3))


class TestBenjaminiHochberg:
    def test_worked_example(self):
        # p = 0.01, 0.04, 0.03, 0.20 (m = 4), sorted 0.01, 0.03, 0.04, 0.20: times m / rank
        # 0.04, 0.06, 0.0533, 0.20; the minimum from each rank up: 0.04, 0.0533, 0.0533, 0.20,
        # given back in the input's order (by hand).
        adjusted = bh_adjusted([0.01, 0.04, 0.03, 0.20])
        assert adjusted == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.20], rel=1e-12)

    def test_bit_for_bit_scipys_false_discovery_control(self):
        # 300 p-values of a fixed seed, with ties and exact zeros and ones.
        rng = np.random.default_rng(13)
        p = np.concatenate([rng.uniform(size=280) ** 3, [0.0, 1.0, 0.5, 0.5, 0.5], rng.uniform(size=15)])
        p[[3, 7, 11]] = p[20]
        rng.shuffle(p)
        np.testing.assert_array_equal(bh_adjusted(p), scipy_stats.false_discovery_control(p, method="bh"))

    def test_never_above_one_and_one_value_is_its_own(self):
        assert bh_adjusted([0.9, 0.95]).tolist() == [0.95, 0.95]
        assert bh_adjusted([0.3]).tolist() == [0.3]
        assert bh_adjusted([]).tolist() == []

    def test_a_missing_or_impossible_p_value_is_refused(self):
        with pytest.raises(InputError, match="between 0 and 1"):
            bh_adjusted([0.1, float("nan")])
        with pytest.raises(InputError, match="between 0 and 1"):
            bh_adjusted([0.1, 1.2])
