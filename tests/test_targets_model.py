"""Targets' trajectories: the target value in each period (bsc.targets.model).

Golden values are worked out by hand in the comments.
"""

from __future__ import annotations

import math

import pytest

from bsc.targets import Target


class TestTrajectory:
    def test_linear_ramp_from_the_baseline(self):
        # 20 in 2026-10 to 32 in 2027-04: six months, +2 a month.
        target = Target("nps", 32.0, "2027-04", baseline=20.0, baseline_period="2026-10")
        assert target.value_at("2026-10") == pytest.approx(20.0)
        assert target.value_at("2027-01") == pytest.approx(26.0)  # 20 + 3 × 2
        assert target.value_at("2026-Q4") == pytest.approx(24.0)  # ends in December: 20 + 2 × 2
        assert target.value_at("2027-12") == pytest.approx(32.0)  # the goal holds after the due period
        assert math.isnan(target.value_at("2026-09"))  # no target before the baseline

    def test_quarterly_target_read_in_months(self):
        # 20 in 2026-Q4 (ends December) to 32 in 2027-Q2 (ends June): +2 a month from December.
        target = Target("nps", 32.0, "2027-Q2", baseline=20.0, baseline_period="2026-Q4")
        assert target.value_at("2026-10") == pytest.approx(20.0)  # within the baseline quarter
        assert target.value_at("2027-02") == pytest.approx(24.0)  # 20 + 2 × 2
        assert math.isnan(target.value_at("2026-09"))

    def test_per_period_values(self):
        # 20 (2026-10) → 30 (2026-12) → 30 (2027-02): 25 in November, 30 in January.
        target = Target(
            "nps", 30.0, "2027-02", trajectory=(("2026-12", 30.0),), baseline=20.0, baseline_period="2026-10"
        )
        assert target.value_at("2026-11") == pytest.approx(25.0)
        assert target.value_at("2027-01") == pytest.approx(30.0)

    def test_without_a_baseline_the_goal_holds_throughout(self):
        target = Target("nps", 30.0, "2027-02")
        assert target.value_at("2020-01") == target.value_at("2027-02") == 30.0
