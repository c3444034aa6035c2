"""The back-test of the lifetime models (:mod:`bsc.clv.backtest`)."""

from __future__ import annotations

from dataclasses import astuple

import numpy as np
import pandas as pd
import pytest

from bsc.clv import back_test, transactions_from_tables
from bsc.clv.backtest import BackTest, back_test_of_tables
from bsc.errors import InputError
from tests.test_clv_summary import cdnow_log


@pytest.fixture(scope="module")
def result():
    return back_test(cdnow_log(), "1997-09-30", "1998-06-30")


class TestCdnowExcerpt:
    def test_actual_holdout_purchases_counted_independently(self, result):
        # Independent count: distinct purchase days from 1997-10-01 to 1998-06-30 of the customers who
        # bought by 1997-09-30 (all 681 of the excerpt joined in Jan–Mar 1997).
        log = cdnow_log()
        later = log[(log["date"] > "1997-09-30") & (log["date"] <= "1998-06-30")]
        assert result.actual == later.drop_duplicates(["customer_id", "date"]).shape[0]
        assert result.summary["holdout_frequency"].sum() == result.actual
        assert result.holdout_length == pytest.approx(273 / 7)

    def test_rmse_and_naive_baseline_from_their_definitions(self, result):
        s = result.summary
        naive = s["frequency"] / s["T"] * (273 / 7)
        assert result.naive_rmse == pytest.approx(np.sqrt(((naive - s["holdout_frequency"]) ** 2).mean()))
        assert result.rmse == pytest.approx(np.sqrt(((s["predicted"] - s["holdout_frequency"]) ** 2).mean()))

    def test_on_cdnow_the_model_beats_the_past_rate(self, result):
        # FHL (2005) found the same on the full sample: past rates overshoot for heavy buyers.
        assert result.model_is_better
        assert "better than their past rate" in result.verdict
        assert result.predicted == pytest.approx(result.actual, rel=0.15)

    def test_groups_by_calibration_purchases(self, result):
        groups = result.by_frequency
        assert list(groups.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
        assert groups["customers"].sum() == 681


def clockwork_log(customers: int = 150, seed: int = 5) -> pd.DataFrame:
    """Customers who buy like clockwork, every k days (k 7–60) for two years, none ever leaving.

    Here the past rate is nearly exact, and a model that expects dropouts can only do worse.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for number in range(customers):
        every = int(rng.integers(7, 61))
        start = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 60)))
        for day in pd.date_range(start, "2024-12-31", freq=f"{every}D"):
            rows.append((f"C{number}", day, 20.0 + number % 7))
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


class TestNoBetter:
    def test_the_verdict_says_plainly_when_the_model_does_no_better(self):
        result = back_test(clockwork_log(), "2023-12-31")
        assert not result.model_is_better
        assert result.verdict.startswith("The model does no better than each customer's past rate")


class TestBadInput:
    def test_no_holdout_after_the_calibration(self):
        with pytest.raises(InputError, match="no later purchases are left"):
            back_test(cdnow_log(), "1998-06-30")

    def test_holdout_before_the_calibration_end(self):
        with pytest.raises(InputError, match="must come after"):
            back_test(cdnow_log(), "1997-09-30", "1997-06-30")


def assert_same_back_test(found: BackTest, expected: BackTest) -> None:
    """Equal figures; fitted parameters and scores within 1e-9 (the summaries' spend sums may
    differ in the last bits, DuckDB adding in another order)."""
    assert astuple(found.purchases.params_) == pytest.approx(astuple(expected.purchases.params_), rel=1e-9)
    assert (found.spend is None) == (expected.spend is None)
    if expected.spend is not None:
        assert astuple(found.spend.params_) == pytest.approx(astuple(expected.spend.params_), rel=1e-9)
    assert found.spend_note == expected.spend_note
    assert (found.holdout_length, found.actual) == (expected.holdout_length, expected.actual)
    for figure in ("predicted", "naive_predicted", "rmse", "naive_rmse"):
        assert getattr(found, figure) == pytest.approx(getattr(expected, figure), rel=1e-9), figure
    assert found.verdict == expected.verdict
    pd.testing.assert_frame_equal(found.summary, expected.summary, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(found.by_frequency, expected.by_frequency, check_exact=False, rtol=1e-9)


class TestFromStoredFiles:
    """:func:`back_test_of_tables` (summary by DuckDB) against :func:`back_test` of the same files in pandas."""

    @pytest.mark.parametrize("holdout_end", [None, "1998-03-31"], ids=["to-the-data-end", "shorter"])
    def test_cdnow(self, cdnow_tables, holdout_end):
        expected = back_test(transactions_from_tables(cdnow_tables), "1997-09-30", holdout_end)
        assert_same_back_test(back_test_of_tables(cdnow_tables, "1997-09-30", holdout_end), expected)

    def test_demo_company(self, demo_tables):
        expected = back_test(transactions_from_tables(demo_tables), "2025-10-31")
        assert_same_back_test(back_test_of_tables(demo_tables, "2025-10-31"), expected)

    def test_no_holdout_after_the_calibration(self, cdnow_tables):
        with pytest.raises(InputError, match="The data end on 1998-06-30, by the calibration end"):
            back_test_of_tables(cdnow_tables, "1998-06-30")
