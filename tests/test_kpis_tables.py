"""What a scorecard can be split by: segment attributes named as the user's file names them, and
never a column that restates churn; and the derived tables the KPI queries start from, the same
rows whether or not the files let their grouping be skipped."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bsc.engine import Backend
from bsc.errors import InputError
from bsc.kpis import compute_kpis
from bsc.kpis.tables import (
    customer_table,
    customers_listed_once,
    ids_run_steadily,
    one_row_per_customer,
    order_table,
    orders_from_lines,
    outcome_columns,
    resolve_segment_attribute,
    segment_attributes,
    segment_labels,
)
from bsc.workspace import files_workspace
from tests.conftest import FIXTURES

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def telco():
    with files_workspace([FIXTURES / "telco_customers.csv"]) as (tables, _):
        yield tables


@pytest.fixture(scope="module")
def status():
    with files_workspace([FIXTURES / "telco_status.csv"]) as (tables, _):
        yield tables


class TestLabels:
    def test_attributes_show_the_files_headers(self, telco):
        labels = segment_labels(telco)
        assert labels["contract"] == "Contract"
        assert labels["paymentmethod"] == "PaymentMethod"
        assert labels["seniorcitizen"] == "SeniorCitizen"
        assert list(labels) == segment_attributes(telco)

    def test_a_saved_segmentation_reads_as_its_name(self, tmp_path):
        import pandas as pd

        from bsc.store import Store
        from bsc.workspace import import_file

        store = Store(tmp_path)
        workspace = store.create_workspace("Telco")
        import_file(store, workspace.id, FIXTURES / "telco_customers.csv")
        tables = store.workspace_tables(workspace.id)
        ids = pd.read_parquet(tables["customers"][0], columns=["customer_id"])["customer_id"]
        segments = pd.Series(["A", "B"] * (len(ids) // 2) + ["A"] * (len(ids) % 2), index=ids.to_numpy())
        store.save_segmentation(
            workspace.id, name="Value segments", attribute="value_segments", segments=segments
        )
        labels = segment_labels(store.workspace_tables(workspace.id))
        store.engine.dispose()
        assert labels["value_segments"] == "Value segments"
        assert labels["contract"] == "Contract"

    @pytest.mark.parametrize("typed", ["contract", "Contract", "CONTRACT", " contract "])
    def test_a_user_names_an_attribute_in_any_case(self, telco, typed):
        assert resolve_segment_attribute(telco, typed) == "contract"

    def test_the_split_by_contract_matches_the_file(self, telco):
        values = compute_kpis(telco, period="month", by=resolve_segment_attribute(telco, "Contract")).values
        churn = values[(values["kpi"] == "churn_rate") & values["segment"].notna()]
        # awk -F, 'NR>1{n[$8]++; if($13=="Yes") c[$8]++} END{for(k in n) print k, c[k], n[k]}'
        #   -> Month-to-month 6 of 9, One year 2 of 13, Two year 2 of 18
        assert dict(zip(churn["segment"], churn["value"], strict=True)) == pytest.approx(
            {"Month-to-month": 100 * 6 / 9, "One year": 100 * 2 / 13, "Two year": 100 * 2 / 18}
        )

    def test_an_unknown_attribute_lists_the_headers(self, telco):
        with pytest.raises(InputError, match=r"not a segment attribute.*Contract"):
            resolve_segment_attribute(telco, "shoe_size")


class TestOutcomesAreNotSegments:
    def test_the_status_files_outcomes_are_not_offered(self, status):
        assert outcome_columns(status) == {"customer_status", "churn_value", "churn_category", "churn_reason"}
        assert segment_attributes(status) == []

    @pytest.mark.parametrize("typed", ["Churn Reason", "churn_reason", "CUSTOMER STATUS", "Churn Value"])
    def test_naming_one_says_why_it_is_refused(self, status, typed):
        with pytest.raises(InputError, match=r"says who churned or why.*0% or 100%"):
            resolve_segment_attribute(status, typed)

    def test_the_kpis_refuse_to_split_by_one(self, status):
        with pytest.raises(InputError, match="not a segment attribute"):
            compute_kpis(status, by="churn_reason")


def _write(path: Path, **columns: list) -> Path:
    pd.DataFrame(columns).to_parquet(path, index=False)
    return path


def _ids(*values: str | None) -> pd.Series:
    return pd.Series(values, dtype="string")


class TestIdsRunSteadily:
    @pytest.mark.parametrize(
        ("ids", "steady"),
        [
            (["o1", "o2", "o9"], True),
            (["o9", "o2", "o1"], True),
            (["o1", "o1", "o2"], False),
            (["o1", "o3", "o2"], False),
            (["o1", None, "o2"], False),
            ([3, 7, 12], True),
            ([], True),
        ],
        ids=["up", "down", "repeated", "not-in-order", "missing", "integers", "empty"],
    )
    def test_one_file(self, tmp_path: Path, ids: list, steady: bool):
        values = pd.Series(ids, dtype="string" if not ids or isinstance(ids[0], str) else "int64")
        path = _write(tmp_path / "t.parquet", order_id=values)
        assert ids_run_steadily([path], "order_id") is steady

    @pytest.mark.parametrize(
        ("first", "second", "steady"),
        [
            (["a", "b"], ["c", "d"], True),
            (["d", "c"], ["b", "a"], True),
            (["a", "c"], ["b", "d"], False),
            (["a", "b"], ["d", "c"], False),
            (["a", "b"], ["b", "c"], False),
        ],
        ids=["up-through-both", "down-through-both", "overlapping", "turning-back", "shared-id"],
    )
    def test_through_several_files(self, tmp_path: Path, first: list[str], second: list[str], steady: bool):
        paths = [
            _write(tmp_path / "a.parquet", order_id=_ids(*first)),
            _write(tmp_path / "b.parquet", order_id=_ids(*second)),
        ]
        assert ids_run_steadily(paths, "order_id") is steady

    def test_without_the_column(self, tmp_path: Path):
        path = _write(tmp_path / "t.parquet", customer_id=_ids("a"))
        assert ids_run_steadily([path], "order_id") is False

    def test_a_rewritten_file_is_read_again(self, tmp_path: Path):
        import os

        path = _write(tmp_path / "t.parquet", order_id=_ids("o1", "o2"))
        assert ids_run_steadily([path], "order_id") is True
        _write(path, order_id=_ids("o1", "o1", "o2"))
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
        assert ids_run_steadily([path], "order_id") is False


def _rows(backend: Backend, table) -> pd.DataFrame:
    frame = backend.execute(table)
    return frame.sort_values(list(frame.columns), na_position="first").reset_index(drop=True)


class TestSkippedGroupingGivesTheSameRows:
    def test_orders_of_a_log_with_one_line_per_order(self, tmp_path: Path):
        # Lines without a customer or a date are left out either way; a blank amount stays blank.
        path = _write(
            tmp_path / "t.parquet",
            customer_id=_ids("c1", None, "c2", "c1", "c3"),
            date=pd.to_datetime(
                ["2024-01-05 10:00", "2024-01-06 00:00", None, "2024-02-01 00:00", "2024-02-03 00:00"]
            ),
            amount=[10.0, 5.0, 7.0, None, 3.5],
            order_id=_ids("o1", "o2", "o3", "o4", "o5"),
        )
        backend = Backend.duckdb()
        assert ids_run_steadily([path], "order_id") is True
        skipped = _rows(backend, order_table(backend, [path]))
        grouped = _rows(backend, orders_from_lines(backend.read("transactions", [path])))
        pd.testing.assert_frame_equal(skipped, grouped)
        assert skipped["customer_id"].tolist() == ["c1", "c1", "c3"]
        assert skipped["amount"].isna().tolist() == [False, True, False]

    def test_customers_listed_once(self, tmp_path: Path):
        path = _write(
            tmp_path / "c.parquet",
            customer_id=_ids("c1", "c2", "c3", None),
            signup_date=pd.to_datetime(["2024-01-01", None, "2024-02-01", "2024-03-01"]),
            churn_date=pd.to_datetime([None, "2024-03-01", None, None]),
            loyalty_member=pd.Series([True, None, False, True], dtype="boolean"),
            region=_ids("north", None, "south", "east"),
        )
        backend = Backend.duckdb()
        assert ids_run_steadily([path], "customer_id") is False  # a blank id
        customers = backend.read("customers", [path])
        listed_once = _rows(backend, customers_listed_once(customers))
        grouped = _rows(backend, one_row_per_customer(customers))
        pd.testing.assert_frame_equal(listed_once, grouped)
        assert listed_once["customer_id"].tolist() == ["c1", "c2", "c3"]

    def test_customer_table_takes_the_rows_when_each_customer_is_listed_once(self, tmp_path: Path):
        path = _write(
            tmp_path / "c.parquet",
            customer_id=_ids("c1", "c2"),
            loyalty_member=pd.Series([True, None], dtype="boolean"),
            region=_ids("north", None),
        )
        backend = Backend.duckdb()
        frame = _rows(backend, customer_table(backend, [path]))
        assert frame["customer_id"].tolist() == ["c1", "c2"]
        assert frame["region"].tolist()[0] == "north"
        assert frame["_member"].isna().tolist() == [False, True]
