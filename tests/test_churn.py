"""The churn lab: labels, typing, leaks, honest cross-validation, decisions and the next period.

Golden values are worked out by hand in the comments next to them. Model tests use small
synthetic tables whose signal is known because the test draws it: a logistic model on one
column (learned), and labels drawn independently of every column (not learned).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bsc import churn
from bsc.churn import (
    SMALL_SAMPLE,
    ChurnData,
    LabelDefinition,
    analyse_churn,
    at_risk_customers,
    auc_standard_error,
    calibration_points,
    churn_data_from_files,
    churn_data_from_table,
    churn_data_from_workspace,
    churn_labels,
    cutoff_labels,
    find_label_columns,
    forecast_data,
    gains_points,
    label_sources,
    plan_contacts,
    plan_features,
    predicted_churn,
    predicted_churn_by_segment,
    prior_corrected,
    roc_points,
    single_column_auc,
    typical_customer_value,
)
from bsc.errors import InputError
from bsc.ingest import read_path
from bsc.kpis import compute_kpis
from bsc.store import Store
from bsc.workspace import ensure_demo_workspace

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]

FIXTURES = Path(__file__).parent / "fixtures"


def signal_table(rows: int = 600, seed: int = 1) -> pd.DataFrame:
    """Churn drawn from a logistic model on ``satisfaction`` alone; ``noise`` carries nothing."""
    rng = np.random.default_rng(seed)
    satisfaction = rng.normal(0, 1, rows)
    churn = rng.random(rows) < 1 / (1 + np.exp(-(-1.0 - 2.0 * satisfaction)))
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(rows)],
            "satisfaction": satisfaction.round(3),
            "noise": rng.normal(0, 1, rows).round(3),
            "plan": rng.choice(["Basic", "Plus", "Premium"], rows),
            "Churn": np.where(churn, "Yes", "No"),
        }
    )


def noise_table(rows: int = 600, seed: int = 2) -> pd.DataFrame:
    """Labels drawn independently of every column: nothing can be learned."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": [f"N{i:04d}" for i in range(rows)],
            "a": rng.normal(0, 1, rows),
            "b": rng.normal(0, 1, rows),
            "c": rng.choice(["x", "y", "z"], rows),
            "churned": rng.random(rows) < 0.3,
        }
    )


# --------------------------------------------------------------------------------------------
# The label
# --------------------------------------------------------------------------------------------


class TestLabelColumns:
    @pytest.mark.parametrize(
        ("column", "values", "expected"),
        [
            ("Churn", ["Yes", "No", "No", "Yes"], [True, False, False, True]),
            ("churn", ["1", "0", "0", "1"], [True, False, False, True]),
            ("Churned", ["True", "False", "False", "True"], [True, False, False, True]),
            ("Customer Status", ["Churned", "Stayed", "Stayed", "Churned"], [True, False, False, True]),
            ("Exited", [1, 0, 0, 1], [True, False, False, True]),
            (
                "Attrition_Flag",
                ["Attrited Customer", "Existing Customer", "Existing Customer", "Attrited Customer"],
                [True, False, False, True],
            ),
            ("retained", ["No", "Yes", "Yes", "No"], [True, False, False, True]),
        ],
        ids=["yes-no", "one-zero", "true-false", "churned-stayed", "exited", "attrited", "retained-flips"],
    )
    def test_flag_columns_are_found_and_read(self, column, values, expected):
        frame = pd.DataFrame(
            {"id": ["a", "b", "c", "d"], "Partner": ["Yes", "No", "Yes", "No"], column: values}
        )
        [candidate] = find_label_columns(frame)
        assert candidate.column == column
        assert candidate.kind == "flag"
        assert candidate.churned == 2
        assert churn_labels(frame[column].rename(column)).tolist() == expected

    def test_a_churn_date_is_a_label_filled_for_churners(self):
        frame = pd.DataFrame({"id": ["a", "b", "c"], "churn_date": ["2024-01-05", "", "2024-02-01"]})
        [candidate] = find_label_columns(frame)
        assert (candidate.column, candidate.kind, candidate.churned) == ("churn_date", "date", 2)
        assert churn_labels(frame["churn_date"], "date").tolist() == [True, False, True]

    def test_a_churn_flag_ranks_before_a_churn_date(self):
        frame = pd.DataFrame({"churn_date": ["2024-01-05", "", ""], "churned": ["Yes", "No", "No"]})
        assert [c.column for c in find_label_columns(frame)] == ["churned", "churn_date"]

    def test_the_other_churn_column_is_excluded_as_the_label(self):
        frame = pd.DataFrame(
            {"churned": ["Yes", "No", "No", "Yes"], "churn_date": ["2024-01-05", "", "", "2024-02-01"]}
        )
        data = churn_data_from_table(frame)
        assert data.label_columns == ("churned", "churn_date")

    def test_unknown_words_are_left_out_and_counted(self):
        frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "Churn": ["Yes", "No", "maybe", "No"]})
        data = churn_data_from_table(frame)
        assert data.left_out == 1
        assert data.churned.tolist() == [True, False, False]

    def test_no_churn_column_is_refused(self):
        frame = pd.DataFrame({"x": [1, 2], "Partner": ["Yes", "No"]})
        with pytest.raises(InputError, match="No churn column found"):
            churn_data_from_table(frame)

    def test_a_target_that_is_not_churn_is_refused(self):
        frame = pd.DataFrame({"gender": ["Female", "Male"], "Churn": ["Yes", "No"]})
        with pytest.raises(InputError, match="cannot be read as churn"):
            churn_data_from_table(frame, "gender")
        with pytest.raises(InputError, match="There is no column 'nope'"):
            churn_data_from_table(frame, "nope")


class TestCutoffLabels:
    def test_inactivity_on_a_hand_written_log(self):
        # Cutoff 2024-03-01, window 30 days: active = an order in [2024-01-31, 2024-03-01),
        # churned = no order in [2024-03-01, 2024-03-31).
        log = pd.DataFrame(
            {
                "customer_id": ["A", "A", "B", "C", "D", "D", "E", "E", "F"],
                "date": pd.to_datetime(
                    [
                        "2024-02-10",  # A active...
                        "2024-03-05",  # ...and back after the cutoff: stayed
                        "2024-02-20",  # B active, nothing after: churned
                        "2024-01-05",  # C last ordered before the window: not active, not labelled
                        "2024-01-31",  # D on the first day of the window: active...
                        "2024-03-31",  # ...and its next order is one day too late: churned
                        "2024-02-29",  # E active (leap day)...
                        "2024-03-01",  # ...and orders on the cutoff day itself: stayed
                        "2024-03-10",  # F only orders after the cutoff: not labelled
                    ]
                ),
            }
        )
        labels = cutoff_labels(log, "2024-03-01", 30)
        assert labels["customer_id"].tolist() == ["A", "B", "D", "E"]
        assert labels["churned"].tolist() == [False, True, True, False]

    def test_churn_dates_on_hand_written_customers(self):
        # Cutoff 2024-03-01, window 30 days: churned = churn date in [2024-03-01, 2024-03-31).
        customers = pd.DataFrame(
            {
                "customer_id": ["P", "Q", "R", "S", "T", "U"],
                "signup_date": pd.to_datetime(
                    ["2023-01-01", "2023-05-01", "2023-01-01", "2024-03-05", "2023-01-01", None]
                ),
                "churn_date": pd.to_datetime(
                    [
                        None,  # P never left: stayed
                        "2024-03-15",  # Q left inside the window: churned
                        "2024-02-01",  # R left before the cutoff: not active, not labelled
                        None,  # S signed up after the cutoff: not labelled
                        "2024-03-31",  # T left on the first day after the window: stayed
                        "2024-03-01",  # U (no signup date) left on the cutoff day: churned
                    ]
                ),
            }
        )
        labels = cutoff_labels(pd.DataFrame(), "2024-03-01", 30, churn_dates=customers)
        assert labels["customer_id"].tolist() == ["P", "Q", "T", "U"]
        assert labels["churned"].tolist() == [False, True, False, True]

    def test_a_window_below_one_day_is_refused(self):
        with pytest.raises(InputError, match="whole number of days"):
            cutoff_labels(pd.DataFrame({"customer_id": [], "date": []}), "2024-03-01", 0)

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


# --------------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Models and evaluation
# --------------------------------------------------------------------------------------------


class TestModels:
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
        monkeypatch.setattr(churn, "PARALLEL_ROWS", 0)
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


# --------------------------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------------------------


class TestPlanContacts:
    def test_net_value_by_hand(self):
        # Offer 10, half of contacted churners saved, value 100: gains p × 50 − 10 = 15, 0, −5.
        plan = plan_contacts(np.array([0.2, 0.5, 0.1]), offer_cost=10, save_rate=0.5, customer_value=100)
        assert plan.curve["expected_net_value"].tolist() == [0.0, 15.0, 15.0, 10.0]
        assert plan.contacted == 1
        assert plan.threshold == 0.5
        assert plan.expected_net_value == 15.0
        assert plan.expected_saved == pytest.approx(0.25)
        # Break-even: 10 / (0.5 × 100) = 0.2.
        assert plan.break_even == pytest.approx(0.2)

    def test_nobody_is_contacted_when_no_contact_pays(self):
        plan = plan_contacts(np.array([0.01, 0.02]), offer_cost=50, save_rate=0.5, customer_value=100)
        assert plan.contacted == 0 and plan.expected_net_value == 0.0

    def test_customer_values_order_the_contacts(self):
        # Expected losses p × v: 0.5 × 10 = 5 and 0.2 × 1000 = 200: the second is called first.
        plan = plan_contacts(
            np.array([0.5, 0.2]), offer_cost=1, save_rate=1.0, customer_value=np.array([10.0, 1000.0])
        )
        assert plan.curve["expected_net_value"].tolist() == [0.0, 199.0, 203.0]

    @pytest.mark.parametrize(
        ("cost", "rate", "value", "message"),
        [
            (-1, 0.5, 100, "offer cost"),
            (1, 0, 100, "stay must be above 0"),
            (1, 0.5, 0, "value must be above 0"),
        ],
        ids=["negative-cost", "zero-save-rate", "zero-value"],
    )
    def test_bad_settings_are_refused(self, cost, rate, value, message):
        with pytest.raises(InputError, match=message):
            plan_contacts(np.array([0.5]), offer_cost=cost, save_rate=rate, customer_value=value)


class TestAtRisk:
    def test_riskiest_stayers_with_their_reasons(self):
        analysis = analyse_churn(churn_data_from_table(signal_table()))
        at_risk = at_risk_customers(analysis, top=20)
        assert len(at_risk) == 20
        assert at_risk["churn_probability"].is_monotonic_decreasing
        stayers = set(analysis.data.customers.loc[~analysis.data.churned, "customer_id"])
        assert set(at_risk["customer"]) <= stayers
        # The riskiest customers are the least satisfied: satisfaction is their first reason.
        assert at_risk["reason_1"].str.startswith("Satisfaction:").all()


# --------------------------------------------------------------------------------------------
# Workspaces and the next period
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_tables(tmp_path_factory) -> dict[str, list[Path]]:
    store = Store(tmp_path_factory.mktemp("churn") / "data")
    workspace = ensure_demo_workspace(store)
    tables = store.workspace_tables(workspace.id)
    store.engine.dispose()
    return tables


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

    def test_predicted_churn_of_the_next_month_per_plan(self, demo_tables):
        frame = predicted_churn_by_segment(demo_tables, by="plan", period="month")
        assert frame.columns.tolist() == ["segment", "period", "predicted_churn_rate", "n"]
        assert frame["period"].unique().tolist() == ["2026-11"]
        overall = frame[frame["segment"].isna()].iloc[0]
        per_plan = frame[frame["segment"].notna()]
        assert set(per_plan["segment"]) == {"Basic", "Plus", "Premium"}
        assert per_plan["n"].sum() == overall["n"]
        # The overall rate is the customers-weighted mean of the plans' rates.
        weighted = (per_plan["predicted_churn_rate"] * per_plan["n"]).sum() / per_plan["n"].sum()
        assert overall["predicted_churn_rate"] == pytest.approx(weighted)
        # A monthly churn hazard of about 1 % (the demo's story) puts the month's rate near 1 %.
        assert 0.3 < overall["predicted_churn_rate"] < 3.0
        assert frame.attrs["signal"]

    def test_the_forecast_learns_from_the_churn_labs_default_data(self, demo_tables):
        # The app keeps analyses by fingerprint: the Scorecard's forecast and the churn lab's
        # default settings share one analysis.
        assert (
            forecast_data(demo_tables).fingerprint() == churn_data_from_workspace(demo_tables).fingerprint()
        )

    def test_the_forecast_needs_a_dated_definition(self):
        analysis = analyse_churn(churn_data_from_table(signal_table(300)))
        with pytest.raises(InputError, match="not the churn flag"):
            predicted_churn(analysis)

    def test_customer_value_is_the_median_yearly_clv(self, demo_tables):
        values = compute_kpis(demo_tables, period="year", kpis=["clv"]).values
        yearly = values.loc[values["segment"].isna(), "value"]
        assert typical_customer_value(demo_tables) == pytest.approx(float(np.median(yearly)))

    def test_split_by_an_unknown_attribute_is_refused(self, demo_tables):
        with pytest.raises(InputError, match="customers' attributes"):
            predicted_churn_by_segment(demo_tables, by="nope")

    def test_files_as_the_command_line_reads_them(self):
        data = churn_data_from_files(sorted((Path(__file__).parents[1] / "data" / "demo").glob("*.csv")))
        assert data.definition.source == "churn_date"
        assert data.current is not None and len(data.current) > 0


def test_fingerprint_changes_with_the_data():
    table = signal_table(100)
    first = churn_data_from_table(table)
    changed = table.copy()
    changed.loc[0, "noise"] = 42.0
    assert first.fingerprint() == churn_data_from_table(table.copy()).fingerprint()
    assert first.fingerprint() != churn_data_from_table(changed).fingerprint()


def test_a_hand_built_dataset_runs():
    frame = signal_table(200)
    data = ChurnData(
        customers=frame.drop(columns="Churn"),
        churned=frame["Churn"] == "Yes",
        definition=LabelDefinition("column", "Churn", text="hand-built"),
        id_column="customer_id",
    )
    assert analyse_churn(data).n == 200


class TestCommandLine:
    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bsc", "churn", *args],
            cwd=Path(__file__).parents[1],
            capture_output=True,
            text=True,
            timeout=120,
        )

    def test_json_on_the_telco_table(self):
        result = self.run(str(FIXTURES / "telco_customers.csv"), "--model", "logreg", "--json")
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert {"target", "n", "positives", "model", "roc_auc", "roc_auc_std", "pr_auc", "brier"} <= set(
            summary
        )
        assert {"excluded", "top_features"} <= set(summary)
        # 40 customers, 10 with Churn = Yes (counted in the fixture).
        assert (summary["target"], summary["n"], summary["positives"], summary["model"]) == (
            "Churn",
            40,
            10,
            "logreg",
        )
        assert {
            "column": "customerID",
            "reason": "identifier: a different code for nearly every customer",
        } in (summary["excluded"])
        assert summary["warnings"]

    def test_json_when_the_model_finds_a_signal(self, tmp_path):
        # 600 customers whose churn follows their contract: the model finds a signal, and every
        # figure in the JSON must still be a plain JSON value (no numpy booleans or integers).
        rng = np.random.default_rng(3)
        contract = rng.choice(["Month-to-month", "One year", "Two year"], size=600)
        risk = np.select([contract == "Month-to-month", contract == "One year"], [0.5, 0.15], 0.03)
        table = pd.DataFrame(
            {
                "customerID": [f"C{i:04d}" for i in range(600)],
                "Contract": contract,
                "tenure": rng.integers(1, 72, size=600),
                "Churn": np.where(rng.random(600) < risk, "Yes", "No"),
            }
        )
        path = tmp_path / "contracts.csv"
        table.to_csv(path, index=False)
        result = self.run(str(path), "--json")
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary["signal"] is True
        assert summary["roc_auc"] > 0.7
        assert summary["top_features"][0] == "Contract"

    def test_text_output(self):
        result = self.run(str(FIXTURES / "telco_customers.csv"), "--target", "Churn")
        assert result.returncode == 0, result.stderr
        assert "40 customers, 10 churned (25.0%)" in result.stdout
        assert "excluded: customerID" in result.stdout
        assert "warning: Only 40 customers" in result.stderr

    @pytest.mark.parametrize(
        "args",
        [
            (str(FIXTURES / "telco_customers.csv"), "--target", "gender"),
            (str(FIXTURES / "blank_numbers.csv"),),
            (str(FIXTURES / "garbage.csv"),),
        ],
        ids=["not-a-churn-column", "no-churn-at-all", "unreadable"],
    )
    def test_bad_input_exits_2_with_one_line(self, args):
        result = self.run(*args)
        assert result.returncode == 2
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("error: ")
