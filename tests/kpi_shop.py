"""The tiny shop the KPI tests work out by hand, and helpers to read a KPI's row.

The "tiny shop" has four customers in January–March 2024; every golden value in the tests
carries the arithmetic that produced it. The spell log is a transaction log with clear activity
spells, for the inactivity churn. Test modules declare the fixtures from the plain functions
here (``shop = pytest.fixture(scope="module")(shop_files)``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bsc.engine import Backend
from bsc.kpis import compute_kpis
from tests.conftest import write_tables

T975_DF2 = 4.302652729911275  # Student t quantile, 97.5 %, 2 degrees of freedom (tables)
Z975 = 1.959963984540054  # standard normal quantile, 97.5 %


def ids(*values: str | None) -> pd.Series:
    """Text values (ids, names), missing as ``<NA>``."""
    return pd.Series(values, dtype="string")


def dates(*values: str | None) -> pd.Series:
    """ISO dates or times as the canonical microsecond timestamps."""
    return pd.to_datetime(pd.Series(values), format="ISO8601").astype("datetime64[us]")


def flags(*values: bool | None) -> pd.Series:
    """Nullable booleans."""
    return pd.Series(values, dtype="boolean")


def tiny_shop() -> dict[str, pd.DataFrame]:
    """Four customers (c1–c4) plus c9, who orders but is not in the customers table."""
    customers = pd.DataFrame(
        {
            "customer_id": ids("c1", "c2", "c3", "c4"),
            "signup_date": dates("2024-01-05", "2024-01-20", "2024-02-03", "2024-03-15"),
            "churn": flags(False, True, False, True),
            "churn_date": dates(None, "2024-03-10", None, "2024-03-25"),
            "acquisition_channel": ids("search", "social", "search", "social"),
            "loyalty_member": flags(True, False, False, True),
            "region": ids("north", "south", "north", None),
        }
    )
    transactions = pd.DataFrame(
        {
            "customer_id": ids("c1", "c1", "c1", "c2", "c3", "c1", "c3", "c4", "c9"),
            "date": dates(
                "2024-01-05 10:00",
                "2024-01-05 10:05",
                "2024-01-20",
                "2024-01-21",
                "2024-02-03",
                "2024-02-10",
                "2024-03-01",
                "2024-03-16",
                "2024-03-20",
            ),
            "amount": [10.0, 5.0, 20.0, 30.0, 40.0, 25.0, -10.0, 50.0, 12.0],
            "order_id": ids("o1", "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8"),
        }
    )
    feedback = pd.DataFrame(
        {
            "customer_id": ids("c1", "c2", "c3", "c1", "c4"),
            "date": dates("2024-01-10", "2024-01-15", "2024-01-20", "2024-03-05", "2024-03-06"),
            "nps": [10.0, 6.0, 8.0, 9.0, 0.0],
            "csat": [5.0, 3.0, 4.0, 4.0, 1.0],
            "ces": [2.0, 5.0, 3.0, 1.0, 7.0],
            "rating": [4.0, 2.0, np.nan, 5.0, 1.0],
        }
    )
    support = pd.DataFrame(
        {
            "customer_id": ids("c1", "c2", "c3", "c1"),
            "ticket_id": ids("t1", "t2", "t3", "t4"),
            "opened_at": dates(
                "2024-01-02 09:00", "2024-01-05 12:00", "2024-01-10 08:00", "2024-02-01 00:00"
            ),
            "first_response_at": dates(
                "2024-01-02 10:00", "2024-01-05 15:00", "2024-01-10 08:30", "2024-01-31 23:00"
            ),
            "resolved_at": dates("2024-01-03 09:00", "2024-01-05 18:00", None, "2024-02-02 00:00"),
        }
    )
    marketing = pd.DataFrame(
        {
            "date": dates(*[day for day in ("2024-01-01", "2024-02-01", "2024-03-01") for _ in range(2)]),
            "channel": ids("search", "social", "search", "social", "search", "social"),
            "spend": [100.0, 60.0, 80.0, 0.0, 0.0, 0.0],
            "leads": [50.0, 40.0, 0.0, 30.0, 0.0, 0.0],
            "conversions": [5.0, 2.0, 0.0, 3.0, 0.0, 0.0],
            "market_size": [10000.0, 10000.0, 12000.0, 12000.0, 10000.0, 10000.0],
        }
    )
    return {
        "customers": customers,
        "transactions": transactions,
        "feedback": feedback,
        "support": support,
        "marketing": marketing,
    }


def spell_log() -> dict[str, pd.DataFrame]:
    """A transaction log only (no customers table), for churn from a 30-day inactivity window.

    a: Jan 10, Jan 25, Apr 1 (67-day gap: a second spell); b: Jan 15 only;
    c: Feb 5, Mar 1 (25 days: one spell), May 20; d: Jan 20, Feb 15, Mar 10, Apr 5, May 1.
    The data ends on May 20.
    """
    orders = {
        "a": ["2024-01-10", "2024-01-25", "2024-04-01"],
        "b": ["2024-01-15"],
        "c": ["2024-02-05", "2024-03-01", "2024-05-20"],
        "d": ["2024-01-20", "2024-02-15", "2024-03-10", "2024-04-05", "2024-05-01"],
    }
    rows = [(customer, day) for customer, days in orders.items() for day in days]
    transactions = pd.DataFrame(
        {
            "customer_id": ids(*[customer for customer, _ in rows]),
            "date": dates(*[day for _, day in rows]),
            "amount": [10.0] * len(rows),
            "store": ids(*["east" if customer in "ab" else "west" for customer, _ in rows]),
        }
    )
    return {"transactions": transactions}


def duckdb_backend() -> Backend:
    """A DuckDB backend for the module."""
    return Backend.duckdb()


def shop_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """The tiny shop written as Parquet tables."""
    return write_tables(tmp_path_factory.mktemp("shop"), tiny_shop())


def spell_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """The spell log written as Parquet tables."""
    return write_tables(tmp_path_factory.mktemp("spells"), spell_log())


def monthly_values(shop: dict[str, list[Path]], backend: Backend) -> pd.DataFrame:
    """Every KPI of the tiny shop, monthly, all customers."""
    return compute_kpis(shop, backend=backend).values


def region_result(shop: dict[str, list[Path]], backend: Backend):
    """Every KPI of the tiny shop, monthly, by region."""
    return compute_kpis(shop, by="region", backend=backend)


def row(values: pd.DataFrame, kpi: str, period: str, segment: str | None = None) -> pd.Series:
    """The one result row of ``kpi`` in ``period`` (all customers when ``segment`` is None)."""
    selected = values[(values["kpi"] == kpi) & (values["period"] == period)]
    selected = (
        selected[selected["segment"].isna()] if segment is None else selected[selected["segment"] == segment]
    )
    assert len(selected) == 1, f"expected one row for {kpi} {period} {segment}, got {len(selected)}"
    return selected.iloc[0]


def value(values: pd.DataFrame, kpi: str, period: str, segment: str | None = None) -> float:
    """The value of :func:`row`."""
    return float(row(values, kpi, period, segment)["value"])
