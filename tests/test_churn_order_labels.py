"""Churn labels computed by the engine over the order log: the pandas functions' frames exactly.

Each case is checked against :func:`cutoff_labels` / :func:`inactivity_churn_labels` run on the
whole log read into pandas (what the lab did before), and the crafted cases also against labels
worked out by hand in the comments.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bsc.churn import cutoff_labels, inactivity_churn_labels
from bsc.churn.order_labels import order_log_labels
from bsc.engine import Backend, read_columns
from bsc.errors import InputError
from tests.churn_tables import demo_workspace_tables
from tests.conftest import write_tables

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def backend() -> Backend:
    return Backend.duckdb(threads=1)


def by_pandas(tables: dict, cutoff: str, horizon: int, inactivity: int | None = None) -> pd.DataFrame:
    """The labels as the lab computed them before: the whole log read, rows without id or date dropped."""
    orders = read_columns(tables, "transactions", ["customer_id", "date"]).dropna()
    if inactivity is None:
        return cutoff_labels(orders, cutoff, horizon)
    return inactivity_churn_labels(orders, cutoff, horizon, inactivity)


def log(rows: list[tuple[str | None, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.Series([r[0] for r in rows], dtype="string"),
            "date": pd.to_datetime(pd.Series([r[1] for r in rows]), format="ISO8601").astype(
                "datetime64[us]"
            ),
            "amount": [1.0] * len(rows),
        }
    )


def as_dict(labels: pd.DataFrame) -> dict[str, bool]:
    return dict(zip(labels["customer_id"], labels["churned"], strict=True))


# Cutoff 1 March 2025, a 30-day window: the lab's rule reads [30 Jan, 31 Mar).
EDGES = log(
    [
        ("A", "2025-01-30 00:00:00"),  # A: first instant of the activity window: active...
        ("A", "2025-03-31 00:00:00"),  # ...and the window's end, excluded: churned
        ("B", "2025-01-29 23:59:59.999999"),  # B: a microsecond before the window: not active
        ("C", "2025-02-28 23:59:59"),  # C: active (last second before the cutoff)...
        ("C", "2025-03-01 00:00:00"),  # ...orders at the cutoff itself: stayed
        ("D", "2025-02-10 08:00"),  # D: two orders the same day, one at 8:00...
        ("D", "2025-02-10 17:30"),  # ...one at 17:30...
        ("D", "2025-03-30 23:59:59"),  # ...and one in the last second of the window: stayed
        ("E", "2025-03-05"),  # E: only orders after the cutoff: not active
        (None, "2025-02-01"),  # no id: left out
        ("F", None),  # no date: left out (F has no other order)
        ("G", "2025-02-01"),  # G: active, no order after: churned
    ]
)


class TestTheLabsRule:
    def test_window_edges_duplicates_and_blanks_by_hand(self, tmp_path, backend):
        tables = write_tables(tmp_path, {"transactions": EDGES})
        labels = order_log_labels(tables, "2025-03-01", 30, backend=backend)
        # By hand (comments of EDGES): active A, C, D, G; churned A and G.
        assert as_dict(labels) == {"A": True, "C": False, "D": False, "G": True}
        pd.testing.assert_frame_equal(labels, by_pandas(tables, "2025-03-01", 30))

    def test_a_cutoff_with_a_time_of_day_is_its_day(self, tmp_path, backend):
        tables = write_tables(tmp_path, {"transactions": EDGES})
        pd.testing.assert_frame_equal(
            order_log_labels(tables, "2025-03-01 15:00", 30, backend=backend),
            order_log_labels(tables, "2025-03-01", 30, backend=backend),
        )

    def test_several_files_one_without_dates(self, tmp_path, backend):
        first = write_tables(tmp_path / "one", {"transactions": EDGES.iloc[:6]})
        second = write_tables(tmp_path / "two", {"transactions": EDGES.iloc[6:]})
        undated = write_tables(
            tmp_path / "three", {"transactions": pd.DataFrame({"customer_id": ["H", "A"]})}
        )
        tables = {"transactions": first["transactions"] + undated["transactions"] + second["transactions"]}
        labels = order_log_labels(tables, "2025-03-01", 30, backend=backend)
        # The same orders as EDGES in three files; H has no dated order.
        assert as_dict(labels) == {"A": True, "C": False, "D": False, "G": True}
        pd.testing.assert_frame_equal(labels, by_pandas(tables, "2025-03-01", 30))

    def test_nobody_active_gives_an_empty_frame(self, tmp_path, backend):
        tables = write_tables(tmp_path, {"transactions": EDGES})
        labels = order_log_labels(tables, "2020-01-01", 30, backend=backend)
        assert labels.empty
        pd.testing.assert_frame_equal(labels, by_pandas(tables, "2020-01-01", 30))


# Cutoff 1 March 2025, a 31-day window, 30 days of inactivity: orders of [30 Jan, 1 Apr) count.
LAPSES = log(
    [
        ("A", "2025-02-01"),  # A: lapses on 3 Mar (no order in 30 days)...
        ("A", "2025-03-20"),  # ...and returns inside the window: churned, as the KPI counts it
        ("B", "2025-02-10 23:00"),  # B: late evening...
        ("B", "2025-03-12 01:00"),  # ...next order 30 calendar days later, in the early morning...
        ("B", "2025-03-12 09:00"),  # ...twice that day: not a lapse...
        ("B", "2025-03-31 12:00"),  # ...and this order's churn date (30 Apr) is after the window: stayed
        ("C", "2025-03-01"),  # C: first order at the cutoff: not active
        ("D", "2025-01-30"),  # D: first day read; next order 31 days later...
        ("D", "2025-03-02"),  # ...a lapse on 1 Mar, inside the window: churned
        ("E", "2025-01-29"),  # E: the day before the first day read: ignored...
        ("E", "2025-02-27 18:00"),  # ...makes E active; churn date 29 Mar, in the window: churned
        ("F", "2025-02-28"),  # F: churn date 30 Mar, inside the window...
        ("F", "2025-03-30"),  # ...but the next order is exactly 30 days later: stayed (and 29 Apr is after)
        ("G", "2025-03-02 23:59"),  # G: only after the cutoff: not active
        (None, "2025-02-15"),  # no id: left out
        ("H", None),  # no date: left out
    ]
)


class TestTheKpisRule:
    def test_lapses_returns_and_times_of_day_by_hand(self, tmp_path, backend):
        tables = write_tables(tmp_path, {"transactions": LAPSES})
        labels = order_log_labels(tables, "2025-03-01", 31, 30, backend=backend)
        # By hand (comments of LAPSES): active A, B, D, E, F; churned A, D, E.
        assert as_dict(labels) == {"A": True, "B": False, "D": True, "E": True, "F": False}
        pd.testing.assert_frame_equal(labels, by_pandas(tables, "2025-03-01", 31, 30))

    def test_several_files_split_across_a_customers_orders(self, tmp_path, backend):
        # B's and F's orders sit in both files: the lapse rule must see them together.
        first = write_tables(tmp_path / "one", {"transactions": LAPSES.iloc[::2]})
        second = write_tables(tmp_path / "two", {"transactions": LAPSES.iloc[1::2]})
        tables = {"transactions": first["transactions"] + second["transactions"]}
        labels = order_log_labels(tables, "2025-03-01", 31, 30, backend=backend)
        assert as_dict(labels) == {"A": True, "B": False, "D": True, "E": True, "F": False}
        pd.testing.assert_frame_equal(labels, by_pandas(tables, "2025-03-01", 31, 30))


@pytest.fixture(scope="module")
def demo_tables(tmp_path_factory) -> dict:
    return demo_workspace_tables(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def cdnow_tables(tmp_path_factory) -> dict:
    """The CDNOW sample (1997-01 to 1998-06) as a canonical order log, ids kept zero-padded."""
    raw = pd.read_csv(
        FIXTURES / "cdnow_sample.txt",
        sep=r"\s+",
        header=None,
        names=["customer_id", "order_number", "date", "quantity", "amount"],
        dtype={"customer_id": str, "order_number": str, "date": str},
    )
    orders = pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype("string"),
            "date": pd.to_datetime(raw["date"], format="%Y%m%d").astype("datetime64[us]"),
            "amount": raw["amount"].astype(float),
        }
    )
    return write_tables(tmp_path_factory.mktemp("cdnow"), {"transactions": orders})


@pytest.mark.parametrize("horizon", [30, 90, 365], ids=lambda h: f"{h}d")
@pytest.mark.parametrize("inactivity", [None, 30, 90], ids=lambda w: "lab" if w is None else f"kpi{w}d")
class TestRealLogs:
    @pytest.mark.parametrize("cutoff", ["2025-01-01", "2025-06-15", "2025-11-01"])
    def test_the_demo_company(self, demo_tables, backend, cutoff, horizon, inactivity):
        labels = order_log_labels(demo_tables, cutoff, horizon, inactivity, backend=backend)
        expected = by_pandas(demo_tables, cutoff, horizon, inactivity)
        # The demo company has customers active at these cutoffs, churners and stayers.
        assert labels["churned"].any() and not labels["churned"].all()
        pd.testing.assert_frame_equal(labels, expected)

    @pytest.mark.parametrize("cutoff", ["1997-04-01", "1997-10-15"])
    def test_cdnow(self, cdnow_tables, backend, cutoff, horizon, inactivity):
        labels = order_log_labels(cdnow_tables, cutoff, horizon, inactivity, backend=backend)
        expected = by_pandas(cdnow_tables, cutoff, horizon, inactivity)
        assert len(labels) > 0
        pd.testing.assert_frame_equal(labels, expected)


class TestBadInput:
    @pytest.mark.parametrize(
        ("horizon", "inactivity", "message"),
        [(0, None, "churn window"), (30, 0, "inactivity window"), (1.5, None, "churn window")],
    )
    def test_windows_below_a_day_are_refused(self, tmp_path, backend, horizon, inactivity, message):
        tables = write_tables(tmp_path, {"transactions": EDGES})
        with pytest.raises(InputError, match=message):
            order_log_labels(tables, "2025-03-01", horizon, inactivity, backend=backend)

    def test_a_log_without_dates_is_refused(self, tmp_path, backend):
        tables = write_tables(tmp_path, {"transactions": pd.DataFrame({"customer_id": ["A"]})})
        with pytest.raises(InputError, match=r"needs the column\(s\) date"):
            order_log_labels(tables, "2025-03-01", 30, backend=backend)

    def test_no_log_is_refused(self, backend):
        with pytest.raises(InputError, match="customer_id, date"):
            order_log_labels({}, "2025-03-01", 30, backend=backend)
