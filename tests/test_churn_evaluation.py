"""Evaluation curves and the AUC's standard error, worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from bsc.churn import auc_standard_error, calibration_points, gains_points, roc_points

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


class TestCurves:
    def test_gains_by_hand(self):
        # Riskiest first: 0.9 (churner), 0.8, 0.7 (churner), 0.1.
        gains = gains_points(np.array([True, False, True, False]), np.array([0.9, 0.8, 0.7, 0.1]))
        assert gains["contacted"].tolist() == [0, 0.25, 0.5, 0.75, 1.0]
        assert gains["churners_reached"].tolist() == [0, 0.5, 0.5, 1.0, 1.0]
        # Lift at 25 %: 0.5 / 0.25 = 2.
        assert gains["lift"].iloc[1] == 2.0

    def test_roc_by_hand(self):
        roc = roc_points(np.array([True, False, True, False]), np.array([0.9, 0.8, 0.7, 0.1]))
        # Thresholds 0.9, 0.8, 0.7, 0.1: (0, .5), (.5, .5), (.5, 1), (1, 1), from (0, 0).
        assert list(zip(roc["false_positive_rate"], roc["true_positive_rate"], strict=True)) == [
            (0.0, 0.0),
            (0.0, 0.5),
            (0.5, 0.5),
            (0.5, 1.0),
            (1.0, 1.0),
        ]

    def test_calibration_groups_by_hand(self):
        p = np.array([0.1, 0.2, 0.3, 0.4])
        calibration = calibration_points(np.array([False, False, True, True]), p, bins=2)
        # Lower half: mean 0.15, no churner; upper half: mean 0.35, both churned.
        assert calibration["predicted"].tolist() == pytest.approx([0.15, 0.35])
        assert calibration["observed"].tolist() == [0.0, 1.0]

    def test_hanley_mcneil_standard_error_by_hand(self):
        # A = 0.8, 50 + 50: Q1 = 0.8 / 1.2 = 0.6667, Q2 = 1.28 / 1.8 = 0.7111;
        # (0.16 + 49 × 0.0267 + 49 × 0.0711) / 2500 = 0.001980 -> SE = 0.0445.
        assert auc_standard_error(0.8, 50, 50) == pytest.approx(0.0445, abs=0.0002)
