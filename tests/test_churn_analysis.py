"""The analysis: a known signal learned, pure noise said to hold none, the small-sample guards.

The tables are synthetic: a logistic model on one column (learned), and labels drawn
independently of every column (not learned).
"""

from __future__ import annotations

import pytest

from bsc.churn import SMALL_SAMPLE, ChurnData, LabelDefinition, analyse_churn, churn_data_from_table
from bsc.ingest import read_path
from tests.churn_tables import noise_table, signal_table
from tests.conftest import FIXTURES

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


class TestAnalysis:
    def test_a_known_signal_is_learned(self):
        analysis = analyse_churn(churn_data_from_table(signal_table()), n_jobs=1)
        assert analysis.scores.roc_auc > 0.75
        assert analysis.has_signal
        assert analysis.model.importance_["column"].iloc[0] == "satisfaction"
        # satisfaction lowers churn: its coefficient is negative.
        coefficients = analysis.model.coefficients_.set_index("term")["coefficient"]
        assert coefficients["satisfaction"] < 0
        assert "no usable signal" not in analysis.verdict

    def test_pure_noise_is_not_learned(self):
        analysis = analyse_churn(churn_data_from_table(noise_table()), n_jobs=1)
        for scores in analysis.model.scores_.values():
            assert abs(scores.roc_auc - 0.5) < 0.08
        assert not analysis.has_signal
        assert "no usable signal" in analysis.verdict

    def test_small_tables_get_a_warning_and_ranges(self):
        data = churn_data_from_table(read_path(FIXTURES / "telco_customers.csv")[0].frame)
        analysis = analyse_churn(data)
        # 40 customers, 10 churners (counted in the fixture): both guards fire.
        assert (analysis.n, analysis.positives) == (40, 10)
        assert analysis.small_sample
        assert any(f"Only 40 customers: at least {SMALL_SAMPLE}" in w for w in analysis.warnings)
        assert any("Only 10 churners" in w for w in analysis.warnings)
        low, high = analysis.auc_interval
        assert high - low > 0.3


def test_a_hand_built_dataset_runs():
    frame = signal_table(200)
    data = ChurnData(
        customers=frame.drop(columns="Churn"),
        churned=frame["Churn"] == "Yes",
        definition=LabelDefinition("column", "Churn", text="hand-built"),
        id_column="customer_id",
    )
    assert analyse_churn(data).n == 200
