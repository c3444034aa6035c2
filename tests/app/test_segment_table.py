"""The Scorecard's segments-side-by-side table (ui/segment_table.py): its cells and their colours."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from bsc.kpis.compare import compare_segments
from tests.test_kpis_compare import _churn_rows, _frame
from ui.segment_table import comparison_layout


def _telco_comparison() -> pd.DataFrame:
    # The IBM telco churn by contract (tests/test_kpis_compare.py): 1869 of 7043 churned in
    # all, 1655/3875 month-to-month, 166/1473 one-year, 48/1695 two-year contracts.
    return compare_segments(_frame(_churn_rows("2026-10")))


def test_cells_give_value_and_n_and_mark_only_real_differences():
    cells, verdicts = comparison_layout(_telco_comparison(), ["nps", "churn_rate", "revenue"])
    # 1869/7043 = 26.54%, 1655/3875 = 42.71%, 166/1473 = 11.27%, 48/1695 = 2.832% (by hand);
    # each differs from the rest with p < 1e-49, so each is marked (▲ higher churn: worse).
    assert cells.to_dict("index") == {
        "Churn rate": {
            "All customers": "26.5% · n 7,043",
            "Month-to-month": "42.7% ▲ · n 3,875",
            "One year": "11.3% ▼ · n 1,473",
            "Two year": "2.83% ▼ · n 1,695",
        }
    }
    assert verdicts.to_dict("index") == {
        "Churn rate": {
            "All customers": "",
            "Month-to-month": "worse",
            "One year": "better",
            "Two year": "better",
        }
    }


def test_rows_follow_the_kpi_order_and_a_missing_segment_cell_stays_empty():
    comparison = _telco_comparison()
    retention = comparison[comparison["segment"] != "Two year"].assign(
        kpi="retention_rate", real=False, verdict="within noise"
    )
    cells, verdicts = comparison_layout(
        pd.concat([comparison, retention], ignore_index=True), ["retention_rate", "churn_rate"]
    )
    assert list(cells.index) == ["Retention rate", "Churn rate"]
    assert cells.loc["Retention rate", "Two year"] == "" and verdicts.loc["Retention rate", "Two year"] == ""
    # Not real: no mark and no colour.
    assert cells.loc["Retention rate", "One year"] == "11.3% · n 1,473"
    assert verdicts.loc["Retention rate", "One year"] == ""


def _draw_both_ways() -> None:
    # Runs as an app script: the table laid out from a hash of the comparison, then under the
    # name of the KPI frame it follows from.
    from tests.app.test_segment_table import _telco_comparison
    from ui.segment_table import segment_table

    segment_table(_telco_comparison(), ["churn_rate"], "Contract")
    segment_table(
        _telco_comparison(), ["churn_rate"], "Contract", source=("fingerprint", "month", "contract", None)
    )


def test_a_table_kept_under_its_kpi_frame_draws_the_same_cells():
    at = AppTest.from_function(_draw_both_ways, default_timeout=60).run()
    assert not at.exception
    hashed, named = at.table
    pd.testing.assert_frame_equal(hashed.value, named.value)
    assert hashed.value.loc["Churn rate", "One year"] == "11.3% ▼ · n 1,473"
