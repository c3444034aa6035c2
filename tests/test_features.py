"""Per-customer features, checked against values worked out by hand.

The "corner shop" below has customers c1–c4 in the customers table, c9 who orders without being
listed, and c5 who only answers a survey. Its last order is on 2024-03-30, so the end of the data
is 2024-03-31 (2024 is a leap year: February has 29 days). Every golden value carries the
arithmetic that produced it. The CDNOW sample is recomputed independently with plain pandas.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bsc.detect import detect_mapping
from bsc.engine import Backend
from bsc.errors import InputError
from bsc.features import FEATURES, customer_features, feature_customers, rfm_features
from bsc.ingest import read_path
from bsc.kpis.tables import lines_are_orders
from bsc.prepare import prepare_table
from tests.conftest import write_tables

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]

FIXTURES = Path(__file__).parent / "fixtures"


def _ids(*values: str | None) -> pd.Series:
    return pd.Series(values, dtype="string")


def _dates(*values: str | None) -> pd.Series:
    return pd.to_datetime(pd.Series(values), format="ISO8601").astype("datetime64[us]")


def corner_shop() -> dict[str, pd.DataFrame]:
    customers = pd.DataFrame(
        {
            "customer_id": _ids("c1", "c2", "c3", "c4"),
            "signup_date": _dates("2024-01-05", "2024-01-20", "2024-02-03", "2024-03-15"),
            "churn": pd.Series([False, True, False, False], dtype="boolean"),
            "churn_date": _dates(None, "2024-03-10", None, None),
            "acquisition_cost": [10.0, 20.0, 30.0, 40.0],
            "loyalty_member": pd.Series([True, False, False, None], dtype="boolean"),
            "region": _ids("north", "south", "north", "south"),
            "age": [30.0, 40.0, 50.0, np.nan],
        }
    )
    transactions = pd.DataFrame(
        {
            "customer_id": _ids("c1", "c1", "c1", "c1", "c2", "c4", "c4", "c9", None),
            "date": _dates(
                "2024-01-05 10:00",
                "2024-01-05 10:05",
                "2024-01-20",
                "2024-03-01",
                "2024-01-21",
                "2024-03-20",
                "2024-03-30 18:00",
                "2024-02-10",
                "2024-03-30",
            ),
            "amount": [10.0, 5.0, 20.0, 30.0, 100.0, 50.0, 25.0, 40.0, 999.0],
            "order_id": _ids("o1", "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8"),
        }
    )
    feedback = pd.DataFrame(
        {
            "customer_id": _ids("c1", "c1", "c2", "c5"),
            "date": _dates("2024-01-10", "2024-03-05", "2024-02-01", "2024-02-15"),
            "nps": [9.0, 6.0, 3.0, 10.0],
            "csat": [5.0, 3.0, np.nan, np.nan],
        }
    )
    support = pd.DataFrame(
        {
            "customer_id": _ids("c1", "c1", "c4"),
            "ticket_id": _ids("t1", "t2", "t3"),
            "opened_at": _dates("2024-01-06 09:00", "2024-02-28 22:00", "2024-03-29 10:00"),
            "first_response_at": _dates("2024-01-06 11:30", "2024-03-01 02:00", None),
        }
    )
    return {"customers": customers, "transactions": transactions, "feedback": feedback, "support": support}


@pytest.fixture(scope="module")
def backend() -> Backend:
    return Backend.duckdb()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    return write_tables(tmp_path_factory.mktemp("shop"), corner_shop())


@pytest.fixture(scope="module")
def features(shop: dict[str, list[Path]], backend: Backend):
    return customer_features(shop, backend=backend)


@pytest.fixture(scope="module")
def before_march(shop: dict[str, list[Path]], backend: Backend):
    return customer_features(shop, cutoff="2024-03-01", backend=backend)


def value(frame: pd.DataFrame, customer: str, feature: str) -> float:
    return float(frame.loc[customer, feature])


class TestWholeHistory:
    def test_customers_are_the_union_of_every_linked_table(self, features):
        # c1–c4 from the customers table, c9 from an order, c5 from a survey answer; the order
        # line without a customer id is left out.
        assert list(features.frame.index) == ["c1", "c2", "c3", "c4", "c5", "c9"]
        assert features.frame.index.name == "customer_id"

    def test_data_end_is_the_day_after_the_last_order(self, features):
        # Last order with a customer id: c4 on 2024-03-30.
        assert features.data_end == pd.Timestamp("2024-03-31")
        assert features.cutoff is None

    @pytest.mark.parametrize(
        ("customer", "recency", "frequency", "monetary"),
        [
            # c1: orders o1 (10 + 5, two lines), o2 (20), o3 (30); last on Mar 1, 30 days before Mar 31.
            ("c1", 30.0, 3.0, 65.0),
            # c2: o4 (100) on Jan 21: Jan 21→Feb 21 is 31 days, →Mar 21 29, →Mar 31 10: 70.
            ("c2", 70.0, 1.0, 100.0),
            # c4: o5 (50) and o6 (25) on Mar 30 at 18:00: whole days, Mar 30→Mar 31 is 1.
            ("c4", 1.0, 2.0, 75.0),
            # c9: o7 (40) on Feb 10: Feb 10→Mar 10 is 29 days (leap year), →Mar 31 21: 50.
            ("c9", 50.0, 1.0, 40.0),
        ],
        ids=["c1-three-orders", "c2-one-order", "c4-same-week", "c9-not-in-customers"],
    )
    def test_rfm(self, features, customer, recency, frequency, monetary):
        frame = features.frame
        assert value(frame, customer, "recency_days") == recency
        assert value(frame, customer, "frequency") == frequency
        assert value(frame, customer, "monetary") == pytest.approx(monetary)
        assert value(frame, customer, "average_order_value") == pytest.approx(monetary / frequency)

    def test_customer_without_orders(self, features):
        # c3 signed up but never ordered: no recency, nothing spent, no average order.
        frame = features.frame
        assert math.isnan(value(frame, "c3", "recency_days"))
        assert value(frame, "c3", "frequency") == 0.0
        assert value(frame, "c3", "monetary") == 0.0
        assert math.isnan(value(frame, "c3", "average_order_value"))

    @pytest.mark.parametrize(
        ("customer", "tenure"),
        [
            # Signup Jan 5 = first order: Jan 5→Feb 5 is 31 days, →Mar 5 29, →Mar 31 26: 86.
            ("c1", 86.0),
            # Signup Jan 20, first order Jan 21: from Jan 20, 70 + 1 = 71.
            ("c2", 71.0),
            # Signup Feb 3, no order: Feb 3→Mar 3 is 29 days, →Mar 31 28: 57.
            ("c3", 57.0),
            # Signup Mar 15: 16 days to Mar 31.
            ("c4", 16.0),
            # No signup date: from the first order, Feb 10, 50 days as for recency.
            ("c9", 50.0),
        ],
        ids=["c1", "c2", "c3-no-orders", "c4", "c9-first-order"],
    )
    def test_tenure(self, features, customer, tenure):
        assert value(features.frame, customer, "tenure_days") == tenure

    def test_tenure_unknown_without_signup_or_order(self, features):
        assert math.isnan(value(features.frame, "c5", "tenure_days"))

    def test_numeric_customer_attributes(self, features):
        frame = features.frame
        assert frame["acquisition_cost"].loc[["c1", "c2", "c3", "c4"]].tolist() == [10.0, 20.0, 30.0, 40.0]
        assert frame["age"].loc[["c1", "c2", "c3"]].tolist() == [30.0, 40.0, 50.0]
        assert frame["loyalty_member"].loc[["c1", "c2", "c3"]].tolist() == [1.0, 0.0, 0.0]
        # c4's membership is unknown; c9 and c5 are not in the customers table.
        assert frame[["age", "loyalty_member", "acquisition_cost"]].loc[
            ["c4", "c5", "c9"]
        ].isna().sum().tolist() == [
            3,
            3,
            2,
        ]

    def test_labels_and_segment_attributes_are_not_features(self, features):
        # The churn flag and date are what a churn model predicts; region is a segment, not a number.
        assert not {"churn", "churn_date", "region", "signup_date"} & set(features.frame.columns)
        assert set(features.frame.dtypes.astype(str)) == {"float64"}

    def test_survey_means(self, features):
        frame = features.frame
        # c1: NPS (9 + 6) / 2 = 7.5, CSAT (5 + 3) / 2 = 4; two responses.
        assert value(frame, "c1", "nps_mean") == 7.5
        assert value(frame, "c1", "csat_mean") == 4.0
        assert value(frame, "c1", "survey_responses") == 2.0
        # c2 answered NPS 3 and skipped CSAT.
        assert value(frame, "c2", "nps_mean") == 3.0
        assert math.isnan(value(frame, "c2", "csat_mean"))
        # c3 never answered: unknown means, zero responses.
        assert math.isnan(value(frame, "c3", "nps_mean"))
        assert value(frame, "c3", "survey_responses") == 0.0
        # No CES or rating column: no such feature.
        assert "ces_mean" not in frame.columns and "rating_mean" not in frame.columns

    def test_support_figures(self, features):
        frame = features.frame
        # c1: t1 answered after 2.5 h (09:00→11:30), t2 after 28 h (Feb 28 22:00→Mar 1 02:00,
        # leap day between): mean (2.5 + 28) / 2 = 15.25.
        assert value(frame, "c1", "tickets") == 2.0
        assert value(frame, "c1", "first_response_hours") == pytest.approx(15.25)
        # c4's only ticket is unanswered; c2 has none.
        assert value(frame, "c4", "tickets") == 1.0
        assert math.isnan(value(frame, "c4", "first_response_hours"))
        assert value(frame, "c2", "tickets") == 0.0

    def test_missing_values_are_counted(self, features):
        missing = features.missing()
        # recency: c3, c5 have no orders; nps_mean: c3, c4, c9 never answered.
        assert missing["recency_days"] == 2
        assert missing["nps_mean"] == 3
        assert missing["frequency"] == 0

    def test_every_column_has_a_definition(self, features):
        assert list(features.definitions) == list(features.frame.columns)
        assert features.definitions["monetary"] is FEATURES["monetary"]
        assert features.definitions["age"].source == "customers"


class TestCutoff:
    def test_customers_who_signed_up_later_are_left_out(self, before_march):
        # c4 signed up on Mar 15; c9 ordered and c5 answered before March.
        assert list(before_march.frame.index) == ["c1", "c2", "c3", "c5", "c9"]
        assert before_march.data_end == pd.Timestamp("2024-03-01")
        assert before_march.cutoff == pd.Timestamp("2024-03-01")

    @pytest.mark.parametrize(
        ("customer", "recency", "frequency", "monetary", "tenure"),
        [
            # c1: o1 (15) and o2 (20); o3 is on the cutoff day, so not before it. Last order Jan 20:
            # Jan 20→Feb 20 31 days, →Mar 1 10: 41. Tenure from Jan 5: 31 + 25 = 56.
            ("c1", 41.0, 2.0, 35.0, 56.0),
            # c2: o4 on Jan 21: 31 + 9 = 40 days; signup Jan 20: 41.
            ("c2", 40.0, 1.0, 100.0, 41.0),
            # c9: o7 on Feb 10: 20 days to Mar 1 (Feb has 29).
            ("c9", 20.0, 1.0, 40.0, 20.0),
        ],
        ids=["c1", "c2", "c9"],
    )
    def test_only_earlier_orders_count(self, before_march, customer, recency, frequency, monetary, tenure):
        frame = before_march.frame
        assert value(frame, customer, "recency_days") == recency
        assert value(frame, customer, "frequency") == frequency
        assert value(frame, customer, "monetary") == monetary
        assert value(frame, customer, "tenure_days") == tenure

    def test_only_earlier_survey_answers_count(self, before_march):
        # c1's Mar 5 answer (NPS 6) is after the cutoff: only Jan 10 (NPS 9, CSAT 5) remains.
        frame = before_march.frame
        assert value(frame, "c1", "nps_mean") == 9.0
        assert value(frame, "c1", "csat_mean") == 5.0
        assert value(frame, "c1", "survey_responses") == 1.0

    def test_responses_given_after_the_cutoff_are_not_counted(self, before_march):
        # Both of c1's tickets were opened before March, but t2 was answered on Mar 1 at 02:00:
        # two tickets, mean response over t1 alone, 2.5 h.
        frame = before_march.frame
        assert value(frame, "c1", "tickets") == 2.0
        assert value(frame, "c1", "first_response_hours") == 2.5

    @pytest.mark.parametrize(
        "cutoff",
        ["2024-03-01", pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-01").date()],
        ids=["text", "timestamp", "date"],
    )
    def test_cutoff_types(self, shop, backend, cutoff):
        frame = rfm_features(shop, cutoff=cutoff, backend=backend)
        assert frame.loc["c1", "frequency"] == 2.0

    def test_no_data_before_the_cutoff(self, shop, backend):
        with pytest.raises(InputError, match="before 2023-01-01"):
            customer_features(shop, cutoff="2023-01-01", backend=backend)

    def test_a_cutoff_that_is_not_a_date(self, shop, backend):
        with pytest.raises(InputError, match="not a date"):
            customer_features(shop, cutoff="next tuesday", backend=backend)


class TestChosenCustomers:
    def test_chosen_customers_get_the_rows_of_the_whole_frame(self, shop, backend, before_march):
        # c4 signed up after the cutoff and "c7" is no customer: neither has a row, as in the
        # whole frame (c1, c2, c3, c5, c9, see TestCutoff); the rows come sorted by id.
        chosen = customer_features(
            shop, cutoff="2024-03-01", backend=backend, customers=["c9", "c1", "c4", "c7", None]
        )
        pd.testing.assert_frame_equal(chosen.frame, before_march.frame.loc[["c1", "c9"]])
        assert chosen.definitions == before_march.definitions
        assert chosen.data_end == before_march.data_end

    def test_no_chosen_customer_with_data_gives_no_rows(self, shop, backend, before_march):
        chosen = customer_features(shop, cutoff="2024-03-01", backend=backend, customers=["c4"])
        assert chosen.frame.empty
        assert list(chosen.frame.columns) == list(before_march.frame.columns)

    def test_chosen_customers_need_a_cutoff(self, shop, backend):
        with pytest.raises(ValueError, match="cutoff"):
            customer_features(shop, backend=backend, customers=["c1"])

    def test_the_ids_with_features(self, shop, backend, before_march, features):
        ids = feature_customers(shop, cutoff="2024-03-01", backend=backend)
        assert ids.tolist() == ["c1", "c2", "c3", "c5", "c9"]
        assert ids.tolist() == before_march.frame.index.tolist()
        assert feature_customers(shop, backend=backend).tolist() == features.frame.index.tolist()


def test_a_log_of_one_line_per_order_gives_the_same_features_before_a_cutoff(tmp_path, backend, monkeypatch):
    # The corner shop with o1's second line made an order of its own (order ids then run
    # steadily, one per line): the features before March read the lines as orders, without
    # grouping by order id, and must equal those of the grouping (lines_are_orders forced off).
    tables = corner_shop()
    tables["transactions"]["order_id"] = _ids("o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o9")
    paths = write_tables(tmp_path, tables)
    assert lines_are_orders(paths["transactions"])
    shortcut = customer_features(paths, cutoff="2024-03-01", backend=backend)
    monkeypatch.setattr("bsc.features.lines_are_orders", lambda files: False)
    grouped = customer_features(paths, cutoff="2024-03-01", backend=Backend.duckdb())
    pd.testing.assert_frame_equal(shortcut.frame, grouped.frame)
    # c1: three orders before March, 10 + 5 + 20 (the lines of Jan 5 and Jan 20).
    assert value(shortcut.frame, "c1", "frequency") == 3.0
    assert value(shortcut.frame, "c1", "monetary") == 35.0


class TestRfmFeatures:
    def test_matches_the_full_table(self, shop, backend, features):
        rfm = rfm_features(shop, backend=backend)
        # Only customers with an order; same values as the full table.
        assert list(rfm.index) == ["c1", "c2", "c4", "c9"]
        expected = features.frame.loc[rfm.index, list(rfm.columns)]
        pd.testing.assert_frame_equal(rfm, expected)

    def test_orders_without_order_ids_are_customer_days(self, tmp_path, backend):
        # Two lines of c1 on Jan 5 (morning and evening) are one order; Jan 6 is another.
        log = pd.DataFrame(
            {
                "customer_id": _ids("c1", "c1", "c1"),
                "date": _dates("2024-01-05 09:00", "2024-01-05 20:00", "2024-01-06"),
                "amount": [1.0, 2.0, 4.0],
            }
        )
        rfm = rfm_features(write_tables(tmp_path, {"transactions": log}), backend=backend)
        # Data end Jan 7; last order Jan 6: 1 day; 2 orders; 1 + 2 + 4 = 7.
        assert rfm.loc["c1"].tolist() == [1.0, 2.0, 7.0, 3.5]

    def test_two_transaction_files_are_one_log(self, tmp_path, backend):
        first = pd.DataFrame({"customer_id": _ids("a"), "date": _dates("2024-01-01"), "amount": [5.0]})
        second = pd.DataFrame(
            {"customer_id": _ids("a", "b"), "date": _dates("2024-01-03", "2024-01-04"), "amount": [7.0, 1.0]}
        )
        tables = {
            "transactions": [
                *write_tables(tmp_path / "one", {"transactions": first})["transactions"],
                *write_tables(tmp_path / "two", {"transactions": second})["transactions"],
            ]
        }
        rfm = rfm_features(tables, backend=backend)
        # End Jan 5; a: last Jan 3 (2 days), 2 orders, 12; b: Jan 4 (1 day), 1 order, 1.
        assert rfm["recency_days"].tolist() == [2.0, 1.0]
        assert rfm["frequency"].tolist() == [2.0, 1.0]
        assert rfm["monetary"].tolist() == [12.0, 1.0]

    def test_needs_a_transaction_log(self, shop, backend):
        with pytest.raises(InputError, match="transaction log"):
            rfm_features({"customers": shop["customers"]}, backend=backend)


class TestOtherShapes:
    def test_response_minutes_instead_of_response_time(self, tmp_path, backend):
        support = pd.DataFrame(
            {
                "customer_id": _ids("a", "a"),
                "opened_at": _dates("2024-01-01 10:00", "2024-01-02 10:00"),
                "response_minutes": [30.0, 90.0],
            }
        )
        tables = write_tables(tmp_path, {"support": support})
        frame = customer_features(tables, backend=backend).frame
        # (30 + 90) / 2 = 60 minutes = 1 hour.
        assert frame.loc["a", "first_response_hours"] == 1.0
        # The 90-minute answer to the Jan 2 ticket came at 11:30, after a cutoff at 11:00.
        later = customer_features(tables, cutoff="2024-01-02 11:00", backend=backend).frame
        assert later.loc["a", "tickets"] == 2.0
        assert later.loc["a", "first_response_hours"] == 0.5

    def test_no_table_with_customer_ids(self, tmp_path, backend):
        marketing = pd.DataFrame({"date": _dates("2024-01-01"), "spend": [1.0]})
        with pytest.raises(InputError, match="customer ids"):
            customer_features(write_tables(tmp_path, {"marketing": marketing}), backend=backend)

    def test_unknown_feature_is_refused(self, features):
        with pytest.raises(InputError, match="Unknown feature"):
            features.select(["frequency", "shoe_size"])


# --------------------------------------------------------------------------------------------
# CDNOW sample: an independent computation with plain pandas
# --------------------------------------------------------------------------------------------


def cdnow_canonical() -> pd.DataFrame:
    table = read_path(FIXTURES / "cdnow_sample.txt")[0]
    return prepare_table(table.frame, detect_mapping(table.frame, table.name)).canonical


def test_cdnow_rfm_equals_plain_pandas(tmp_path, backend):
    log = cdnow_canonical()
    rfm = rfm_features(write_tables(tmp_path, {"transactions": log}), backend=backend)

    # No order ids in CDNOW: an order is a customer and a day.
    days = log.assign(day=log["date"].dt.normalize())
    orders = days.groupby(["customer_id", "day"])["amount"].sum().reset_index()
    end = orders["day"].max() + pd.Timedelta(days=1)
    by_customer = orders.groupby("customer_id")
    expected = pd.DataFrame(
        {
            "recency_days": (end - by_customer["day"].max()).dt.days.astype("float64"),
            "frequency": by_customer.size().astype("float64"),
            "monetary": by_customer["amount"].sum(),
        }
    )
    assert list(rfm.index) == sorted(expected.index)
    assert rfm.index[0] == "00004"  # zero padding kept
    pd.testing.assert_frame_equal(
        rfm[["recency_days", "frequency", "monetary"]], expected.loc[rfm.index], check_names=False
    )


@pytest.fixture(scope="module")
def named_features(tmp_path_factory: pytest.TempPathFactory):
    """A customers column named like a computed feature (tickets), beside support tickets."""
    raw = pd.DataFrame(
        {
            "Customer": ["c1", "c2", "c3"],
            "tickets": ["7", "0", "2"],  # the user's own count, e.g. from their CRM
            "TotalCharges": ["10.5", "20", "30"],
        }
    )
    mapping = detect_mapping(raw, "customers.csv")
    assert mapping.attributes == ["tickets", "TotalCharges"]
    customers = prepare_table(raw, mapping).canonical
    support = pd.DataFrame(
        {
            "customer_id": _ids("c1", "c1", "c3"),
            "opened_at": _dates("2024-01-02", "2024-01-05", "2024-01-09"),
        }
    )
    tables = write_tables(tmp_path_factory.mktemp("names"), {"customers": customers, "support": support})
    return customer_features(tables)


class TestUserColumnNames:
    """A customers column keeps its name and header; a computed feature meeting it gives way."""

    def test_the_users_column_keeps_its_name(self, named_features):
        assert named_features.frame["tickets"].tolist() == [7.0, 0.0, 2.0]
        assert named_features.definitions["tickets"].label == "tickets"
        assert "tickets_attr" not in named_features.frame.columns

    def test_the_computed_feature_gives_way(self, named_features):
        # Support tickets opened: c1 two, c2 none, c3 one.
        assert named_features.frame["support_tickets"].tolist() == [2.0, 0.0, 1.0]
        assert named_features.definitions["support_tickets"].label == "Support tickets"
        assert named_features.definitions["support_tickets"].id == "support_tickets"
        # These tickets carry opening dates only: no response time to average.
        assert "first_response_hours" not in named_features.frame.columns

    def test_attributes_are_labelled_by_their_header(self, named_features):
        assert named_features.definitions["totalcharges"].label == "TotalCharges"

    @pytest.mark.parametrize(
        ("typed", "name"),
        [
            ("tickets", "tickets"),
            ("Tickets", "tickets"),
            ("support tickets", "support_tickets"),
            ("TotalCharges", "totalcharges"),
            ("TOTALCHARGES", "totalcharges"),
        ],
    )
    def test_names_are_resolved_in_any_case(self, named_features, typed, name):
        assert named_features.resolve([typed]) == [name]

    def test_an_unknown_name_is_an_input_error(self, named_features):
        with pytest.raises(InputError, match=r"Unknown feature.*shoe_size.*TotalCharges"):
            named_features.resolve(["shoe_size"])
