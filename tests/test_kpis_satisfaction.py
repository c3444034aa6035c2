"""Satisfaction KPIs from survey scores kept on a customers table: one answer per customer, undated.

The IBM telco status layout (tests/fixtures/telco_status.csv, invented rows) has a 1–5
"Satisfaction Score" per customer; a "Likelihood to recommend" 0–10 column is NPS. Golden values
are counted from the files with awk (commands in the comments) or worked out by hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bsc import stats
from bsc.kpis import compute_kpis
from bsc.workspace import files_workspace
from tests.conftest import FIXTURES

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def result():
    """The IBM telco status layout's scorecard."""
    with files_workspace([FIXTURES / "telco_status.csv"]) as (tables, refused):
        assert refused == []
        # The customers table also serves as the (undated) survey.
        assert tables["feedback"] == tables["customers"]
        return compute_kpis(tables, period="month", kpis=["csat", "responses", "nps", "churn_rate"])


def _all_time(values: pd.DataFrame, kpi: str) -> pd.Series:
    [row] = values[(values["kpi"] == kpi) & values["segment"].isna()].itertuples(index=False)
    return pd.Series(row._asdict())


class TestCsatFromTheCustomersTable:
    def test_csat_is_the_share_of_4_and_5(self, result):
        # awk -F, 'NR>1 && $4>=4' telco_status.csv | wc -l -> 6 satisfied of 24 customers: 25%.
        csat = _all_time(result.values, "csat")
        assert csat["period"] == "all"
        assert csat["value"] == pytest.approx(100 * 6 / 24)
        assert csat["n"] == 24
        low, high = stats.wilson_interval(pd.Series([6.0]), pd.Series([24.0]), 0.95)
        assert (csat["ci_low"], csat["ci_high"]) == pytest.approx((100 * low[0], 100 * high[0]))

    def test_each_customer_is_one_response(self, result):
        assert _all_time(result.values, "responses")["value"] == 24

    def test_the_kpi_says_where_its_scores_come_from(self, result):
        note = result.notes["csat"]
        assert "one score per customer" in note and "'Satisfaction Score'" in note and "all time" in note

    def test_nps_needs_its_own_column(self, result):
        assert dict(result.unavailable)["nps"]


def test_likelihood_to_recommend_is_nps(tmp_path: Path):
    scores = [10, 9, 9, 8, 7, 6, 10, 10, 9, 2]
    path = tmp_path / "members.csv"
    pd.DataFrame(
        {
            "Member ID": [f"M{i:02d}" for i in range(10)],
            "Likelihood to recommend": scores,
            "Plan": ["A", "B"] * 5,
        }
    ).to_csv(path, index=False)
    with files_workspace([path]) as (tables, _):
        values = compute_kpis(tables, period="quarter", kpis=["nps"]).values
        by_plan = compute_kpis(tables, period="quarter", by="plan", kpis=["nps"]).values
    # Promoters (9–10): 10, 9, 9, 10, 10, 9 = 6; detractors (0–6): 6, 2 = 2; NPS = (6 − 2) / 10 × 100 = 40.
    assert _all_time(values, "nps")["value"] == pytest.approx(40.0)
    # Plan A holds scores 10, 9, 7, 10, 9: 4 promoters, no detractor -> 80.
    plan_a = by_plan[(by_plan["kpi"] == "nps") & (by_plan["segment"] == "A")]
    assert plan_a["value"].tolist() == pytest.approx([80.0])


def test_a_real_survey_takes_precedence(tmp_path: Path):
    customers = tmp_path / "customers.csv"
    pd.DataFrame({"customer_id": ["a", "b"], "Satisfaction Score": [1, 1]}).to_csv(customers, index=False)
    survey = tmp_path / "survey.csv"
    pd.DataFrame(
        {"customer_id": ["a", "b"], "response_date": ["2024-01-03", "2024-01-09"], "csat": [5, 4]}
    ).to_csv(survey, index=False)
    with files_workspace([customers, survey]) as (tables, _):
        assert len(tables["feedback"]) == 1 and tables["feedback"] != tables["customers"]
        result = compute_kpis(tables, period="month", kpis=["csat"])
    # Both survey answers are 4 or 5: CSAT 100% in January 2024; the customers' 1s are not used.
    assert result.values.loc[result.values["segment"].isna(), "value"].tolist() == [100.0]
    assert "csat" not in result.notes
