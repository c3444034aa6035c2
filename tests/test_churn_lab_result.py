"""What the Churn lab keeps of an analysis: the same figures as the analysis, kept as data that a
new results cache on the same folder reads back whole.

The tables are synthetic (tests/churn_tables.py): a logistic model on one column (learned) and
labels drawn independently of every column (not learned).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bsc.churn import (
    analyse_churn,
    at_risk_customers,
    churn_data_from_table,
    roc_points,
    scored_customers,
)
from bsc.churn.lab_result import ChurnLabResult, churn_lab_result
from bsc.results_cache import ResultsCache
from tests.churn_tables import noise_table, signal_table

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
]


@pytest.fixture(scope="module")
def signal_analysis():
    return analyse_churn(churn_data_from_table(signal_table()), n_jobs=1)


class TestLabResult:
    def test_the_figures_are_the_analysis_figures(self, signal_analysis):
        lab = churn_lab_result(signal_analysis, listed=50)
        # Independently of the summary: read straight from the analysis.
        assert (lab.n, lab.positives) == (signal_analysis.n, signal_analysis.positives)
        assert lab.scores == signal_analysis.scores
        assert lab.verdict == signal_analysis.verdict and lab.has_signal
        assert lab.chosen == signal_analysis.model.chosen_
        assert list(lab.drivers["column"]) == list(signal_analysis.drivers["column"])
        assert lab.drivers["name"].iloc[0] == signal_analysis.plan.label("satisfaction")
        truth = signal_analysis.data.churned.to_numpy(dtype=bool)
        pd.testing.assert_frame_equal(lab.roc, roc_points(truth, signal_analysis.out_of_fold))
        _, probability = scored_customers(signal_analysis)
        np.testing.assert_array_equal(lab.probability["churn_probability"].to_numpy(), probability)
        assert len(lab.columns) == len(signal_analysis.plan.decisions)

    def test_a_shorter_list_is_the_head_of_the_longer(self, signal_analysis):
        # The page lists between 20 and LISTED customers: each list must be the head of the kept one.
        lab = churn_lab_result(signal_analysis, listed=50)
        pd.testing.assert_frame_equal(
            lab.at_risk.head(20), at_risk_customers(signal_analysis, top=20), check_dtype=False
        )

    def test_no_signal_no_list(self):
        lab = churn_lab_result(analyse_churn(churn_data_from_table(noise_table()), n_jobs=1))
        assert not lab.has_signal
        assert lab.at_risk.empty and lab.probability.empty

    def test_kept_and_read_back_by_a_new_cache(self, signal_analysis, tmp_path: Path):
        lab = churn_lab_result(signal_analysis, listed=50)
        ResultsCache(tmp_path).put("churn_lab-x", lab)
        # A new cache on the same folder, as after a server restart.
        back = ResultsCache(tmp_path).get("churn_lab-x")
        assert isinstance(back, ChurnLabResult)
        assert back.scores == lab.scores and back.model_scores == lab.model_scores
        assert (back.verdict, back.choice, back.warnings, back.within_noise) == (
            lab.verdict,
            lab.choice,
            lab.warnings,
            lab.within_noise,
        )
        for name in ("drivers", "coefficients", "roc", "calibration", "gains", "probability", "columns"):
            pd.testing.assert_frame_equal(getattr(back, name), getattr(lab, name), check_dtype=False)
        pd.testing.assert_frame_equal(back.at_risk, lab.at_risk, check_dtype=False)
