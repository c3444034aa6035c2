"""Kaplan–Meier curves and the log-rank test (:mod:`bsc.clv.survival`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from bsc.clv import SurvivalData, kaplan_meier, survival_curves, survival_data
from bsc.errors import InputError

# Eight customers; churned 1 = left at that time, 0 = still here (censored).
TIMES = [1, 2, 2, 3, 4, 5, 6, 7]
CHURNED = [1, 1, 0, 1, 0, 1, 1, 0]


class TestKaplanMeier:
    def test_hand_computed_curve(self):
        # By hand: t=1: 8 at risk, 1 leaves -> 7/8 = 0.875; t=2: 7 at risk, 1 leaves -> 0.875·6/7 = 0.75
        # (one censored at 2 stays at risk at 2); t=3: 5 at risk -> 0.75·4/5 = 0.6; t=5: 3 at risk
        # (one censored at 4) -> 0.6·2/3 = 0.4; t=6: 2 at risk -> 0.4·1/2 = 0.2. Median: first S ≤ 0.5, t=5.
        curve = kaplan_meier(TIMES, CHURNED)
        assert curve.times == [0, 1, 2, 3, 5, 6]
        assert curve.survival == pytest.approx([1, 0.875, 0.75, 0.6, 0.4, 0.2])
        assert curve.median == 5
        assert (curve.customers, curve.churned) == (8, 5)

    def test_hand_computed_log_log_interval(self):
        # At t=3 by hand: Greenwood sum Σ d/(n(n−d)) = 1/(8·7) + 1/(7·6) + 1/(5·4) = 0.0916667;
        # σ = √0.0916667 / |ln 0.6| = 0.3027650 / 0.5108256 = 0.5926974; 1.959964·σ = 1.1616656;
        # low = 0.6^exp(1.1616656) = 0.6^3.195251 = 0.195496; high = 0.6^exp(−1.1616656) = 0.6^0.312964 = 0.852254.
        curve = kaplan_meier(TIMES, CHURNED)
        at_three = curve.times.index(3)
        assert curve.ci_low[at_three] == pytest.approx(0.195496, abs=1e-6)
        assert curve.ci_high[at_three] == pytest.approx(0.852254, abs=1e-6)
        assert all(
            lo <= s <= hi for lo, s, hi in zip(curve.ci_low, curve.survival, curve.ci_high, strict=True)
        )

    def test_median_not_reached(self):
        curve = kaplan_meier([1, 2, 3, 4], [1, 0, 0, 0])
        assert curve.median is None and curve.survival[-1] == pytest.approx(0.75)

    def test_nobody_left(self):
        curve = kaplan_meier([3, 5], [0, 0])
        assert (curve.survival, curve.median) == ([1.0], None)

    @pytest.mark.parametrize(
        ("times", "churned", "message"),
        [([], [], "no customer"), ([1, -2], [1, 1], "at least 0"), ([1, np.nan], [1, 0], "at least 0")],
        ids=["empty", "negative", "blank"],
    )
    def test_bad_durations(self, times, churned, message):
        with pytest.raises(InputError, match=message):
            kaplan_meier(times, churned)


def hand_log_rank(times, churned, groups) -> float:
    """The two-group log-rank test written out: Σ(O−E) over the distinct churn times, and its variance."""
    times, churned, groups = np.asarray(times, float), np.asarray(churned, bool), np.asarray(groups)
    first = groups == groups[0]
    observed_minus_expected = variance = 0.0
    for t in np.unique(times[churned]):
        at_risk = times >= t
        n, n1 = at_risk.sum(), (at_risk & first).sum()
        d = (churned & (times == t)).sum()
        d1 = (churned & (times == t) & first).sum()
        observed_minus_expected += d1 - d * n1 / n
        if n > 1:
            variance += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    return float(chi2.sf(observed_minus_expected**2 / variance, 1))


class TestLogRank:
    def test_two_segments_against_the_hand_computation(self):
        frame = pd.DataFrame(
            {
                "duration": [*TIMES, 2, 3, 3, 8, 9, 10, 12, 12],
                "churned": [bool(c) for c in [*CHURNED, 0, 1, 0, 0, 1, 0, 1, 0]],
                "segment": ["short"] * 8 + ["long"] * 8,
            }
        )
        curves, p_value = survival_curves(SurvivalData(frame=frame, unit="months"))
        assert [c.segment for c in curves] == ["long", "short"]
        assert p_value == pytest.approx(
            hand_log_rank(frame["duration"], frame["churned"], frame["segment"]), rel=1e-9
        )

    def test_one_segment_has_no_test(self):
        frame = pd.DataFrame({"duration": TIMES, "churned": [bool(c) for c in CHURNED]})
        curves, p_value = survival_curves(SurvivalData(frame=frame, unit="months"))
        assert len(curves) == 1 and p_value is None


class TestSurvivalData:
    def test_dates_censored_at_the_data_end(self):
        customers = pd.DataFrame(
            {
                "signup_date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-02-01", None]),
                "churn_date": pd.to_datetime(["2024-01-31", None, None, None]),
                "plan": ["a", "a", None, "b"],
            }
        )
        data = survival_data(customers, by="plan")
        # The data end is the latest date, 2024-02-01: 30 days (left), 21 days and 0 days (still here);
        # the customer without a signup date is left out.
        assert data.unit == "days" and data.dropped == 1
        assert data.frame["duration"].tolist() == [30, 21, 0]
        assert data.frame["churned"].tolist() == [True, False, False]
        assert data.frame["segment"].tolist() == ["a", "a", "(blank)"]

    def test_tenure_and_churn_flag(self):
        customers = pd.DataFrame({"tenure": [1, 24, 5], "churn": [True, False, None]})
        data = survival_data(customers)
        assert data.frame["duration"].tolist() == [1, 24, 5]
        assert data.frame["churned"].tolist() == [True, False, False]
        assert data.unit.startswith("tenure")

    def test_nothing_to_measure_from(self):
        with pytest.raises(InputError, match="signup and churn dates, or a tenure column"):
            survival_data(pd.DataFrame({"churn": [True]}))

    def test_unknown_split(self):
        with pytest.raises(InputError, match="no column 'region'"):
            survival_data(pd.DataFrame({"tenure": [1], "churn": [True]}), by="region")
