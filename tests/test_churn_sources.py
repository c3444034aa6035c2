"""Workspace sources: the demo company's churn definitions, features before the cutoff, files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bsc.churn import (
    analyse_churn,
    at_risk_customers,
    churn_data_from_files,
    churn_data_from_workspace,
    label_sources,
)
from bsc.churn.analysis import stratified_sample
from tests.churn_tables import demo_workspace_tables

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


class TestWorkspaceFeatures:
    def test_workspace_features_use_no_data_after_the_cutoff(self, tmp_path):
        # Two workspaces that agree before the cutoff (2024-03-01) and differ after it: the
        # training rows must be identical. Frequency and spend are worked out by hand.
        def workspace(folder: Path, late_amount: float, late_nps: float) -> dict[str, list[Path]]:
            folder.mkdir()
            orders = pd.DataFrame(
                {
                    # Z's only order, on the last day, makes the data end on 2024-03-31.
                    "customer_id": pd.Series(["A", "A", "B", "A", "B", "Z"], dtype="string"),
                    "date": pd.to_datetime(
                        ["2024-02-01", "2024-02-15", "2024-02-20", "2024-03-05", "2024-03-20", "2024-03-31"]
                    ).astype("datetime64[us]"),
                    "amount": [10.0, 20.0, 5.0, late_amount, late_amount, 1.0],
                }
            )
            surveys = pd.DataFrame(
                {
                    "customer_id": pd.Series(["A", "B", "A"], dtype="string"),
                    "date": pd.to_datetime(["2024-02-10", "2024-02-11", "2024-03-10"]).astype(
                        "datetime64[us]"
                    ),
                    "nps": [9.0, 3.0, late_nps],
                }
            )
            orders.to_parquet(folder / "orders.parquet")
            surveys.to_parquet(folder / "surveys.parquet")
            return {"transactions": [folder / "orders.parquet"], "feedback": [folder / "surveys.parquet"]}

        early = churn_data_from_workspace(
            workspace(tmp_path / "one", 1.0, 0.0), source="inactivity", cutoff="2024-03-01", horizon_days=30
        )
        late = churn_data_from_workspace(
            workspace(tmp_path / "two", 999.0, 10.0),
            source="inactivity",
            cutoff="2024-03-01",
            horizon_days=30,
        )
        rows = early.customers.set_index("customer_id")
        # A: 2 orders before the cutoff, 10 + 20 = 30; NPS 9 (the 2024-03-10 answer is later).
        # B: 1 order, 5; NPS 3.
        assert rows.loc["A", ["frequency", "monetary", "nps_mean"]].tolist() == [2.0, 30.0, 9.0]
        assert rows.loc["B", ["frequency", "monetary", "nps_mean"]].tolist() == [1.0, 5.0, 3.0]
        pd.testing.assert_frame_equal(early.customers, late.customers)
        # Both ordered again in [2024-03-01, 2024-03-31): nobody churned.
        assert early.churned.tolist() == [False, False]
        assert early.definition.cutoff == pd.Timestamp("2024-03-01")


@pytest.fixture(scope="module")
def demo_tables(tmp_path_factory) -> dict[str, list[Path]]:
    return demo_workspace_tables(tmp_path_factory.mktemp("churn"))


class TestDemoCompany:
    def test_definitions_on_offer(self, demo_tables):
        assert label_sources(demo_tables) == ["churn_date", "inactivity", "column"]

    def test_satisfaction_and_support_drive_churn(self, demo_tables):
        data = churn_data_from_workspace(demo_tables)
        # The demo ends on 2026-10-31; a 365-day window from the cutoff 2025-11-01 ends there.
        assert data.definition.cutoff == pd.Timestamp("2025-11-01")
        analysis = analyse_churn(data, n_jobs=1)
        assert analysis.has_signal
        groups = analysis.model.group_importance_["group"].tolist()
        assert groups[:2] == ["Satisfaction (surveys)", "Support experience (tickets)"]
        at_risk = at_risk_customers(analysis, top=10)
        reasons = " ".join(at_risk[["reason_1", "reason_2", "reason_3"]].to_numpy().ravel())
        assert "NPS" in reasons or "CSAT" in reasons or "CES" in reasons

    def test_the_churn_flag_leaves_out_what_churners_stopped_adding_to(self, demo_tables):
        data = churn_data_from_workspace(demo_tables, source="column")
        plan = analyse_churn(data, n_jobs=1).plan
        for column in ("recency_days", "frequency", "tickets"):
            assert plan.decision(column).leak and not plan.decision(column).used
        assert plan.decision("nps_mean").used

    def test_files_as_the_command_line_reads_them(self):
        data = churn_data_from_files(sorted((Path(__file__).parents[1] / "data" / "demo").glob("*.csv")))
        assert data.definition.source == "churn_date"
        assert data.current is not None and len(data.current) > 0


class TestSampledPreparation:
    """Prepared as a sample (``sample=``), the data holds the rows the analysis drew from all
    labelled customers' data, and the analysis is the same."""

    # Golden values from the code before the sample was drawn while preparing (commit 5bcfbd7:
    # stratified_sample(churn_data_from_workspace(demo, source=...), 500, random_state=0)).
    @pytest.mark.parametrize(
        ("source", "labelled", "churners", "first", "last"),
        [
            ("churn_date", 1729, 62, ["C000001", "C000002", "C000007", "C000009", "C000010"], "C002111"),
            ("inactivity", 1684, 79, ["C000001", "C000005", "C000006", "C000010", "C000012"], "C002104"),
        ],
    )
    def test_the_same_sample_and_model_inputs(self, demo_tables, source, labelled, churners, first, last):
        whole = churn_data_from_workspace(demo_tables, source=source)
        sampled = churn_data_from_workspace(demo_tables, source=source, sample=500)
        drawn = stratified_sample(whole, 500, random_state=0)
        pd.testing.assert_frame_equal(sampled.customers, drawn.customers)
        pd.testing.assert_series_equal(sampled.churned, drawn.churned)
        pd.testing.assert_frame_equal(sampled.current, whole.current)
        assert sampled.population == labelled == len(whole.churned)
        assert int(sampled.churned.sum()) == churners
        assert sampled.customers["customer_id"].head(5).tolist() == first
        assert sampled.customers["customer_id"].iloc[-1] == last
        # The definition counts every labelled customer, not the sample.
        assert sampled.definition == whole.definition
        assert (sampled.labels, sampled.groups, sampled.skewed) == (whole.labels, whole.groups, whole.skewed)

    def test_the_same_analysis(self, demo_tables):
        whole = analyse_churn(churn_data_from_workspace(demo_tables), max_customers=500, n_jobs=1)
        sampled = analyse_churn(
            churn_data_from_workspace(demo_tables, sample=500), max_customers=500, n_jobs=1
        )
        assert sampled.summary() == whole.summary()
        # The code before (commit 5bcfbd7) gave: logistic regression, ROC AUC 0.6931, 62 churners.
        assert (sampled.summary()["model"], sampled.summary()["roc_auc"]) == ("logreg", 0.6931)
        assert sampled.positives == 62
        assert "sample of 500 of the 1,729 labelled customers" in sampled.warnings[0].message
        pd.testing.assert_frame_equal(sampled.data.customers, whole.data.customers)
        assert sampled.data.fingerprint() == whole.data.fingerprint()

    def test_no_sample_at_or_under_the_bound(self, demo_tables):
        whole = churn_data_from_workspace(demo_tables)
        sampled = churn_data_from_workspace(demo_tables, sample=len(whole.churned))
        assert sampled.population is None
        pd.testing.assert_frame_equal(sampled.customers, whole.customers)
        assert sampled.fingerprint() == whole.fingerprint()


def test_a_users_tickets_column_is_not_taken_for_the_computed_ticket_count():
    from bsc.churn.sources import _after_churn

    # Without a clash the computed count is "tickets"; with one, it is "support_tickets" and
    # the user's own "tickets" column is not flagged as counted after churn.
    assert _after_churn(["customer_id", "tickets", "frequency"]) == ["frequency", "tickets"]
    assert _after_churn(["tickets", "support_tickets", "monetary"]) == ["monetary", "support_tickets"]
