"""The churn model: both models cross-validated on the same folds, the choice, class weights, workers.

Model tests use small synthetic tables whose signal is known because the test draws it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bsc.churn import analyse_churn, churn_data_from_table, prior_corrected
from bsc.churn import model as churn_model
from bsc.errors import InputError
from tests.churn_tables import signal_table

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


class TestModels:
    def test_auto_picks_the_higher_cross_validated_auc(self):
        # An interaction (churn when x and y share a sign) that boosting finds and a linear model cannot.
        rng = np.random.default_rng(4)
        x, y = rng.normal(size=800), rng.normal(size=800)
        churn = rng.random(800) < np.where(x * y > 0, 0.6, 0.1)
        table = pd.DataFrame({"x": x, "y": y, "churn": churn})
        analysis = analyse_churn(churn_data_from_table(table))
        scores = analysis.model.scores_
        assert analysis.model.chosen_ == "gbm"
        assert analysis.model.margin_ == pytest.approx(scores["gbm"].roc_auc - scores["logreg"].roc_auc)
        assert analysis.model.margin_ > 0.1
        assert "Gradient boosting is used" in analysis.choice

    def test_a_forced_model_is_used(self):
        analysis = analyse_churn(churn_data_from_table(signal_table(300)), model="gbm")
        assert analysis.model.chosen_ == "gbm"
        assert "as chosen" in analysis.choice

    def test_too_few_churners_is_refused(self):
        table = signal_table(100)
        table["Churn"] = ["Yes"] * 4 + ["No"] * 96
        with pytest.raises(InputError, match="Only 4 churners"):
            analyse_churn(churn_data_from_table(table))

    def test_imbalance_is_weighted_and_probabilities_keep_the_real_scale(self):
        rng = np.random.default_rng(8)
        x = rng.normal(size=1500)
        churn = rng.random(1500) < 1 / (1 + np.exp(-(-2.8 + 1.0 * x)))
        table = pd.DataFrame({"x": x, "noise": rng.normal(size=1500), "churn": churn})
        analysis = analyse_churn(churn_data_from_table(table))
        assert analysis.model.class_weight_ == "balanced"
        # Out-of-fold probabilities average to about the churners' share.
        assert analysis.out_of_fold.mean() == pytest.approx(churn.mean(), abs=0.03)

    def test_prior_correction_by_hand(self):
        # logit(0.5) = 0; + log(0.2 / 0.8) = log(0.25); expit(log 0.25) = 0.25 / 1.25 = 0.2.
        assert prior_corrected(np.array([0.5]), 0.2)[0] == pytest.approx(0.2)

    def test_worker_processes_give_the_same_results(self, monkeypatch):
        # Large tables are cross-validated in two worker processes; lower the bar to try it on a small one.
        data = churn_data_from_table(signal_table(300))
        alone = analyse_churn(data, n_jobs=1)
        monkeypatch.setattr(churn_model, "PARALLEL_ROWS", 0)
        together = analyse_churn(data, n_jobs=2)
        for name in ("logreg", "gbm"):
            assert together.model.scores_[name] == alone.model.scores_[name]
        np.testing.assert_allclose(together.out_of_fold, alone.out_of_fold)
        pd.testing.assert_frame_equal(together.model.importance_, alone.model.importance_)

    def test_progress_is_reported(self):
        seen: list[tuple[float, str]] = []
        analyse_churn(
            churn_data_from_table(signal_table(200)),
            progress=lambda f, m: seen.append((f, m)),
        )
        assert seen[0][0] == 0.0 and seen[-1] == (1.0, "Done")
        assert any("Fold 5 of 5" in message for _, message in seen)
        assert [f for f, _ in seen] == sorted(f for f, _ in seen)
