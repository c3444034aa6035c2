"""Like with like for a period cut short by the end of the data: the same days of the period before.

Checked against plain pandas on the simulated steady company (``tests/stationary.py``, whose log
ends on 10 June 2026) and by hand on the tiny shop of ``kpi_shop.py`` (orders to 20 March 2024).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bsc.engine import Backend
from bsc.kpis import compute_kpis
from tests import stationary
from tests.conftest import write_tables
from tests.kpi_shop import tiny_shop

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def backend() -> Backend:
    return Backend.duckdb()


@pytest.fixture(scope="module")
def company_frames() -> dict[str, pd.DataFrame]:
    return stationary.stationary_company(seed=7)


@pytest.fixture(scope="module")
def company(company_frames, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    return write_tables(tmp_path_factory.mktemp("stationary"), company_frames)


def _pandas_window(log: pd.DataFrame, start: str, end: str) -> dict[str, float]:
    """Order KPIs over [start, end) from the lines, independently of the engine."""
    window = log[(log["date"] >= start) & (log["date"] < end)]
    per_customer = window.groupby("customer_id")["order_id"].nunique()
    return {
        "active_customers": float(window["customer_id"].nunique()),
        "orders": float(window["order_id"].nunique()),
        "revenue": float(window["amount"].sum()),
        "repeat_purchase_rate": 100.0 * float((per_customer >= 2).mean()),
    }


@pytest.mark.parametrize(
    ("unit", "period", "previous", "days", "window", "current_window"),
    [
        ("month", "2026-06", "2026-05", 10, ("2026-05-01", "2026-05-11"), ("2026-06-01", "2026-06-11")),
        ("year", "2026", "2025", 161, ("2025-01-01", "2025-06-11"), ("2026-01-01", "2026-06-11")),
    ],
    ids=["June 1-10 vs May 1-10", "2026 to 10 June vs 2025 to 10 June"],
)
def test_same_days_of_the_period_before(
    company, company_frames, backend: Backend, unit, period, previous, days, window, current_window
):
    result = compute_kpis(company, period=unit, backend=backend)
    same = result.same_days.set_index("kpi")
    log = company_frames["transactions"]
    before = _pandas_window(log, *window)
    now = _pandas_window(log, *current_window)
    for kpi, expected in before.items():
        row = same.loc[kpi]
        assert (row["period"], row["previous_period"], row["days"]) == (period, previous, days)
        assert row["previous_value"] == pytest.approx(expected, rel=1e-9), kpi
        # The partial period's own value is the same days' figure: like with like.
        value = result.values[(result.values["kpi"] == kpi) & result.values["segment"].isna()]
        latest = value.set_index("period").loc[period]
        assert not latest["complete"]
        assert latest["value"] == pytest.approx(now[kpi], rel=1e-9), kpi
    assert same.loc["average_order_value", "previous_value"] == pytest.approx(
        before["revenue"] / before["orders"]
    )
    # A steady company: the same days hold about the same revenue (within 10 %), whereas the whole
    # of May holds three times as much.
    assert now["revenue"] == pytest.approx(before["revenue"], rel=0.10)
    assert same["period_days"].iloc[0] == {"month": 30, "year": 365}[unit]


def test_by_customer_segment(tmp_path: Path, backend: Backend):
    # Orders run to 20 March: 1–20 February holds c3 (north, o4, 40) and c1 (north, o5, 25) ->
    # north 2 customers, 65; nobody of the south ordered then, so the south has no row.
    tables = write_tables(tmp_path, tiny_shop())
    result = compute_kpis(tables, by="region", backend=backend, kpis=["revenue", "active_customers"])
    same = result.same_days
    revenue = same[same["kpi"] == "revenue"]
    revenue = revenue.set_index(revenue["segment"].astype(object).fillna("all"))
    assert revenue.loc["north", "previous_value"] == 65.0
    assert revenue.loc["all", "previous_value"] == 65.0
    assert "south" not in revenue.index
    assert set(same["days"]) == {20} and set(same["previous_period"]) == {"2024-02"}


def test_nothing_when_the_log_ends_with_a_whole_period(tmp_path: Path, backend: Backend):
    log = pd.DataFrame(
        {
            "customer_id": pd.Series(["a", "b"], dtype="string"),
            "date": pd.to_datetime(["2024-01-01", "2024-02-29"]).astype("datetime64[us]"),
            "amount": [5.0, 7.0],
        }
    )
    result = compute_kpis(write_tables(tmp_path, {"transactions": log}), backend=backend)
    assert result.same_days.empty
    assert result.values["complete"].all()
