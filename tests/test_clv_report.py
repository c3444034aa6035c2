"""What the Lifetime value page shows, kept as data (:mod:`bsc.clv.report`)."""

from __future__ import annotations

from dataclasses import astuple
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bsc.clv import back_test, customer_lifetime_value, transactions_from_tables
from bsc.clv.bg_nbd import BetaGeoModel
from bsc.clv.gamma_gamma import GammaGammaModel
from bsc.clv.report import (
    calibration_window,
    calibration_window_of_tables,
    customer_values,
    fit_lifetimes,
    fit_lifetimes_of_tables,
    logrank_words,
    monthly_discount,
    purchase_back_test,
    purchase_back_test_of_tables,
    survival_report,
)
from bsc.errors import InputError
from bsc.result_files import read_result, write_result
from tests.test_clv_summary import cdnow_log


@pytest.fixture(scope="module")
def tested():
    return purchase_back_test(cdnow_log(), "1997-09-30", "1998-06-30")


class TestBackTestByWeek:
    def test_default_calibration_end_is_fader_hardie_lees(self):
        # FHL (2005) calibrate on the CDNOW sample's first 39 of 78 weeks: to 1997-09-30.
        first, last, default = calibration_window(cdnow_log())
        assert (first, last, default) == (
            pd.Timestamp("1997-01-01"),
            pd.Timestamp("1998-06-30"),
            pd.Timestamp("1997-09-30"),
        )

    def test_weeks_add_up_to_the_holdout_totals(self, tested):
        assert len(tested.weekly) == 39  # 273 days
        assert tested.weekly["actual"].sum() == tested.actual
        assert tested.weekly["predicted"].sum() == pytest.approx(tested.predicted, rel=1e-9)

    def test_weekly_actual_counted_independently(self, tested):
        log = cdnow_log()
        days = log.drop_duplicates(["customer_id", "date"])
        first_week = days[(days["date"] >= "1997-10-01") & (days["date"] <= "1997-10-07")]
        assert tested.weekly.loc[0, "actual"] == len(first_week)
        assert tested.weekly.loc[0, "week_start"] == pd.Timestamp("1997-10-01")

    def test_same_figures_as_the_back_test(self, tested):
        plain = back_test(cdnow_log(), "1997-09-30", "1998-06-30")
        assert tested.rmse == plain.rmse and tested.naive_rmse == plain.naive_rmse
        assert tested.verdict == plain.verdict
        assert list(tested.by_frequency["calibration_repeat_purchases"]) == [
            "0",
            "1",
            "2",
            "3",
            "4",
            "5",
            "6",
            "7+",
        ]

    def test_kept_and_read_back_whole(self, tested, tmp_path: Path):
        write_result(tested, tmp_path / "r.result")
        again = read_result(tmp_path / "r.result")
        assert again.purchases == tested.purchases and again.spend == tested.spend
        pd.testing.assert_frame_equal(again.weekly, tested.weekly, check_dtype=False)

    def test_too_short_a_log_is_refused(self):
        log = pd.DataFrame(
            {"customer_id": [1, 1], "date": ["2024-01-01", "2024-01-20"], "amount": [5.0, 6.0]}
        )
        with pytest.raises(InputError, match="too short"):
            calibration_window(log)


class TestCustomerValues:
    def test_clv_matches_the_models_fitted_directly(self):
        log = cdnow_log()
        fitted = fit_lifetimes(log)
        values = customer_values(fitted, margin=0.3, yearly_discount=0.1)
        purchases = BetaGeoModel().fit(
            fitted.summary["frequency"], fitted.summary["recency"], fitted.summary["T"]
        )
        buyers = fitted.summary[(fitted.summary["frequency"] > 0) & (fitted.summary["monetary_value"] > 0)]
        spend = GammaGammaModel().fit(buyers["frequency"], buyers["monetary_value"])
        direct = customer_lifetime_value(
            purchases, spend, fitted.summary, months=12, margin=0.3, monthly_discount=1.1 ** (1 / 12) - 1
        )
        assert values["clv"].sort_index().to_numpy() == pytest.approx(
            direct.sort_index().to_numpy(), rel=1e-6
        )
        assert values["clv"].is_monotonic_decreasing
        assert (values["past_purchases"] == fitted.summary.loc[values.index, "frequency"] + 1).all()

    def test_monthly_discount(self):
        # (1.1)^(1/12) − 1 = 0.007974 (10 %/yr compounded monthly).
        assert monthly_discount(0.10) == pytest.approx(0.0079741404, rel=1e-8)
        assert monthly_discount(0.0) == 0.0
        with pytest.raises(InputError, match="must not be negative"):
            monthly_discount(-0.1)


class TestSurvival:
    def test_report_and_log_rank_words(self, tmp_path: Path):
        from bsc.workspace import files_workspace

        rng = np.random.default_rng(4)
        n = 400
        plan = np.where(np.arange(n) < n / 2, "basic", "premium")
        # Basic customers leave at 4× the premium rate: the log-rank test must see it (seed 4).
        days = rng.exponential(np.where(plan == "basic", 100.0, 400.0)).round() + 1
        signup = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
        churn = signup + pd.to_timedelta(days, unit="D")
        end = pd.Timestamp("2024-06-30")
        frame = pd.DataFrame(
            {
                "customer_id": [f"C{i}" for i in range(n)],
                "signup_date": signup.strftime("%Y-%m-%d"),
                "churn_date": np.where(churn <= end, churn.strftime("%Y-%m-%d"), ""),
                "plan": plan,
            }
        )
        path = tmp_path / "customers.csv"
        frame.to_csv(path, index=False)
        with files_workspace([path]) as (tables, _):
            report = survival_report(tables, "plan")
        assert [c.segment for c in report.curves] == ["basic", "premium"]
        assert report.logrank_p < 0.001
        assert "differs beyond chance" in logrank_words(report.logrank_p, 2)
        assert "does not differ detectably" in logrank_words(0.4, 2)
        assert logrank_words(None, 1) == "One curve only: nothing to compare."


class TestFromStoredFiles:
    """The page's entry points over the stored files (DuckDB) against the pandas ones over the same files."""

    def test_calibration_window(self, cdnow_tables, demo_tables):
        # FHL's split of the CDNOW sample (see TestBackTestByWeek); the demo's orders run from
        # 2024-05-01 to 2026-10-31 (data/demo/orders.csv), 52 weeks held out.
        assert calibration_window_of_tables(cdnow_tables) == (
            pd.Timestamp("1997-01-01"),
            pd.Timestamp("1998-06-30"),
            pd.Timestamp("1997-09-30"),
        )
        assert calibration_window_of_tables(demo_tables) == (
            pd.Timestamp("2024-05-01"),
            pd.Timestamp("2026-10-31"),
            pd.Timestamp("2025-11-01"),
        )
        assert calibration_window_of_tables(demo_tables) == calibration_window(
            transactions_from_tables(demo_tables)
        )

    @pytest.mark.parametrize(("which", "calibration_end"), [("cdnow", "1997-09-30"), ("demo", "2025-11-01")])
    def test_purchase_back_test(self, cdnow_tables, demo_tables, which, calibration_end):
        tables = cdnow_tables if which == "cdnow" else demo_tables
        expected = purchase_back_test(transactions_from_tables(tables), calibration_end)
        found = purchase_back_test_of_tables(tables, calibration_end)
        assert (found.calibration_end, found.holdout_end, found.customers) == (
            expected.calibration_end,
            expected.holdout_end,
            expected.customers,
        )
        assert astuple(found.purchases) == pytest.approx(astuple(expected.purchases), rel=1e-9)
        assert astuple(found.spend) == pytest.approx(astuple(expected.spend), rel=1e-9)
        assert (found.actual, found.verdict) == (expected.actual, expected.verdict)
        assert found.rmse == pytest.approx(expected.rmse, rel=1e-9)
        pd.testing.assert_frame_equal(found.weekly, expected.weekly, check_exact=False, rtol=1e-9)
        pd.testing.assert_frame_equal(found.by_frequency, expected.by_frequency, check_exact=False, rtol=1e-9)

    @pytest.mark.parametrize("which", ["cdnow", "demo"])
    def test_fit_lifetimes(self, cdnow_tables, demo_tables, which):
        tables = cdnow_tables if which == "cdnow" else demo_tables
        expected = fit_lifetimes(transactions_from_tables(tables))
        found = fit_lifetimes_of_tables(tables)
        assert found.data_end == expected.data_end and found.spend_note == expected.spend_note
        assert astuple(found.purchases) == pytest.approx(astuple(expected.purchases), rel=1e-9)
        assert astuple(found.spend) == pytest.approx(astuple(expected.spend), rel=1e-9)
        pd.testing.assert_frame_equal(found.summary, expected.summary, check_exact=False, rtol=1e-12)
