"""The lifetime models' inputs computed by DuckDB over stored files (:mod:`bsc.clv.stored_log`).

The reference for every figure is the pandas computation it replaces: :func:`bsc.clv.rfm_summary`
of :func:`bsc.clv.transactions_from_tables` over the same files, compared frame to frame with
``pandas.testing.assert_frame_equal`` (index, columns, dtypes, order; floats to 1e-12 relative,
the DuckDB sums adding in another order). The hand-written log's figures are also worked by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bsc.clv import rfm_summary, transactions_from_tables
from bsc.clv.stored_log import (
    holdout_purchases_by_week,
    purchase_span,
    require_transactions,
    rfm_summary_of_tables,
)
from bsc.errors import InputError
from tests.test_clv_summary import cdnow_log

Tables = dict[str, list[Path]]


def _assert_same_summary(
    tables: Tables, calibration_end: str, holdout_end: str | None = None
) -> pd.DataFrame:
    expected = rfm_summary(transactions_from_tables(tables), calibration_end, holdout_end)
    found = rfm_summary_of_tables(tables, calibration_end, holdout_end)
    pd.testing.assert_frame_equal(found, expected, check_exact=False, rtol=1e-12)
    return found


def _write(path: Path, columns: dict[str, pa.Array]) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


class TestSameAsPandas:
    @pytest.mark.parametrize(
        ("calibration_end", "holdout_end"),
        [("1997-09-30", None), ("1997-09-30", "1998-06-30"), ("1997-03-31", "1997-12-31")],
        ids=["fhl-calibration", "fhl-with-holdout", "short-calibration"],
    )
    def test_cdnow(self, cdnow_tables: Tables, calibration_end: str, holdout_end: str | None):
        found = _assert_same_summary(cdnow_tables, calibration_end, holdout_end)
        # 681 customers in the excerpt, all of whom joined in the first quarter of 1997.
        assert len(found) == 681

    @pytest.mark.parametrize(
        ("calibration_end", "holdout_end"),
        [("2025-06-30", None), ("2025-06-30", "2026-10-31"), ("2024-08-15", "2025-01-01")],
        ids=["mid", "mid-with-holdout", "early"],
    )
    def test_demo_company(self, demo_tables: Tables, calibration_end: str, holdout_end: str | None):
        found = _assert_same_summary(demo_tables, calibration_end, holdout_end)
        assert (found["frequency"] > 0).any() and (found["monetary_value"] > 0).any()

    def test_days_as_the_time_unit(self, cdnow_tables: Tables):
        expected = rfm_summary(transactions_from_tables(cdnow_tables), "1997-09-30", time_unit=1)
        pd.testing.assert_frame_equal(
            rfm_summary_of_tables(cdnow_tables, "1997-09-30", time_unit=1), expected
        )


@pytest.fixture(scope="module")
def edge_tables(tmp_path_factory: pytest.TempPathFactory) -> Tables:
    """A hand-written log in two files, the second without amounts."""
    folder = tmp_path_factory.mktemp("edges")
    day = pa.timestamp("us")
    first = _write(
        folder / "lines.parquet",
        {
            "customer_id": pa.array(
                ["A", "A", "A", "A", "B", "B", "B", None, "é", "Z", "10", "9", "H"], pa.large_string()
            ),
            "date": pa.array(
                [
                    pd.Timestamp("2024-01-01 09:00"),
                    pd.Timestamp("2024-01-01 17:30"),
                    pd.Timestamp("2024-01-15"),
                    pd.Timestamp("2024-01-29"),
                    pd.Timestamp("2024-01-08"),
                    pd.Timestamp("2024-01-22"),
                    None,
                    pd.Timestamp("2024-01-02"),
                    pd.Timestamp("2024-01-03"),
                    pd.Timestamp("2024-01-04"),
                    pd.Timestamp("2024-01-05"),
                    pd.Timestamp("2024-01-06"),
                    pd.Timestamp("2024-02-20"),
                ],
                day,
            ),
            # B's Jan 22 is blank; NaN (not null) for "Z", which pandas also reads as blank.
            "amount": pa.array(
                [10.0, 5.0, 20.0, None, 7.0, None, 99.0, 50.0, 3.0, float("nan"), 1.0, 2.0, 8.0],
                pa.float64(),
                from_pandas=False,
            ),
        },
    )
    # Without amounts: A's Feb 5 and "é"'s Jan 10 are purchases of unknown value; B's Jan 29 twice.
    second = _write(
        folder / "more.parquet",
        {
            "customer_id": pa.array(["A", "é", "B", "B", "Z"], pa.large_string()),
            "date": pa.array(
                [
                    pd.Timestamp("2024-02-05"),
                    pd.Timestamp("2024-01-10"),
                    pd.Timestamp("2024-01-29 08:00"),
                    pd.Timestamp("2024-01-29 20:00"),
                    pd.Timestamp("2024-02-15"),
                ],
                day,
            ),
        },
    )
    return {"transactions": [first, second]}


class TestEdgeCases:
    def test_same_as_pandas(self, edge_tables: Tables):
        _assert_same_summary(edge_tables, "2024-02-12")
        _assert_same_summary(edge_tables, "2024-02-12", "2024-02-26")
        _assert_same_summary(edge_tables, "2024-01-20", "2024-03-01")

    def test_worked_by_hand(self, edge_tables: Tables):
        summary = rfm_summary_of_tables(edge_tables, "2024-02-12", "2024-02-26")
        # Sorted by code point, as pandas sorts text: digits, capitals, then "é".
        assert list(summary.index) == ["10", "9", "A", "B", "Z", "é"]
        # A: days Jan 1 (10 + 5 at two times of day), Jan 15 (20), Jan 29 (blank), Feb 5 (no amount):
        # 3 repeats, recency 35 d = 5 weeks, T 42 d = 6 weeks, spend = the one known repeat, 20.
        assert summary.loc["A", ["frequency", "recency", "T", "monetary_value"]].tolist() == [
            3,
            5.0,
            6.0,
            20.0,
        ]
        # B: Jan 8 (7), Jan 22 (blank), Jan 29 (two blank lines: one purchase day); the undated 99 is dropped.
        # 2 repeats, both of unknown value: spend 0, as for a customer without repeats.
        assert summary.loc["B", ["frequency", "recency", "T", "monetary_value"]].tolist() == [
            2,
            3.0,
            5.0,
            0.0,
        ]
        # Z: Jan 4 (NaN), Feb 15 is after the calibration end: in the holdout.
        assert summary.loc["Z", "frequency"] == 0 and summary.loc["Z", "holdout_frequency"] == 1
        # H bought only in the holdout (Feb 20): not a calibration customer; the row without an id is dropped.
        assert "H" not in summary.index and summary["holdout_frequency"].sum() == 1
        assert (summary["holdout_length"] == 2.0).all()

    def test_one_file_without_amounts_is_read_as_blank_amounts(self, edge_tables: Tables):
        assert require_transactions(edge_tables) == edge_tables["transactions"]
        assert purchase_span(edge_tables) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-20"))

    @pytest.mark.parametrize(
        ("calibration_end", "holdout_end", "message"),
        [
            ("2023-01-01", None, "No customer bought on or before the calibration end"),
            ("not a date", None, "The calibration end 'not a date' is not a date"),
            ("2024-02-12", "2024-02-01", "must come after the calibration end"),
            ("2024-02-12", "2024-02-12", "must come after the calibration end"),
            ("2024-02-12", "someday", "The holdout end 'someday' is not a date"),
        ],
        ids=[
            "before-any-purchase",
            "unreadable-calibration-end",
            "holdout-before",
            "holdout-same-day",
            "bad-holdout",
        ],
    )
    def test_the_messages_of_rfm_summary(
        self, edge_tables: Tables, calibration_end: str, holdout_end: str | None, message: str
    ):
        with pytest.raises(InputError) as pandas_error:
            rfm_summary(transactions_from_tables(edge_tables), calibration_end, holdout_end)
        with pytest.raises(InputError) as duckdb_error:
            rfm_summary_of_tables(edge_tables, calibration_end, holdout_end)
        assert str(duckdb_error.value) == str(pandas_error.value)
        assert message in str(duckdb_error.value)

    def test_a_time_unit_must_be_positive(self, edge_tables: Tables):
        with pytest.raises(InputError, match="positive number of days"):
            rfm_summary_of_tables(edge_tables, "2024-02-12", time_unit=0)


class TestCompensatedSums:
    def test_returns_that_cancel_the_repeat_purchases_leave_a_spend_of_exactly_zero(self, tmp_path: Path):
        # A customer of the ten-million-order company: a first order, then two purchases each sent
        # back on a later day. Repeat spend (21.43 − 21.43 + 122.46 − 122.46) / 4 = 0 exactly
        # (math.fsum gives 0.0), so the customer is left out of the Gamma-Gamma fit, which needs a
        # positive spend. pandas' group mean gives 1.78e-15 here (its rounding, within 1e-8 of 0).
        days = ["2024-10-12", "2025-08-09", "2025-10-06", "2026-07-26", "2026-10-06"]
        path = _write(
            tmp_path / "t.parquet",
            {
                "customer_id": pa.array(["C0258538"] * 5),
                "date": pa.array([pd.Timestamp(day) for day in days], pa.timestamp("us")),
                "amount": pa.array([39.25, 21.43, -21.43, 122.46, -122.46]),
            },
        )
        found = _assert_same_summary({"transactions": [path]}, "2026-10-31")
        assert found.loc["C0258538", "frequency"] == 4
        assert found.loc["C0258538", "monetary_value"] == 0.0

    def test_a_days_lines_are_added_with_compensation(self, tmp_path: Path):
        # Repeat days of 0.1 + 0.2 − 0.3 (one day) and 0.1: the exact sum of the first day's three
        # doubles is 2.78e-17 (math.fsum), where adding them in order gives 5.55e-17.
        path = _write(
            tmp_path / "t.parquet",
            {
                "customer_id": pa.array(["A"] * 5),
                "date": pa.array(
                    [
                        pd.Timestamp(day)
                        for day in ("2024-01-01", "2024-01-02", "2024-01-02", "2024-01-02", "2024-01-03")
                    ],
                    pa.timestamp("us"),
                ),
                "amount": pa.array([5.0, 0.1, 0.2, -0.3, 0.1]),
            },
        )
        found = _assert_same_summary({"transactions": [path]}, "2024-01-31")
        assert found.loc["A", "monetary_value"] == (math.fsum([0.1, 0.2, -0.3]) + 0.1) / 2


class TestZonedTimestamps:
    def test_days_are_read_in_utc_as_pandas_reads_them(self, tmp_path: Path):
        # The canonical schema stores naive timestamps; a zoned file (written by another tool) is
        # read as pandas reads it: the UTC day. 23:30 UTC on Jan 31 is Jan 31, 00:30 UTC on Feb 1 is Feb 1.
        path = _write(
            tmp_path / "zoned.parquet",
            {
                "customer_id": pa.array(["A", "A", "A", "B"]),
                "date": pa.array(
                    [
                        pd.Timestamp("2024-01-01 12:00", tz="UTC"),
                        pd.Timestamp("2024-01-31 23:30", tz="UTC"),
                        pd.Timestamp("2024-02-01 00:30", tz="UTC"),
                        pd.Timestamp("2024-03-01 10:00", tz="UTC"),
                    ],
                    pa.timestamp("us", tz="UTC"),
                ),
                "amount": pa.array([1.0, 2.0, 4.0, 8.0]),
            },
        )
        tables = {"transactions": [path]}
        found = _assert_same_summary(tables, "2024-02-14")
        assert found.loc["A", "frequency"] == 2 and found.loc["A", "monetary_value"] == 3.0
        assert purchase_span(tables) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-01"))


class TestMissingData:
    def test_no_amount_in_any_file(self, tmp_path: Path):
        path = _write(
            tmp_path / "t.parquet",
            {"customer_id": pa.array(["A"]), "date": pa.array([pd.Timestamp("2024-01-01")])},
        )
        with pytest.raises(InputError, match=r"\(missing: amount\)\.$"):
            rfm_summary_of_tables({"transactions": [path]}, "2024-02-01")

    def test_no_transaction_table(self):
        with pytest.raises(InputError, match="none was found") as pandas_error:
            transactions_from_tables({})
        with pytest.raises(InputError) as duckdb_error:
            purchase_span({})
        assert str(duckdb_error.value) == str(pandas_error.value)

    def test_an_empty_file(self, tmp_path: Path):
        path = _write(
            tmp_path / "t.parquet",
            {
                "customer_id": pa.array([], pa.string()),
                "date": pa.array([], pa.timestamp("us")),
                "amount": pa.array([], pa.float64()),
            },
        )
        with pytest.raises(InputError, match="none was found"):
            rfm_summary_of_tables({"transactions": [path]}, "2024-02-01")

    def test_no_date(self, tmp_path: Path):
        path = _write(
            tmp_path / "t.parquet",
            {
                "customer_id": pa.array(["A"]),
                "date": pa.array([None], pa.timestamp("us")),
                "amount": pa.array([1.0]),
            },
        )
        with pytest.raises(InputError, match="no readable date"):
            purchase_span({"transactions": [path]})


class TestHoldoutByWeek:
    def test_cdnow_weeks_counted_independently(self, cdnow_tables: Tables):
        # Independent count with pandas: distinct (customer, day) from Oct 1 to Jun 30 of the 681
        # calibration customers (every customer of the excerpt bought by Sep 30), by 7-day week.
        log = cdnow_log()
        days = log.drop_duplicates(["customer_id", "date"])
        later = days[(days["date"] > "1997-09-30") & (days["date"] <= "1998-06-30")]
        weeks = ((later["date"] - pd.Timestamp("1997-09-30")).dt.days - 1) // 7 + 1
        expected = weeks.value_counts().reindex(range(1, 40), fill_value=0)
        found = holdout_purchases_by_week(cdnow_tables, "1997-09-30", "1998-06-30", 39)
        assert found.to_numpy().tolist() == expected.to_numpy().tolist()
        assert list(found.index) == list(range(1, 40))

    def test_only_calibration_customers_and_days_count(self, tmp_path: Path):
        # A bought by Jan 7; B first bought in the holdout and is not counted. A's two lines on
        # Jan 9 are one purchase day; Jan 22 falls after the holdout end (Jan 21): weeks [1, 0].
        # Week 1 is Jan 8–14, week 2 Jan 15–21.
        path = _write(
            tmp_path / "t.parquet",
            {
                "customer_id": pa.array(["A", "A", "A", "A", "B"]),
                "date": pa.array(
                    [
                        pd.Timestamp(d)
                        for d in ("2024-01-01", "2024-01-09", "2024-01-09", "2024-01-22", "2024-01-10")
                    ],
                    pa.timestamp("us"),
                ),
                "amount": pa.array([1.0, 2.0, 3.0, 4.0, np.nan]),
            },
        )
        found = holdout_purchases_by_week({"transactions": [path]}, "2024-01-07", "2024-01-21", 2)
        assert found.tolist() == [1, 0]
