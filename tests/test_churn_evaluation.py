"""Evaluation curves, the AUC's standard error and the importance interval, worked out by hand or simulated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold

from bsc.churn import auc_standard_error, build_pipeline, calibration_points, gains_points, roc_points
from bsc.churn.evaluation import fold_permutation_importance, importance_interval

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


class TestImportanceInterval:
    def test_corrected_interval_by_hand(self):
        # Nadeau and Bengio: mean ± t(4, 0.975) × s × sqrt(1/5 + 1/4). t(4, 0.975) = 2.776445
        # (any t table); sqrt(0.45) = 0.670820. Half-width 2.776445 × 0.02 × 0.670820 = 0.037249.
        low, high = importance_interval(np.array([0.05]), np.array([0.02]), 5, 5)
        assert low[0] == pytest.approx(0.05 - 0.037249, abs=1e-6)
        assert high[0] == pytest.approx(0.05 + 0.037249, abs=1e-6)

    def test_one_fold_cannot_tell(self):
        low, high = importance_interval(np.array([0.05]), np.array([np.nan]), 1, 5)
        assert np.isnan(low[0]) and np.isnan(high[0])

    def test_noise_is_rarely_a_driver_and_a_real_effect_is_found(self):
        # 25 simulated tables of 400 customers (seeds 0-24): four columns drawn independently of
        # churn and one with a true effect (log-odds +1 per standard deviation). A column counts as
        # a driver when its 95 % interval lies above 0. One-sided, the nominal false rate is 2.5 %;
        # over 100 noise columns we accept at most 6 % (the plain t interval, without the
        # correction for overlapping folds, measured 5.8 % on whole analyses of such tables), and
        # the true effect must be found in at least 80 % of the tables (measured: 2 false drivers of
        # 100, the effect found in 24 of 25).
        false_drivers = found = 0
        for seed in range(25):
            rng = np.random.default_rng(seed)
            X = pd.DataFrame(rng.normal(size=(400, 5)), columns=["effect", "a", "b", "c", "d"])
            y = rng.random(400) < 1 / (1 + np.exp(-(-1.2 + X["effect"].to_numpy())))
            splits = list(StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y))
            models = [
                build_pipeline("logreg", list(X.columns), []).fit(X.iloc[train], y[train])
                for train, _ in splits
            ]
            importance, _ = fold_permutation_importance(models, X, y, splits, random_state=seed)
            drivers = set(importance.loc[importance["importance_low"] > 0, "column"])
            found += "effect" in drivers
            false_drivers += len(drivers - {"effect"})
        assert false_drivers / 100 <= 0.06
        assert found / 25 >= 0.8
