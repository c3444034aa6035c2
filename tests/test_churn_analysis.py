"""The analysis: a known signal learned, pure noise said to hold none, the small-sample guards,
a model too good to be true, and drivers within the noise.

The tables are synthetic: a logistic model on one column (learned), labels drawn independently
of every column (not learned), and invented tables in the layouts of the bank churn and IBM
telco status tables (tests/fixtures/churn_*.csv, see tests/fixtures/README.md).
"""

from __future__ import annotations

import pytest

from bsc.churn import (
    SMALL_SAMPLE,
    TOO_GOOD_AUC,
    ChurnData,
    LabelDefinition,
    analyse_churn,
    churn_data_from_table,
)
from bsc.churn.analysis import stratified_sample
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
        assert any(f"Only 40 customers: at least {SMALL_SAMPLE}" in w.message for w in analysis.warnings)
        assert any("Only 10 churners" in w.message for w in analysis.warnings)
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


def _fixture(name: str) -> ChurnData:
    return churn_data_from_table(read_path(FIXTURES / name)[0].frame)


class TestTooGoodToBeTrue:
    def test_a_renamed_churn_score_included_by_hand_is_named(self):
        analysis = analyse_churn(_fixture("churn_ibm_status_sample.csv"), include=["Propensity Score"])
        auc = analysis.scores.roc_auc
        assert auc > TOO_GOOD_AUC  # 0.97 on this file; 0.98 on the public table
        warning = analysis.too_good
        assert warning is not None and warning.feature == "Propensity Score"
        assert warning.message.startswith(
            f"Too good to be true: the model ranks churners almost perfectly (cross-validated ROC AUC {auc:.2f}"
        )
        assert "“Propensity Score” carries it" in warning.message
        # Its own AUC, 0.9445 (computed independently in test_churn_feature_plan), is quoted.
        assert "on its own it reaches an AUC of 0.94" in warning.message
        assert analysis.summary()["warnings"][0] == {
            "kind": "too_good",
            "message": warning.message,
            "feature": "Propensity Score",
        }

    def test_left_out_by_default_the_model_is_honest(self):
        analysis = analyse_churn(_fixture("churn_ibm_status_sample.csv"))
        assert not analysis.plan.decision("Propensity Score").used
        # Satisfaction alone is left: 0.76 on this file.
        assert analysis.scores.roc_auc < TOO_GOOD_AUC
        assert analysis.too_good is None


class TestDrivers:
    def test_only_real_drivers_are_listed(self):
        analysis = analyse_churn(_fixture("churn_bank_sample.csv"))
        summary = analysis.summary()
        # The fixture draws churn from Age, IsActiveMember and Geography = Germany only. On 500
        # customers Age and activity stand out; Geography's effect is real but within the noise.
        assert summary["top_features"] == ["Age", "IsActiveMember"]
        noise = set(summary["features_within_noise"])
        assert {"CreditScore", "Tenure", "Balance", "HasCrCard", "EstimatedSalary", "NumOfProducts"} <= noise
        # The surname is not a driver, nor noise: it is left out as an identifier.
        assert "Surname" in {item["column"] for item in summary["excluded"]}
        assert "Surname" not in noise and "Surname" not in summary["top_features"]
        used = {d.column for d in analysis.plan.used}
        assert set(summary["top_features"]) | noise == used
        low = analysis.drivers["importance_low"]
        assert (low > 0).all()


class TestTrainingSample:
    def test_a_bound_learns_from_a_stratified_sample_and_says_so(self):
        data = churn_data_from_table(signal_table(1000))
        churners = int(data.churned.sum())
        analysis = analyse_churn(data, max_customers=400)
        assert analysis.n == 400
        # Churners keep their share: round(400 × churners / 1000), counted from the table.
        assert analysis.positives == round(400 * churners / 1000)
        sampled = [w for w in analysis.warnings if w.kind == "sampled"]
        assert len(sampled) == 1
        assert "sample of 400 of the 1,000 labelled customers" in sampled[0].message
        # The signal is still learned from the sample.
        assert analysis.model.importance_["column"].iloc[0] == "satisfaction"

    def test_the_sample_is_seeded_and_keeps_rows_in_order(self):
        data = churn_data_from_table(signal_table(1000))
        first = stratified_sample(data, 300, random_state=5)
        again = stratified_sample(data, 300, random_state=5)
        assert first.customers["customer_id"].tolist() == again.customers["customer_id"].tolist()
        ids = first.customers["customer_id"].tolist()
        assert ids == sorted(ids) and len(set(ids)) == 300
        # Each sampled customer keeps its own label.
        labels = dict(zip(data.customers["customer_id"], data.churned, strict=True))
        assert [labels[i] for i in ids] == first.churned.tolist()

    def test_no_sample_under_the_bound(self):
        analysis = analyse_churn(churn_data_from_table(signal_table(300)), max_customers=300)
        assert analysis.n == 300
        assert not any(w.kind == "sampled" for w in analysis.warnings)
