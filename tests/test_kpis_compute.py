"""What :func:`bsc.kpis.compute_kpis` returns around the KPIs themselves, checked by hand.

Segments and the segment attributes, which KPIs are available, the result frame's columns and
order, loading the tables (and deriving the longer periods' tables on first use), cohort
retention on the tiny shop of :mod:`tests.kpi_shop`, and the CDNOW sample recomputed
independently with plain pandas. The KPIs component by component are in ``test_kpis.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bsc.engine import Backend
from bsc.errors import InputError
from bsc.kpis import (
    KPIS,
    UNKNOWN_SEGMENT,
    cohort_retention,
    compute_kpis,
    date_range,
    load_tables,
    segment_attributes,
)
from tests.conftest import write_tables
from tests.kpi_shop import (
    dates,
    duckdb_backend,
    monthly_values,
    region_result,
    shop_files,
    spell_log,
    tiny_shop,
    value,
)

# Ibis reads a pandas option that pandas 3 deprecates; nothing to act on here.
pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]

FIXTURES = Path(__file__).parent / "fixtures"


backend = pytest.fixture(scope="module")(duckdb_backend)
shop = pytest.fixture(scope="module")(shop_files)
monthly = pytest.fixture(scope="module")(monthly_values)
by_region = pytest.fixture(scope="module")(region_result)


# --------------------------------------------------------------------------------------------
# Segments, availability and the result frame
# --------------------------------------------------------------------------------------------


class TestSegments:
    def test_segment_attributes(self, shop: dict[str, list[Path]], tmp_path: Path):
        assert segment_attributes(shop) == ["acquisition_channel", "region"]
        assert segment_attributes(write_tables(tmp_path / "log", spell_log())) == ["store"]
        marketing_only = write_tables(tmp_path / "m", {"marketing": tiny_shop()["marketing"]})
        assert segment_attributes(marketing_only) == ["channel"]

    def test_unknown_attribute_is_an_input_error(self, shop: dict[str, list[Path]], backend: Backend):
        with pytest.raises(
            InputError, match=r"'colour' is not a segment attribute.*acquisition_channel, region"
        ):
            compute_kpis(shop, by="colour", backend=backend)

    def test_segments_and_total(self, by_region):
        values = by_region.values
        # Jan revenue: north c1 35, south c2 30; Mar: c4 (no region) and c9 (no customer row) -> 62.
        assert value(values, "revenue", "2024-01", "north") == 35.0
        assert value(values, "revenue", "2024-01", "south") == 30.0
        assert value(values, "revenue", "2024-03", UNKNOWN_SEGMENT) == 62.0
        assert value(values, "revenue", "2024-03") == 52.0
        # Every segment appears in every month, with 0 where nothing happened.
        assert value(values, "revenue", "2024-02", "south") == 0.0

    def test_satisfaction_by_region(self, by_region):
        # Jan north: c1 10, c3 8 -> 1 promoter of 2 -> 50; south: c2 6 -> −100.
        values = by_region.values
        assert value(values, "nps", "2024-01", "north") == 50.0
        assert value(values, "nps", "2024-01", "south") == -100.0

    def test_fact_columns_named_like_internal_ones_do_not_interfere(self, tmp_path: Path, backend: Backend):
        frames = tiny_shop()
        for kind in ("transactions", "feedback"):
            frames[kind]["segment"] = pd.Series(["consumer"] * len(frames[kind]), dtype="string")
            frames[kind]["member"] = pd.Series(["gold"] * len(frames[kind]), dtype="string")
        tables = write_tables(tmp_path, frames)
        values = compute_kpis(tables, by="region", backend=backend, kpis=["nps", "loyalty_engagement"]).values
        # As without those columns: Jan north NPS 50 (c1 10, c3 8); Jan members 1 of 2 (c1).
        assert value(values, "nps", "2024-01", "north") == 50.0
        assert value(values, "loyalty_engagement", "2024-01") == 50.0

    def test_kpis_that_cannot_follow_a_customer_attribute_are_listed(self, by_region):
        assert dict(by_region.not_split) == {
            "cpa": "marketing figures split only by channel, not by region; shown for all customers",
            "conversion_rate": "marketing figures split only by channel, not by region; shown for all customers",
            "market_share": "the market is not broken down by segment; shown for all customers",
        }
        values = by_region.values
        assert values[values["kpi"] == "cpa"]["segment"].isna().all()

    def test_facts_without_customer_id_are_not_split(self, tmp_path: Path, backend: Backend):
        frames = tiny_shop()
        frames["feedback"] = frames["feedback"].drop(columns="customer_id")
        result = compute_kpis(write_tables(tmp_path, frames), by="region", backend=backend, kpis=["nps"])
        assert result.not_split == [("nps", "its data cannot be linked to region; shown for all customers")]


class TestAvailability:
    def test_missing_roles_are_reported_not_raised(self, tmp_path: Path, backend: Backend):
        feedback = pd.DataFrame({"date": dates("2024-01-01"), "csat": [5.0]})
        result = compute_kpis(write_tables(tmp_path, {"feedback": feedback}), backend=backend)
        unavailable = dict(result.unavailable)
        assert set(result.values["kpi"]) == {"csat", "csi", "responses"}
        assert unavailable["nps"] == "needs NPS score (0–10) (Feedback / surveys)"
        assert (
            unavailable["revenue"]
            == "needs Customer ID (Transactions) and Order date (Transactions) and Amount (Transactions)"
        )
        assert set(unavailable) | {"csat", "csi", "responses"} == set(KPIS)

    @pytest.mark.parametrize("period", ["month", "all"])
    def test_tables_without_rows_give_no_rows(self, tmp_path: Path, backend: Backend, period: str):
        empty = {kind: frame.iloc[:0] for kind, frame in tiny_shop().items()}
        result = compute_kpis(write_tables(tmp_path, empty), period=period, by="region", backend=backend)
        assert result.values["value"].notna().sum() == 0
        assert cohort_retention(write_tables(tmp_path, empty), backend=backend).empty

    def test_no_tables_at_all(self, backend: Backend):
        result = compute_kpis({}, backend=backend)
        assert result.values.empty
        assert list(result.values.columns) == [
            "kpi", "period", "segment", "value", "numerator", "denominator", "n", "ci_low", "ci_high",
            "std_error", "complete", "reason",
        ]  # fmt: skip
        assert [kpi for kpi, _ in result.unavailable] == list(KPIS)

    def test_growth_over_all_time_is_unavailable(self, shop: dict[str, list[Path]], backend: Backend):
        result = compute_kpis(shop, period="all", backend=backend, kpis=["customer_growth"])
        assert result.unavailable == [
            ("customer_growth", "growth compares periods; choose a month, quarter or year")
        ]

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [({"period": "week"}, "Unknown period 'week'"), ({"kpis": ["nps", "happiness"]}, "Unknown KPI")],
        ids=["period", "kpi"],
    )
    def test_bad_arguments(
        self, shop: dict[str, list[Path]], backend: Backend, arguments: dict, message: str
    ):
        with pytest.raises(InputError, match=message):
            compute_kpis(shop, backend=backend, **arguments)


class TestResultFrame:
    def test_columns_and_types(self, monthly: pd.DataFrame):
        assert list(monthly.columns) == [
            "kpi", "period", "segment", "value", "numerator", "denominator", "n", "ci_low", "ci_high",
            "std_error", "complete", "reason",
        ]  # fmt: skip
        assert str(monthly["n"].dtype) == "Int64"
        assert monthly["segment"].isna().all()

    def test_rows_follow_the_registry_then_period(self, monthly: pd.DataFrame):
        kpis = list(dict.fromkeys(monthly["kpi"]))
        assert kpis == [kpi for kpi in KPIS if kpi in kpis]
        nps_periods = monthly[monthly["kpi"] == "nps"]["period"].tolist()
        assert nps_periods == ["2024-01", "2024-02", "2024-03"]

    def test_only_sample_statistics_have_intervals(self, monthly: pd.DataFrame):
        with_interval = set(monthly[monthly["ci_low"].notna()]["kpi"])
        assert with_interval == {"nps", "csat", "ces", "rating"}

    def test_standard_errors_where_a_change_test_needs_them(self, monthly: pd.DataFrame):
        with_error = set(monthly[monthly["std_error"].notna()]["kpi"])
        needing = {kpi for kpi, definition in KPIS.items() if definition.change_test in ("nps", "mean")}
        assert (
            with_error
            == needing
            == {"nps", "ces", "rating", "first_response_time_mean", "resolution_time_mean"}
        )

    def test_date_range(self, shop: dict[str, list[Path]], backend: Backend):
        # Earliest: the marketing figures of Jan 1; latest: c4's churn date, Mar 25.
        assert date_range(shop, backend=backend) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-25"))


class TestLoadTables:
    def test_derives_every_table_the_monthly_scorecard_starts_from(self, shop: dict[str, list[Path]]):
        backend = Backend.duckdb()
        load_tables(shop, backend=backend)

        def derived_again(_):
            raise AssertionError("derived a second time")

        for name in ("orders", "customers_by_month"):
            backend.derive(name, "transactions", shop["transactions"], derived_again)
        backend.derive("customers", "customers", shop["customers"], derived_again)
        values = compute_kpis(shop, backend=backend, kpis=["revenue"]).values
        assert value(values, "revenue", "2024-01") == 65.0

    def test_longer_periods_are_derived_on_first_use(self, shop: dict[str, list[Path]]):
        backend = Backend.duckdb()
        load_tables(shop, backend=backend)
        derived: list[str] = []

        def record(name: str):
            def build(_):
                derived.append(name)
                raise AssertionError("stop")

            return build

        for name in ("customers_by_quarter", "customers_by_year", "customers_by_all"):
            with pytest.raises(AssertionError, match="stop"):
                backend.derive(name, "transactions", shop["transactions"], record(name))
        assert derived == ["customers_by_quarter", "customers_by_year", "customers_by_all"]
        # Q1 2024 is every line of the tiny shop: 10 + 5 + 20 + 30 + 40 + 25 - 10 + 50 + 12 = 182.
        quarterly = compute_kpis(shop, backend=backend, kpis=["revenue"], period="quarter").values
        assert value(quarterly, "revenue", "2024-Q1") == 182.0


class TestCohortRetention:
    def test_tiny_shop(self, shop: dict[str, list[Path]], backend: Backend):
        cohorts = cohort_retention(shop, backend=backend)
        # First orders: c1, c2 in Jan; c3 Feb; c4, c9 Mar. c1 orders again in Feb (month 1 of Jan);
        # c3 again in Mar (month 1 of Feb).
        expected = pd.DataFrame(
            {
                "cohort": ["2024-01", "2024-01", "2024-02", "2024-02", "2024-03"],
                "months_since_first": [0, 1, 0, 1, 0],
                "customers": [2, 1, 1, 1, 2],
                "cohort_size": [2, 2, 1, 1, 2],
                "retention": [100.0, 50.0, 100.0, 100.0, 100.0],
            }
        )
        pd.testing.assert_frame_equal(cohorts, expected, check_dtype=False)

    def test_without_transactions_is_empty(self, tmp_path: Path, backend: Backend):
        tables = write_tables(tmp_path, {"customers": tiny_shop()["customers"]})
        cohorts = cohort_retention(tables, backend=backend)
        assert cohorts.empty
        assert list(cohorts.columns) == [
            "cohort",
            "months_since_first",
            "customers",
            "cohort_size",
            "retention",
        ]


# --------------------------------------------------------------------------------------------
# CDNOW sample: an independent computation with plain pandas
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow_log() -> pd.DataFrame:
    """The CDNOW sample in canonical form: customer id (zero padding kept), date, quantity, amount."""
    raw = pd.read_csv(
        FIXTURES / "cdnow_sample.txt",
        sep=r"\s+",
        header=None,
        names=["customer_id", "order_number", "date", "quantity", "amount"],
        dtype={"customer_id": str, "order_number": str, "date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype("string"),
            "date": pd.to_datetime(raw["date"], format="%Y%m%d").astype("datetime64[us]"),
            "quantity": raw["quantity"].astype(float),
            "amount": raw["amount"].astype(float),
        }
    )


CDNOW_KPIS = ["active_customers", "orders", "revenue", "new_customers", "repeat_purchase_rate"]


@pytest.fixture(scope="module")
def cdnow_scorecard(
    cdnow_log: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory, backend: Backend
) -> pd.DataFrame:
    tables = write_tables(tmp_path_factory.mktemp("cdnow"), {"transactions": cdnow_log})
    values = compute_kpis(tables, backend=backend, kpis=CDNOW_KPIS).values
    return values.pivot(index="period", columns="kpi", values="value")


@pytest.fixture(scope="module")
def cdnow_by_pandas(cdnow_log: pd.DataFrame) -> pd.DataFrame:
    """The same monthly figures computed independently with plain pandas."""
    log = cdnow_log.assign(month=cdnow_log["date"].dt.strftime("%Y-%m"))
    # An order is a customer and day (the log has no order ids).
    orders = log.groupby(["customer_id", "date", "month"], as_index=False)["amount"].sum()
    orders_per_customer = orders.groupby(["month", "customer_id"]).size()
    first_month = log.groupby("customer_id")["date"].min().dt.strftime("%Y-%m")
    # New customers by first order need 90 days of log before the month (the log starts on
    # 1997-01-01, so from 1997-04 on): earlier, a buyer from before the log would look new.
    known_from = (log["date"].min() + pd.Timedelta(days=90)).strftime("%Y-%m")
    frame = pd.DataFrame(
        {
            "active_customers": orders_per_customer.groupby("month").size(),
            "orders": orders.groupby("month").size(),
            "revenue": log.groupby("month")["amount"].sum(),
            "new_customers": first_month.value_counts(),
            "repeat_purchase_rate": 100 * (orders_per_customer >= 2).groupby("month").mean(),
        }
    ).fillna({"new_customers": 0})
    frame.loc[frame.index < known_from, "new_customers"] = np.nan
    return frame


class TestCdnowSample:
    def test_sample_is_the_cdnow_layout(self, cdnow_log: pd.DataFrame):
        assert cdnow_log["customer_id"].iloc[0] == "00004"
        assert cdnow_log["date"].min() >= pd.Timestamp("1997-01-01")

    def test_same_months(self, cdnow_scorecard: pd.DataFrame, cdnow_by_pandas: pd.DataFrame):
        assert cdnow_scorecard.index.tolist() == cdnow_by_pandas.index.tolist()

    @pytest.mark.parametrize("kpi", CDNOW_KPIS)
    def test_monthly_matches_pandas(
        self, cdnow_scorecard: pd.DataFrame, cdnow_by_pandas: pd.DataFrame, kpi: str
    ):
        np.testing.assert_allclose(
            cdnow_scorecard[kpi].to_numpy(float), cdnow_by_pandas[kpi].to_numpy(float), rtol=1e-9
        )
