"""What the data covers: partial periods ("to date"), values the data cannot know, and a CLV
that does not depend on the reporting unit.

Checked on a simulated company in which nothing changes (``tests/stationary.py``, a log from
1 July 2024 to 10 June 2026) and on the CDNOW sample (a real log, 1 January 1997 to 30 June
1998), each time against an independent computation with plain pandas or by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bsc.engine import Backend
from bsc.kpis import compute_kpis
from bsc.kpis.coverage import period_coverage, without_history
from tests import stationary
from tests.conftest import write_tables

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]

FIXTURES = Path(__file__).parent / "fixtures"
HISTORY_KPIS = ["churn_rate", "retention_rate", "clv", "new_customers"]


@pytest.fixture(scope="module")
def backend() -> Backend:
    return Backend.duckdb()


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    return write_tables(tmp_path_factory.mktemp("stationary"), stationary.stationary_company(seed=7))


def _totals(values: pd.DataFrame, kpi: str) -> pd.DataFrame:
    rows = values[(values["kpi"] == kpi) & values["segment"].isna()]
    return rows.set_index("period")


class TestPeriodCoverage:
    def test_a_period_is_complete_when_the_data_span_it(self):
        starts = pd.Series(pd.to_datetime(["2026-04-01", "2026-05-01", "2026-06-01"]))
        bounds = (pd.Timestamp("2026-04-02"), pd.Timestamp("2026-06-10 15:00"))
        # April begins before the data (2 April), June ends after them (10 June): only May is whole.
        assert period_coverage(starts, "month", bounds).tolist() == [False, True, False]
        assert period_coverage(starts, "month", None).tolist() == [True, True, True]
        assert period_coverage(starts, "all", bounds).tolist() == [True, True, True]

    def test_without_history_needs_the_window_before_the_period(self):
        starts = pd.Series(pd.to_datetime(["2024-03-01", "2024-04-01", "2024-04-09", "2024-05-01"]))
        # A log from 10 January: 90 days before 9 April is 10 January, the first day with history.
        blind = without_history(starts, pd.Timestamp("2024-01-10 08:00"), 90)
        assert blind.tolist() == [True, True, False, False]

    def test_marketing_months_are_whole_periods(self, tmp_path: Path, backend: Backend):
        # Rows dated 1 January, 1 February, 1 March stand for whole months: March is complete.
        # The same figures dated 15 March cover March only to the 15th.
        for last_day, complete in (("2024-03-01", True), ("2024-03-15", False)):
            marketing = pd.DataFrame(
                {
                    "date": pd.to_datetime(["2024-01-01", "2024-02-01", last_day]).astype("datetime64[us]"),
                    "leads": [10.0, 20.0, 30.0],
                    "conversions": [1.0, 2.0, 3.0],
                }
            )
            tables = write_tables(tmp_path / last_day, {"marketing": marketing})
            values = compute_kpis(tables, backend=backend, kpis=["conversion_rate"]).values
            assert _totals(values, "conversion_rate").loc["2024-03", "complete"] == complete

    def test_growth_arithmetic_on_whole_months(self, tmp_path: Path, backend: Backend):
        # Orders on 1 January and 31 March bound the log: three whole months. Active customers
        # 2 (x, y), 2 (x, z), 3 (x, y, z): growth NaN (no previous month), 0 %, +50 %.
        days = [
            "2024-01-01",
            "2024-01-20",
            "2024-02-03",
            "2024-02-10",
            "2024-03-01",
            "2024-03-16",
            "2024-03-31",
        ]
        transactions = pd.DataFrame(
            {
                "customer_id": pd.Series(["x", "y", "x", "z", "x", "y", "z"], dtype="string"),
                "date": pd.to_datetime(days).astype("datetime64[us]"),
                "amount": [10.0] * 7,
            }
        )
        values = compute_kpis(
            write_tables(tmp_path, {"transactions": transactions}), backend=backend, kpis=["customer_growth"]
        ).values
        growth = _totals(values, "customer_growth")
        np.testing.assert_allclose(growth["value"].to_numpy(float), [np.nan, 0.0, 50.0])
        assert growth["complete"].all() and growth["reason"].isna().all()


class TestStationaryCompany:
    def test_the_last_month_is_to_date_for_every_dated_kpi(self, company, backend: Backend):
        values = compute_kpis(company, backend=backend).values
        # The log and the answers run to 10 June 2026: June is partial for every KPI, May whole.
        june = values[values["period"] == "2026-06"]
        assert len(june) and not june["complete"].any()
        may = values[values["period"] == "2026-05"]
        assert may["complete"].all()

    def test_a_partial_month_is_no_growth(self, company, backend: Backend):
        values = compute_kpis(company, backend=backend, kpis=["active_customers", "customer_growth"]).values
        active = _totals(values, "active_customers")
        growth = _totals(values, "customer_growth")
        # Ten days of June hold about a third of May's active customers (the trap: "−60 %")...
        assert active.loc["2026-06", "value"] < 0.5 * active.loc["2026-05", "value"]
        # ...so June's growth is not a number, with the reason; May's, whole against whole, is.
        assert math.isnan(growth.loc["2026-06", "value"])
        assert growth.loc["2026-06", "reason"].startswith("the period is covered only in part")
        assert abs(growth.loc["2026-05", "value"]) < 10

    @pytest.mark.parametrize("kpi", HISTORY_KPIS)
    def test_the_first_months_cannot_know_inactivity_churn(self, company, backend: Backend, kpi: str):
        values = compute_kpis(company, backend=backend, kpis=[kpi]).values
        rows = _totals(values, kpi)
        # 90 days of log before the month are needed: the log starts 1 July 2024, so October is the
        # first month with a value (1 October − 90 days = 3 July).
        first_months = ["2024-07", "2024-08", "2024-09"]
        assert rows.loc[first_months, "value"].isna().all()
        assert rows.loc[first_months, "n"].isna().all()
        assert rows.loc[first_months, "reason"].str.startswith("not enough history").all()
        later = rows.loc["2024-10":]
        assert later["reason"].isna().all() and later["value"].notna().all()

    def test_churn_is_steady_once_known(self, company, backend: Backend):
        values = compute_kpis(company, backend=backend, kpis=["churn_rate"]).values
        churn = _totals(values, "churn_rate")
        whole = churn[churn["complete"] & churn["reason"].isna()]["value"]
        # About 9.3 spells lapse a day (5 arrivals × 1.857 spells, see stationary.expected_clv),
        # some 280 a month, out of about 3,700 active customers (3,000 staying, plus those whose
        # last order is under 90 days old): about 7.5 % a month, and no month is 0 %.
        assert whole.min() > 5 and whole.max() < 11

    def test_clv_is_the_same_per_month_quarter_and_year(self, company, backend: Backend):
        """Monthly, quarterly and yearly CLV agree with each other and with the hand value.

        Hand value (``stationary.expected_clv``): 0.3 × 50 × 21 ÷ 1.857 = 169.6. Noise: a month
        loses about 280 spells (sd ≈ 6 % of its CLV); the mean of the 20 whole known months, of
        the 6 whole known quarters and the one whole known year (2025, about 3,400 spells) each
        have an sd of about 2 % from one simulated company to the next (seeds 1–3 gave 170–184),
        all three from the same log, so they move together. Gaps are counted in whole days, which
        puts the engine's value about 1 % above the hand value. Tolerances: 10 % from the hand
        value, 6 % between the units.
        """
        expected = stationary.expected_clv()
        assert expected == pytest.approx(169.62, abs=0.01)
        per_unit = {}
        for unit in ("month", "quarter", "year"):
            values = compute_kpis(company, period=unit, backend=backend, kpis=["clv"]).values
            clv = _totals(values, "clv")
            usable = clv[clv["complete"] & clv["reason"].isna()]
            assert len(usable) >= {"month": 18, "quarter": 5, "year": 1}[unit]
            per_unit[unit] = usable["value"].mean()
        for unit, value in per_unit.items():
            assert value == pytest.approx(expected, rel=0.10), unit
        assert max(per_unit.values()) / min(per_unit.values()) < 1.06

    def test_clv_assumptions_are_stated(self, company, backend: Backend):
        result = compute_kpis(company, backend=backend, kpis=["clv"])
        facts = result.assumptions["clv"]
        assert facts["margin"] == 0.3 and facts["discounting"] == "none"
        assert facts["churn_method"] == "inactivity"
        assert "margin 30%" in result.notes["clv"] and "no discounting" in result.notes["clv"]


# --------------------------------------------------------------------------------------------
# CDNOW: the flags against an independent computation with plain pandas
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow_log() -> pd.DataFrame:
    raw = pd.read_csv(
        FIXTURES / "cdnow_sample.txt",
        sep=r"\s+",
        header=None,
        names=["customer_id", "sample_id", "date", "cds", "dollars"],
        dtype={"customer_id": str, "date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype("string"),
            "date": pd.to_datetime(raw["date"], format="%Y%m%d").astype("datetime64[us]"),
            "amount": raw["dollars"].astype(float),
        }
    )


@pytest.fixture(scope="module")
def cdnow(cdnow_log: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    return write_tables(tmp_path_factory.mktemp("cdnow"), {"transactions": cdnow_log})


class TestCdnow:
    @pytest.mark.parametrize("unit", ["month", "quarter", "year"])
    def test_complete_periods(self, cdnow, cdnow_log: pd.DataFrame, backend: Backend, unit: str):
        values = compute_kpis(cdnow, period=unit, backend=backend, kpis=["revenue"]).values
        revenue = _totals(values, "revenue")
        # Independently: a pandas period is whole when the log's first day is on or before its
        # start and its last day on or after its end (the log: 1997-01-01 to 1998-06-30).
        first, last = cdnow_log["date"].min(), cdnow_log["date"].max()
        periods = pd.period_range(first, last, freq={"month": "M", "quarter": "Q", "year": "Y"}[unit])
        expected = [(p.start_time >= first) and (p.end_time.normalize() <= last) for p in periods]
        assert revenue["complete"].tolist() == expected
        # Months and quarters are all whole; of the years, 1998 is covered to 30 June only.
        assert all(expected) == (unit != "year")

    def test_unknown_churn_months_and_known_values(self, cdnow, cdnow_log: pd.DataFrame, backend: Backend):
        values = compute_kpis(cdnow, backend=backend, kpis=["churn_rate"]).values
        churn = _totals(values, "churn_rate")
        # Independently with pandas: distinct order days per customer; a spell lapses 90 days
        # after an order followed by no order within 90 days, if that day is within the log.
        first, last = cdnow_log["date"].min(), cdnow_log["date"].max()
        days = cdnow_log.assign(day=cdnow_log["date"].dt.normalize())[
            ["customer_id", "day"]
        ].drop_duplicates()
        days = days.sort_values(["customer_id", "day"])
        following = days.groupby("customer_id")["day"].shift(-1)
        lapse = days["day"] + pd.Timedelta(days=90)
        lapses = lapse[(following.isna() | (following > lapse)) & (lapse <= last)]
        for month in pd.period_range(first, last, freq="M"):
            start, end = month.start_time, month.end_time.normalize()
            row = churn.loc[str(month)]
            if start - pd.Timedelta(days=90) < first:
                assert math.isnan(row["value"]) and row["reason"].startswith("not enough history")
                continue
            # Active at the start: an order in the 90 days before it; churned: lapses in the month
            # (a month is shorter than the window, so each lapsing spell was active at its start).
            window = days[(days["day"] >= start - pd.Timedelta(days=90)) & (days["day"] < start)]
            at_start = window["customer_id"].nunique()
            churned = ((lapses >= start) & (lapses <= end)).sum()
            assert (row["numerator"], row["denominator"]) == (churned, at_start), str(month)
            assert pd.isna(row["reason"])
        assert churn.index[churn["reason"].isna()][0] == "1997-04"
