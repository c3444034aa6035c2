"""Segments side by side (bsc.kpis.compare): each segment against the rest, adjusted across the table.

Golden p-values are computed here independently of bsc, from the raw counts or answers, with
scipy: ``chi2_contingency(correction=False)`` on the 2×2 table (the pooled two-proportion z-test
squared), ``ttest_ind(equal_var=False)`` on the raw answers (Welch), and a z-test of two NPS
with each sample's population variance of its +1/0/-1 scores (Rocks 2016, as bsc.stats cites).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from bsc.kpis import KPIS, compute_kpis, latest_basis
from bsc.kpis.compare import COMPARISON_COLUMNS, _cell, compare_segments
from bsc.store import Store
from bsc.workspace import ensure_demo_workspace

# The public IBM telco churn table's churned / customers per contract (see
# tests/fixtures/churn_make_fixtures.py): 1655/3875, 166/1473, 48/1695; 1869/7043 in all.
TELCO = {"Month-to-month": (1655, 3875), "One year": (166, 1473), "Two year": (48, 1695)}


def _row(kpi: str, period: str, segment: str | None, **figures: float) -> dict:
    return {
        "kpi": kpi,
        "period": period,
        "segment": segment,
        "value": figures.get("value", math.nan),
        "numerator": figures.get("numerator", math.nan),
        "denominator": figures.get("denominator", math.nan),
        "n": figures.get("n"),
        "std_error": figures.get("std_error", math.nan),
        "complete": figures.get("complete", True),
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["segment"] = frame["segment"].astype("string")
    frame["n"] = frame["n"].astype("Int64")
    return frame


def _churn_rows(period: str = "all") -> list[dict]:
    rows = [
        _row("churn_rate", period, None, value=100 * 1869 / 7043, numerator=1869, denominator=7043, n=7043)
    ]
    for segment, (churned, total) in TELCO.items():
        rows.append(
            _row(
                "churn_rate",
                period,
                segment,
                value=100 * churned / total,
                numerator=churned,
                denominator=total,
                n=total,
            )
        )
    return rows


def _two_by_two_p(churned: int, total: int) -> float:
    rest_churned, rest_total = 1869 - churned, 7043 - total
    table = [[churned, total - churned], [rest_churned, rest_total - rest_churned]]
    return scipy_stats.chi2_contingency(table, correction=False).pvalue


def _bh(p_values: list[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values by the step-up formula, written out by hand."""
    p = np.asarray(p_values)
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    result = np.empty_like(adjusted)
    result[order] = np.minimum(adjusted, 1.0)
    return result


class TestProportions:
    def test_undated_churn_by_contract_against_the_rest(self):
        table = compare_segments(_frame(_churn_rows()))
        assert list(table.columns) == COMPARISON_COLUMNS
        assert list(table["segment"]) == list(TELCO)
        assert set(table["period"]) == {"all"}
        # 42.7%, 11.3%, 2.8% as the public table gives them.
        assert [round(v, 1) for v in table["value"]] == [42.7, 11.3, 2.8]
        assert list(table["n"]) == [3875, 1473, 1695]
        assert table["all_value"].iloc[0] == pytest.approx(26.537, abs=1e-3)
        golden = [_two_by_two_p(*TELCO[s]) for s in TELCO]
        assert table["p_value"].to_numpy() == pytest.approx(golden, rel=1e-9)
        # Rest of month-to-month: (1869 - 1655) / (7043 - 3875) = 214 / 3168 = 6.755%.
        assert table["rest_value"].iloc[0] == pytest.approx(100 * 214 / 3168)
        assert table["p_adjusted"].to_numpy() == pytest.approx(_bh(golden), rel=1e-9)
        # Churn: lower is better.
        assert list(table["verdict"]) == ["worse", "better", "better"]

    def test_latest_whole_period_not_the_partial_one(self):
        rows = _churn_rows("2026-09") + [
            {**row, "period": "2026-10", "complete": False} for row in _churn_rows("2026-10")
        ]
        table = compare_segments(_frame(rows))
        assert set(table["period"]) == {"2026-09"}


class TestMeansAndNps:
    def test_welch_and_nps_against_the_rest_match_scipy_on_raw_answers(self):
        rng = np.random.default_rng(3)
        ces = {"A": rng.integers(1, 8, 60).astype(float), "B": rng.integers(2, 8, 90).astype(float)}
        scores = {
            "A": rng.choice([100, 0, -100], 80, p=[0.6, 0.25, 0.15]),
            "B": rng.choice([100, 0, -100], 120),
        }
        rows = []
        for segment, answers in [(None, np.concatenate(list(ces.values()))), *ces.items()]:
            rows.append(
                _row(
                    "ces",
                    "all",
                    segment,
                    value=answers.mean(),
                    n=len(answers),
                    std_error=answers.std(ddof=1) / math.sqrt(len(answers)),
                )
            )
        for segment, answers in [(None, np.concatenate(list(scores.values()))), *scores.items()]:
            rows.append(
                _row(
                    "nps",
                    "all",
                    segment,
                    value=answers.mean(),
                    n=len(answers),
                    std_error=answers.std(ddof=0) / math.sqrt(len(answers)),
                )
            )
        table = compare_segments(_frame(rows)).set_index(["kpi", "segment"])
        # Two segments: A's rest is B. Welch on the raw answers, two-sided.
        welch = scipy_stats.ttest_ind(ces["A"], ces["B"], equal_var=False).pvalue
        assert table.loc[("ces", "A"), "p_value"] == pytest.approx(welch, rel=1e-6)
        assert table.loc[("ces", "A"), "rest_value"] == pytest.approx(ces["B"].mean())
        a, b = scores["A"], scores["B"]
        z = (a.mean() - b.mean()) / math.sqrt(a.var() / len(a) + b.var() / len(b))
        assert table.loc[("nps", "A"), "p_value"] == pytest.approx(2 * scipy_stats.norm.sf(abs(z)), rel=1e-6)
        assert table.loc[("nps", "B"), "rest_value"] == pytest.approx(a.mean())

    def test_counts_are_shown_untested(self):
        rows = [
            _row("active_customers", "2026-10", None, value=300, numerator=300, n=300),
            _row("active_customers", "2026-10", "A", value=100, numerator=100, n=100),
            _row("active_customers", "2026-10", "B", value=200, numerator=200, n=200),
        ]
        table = compare_segments(_frame(rows))
        assert table["test"].isna().all()
        assert list(table["verdict"]) == ["not tested", "not tested"]
        assert not table["real"].any()


class TestTableWide:
    def test_correction_spans_every_kpi_of_the_table(self):
        # 3 churn cells and 3 retention cells: 6 tests, each adjusted over all six.
        rows = _churn_rows()
        for row in _churn_rows():
            rows.append(
                {
                    **row,
                    "kpi": "retention_rate",
                    "value": 100 - row["value"],
                    "numerator": row["denominator"] - row["numerator"],
                }
            )
        table = compare_segments(_frame(rows))
        assert len(table) == 6
        assert table["p_adjusted"].to_numpy() == pytest.approx(_bh(list(table["p_value"])), rel=1e-9)

    def test_nothing_split_gives_an_empty_table(self):
        table = compare_segments(_frame(_churn_rows()[:1]))
        assert table.empty
        assert list(table.columns) == COMPARISON_COLUMNS

    def test_only_kpis_of_the_registry_given(self):
        table = compare_segments(_frame(_churn_rows()), {"nps": KPIS["nps"]})
        assert table.empty


def _cells_row_by_row(values: pd.DataFrame) -> pd.DataFrame:
    """The table's cells chosen the plain way, as the first release did: each KPI's rows filtered
    from the whole frame, its latest whole period by :func:`latest_basis`, each segment a pandas
    row. The independent reference for the grouped selection of :func:`compare_segments`."""
    cells = []
    for kpi_id, definition in KPIS.items():
        frame = values[values["kpi"] == kpi_id]
        overall, split = frame[frame["segment"].isna()], frame[frame["segment"].notna()]
        if overall.empty or split.empty:
            continue
        basis = overall[latest_basis(overall)]
        if basis.empty:
            continue
        whole = basis.iloc[-1]
        for segment in split[split["period"] == whole["period"]].sort_values("segment").itertuples():
            cells.append(_cell(definition, whole, segment._asdict()))
    return pd.DataFrame(cells, columns=COMPARISON_COLUMNS[: COMPARISON_COLUMNS.index("p_value") + 1])


@pytest.fixture(scope="module")
def demo_tables(tmp_path_factory: pytest.TempPathFactory) -> dict:
    store = Store(tmp_path_factory.mktemp("compare") / "data")
    return store.workspace_tables(ensure_demo_workspace(store).id)


class TestSameCellsAsRowByRow:
    @pytest.mark.parametrize("period", ["month", "quarter"])
    @pytest.mark.parametrize("by", ["region", "plan", "acquisition_channel"])
    def test_demo_company(self, demo_tables: dict, by: str, period: str):
        values = compute_kpis(demo_tables, period=period, by=by).values
        table = compare_segments(values)
        reference = _cells_row_by_row(values)
        # Every KPI of the demo with a test, and each of its segments: 5 regions, 3 plans, 6 channels.
        assert len(table) > 50
        pd.testing.assert_frame_equal(table[list(reference.columns)], reference, check_exact=True)

    def test_hand_made_frame_with_gaps(self):
        # No "complete" or "numerator" column (a frame made by hand): every period counts as
        # whole; an unknown n; a KPI whose latest value is missing (the one before is read);
        # segments out of order; a KPI with a split but no all-customers row (left out).
        rows = [
            _row("nps", "2026-09", None, value=20.0, n=400, std_error=4.0),
            _row("nps", "2026-09", "b", value=30.0, n=150, std_error=7.0),
            _row("nps", "2026-09", "a", value=14.0, n=250, std_error=5.0),
            _row("nps", "2026-10", None, n=380),
            _row("nps", "2026-10", "a", value=10.0, n=None, std_error=6.0),
            _row("csat", "2026-10", "a", value=80.0, n=100, std_error=1.0),
            _row("ces", "2026-10", None, value=3.1, n=500, std_error=0.05),
            _row("ces", "2026-10", "b", value=3.4, n=200, std_error=0.08),
            _row("ces", "2026-10", "a", value=2.9, n=300, std_error=0.06),
        ]
        values = _frame(rows).drop(columns=["complete", "numerator"])
        table = compare_segments(values)
        reference = _cells_row_by_row(values)
        assert list(zip(table["kpi"], table["period"], table["segment"], strict=True)) == [
            ("nps", "2026-09", "a"),
            ("nps", "2026-09", "b"),
            ("ces", "2026-10", "a"),
            ("ces", "2026-10", "b"),
        ]
        pd.testing.assert_frame_equal(table[list(reference.columns)], reference, check_exact=True)
