"""Tests of bsc.links.spend: spend in a window after a start, summed by the engine.

The reference is the pandas computation the links used before (``_former_spend_between`` below,
copied from bsc/links/customer.py as it was): every order line read into pandas, joined to the
starts and summed per customer. The engine's sums may differ from pandas' in the last bits only
(both add doubles, in their own order), hence the relative tolerance of 1e-12.
"""

import numpy as np
import pandas as pd
import pytest

from bsc.engine import read_columns
from bsc.links.customer import HORIZON_DAYS, YEAR_DAYS, customer_links
from bsc.links.result import difference_of_means
from bsc.links.spend import order_log
from bsc.workspace import files_workspace
from tests.conftest import write_tables


def _former_orders(tables) -> pd.DataFrame:
    orders = read_columns(tables, "transactions", ["customer_id", "date", "amount"])
    orders = orders.dropna(subset=["customer_id", "date", "amount"])
    return orders.assign(customer_id=orders["customer_id"].astype(str))


def _former_spend_between(orders: pd.DataFrame, starts: pd.DataFrame, days: int) -> pd.Series:
    joined = orders.merge(starts[["customer_id", "start"]], on="customer_id")
    inside = (joined["date"] > joined["start"]) & (
        joined["date"] <= joined["start"] + pd.Timedelta(days=days)
    )
    spent = joined[inside].groupby("customer_id")["amount"].sum()
    return starts["customer_id"].map(spent).fillna(0.0)


def _day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory):
    """Order lines of five customers with ties, refunds and lines missing an id, a date or an amount."""
    orders = pd.DataFrame(
        [
            ("c1", "2024-01-01", 100.0),  # on the start day: before the window
            ("c1", "2024-01-02", 50.0),
            ("c1", "2024-01-11", -20.0),  # a refund, on the window's last day (start + 10): inside
            ("c1", "2024-01-12", 999.0),  # a day after the window; the last complete line
            ("c2", "2024-01-05", 30.0),  # two lines on the same day both count
            ("c2", "2024-01-05", 30.0),
            ("c4", "2024-01-05", 7.0),  # a customer without a start
            (None, "2024-02-01", 1000.0),  # no customer id: left out, and not the log's end
            ("c1", "2024-03-01", None),  # no amount: left out, and not the log's end
            ("c5", None, 40.0),  # no date: left out
        ],
        columns=["customer_id", "date", "amount"],
    )
    orders["date"] = pd.to_datetime(orders["date"])
    return write_tables(tmp_path_factory.mktemp("orders"), {"transactions": orders})


class TestHandMade:
    STARTS = pd.DataFrame(
        {"customer_id": ["c1", "c2", "c3", "c5"], "start": [_day("2024-01-01")] * 4}, index=[10, 11, 12, 13]
    )

    def test_spend_in_the_window_by_hand(self, hand_made):
        # c1: 50 (2 Jan) - 20 (11 Jan) = 30; c2: 30 + 30 = 60 (same-day ties); c3: no orders = 0;
        # c5: its only line has no date = 0. Days 1 Jan (the start) and 12 Jan are outside.
        spend = order_log(hand_made).spend_after(self.STARTS, 10)
        assert spend.to_dict() == {10: 30.0, 11: 60.0, 12: 0.0, 13: 0.0}

    def test_same_as_the_former_pandas_computation(self, hand_made):
        former = _former_spend_between(_former_orders(hand_made), self.STARTS, 10)
        pd.testing.assert_series_equal(
            order_log(hand_made).spend_after(self.STARTS, 10), former, check_names=False
        )

    def test_the_log_ends_at_its_last_complete_line(self, hand_made):
        # The lines of 1 Feb (no id) and 1 Mar (no amount) do not count: 12 Jan, as the former
        # orders["date"].max() after dropping incomplete lines.
        assert order_log(hand_made).end == _day("2024-01-12")
        assert order_log(hand_made).end == _former_orders(hand_made)["date"].max()

    def test_no_starts_give_an_empty_series(self, hand_made):
        empty = self.STARTS.iloc[:0]
        assert order_log(hand_made).spend_after(empty, 10).empty


def test_the_same_amounts_in_another_order_tie(tmp_path):
    # 0.1 + 0.2 + 0.3 = 0.6 for both customers. Summed as doubles in file order, pandas gave
    # 0.6 for "a" and 0.6000000000000001 for "b" (checked on this machine), a false difference
    # that ranks b above a; the exact sum makes them tie, as their spend does.
    day = _day("2024-01-02")
    lines = pd.DataFrame(
        {"customer_id": list("aaabbb"), "date": [day] * 6, "amount": [0.1, 0.2, 0.3, 0.3, 0.2, 0.1]}
    )
    tables = write_tables(tmp_path, {"transactions": lines})
    starts = pd.DataFrame({"customer_id": ["a", "b"], "start": [_day("2024-01-01")] * 2})
    former = _former_spend_between(_former_orders(tables), starts, 10)
    assert former.iloc[0] != former.iloc[1]
    spend = order_log(tables).spend_after(starts, 10)
    assert spend.tolist() == [0.6, 0.6]


class TestNoOrderLog:
    def test_without_transactions(self):
        assert order_log({}) is None

    def test_without_amounts(self, tmp_path):
        lines = pd.DataFrame({"customer_id": ["c1"], "date": [_day("2024-01-01")]})
        assert order_log(write_tables(tmp_path, {"transactions": lines})) is None

    def test_with_no_lines(self, tmp_path):
        lines = pd.DataFrame(
            {
                "customer_id": pd.Series([], dtype=str),
                "date": pd.Series([], dtype="datetime64[us]"),
                "amount": [],
            }
        )
        assert order_log(write_tables(tmp_path, {"transactions": lines})) is None

    def test_only_incomplete_lines_end_at_nat(self, tmp_path):
        # The former code read such a log (no line complete) as empty, with no end date.
        lines = pd.DataFrame({"customer_id": [None], "date": [_day("2024-01-01")], "amount": [5.0]})
        log = order_log(write_tables(tmp_path, {"transactions": lines}))
        assert log is not None and pd.isna(log.end)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo company (1,000 customers, 24 months, seed 7) imported as a workspace."""
    from bsc.demo import write_company

    files = write_company(tmp_path_factory.mktemp("demo"), customers=1000, months=24, xlsx=False)
    with files_workspace(files) as (tables, refused):
        assert not refused
        yield tables


class TestDemoCompany:
    """The two windows the links use, against the former pandas computation."""

    def test_ninety_days_after_the_latest_csat_answer(self, demo):
        orders = _former_orders(demo)
        answers = read_columns(demo, "feedback", ["customer_id", "date", "csat"]).dropna()
        answers = answers.assign(customer_id=answers["customer_id"].astype(str))
        latest = answers[answers["date"] <= orders["date"].max() - pd.Timedelta(days=HORIZON_DAYS)]
        latest = latest.sort_values("date").groupby("customer_id").tail(1).rename(columns={"date": "start"})
        assert len(latest) > 100
        former = _former_spend_between(orders, latest, HORIZON_DAYS)
        found = order_log(demo).spend_after(latest, HORIZON_DAYS)
        assert (former > 0).sum() > 50  # the window holds orders for many of them
        pd.testing.assert_series_equal(found, former, check_names=False, rtol=1e-12)

    def test_first_year_after_signing_up(self, demo):
        orders = _former_orders(demo)
        customers = read_columns(demo, "customers", ["customer_id", "signup_date"]).dropna()
        customers = customers.assign(
            customer_id=customers["customer_id"].astype(str),
            start=customers["signup_date"] - pd.Timedelta(days=1),
        )
        former = _former_spend_between(orders, customers, YEAR_DAYS + 1)
        found = order_log(demo).spend_after(customers, YEAR_DAYS + 1)
        assert (former > 0).sum() > 100
        pd.testing.assert_series_equal(found, former, check_names=False, rtol=1e-12)

    def test_the_csat_spend_link_is_unchanged(self, demo):
        # The link's estimate from the former spend: satisfied (4–5) minus unsatisfied (1–3).
        orders = _former_orders(demo)
        answers = read_columns(demo, "feedback", ["customer_id", "date", "csat"]).dropna()
        answers = answers.assign(customer_id=answers["customer_id"].astype(str))
        latest = answers[answers["date"] <= orders["date"].max() - pd.Timedelta(days=HORIZON_DAYS)]
        latest = latest.sort_values("date").groupby("customer_id").tail(1).rename(columns={"date": "start"})
        spend = _former_spend_between(orders, latest, HORIZON_DAYS)
        expected = difference_of_means(spend[latest["csat"] >= 4], spend[latest["csat"] <= 3])
        [link] = [r for r in customer_links(demo) if (r.cause, r.effect) == ("csat", "revenue_per_customer")]
        assert link.n == expected.n
        assert np.isclose(link.estimate, expected.value, rtol=1e-12, atol=0)
        assert np.isclose(link.ci_low, expected.low, rtol=1e-12, atol=0)
