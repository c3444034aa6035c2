"""Is a change real: the verdicts on rows of the KPI frames, and their error rates by simulation."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from bsc.change_tests import CHANGE_TEST_NAMES, ChangeTest, judge_change
from bsc.kpis import KPIS
from bsc.stats import mean_standard_error, nps_standard_error, wilson_interval

Row = dict[str, float]
N = 200  # answers, trials or expected events per period in the simulations
PAIRS = 2000  # simulated period pairs per KPI kind


class TestVerdicts:
    def test_proportions_read_numerator_and_denominator(self):
        # 50 of 100 then 70 of 100: pooled z = 2.88675, p = 0.003892 (tests/test_stats.py, by hand).
        before = {"value": 50.0, "numerator": 50, "denominator": 100, "n": 100}
        after = {"value": 70.0, "numerator": 70, "denominator": 100, "n": 100}
        verdict = judge_change("proportion", before, after)
        assert verdict.statistic == pytest.approx(2.88675, abs=1e-5)
        assert verdict.real and verdict.tested
        assert "two-proportion z-test, p = 0.004" in verdict.explanation

    def test_nps_reads_value_and_standard_error(self):
        # NPS 20 (se 7.4833) then 40 (se 6.6332): z = 20 / √(56 + 44) = 2.0, p = 0.0455 < 0.05.
        before = {"value": 20.0, "std_error": math.sqrt(56.0), "n": 100}
        after = {"value": 40.0, "std_error": math.sqrt(44.0), "n": 100}
        verdict = judge_change("nps", before, after)
        assert verdict.statistic == pytest.approx(2.0)
        assert verdict.p_value == pytest.approx(0.0455003, abs=1e-7)
        assert verdict.real

    def test_a_small_change_is_within_noise(self):
        before = {"value": 4.0, "std_error": 0.2, "n": 11}
        after = {"value": 4.2, "std_error": 0.3, "n": 21}
        verdict = judge_change("mean", before, after)
        assert verdict.tested and not verdict.real
        assert verdict.explanation.startswith("Within noise (Welch's t-test, p = 0.")

    def test_cpa_takes_the_spend_as_exposure(self):
        # 20 customers for 1,000 then 10 for 2,000 (CPA 50 -> 200): p < 0.001 (tests/test_stats.py).
        before = {"value": 50.0, "numerator": 1000.0, "denominator": 20, "n": 20}
        after = {"value": 200.0, "numerator": 2000.0, "denominator": 10, "n": 10}
        verdict = judge_change("cost_per_count", before, after)
        assert verdict.real and verdict.statistic < 0
        assert "p < 0.001" in verdict.explanation

    def test_no_test_applies(self):
        verdict = judge_change(None, {"value": 1.0}, {"value": 2.0})
        assert not verdict.tested and not verdict.real
        assert verdict.explanation.startswith("No two-sample test applies")

    @pytest.mark.parametrize(
        ("test", "before", "after"),
        [
            (
                "mean",
                {"value": 4.0, "std_error": math.nan, "n": 1},
                {"value": 5.0, "std_error": 0.1, "n": 30},
            ),
            (
                "proportion",
                {"value": math.nan, "numerator": 0, "denominator": 0},
                {"numerator": 3, "denominator": 9},
            ),
            ("nps", {"value": 100.0, "std_error": 0.0}, {"value": -100.0, "std_error": 0.0}),
            ("count", {"value": 3.0}, {"value": 5.0}),  # no numerator column
        ],
        ids=["one-answer", "empty-period", "no-spread", "missing-column"],
    )
    def test_untestable_changes_are_not_coloured(self, test: ChangeTest, before: Row, after: Row):
        verdict = judge_change(test, before, after)
        assert not verdict.tested and not verdict.real
        assert verdict.explanation.startswith("Not tested")


class TestRecords:
    def test_every_test_kind_has_a_name(self):
        assert {definition.change_test for definition in KPIS.values()} - {None} == set(CHANGE_TEST_NAMES)

    @pytest.mark.parametrize(
        ("kpi", "test"),
        [
            ("nps", "nps"),
            ("csat", "proportion"),
            ("ces", "mean"),
            ("rating", "mean"),
            ("churn_rate", "proportion"),
            ("new_customers", "count"),
            ("orders", "count"),
            ("cpa", "cost_per_count"),
            ("resolution_time_mean", "mean"),
            ("resolution_time", None),  # a median: no standard error from the sums
            ("revenue", None),  # a money total: the frames hold no spread of order amounts
            ("csi", None),  # a weighted index of several samples
            ("customer_growth", None),  # already a change between periods
        ],
    )
    def test_kpis_carry_their_test(self, kpi: str, test: ChangeTest | None):
        assert KPIS[kpi].change_test == test


# --------------------------------------------------------------------------------------------
# Simulation: period pairs drawn as the KPI frames would hold them.
# --------------------------------------------------------------------------------------------

# Each maker draws one period's row from its true parameter (a share, an NPS's promoter and
# detractor shares, a mean's shift, an event rate); "no change" draws both periods alike.
_CES_ANSWERS = np.arange(1, 8)
_CES_WEIGHTS = np.array([0.03, 0.05, 0.08, 0.17, 0.27, 0.25, 0.15])  # mean 4.99, sd about 1.46


def _proportion(rng: np.random.Generator, share: float) -> Row:
    satisfied = rng.binomial(N, share)
    return {"value": 100 * satisfied / N, "numerator": satisfied, "denominator": N, "n": N}


def _nps(rng: np.random.Generator, shares: tuple[float, float]) -> Row:
    promoters, detractors, _ = rng.multinomial(N, [shares[0], shares[1], 1 - sum(shares)])
    error = float(nps_standard_error(promoters, detractors, N))
    return {"value": 100 * (promoters - detractors) / N, "std_error": error, "n": N}


def _mean(rng: np.random.Generator, shift: float) -> Row:
    answers = rng.choice(_CES_ANSWERS, size=N, p=_CES_WEIGHTS) + shift
    error = float(mean_standard_error(answers.sum(), (answers**2).sum(), N))
    return {"value": answers.mean(), "std_error": error, "n": N}


def _count(rng: np.random.Generator, rate: float) -> Row:
    events = rng.poisson(rate)
    return {"value": events, "numerator": events, "n": events}


def _cost_per_count(rng: np.random.Generator, cpa_and_spend: tuple[float, float]) -> Row:
    cpa, spend = cpa_and_spend
    customers = rng.poisson(spend / cpa)
    return {"value": spend / customers, "numerator": spend, "denominator": customers, "n": customers}


# kind: (row maker, parameter before, parameter after when nothing changes, after a real change).
_SCENARIOS: dict[ChangeTest, tuple[Callable[[np.random.Generator, object], Row], object, object, object]] = {
    # CSAT 80 %, then 90 % after the change.
    "proportion": (_proportion, 0.80, 0.80, 0.90),
    # NPS +30 (45 % promoters, 15 % detractors), then +55 (65 %, 10 %).
    "nps": (_nps, (0.45, 0.15), (0.45, 0.15), (0.65, 0.10)),
    # CES mean 4.99 (sd 1.46), then 0.5 higher.
    "mean": (_mean, 0.0, 0.0, 0.5),
    # 200 events a period, then 280 (+40 %).
    "count": (_count, 200.0, 200.0, 280.0),
    # CPA 50 on a spend of 10,000 (200 customers), spend raised to 12,000; then a CPA of 70.
    "cost_per_count": (_cost_per_count, (50.0, 10_000.0), (50.0, 12_000.0), (70.0, 12_000.0)),
}


def _coloured_share(kind: ChangeTest, after_parameter: object, seed: int) -> float:
    make, before_parameter, _, _ = _SCENARIOS[kind]
    rng = np.random.default_rng(seed)
    coloured = sum(
        judge_change(kind, make(rng, before_parameter), make(rng, after_parameter)).real for _ in range(PAIRS)
    )
    return coloured / PAIRS


class TestSimulatedTiles:
    """2,000 simulated period pairs per kind at n = 200 each (fixed seeds)."""

    @pytest.mark.parametrize("kind", list(_SCENARIOS))
    def test_about_five_percent_false_colours_without_a_change(self, kind: ChangeTest):
        share = _coloured_share(kind, _SCENARIOS[kind][2], seed=3)
        # Measured with seed 3: proportion 5.3 %, NPS 5.1 %, mean 4.85 %, count 5.6 %, CPA 5.55 %.
        assert 0.03 <= share <= 0.07, share

    @pytest.mark.parametrize("kind", list(_SCENARIOS))
    def test_a_real_change_is_coloured_most_of_the_time(self, kind: ChangeTest):
        share = _coloured_share(kind, _SCENARIOS[kind][3], seed=4)
        # Measured with seed 4: proportion 80 %, NPS 95 %, mean 92 %, count 96 %, CPA 89 %.
        assert share >= 0.75, share

    def test_the_old_interval_rule_coloured_far_more_than_five_percent(self):
        # The rule this replaces: coloured unless last period's value lay inside this period's
        # 95 % interval, ignoring last period's own noise. Without a change, at n = 200, it
        # coloured 16 % of CSAT tiles (80 %) and 16 % of NPS tiles (+30) with seed 3.
        rng = np.random.default_rng(3)
        before, after = rng.binomial(N, 0.80, PAIRS) / N, rng.binomial(N, 0.80, PAIRS)
        low, high = wilson_interval(after, N)
        assert np.mean((before < low) | (before > high)) > 0.12

        rng = np.random.default_rng(3)
        before_counts = rng.multinomial(N, [0.45, 0.15, 0.40], PAIRS)
        after_counts = rng.multinomial(N, [0.45, 0.15, 0.40], PAIRS)
        before_nps = 100 * (before_counts[:, 0] - before_counts[:, 1]) / N
        after_nps = 100 * (after_counts[:, 0] - after_counts[:, 1]) / N
        margin = 1.959964 * nps_standard_error(
            after_counts[:, 0], after_counts[:, 1], N
        )  # the old Wald margin
        assert np.mean(np.abs(before_nps - after_nps) > margin) > 0.12
