"""The same KPI definitions on DuckDB and on Spark (local[2]) give the same scorecard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bsc.engine import Backend
from bsc.kpis import KpiParams, KpiResult, cohort_retention, compute_kpis
from tests.conftest import write_tables

pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
]

CHANNELS = ["search", "social", "referral"]


def small_company(customers: int = 300, seed: int = 11) -> dict[str, pd.DataFrame]:
    """A year of a small seeded company in canonical form, every table kind present.

    Times are whole minutes: Spark reads epoch seconds as integers, DuckDB with fractions.
    """
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    ids = pd.Series([f"{i:05d}" for i in range(customers)], dtype="string")
    signup = start + pd.to_timedelta(rng.integers(0, 330, customers), unit="D")
    churned = rng.random(customers) < 0.3
    churn_date = pd.Series(signup + pd.to_timedelta(rng.integers(20, 200, customers), unit="D")).where(
        churned
    )
    customers_table = pd.DataFrame(
        {
            "customer_id": ids,
            "signup_date": pd.Series(signup).astype("datetime64[us]"),
            "churn": pd.Series(churned, dtype="boolean"),
            "churn_date": churn_date.astype("datetime64[us]"),
            "acquisition_channel": pd.Series(rng.choice(CHANNELS, customers), dtype="string"),
            "loyalty_member": pd.Series(rng.random(customers) < 0.4, dtype="boolean"),
            "region": pd.Series(
                rng.choice(["north", "south", None], customers, p=[0.5, 0.4, 0.1]), dtype="string"
            ),
        }
    )
    lines = 3000
    buyer = rng.integers(0, customers, lines)
    order_time = signup[buyer] + pd.to_timedelta(rng.integers(0, 200 * 24 * 60, lines), unit="min")
    transactions = pd.DataFrame(
        {
            "customer_id": ids[buyer].reset_index(drop=True),
            "date": pd.Series(order_time).astype("datetime64[us]"),
            "amount": rng.gamma(2.0, 25.0, lines).round(2),
            # Roughly two lines per order, some lines without an order id.
            "order_id": pd.Series([f"o{i // 2}" if i % 17 else None for i in range(lines)], dtype="string"),
        }
    )
    responses = 600
    respondent = rng.integers(0, customers, responses)
    feedback = pd.DataFrame(
        {
            "customer_id": ids[respondent].reset_index(drop=True),
            "date": (start + pd.to_timedelta(rng.integers(0, 365, responses), unit="D")).astype(
                "datetime64[us]"
            ),
            "nps": rng.integers(0, 11, responses).astype(float),
            "csat": rng.integers(1, 6, responses).astype(float),
            "ces": rng.integers(1, 8, responses).astype(float),
            "rating": rng.integers(1, 6, responses).astype(float),
        }
    )
    tickets = 200
    opened = start + pd.to_timedelta(rng.integers(0, 365 * 24 * 60, tickets), unit="min")
    support = pd.DataFrame(
        {
            "customer_id": ids[rng.integers(0, customers, tickets)].reset_index(drop=True),
            "ticket_id": pd.Series([f"t{i}" for i in range(tickets)], dtype="string"),
            "opened_at": pd.Series(opened).astype("datetime64[us]"),
            "first_response_at": pd.Series(
                opened + pd.to_timedelta(rng.integers(5, 600, tickets), unit="min")
            ).astype("datetime64[us]"),
            "resolved_at": pd.Series(opened + pd.to_timedelta(rng.integers(60, 6000, tickets), unit="min"))
            .where(rng.random(tickets) < 0.9)
            .astype("datetime64[us]"),
        }
    )
    months = pd.date_range(start, periods=12, freq="MS")
    marketing = pd.DataFrame(
        [(month, channel) for month in months for channel in CHANNELS], columns=["date", "channel"]
    )
    marketing["date"] = marketing["date"].astype("datetime64[us]")
    marketing["channel"] = marketing["channel"].astype("string")
    marketing["spend"] = rng.gamma(4.0, 500.0, len(marketing)).round(2)
    marketing["leads"] = rng.integers(0, 200, len(marketing)).astype(float)
    marketing["conversions"] = (marketing["leads"] * rng.uniform(0.0, 0.3, len(marketing))).round()
    marketing["market_size"] = 250_000.0
    return {
        "customers": customers_table,
        "transactions": transactions,
        "feedback": feedback,
        "support": support,
        "marketing": marketing,
    }


@pytest.fixture(scope="session")
def spark() -> Backend:
    backend = Backend.spark("local[2]")
    yield backend
    backend.connection._session.stop()


@pytest.fixture(scope="module")
def duckdb() -> Backend:
    return Backend.duckdb()


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    return write_tables(tmp_path_factory.mktemp("company"), small_company())


@pytest.fixture(scope="module")
def transaction_log(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Only transactions, with a store column: churn from inactivity, segments from the lines."""
    transactions = small_company()["transactions"]
    stores = np.where(transactions["amount"] > 40, "large", "small")
    transactions["store"] = pd.Series(stores, dtype="string")
    return write_tables(tmp_path_factory.mktemp("log"), {"transactions": transactions})


def assert_same_scorecard(duck: KpiResult, spark: KpiResult) -> None:
    assert duck.unavailable == spark.unavailable
    assert duck.not_split == spark.not_split
    assert duck.notes == spark.notes
    assert len(duck.values) > 0
    pd.testing.assert_frame_equal(duck.values, spark.values, check_exact=False, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    ("period", "by"),
    [("month", "region"), ("quarter", "acquisition_channel"), ("all", None)],
    ids=["month-by-region", "quarter-by-channel", "all-time"],
)
def test_company_scorecard_is_the_same_on_spark(
    company: dict[str, list[Path]], duckdb: Backend, spark: Backend, period: str, by: str | None
):
    duck = compute_kpis(company, period=period, by=by, backend=duckdb)
    on_spark = compute_kpis(company, period=period, by=by, backend=spark)
    assert_same_scorecard(duck, on_spark)
    if by is not None:
        assert on_spark.values["segment"].notna().any()


def test_transaction_log_with_inactivity_churn_is_the_same_on_spark(
    transaction_log: dict[str, list[Path]], duckdb: Backend, spark: Backend
):
    params = KpiParams(inactivity_days=45)
    duck = compute_kpis(transaction_log, by="store", params=params, backend=duckdb)
    on_spark = compute_kpis(transaction_log, by="store", params=params, backend=spark)
    assert_same_scorecard(duck, on_spark)
    assert on_spark.kpi("churn_rate")["value"].notna().any()
    # The same partial periods and the same values the log is too young to know (the first
    # 45 days), and the same days of the period before the partial last one.
    churn = on_spark.kpi("churn_rate")
    assert churn["reason"].str.startswith("not enough history").any()
    assert not on_spark.values["complete"].all()
    pd.testing.assert_frame_equal(duck.same_days, on_spark.same_days, check_dtype=False)


def test_cohort_retention_is_the_same_on_spark(
    company: dict[str, list[Path]], duckdb: Backend, spark: Backend
):
    duck = cohort_retention(company, backend=duckdb)
    pd.testing.assert_frame_equal(duck, cohort_retention(company, backend=spark))
    assert len(duck) > 12
