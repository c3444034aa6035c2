"""The feature plan: typing every column, identifiers, and leaks left out with their reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bsc.churn import analyse_churn, churn_data_from_table, plan_features, single_column_auc
from bsc.ingest import read_path
from tests.churn_tables import signal_table
from tests.conftest import FIXTURES

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


class TestFeaturePlan:
    def test_numbers_stored_as_text_with_blanks(self):
        frame = read_path(FIXTURES / "blank_numbers.csv")[0].frame
        churned = pd.Series([False] * len(frame))
        plan = plan_features(frame, churned)
        assert plan.decision("total_charges").type == "number"
        assert plan.decision("customer_id").type == "id"
        values = plan.features(frame)["total_charges"]
        # blank_numbers.csv: 29.85, " ", "", "1,840.75".
        assert values.iloc[0] == 29.85
        assert np.isnan(values.iloc[1]) and np.isnan(values.iloc[2])
        assert values.iloc[3] == 1840.75

    def test_telco_columns_are_typed(self):
        frame = read_path(FIXTURES / "telco_customers.csv")[0].frame
        data = churn_data_from_table(frame)
        plan = plan_features(data.customers, data.churned, label_columns=data.label_columns)
        types = {d.column: d.type for d in plan.decisions}
        assert types["customerID"] == "id"
        assert types["Churn"] == "label"
        assert types["TotalCharges"] == "number"
        assert types["tenure"] == "number"
        assert types["Contract"] == "category"
        assert types["SeniorCitizen"] == "flag"
        assert types["Partner"] == "flag"
        # The fixture's README: TotalCharges is blank for customers in their first month.
        assert "blank" in plan.decision("TotalCharges").reason

    def test_dates_become_ages_in_days(self):
        frame = pd.DataFrame({"signup": ["2024-01-01", "2024-02-01", ""], "x": [1.0, 2.0, 3.0]})
        plan = plan_features(
            frame, pd.Series([True, False, False]), reference_date=pd.Timestamp("2024-03-01")
        )
        ages = plan.features(frame)["signup"]
        # 2024-01-01 -> 2024-03-01: 31 + 29 = 60 days; 2024-02-01 -> 2024-03-01: 29 days.
        assert ages.iloc[:2].tolist() == [60.0, 29.0]
        assert np.isnan(ages.iloc[2])

    @pytest.mark.parametrize(
        ("values", "kind"),
        [
            (["same"] * 6, "constant"),
            ([None] * 6, "empty"),
            (
                [
                    "a long free comment",
                    "another note here",
                    "a third remark",
                    "more text",
                    "yet more",
                    "last",
                ],
                "text",
            ),
            ([1, 2, 3, 4, 5, 6], "id"),
        ],
        ids=["constant", "empty", "free-text", "row-counter"],
    )
    def test_unusable_columns_are_left_out(self, values, kind):
        frame = pd.DataFrame({"RowNumber" if kind == "id" else "column": values})
        decision = plan_features(frame, pd.Series([True, False] * 3)).decisions[0]
        assert decision.type == kind
        assert not decision.used

    def test_include_and_exclude_override_the_checks(self):
        table = signal_table(200)
        data = churn_data_from_table(table)
        plan = plan_features(
            data.customers,
            data.churned,
            label_columns=data.label_columns,
            include=["customer_id"],
            exclude=["noise"],
        )
        assert not plan.decision("noise").used and plan.decision("noise").reason == "left out by you"
        # Any column but an empty one can be included by hand, even an identifier.
        assert plan.decision("customer_id").used


class TestLeaks:
    def planted(self) -> tuple[pd.DataFrame, pd.Series]:
        table = signal_table(400)
        churned = table["Churn"] == "Yes"
        rng = np.random.default_rng(5)
        # A status code derived from the label, with a little noise: separates almost perfectly.
        table["account_score"] = np.where(churned, 90, 10) + rng.normal(0, 5, len(table))
        table["cancel_reason"] = np.where(churned, "Price", "")
        table["closed_on"] = np.where(churned, "2024-05-01", "")
        return table, churned

    def test_planted_leaks_are_excluded_with_reasons(self):
        table, _ = self.planted()
        analysis = analyse_churn(churn_data_from_table(table))
        plan = analysis.plan
        score = plan.decision("account_score")
        assert score.leak and not score.used
        assert "almost perfectly" in score.reason and score.single_auc >= 0.95
        for column in ("cancel_reason", "closed_on"):
            assert plan.decision(column).leak, column
            assert "name ties it to churn" in plan.decision(column).reason
        assert plan.decision("satisfaction").used and not plan.decision("satisfaction").leak
        excluded = {item["column"] for item in analysis.summary()["excluded"]}
        assert {"account_score", "cancel_reason", "closed_on", "Churn", "customer_id"} == excluded

    def test_a_leak_can_be_included_by_hand(self):
        table, churned = self.planted()
        plan = plan_features(table, churned, label_columns=["Churn"], include=["account_score"])
        assert plan.decision("account_score").used
        assert "flagged" in plan.decision("account_score").reason

    def test_single_column_auc_by_hand(self):
        # Churners score 2 and 4, stayers 1 and 3: pairs (2>1, 2<3, 4>1, 4>3) -> 3 of 4 = 0.75.
        # The block is repeated 3 times (at least 5 of each class are needed); the share stays
        # 27 of 36 pairs = 0.75, with no tie between a churner and a stayer.
        churned = np.array([False, False, True, True] * 3)
        values = pd.Series([1.0, 3.0, 2.0, 4.0] * 3)
        assert single_column_auc(values, churned) == pytest.approx(0.75)

    def test_filled_only_for_churners_scores_one(self):
        churned = np.array([True] * 6 + [False] * 6)
        values = pd.Series([5.0, 1.0, 3.0, 2.0, 8.0, 4.0] + [np.nan] * 6)
        assert single_column_auc(values, churned) == 1.0
