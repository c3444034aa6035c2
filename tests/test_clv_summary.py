"""The per-customer purchase summary (:mod:`bsc.clv.summary`)."""

from __future__ import annotations

import pandas as pd
import pytest

from bsc.clv import rfm_summary
from bsc.errors import InputError
from tests.conftest import FIXTURES


def cdnow_log() -> pd.DataFrame:
    """The committed CDNOW excerpt, keyed by the sample's customer id (1–681) as the published summary is."""
    log = pd.read_csv(
        FIXTURES / "cdnow_sample.txt",
        sep=r"\s+",
        header=None,
        names=["original_id", "customer_id", "date", "cds", "amount"],
        dtype={"date": str},
    )
    log["date"] = pd.to_datetime(log["date"], format="%Y%m%d")
    return log


# A hand-written log: dates and values chosen so every summary figure can be worked by hand.
LOG = pd.DataFrame(
    {
        "customer_id": ["A", "A", "A", "A", "B", "C", "C", "D"],
        "date": pd.to_datetime(
            [
                "2024-01-01",
                "2024-01-01",
                "2024-01-15",
                "2024-01-29",
                "2024-01-08",
                "2024-01-22",
                "2024-02-19",
                "2024-02-20",
            ]
        ),
        "amount": [10.0, 5.0, 20.0, 40.0, 7.0, 12.0, 30.0, 9.0],
    }
)


class TestHandWritten:
    def test_same_day_purchases_are_one_and_the_first_is_left_out_of_spend(self):
        summary = rfm_summary(LOG, "2024-02-12")
        # A: days Jan 1 (10 + 5), Jan 15, Jan 29 -> 2 repeats; recency 28 d = 4 weeks; T = 42 d = 6 weeks;
        # spend (20 + 40) / 2 = 30. B: one purchase, T = 35 d = 5 weeks. C: Jan 22 only by the end
        # (Feb 19 is later): T = 21 d = 3 weeks. D bought (Feb 20) after the calibration end: not a customer yet.
        assert list(summary.index) == ["A", "B", "C"]
        assert summary.loc["A"].tolist() == [2, 4.0, 6.0, 30.0]
        assert summary.loc["B"].tolist() == [0, 0.0, 5.0, 0.0]
        assert summary.loc["C"].tolist() == [0, 0.0, 3.0, 0.0]

    def test_holdout_counts_purchase_days_after_the_calibration_end(self):
        summary = rfm_summary(LOG, "2024-02-12", "2024-02-26")
        # C buys on Feb 19, D on Feb 20 but D is not a calibration customer; the holdout is 14 days = 2 weeks.
        assert summary["holdout_frequency"].to_dict() == {"A": 0, "B": 0, "C": 1}
        assert (summary["holdout_length"] == 2.0).all()

    def test_days_as_the_time_unit(self):
        summary = rfm_summary(LOG, "2024-02-12", time_unit=1)
        assert summary.loc["A", "recency"] == 28 and summary.loc["A", "T"] == 42


class TestPublishedCdnowSummary:
    def test_the_excerpt_gives_the_published_summary_of_its_customers(self):
        # Golden values: cdnow_summary.csv (x, t_x, T, zbar rounded to 2 decimals), the summary of
        # the 2,357-customer CDNOW sample, calibration to 1997-09-30, as used by Fader, Hardie & Lee.
        summary = rfm_summary(cdnow_log(), "1997-09-30")
        published = pd.read_csv(FIXTURES / "cdnow_summary.csv", index_col="ID").loc[summary.index]
        assert len(summary) == 681
        assert (summary["frequency"] == published["x"]).all()
        for ours, theirs in (("recency", "t_x"), ("T", "T"), ("monetary_value", "zbar")):
            assert (summary[ours] - published[theirs]).abs().max() <= 0.005 + 1e-9, ours


class TestBadInput:
    @pytest.mark.parametrize(
        ("calibration_end", "holdout_end", "message"),
        [
            ("2023-01-01", None, "No customer bought"),
            ("not a date", None, "is not a date"),
            ("2024-02-12", "2024-02-01", "must come after"),
        ],
        ids=["before-any-purchase", "unreadable-date", "holdout-before-calibration"],
    )
    def test_clear_messages(self, calibration_end, holdout_end, message):
        with pytest.raises(InputError, match=message):
            rfm_summary(LOG, calibration_end, holdout_end)

    def test_missing_column(self):
        with pytest.raises(InputError, match="amount"):
            rfm_summary(LOG.drop(columns="amount"), "2024-02-12")
