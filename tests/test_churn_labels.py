"""The churn label: churn columns found and read, labels after a cutoff, the data's fingerprint.

Golden values are worked out by hand in the comments next to them.
"""

from __future__ import annotations

import pandas as pd
import pytest

from bsc.churn import (
    churn_data_from_table,
    churn_labels,
    cutoff_labels,
    find_label_columns,
    inactivity_churn_labels,
)
from bsc.churn.labels import stratified_rows
from bsc.errors import InputError
from bsc.kpis import KpiParams, compute_kpis
from tests.churn_tables import signal_table
from tests.conftest import write_tables

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


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


# Five customers, the churn-rate KPI's inactivity rule with a 90-day window, March 2025
# (1 March − 90 days = 1 December 2024: Dec 31 + Jan 31 + Feb 28 days).
FIVE_CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["A", "B", "B", "B", "C", "C", "D", "D", "E", "E"],
        "date": pd.to_datetime(
            [
                "2024-12-01",  # A: active (first day of [1 Dec, 1 Mar)); churn date 1 Dec + 90 = 1 Mar: churned
                "2024-12-10",  # B: active...
                "2025-02-20",  # ...churn date would be 21 May...
                "2025-04-10",  # ...but this order keeps the spell going to 9 Jul: stayed (the log's last day)
                "2024-12-20",  # C: active; next order 95 days later, so churn date 20 Dec + 90 = 20 Mar...
                "2025-03-25",  # ...churned in March, although back on 25 Mar (a new spell; the KPI counts it)
                "2024-11-20",  # D: churn date 18 Feb, before March: not active on 1 Mar...
                "2025-03-10",  # ...a new spell in March: not in March's base
                "2024-12-31",  # E: active; churn date would be 31 Mar...
                "2025-03-31",  # ...but the next order is exactly 90 days later, not more: stayed
            ]
        ),
        "amount": [10.0] * 10,
    }
)


class TestInactivityChurnLabels:
    def test_the_labels_of_five_customers_by_hand(self):
        labels = inactivity_churn_labels(FIVE_CUSTOMERS, "2025-03-01", 31, 90)
        # By hand (comments of FIVE_CUSTOMERS): active A, B, C, E; churned A and C.
        assert labels["customer_id"].tolist() == ["A", "B", "C", "E"]
        assert labels["churned"].tolist() == [True, False, True, False]
        # The lab's own rule over 90 days (an order in the 90 days before 1 March, none in the 90
        # from it) keeps C, who came back: the two rules differ on C.
        lab = cutoff_labels(FIVE_CUSTOMERS, "2025-03-01", 90).set_index("customer_id")["churned"]
        assert not lab["C"]

    def test_the_labels_are_the_kpis_churned_customers(self, tmp_path):
        tables = write_tables(tmp_path, {"transactions": FIVE_CUSTOMERS})
        values = compute_kpis(
            tables, period="month", kpis=["churn_rate"], params=KpiParams(inactivity_days=90)
        ).values
        march = values[values["segment"].isna()].set_index("period").loc["2025-03"]
        # The KPI: 2 churned (A, C) of 4 active on 1 March (A, B, C, E) = 50 %.
        assert (march["numerator"], march["denominator"], march["value"]) == (2, 4, 50.0)
        labels = inactivity_churn_labels(FIVE_CUSTOMERS, "2025-03-01", 31, 90)
        assert (labels["churned"].sum(), len(labels)) == (2, 4)

    def test_a_window_below_one_day_is_refused(self):
        with pytest.raises(InputError, match="inactivity window"):
            inactivity_churn_labels(FIVE_CUSTOMERS, "2025-03-01", 31, 0)


def test_fingerprint_changes_with_the_data():
    table = signal_table(100)
    first = churn_data_from_table(table)
    changed = table.copy()
    changed.loc[0, "noise"] = 42.0
    assert first.fingerprint() == churn_data_from_table(table.copy()).fingerprint()
    assert first.fingerprint() != churn_data_from_table(changed).fingerprint()


def test_stratified_rows_draw_as_the_analysis_drew():
    # Golden values from the sample drawn before the drawing moved here (commit 5bcfbd7's
    # stratified_sample(churn_data_from_table(signal_table(1000)), 300, random_state=5)):
    # 111 of the table's 369 churners (round(300 × 369 / 1000)), rows C0000, C0001, C0002,
    # C0004, ... C0995, whose numbers add up to 145,142.
    data = churn_data_from_table(signal_table(1000))
    rows = stratified_rows(data.churned.to_numpy(), 300, random_state=5)
    assert len(rows) == 300 and int(data.churned.sum()) == 369
    assert int(data.churned.to_numpy()[rows].sum()) == 111
    assert rows[:4].tolist() == [0, 1, 2, 4] and rows[-1] == 995
    assert int(rows.sum()) == 145_142
    # At most as many rows as asked: every row, in order.
    assert stratified_rows(data.churned.to_numpy()[:50], 300).tolist() == list(range(50))
