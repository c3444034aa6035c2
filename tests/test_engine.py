"""Backends: reading canonical Parquet tables, keeping them loaded, choosing DuckDB or Spark."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pyarrow as pa
import pytest

from bsc import engine
from bsc.engine import (
    ASSIGNMENTS,
    SPARK_MASTER_ENV,
    Backend,
    default_backend,
    files_key,
    loaded_tables,
    read_columns,
    table_columns,
)
from bsc.errors import InputError
from bsc.memory import DEFAULT_DUCKDB_MEMORY_MB, DUCKDB_MEMORY_SETTING, DUCKDB_TEMP_DIR_SETTING

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


def write(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_parquet(path, index=False)
    return path


def orders(ids: list[str], amounts: list[float], **extra: list) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.Series(ids, dtype="string"),
            "date": pd.to_datetime(["2024-01-01"] * len(ids)).astype("datetime64[us]"),
            "amount": amounts,
            **extra,
        }
    )


@pytest.fixture
def backend() -> Backend:
    return Backend.duckdb()


class TestRead:
    def test_reads_one_file(self, tmp_path: Path, backend: Backend):
        path = write(tmp_path / "t.parquet", orders(["a", "b"], [1.0, 2.0]))
        frame = backend.execute(backend.read("transactions", [path]))
        assert frame["customer_id"].tolist() == ["a", "b"]
        assert frame["amount"].sum() == 3.0

    def test_unions_files_by_column_name(self, tmp_path: Path, backend: Backend):
        first = write(tmp_path / "a.parquet", orders(["a"], [1.0], store=pd.Series(["east"], dtype="string")))
        second = write(tmp_path / "b.parquet", orders(["b", "c"], [2.0, 3.0], order_id=pd.Series(["o2", "o3"], dtype="string")))  # fmt: skip
        table = backend.read("transactions", [first, second])
        frame = backend.execute(table.order_by("customer_id"))
        assert set(table.columns) == {"customer_id", "date", "amount", "store", "order_id"}
        assert frame["customer_id"].tolist() == ["a", "b", "c"]
        assert frame["store"].isna().tolist() == [False, True, True]
        assert frame["order_id"].isna().tolist() == [True, False, False]

    def test_keeps_loaded_tables_until_the_file_changes(self, tmp_path: Path, backend: Backend):
        path = write(tmp_path / "t.parquet", orders(["a"], [1.0]))
        first = backend.read("transactions", [path])
        assert backend.read("transactions", [path]) is first
        write(path, orders(["a", "b"], [1.0, 2.0]))
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
        reread = backend.read("transactions", [path])
        assert reread is not first
        assert backend.execute(reread.count()) == 2

    def test_forget_drops_loaded_tables(self, tmp_path: Path, backend: Backend):
        path = write(tmp_path / "t.parquet", orders(["a"], [1.0]))
        first = backend.read("transactions", [path])
        backend.forget()
        assert backend.read("transactions", [path]) is not first

    def test_casts_roles_stored_with_other_types(self, tmp_path: Path, backend: Backend):
        frame = pd.DataFrame(
            {
                "customer_id": [101, 102],
                "date": pd.to_datetime(["2024-01-01", "2024-01-02"]).date,
                "amount": [3, 4],
            }
        )
        path = tmp_path / "t.parquet"
        pa.parquet.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
        schema = backend.read("transactions", [path]).schema()
        assert schema["customer_id"].is_string()
        assert schema["date"].is_timestamp()
        assert schema["amount"].is_float64()

    @pytest.mark.parametrize(
        ("kind", "paths", "message"),
        [
            ("transactions", [], "No stored file"),
            ("transactions", ["missing.parquet"], "missing.parquet are missing"),
            ("orders", ["t.parquet"], "Unknown table kind 'orders'"),
        ],
        ids=["no-file", "missing-file", "unknown-kind"],
    )
    def test_bad_input(self, tmp_path: Path, backend: Backend, kind: str, paths: list[str], message: str):
        write(tmp_path / "t.parquet", orders(["a"], [1.0]))
        with pytest.raises(InputError, match=message):
            backend.read(kind, [tmp_path / name for name in paths])

    def test_unreadable_file(self, tmp_path: Path, backend: Backend):
        path = tmp_path / "t.parquet"
        path.write_text("customer_id,amount\na,1\n")
        with pytest.raises(InputError, match=r"t\.parquet"):
            backend.read("transactions", [path])
        with pytest.raises(InputError, match=r"t\.parquet is not a readable Parquet file"):
            table_columns([path])

    def test_loaded_tables_reads_every_non_empty_kind(self, tmp_path: Path, backend: Backend):
        path = write(tmp_path / "t.parquet", orders(["a"], [1.0]))
        tables = loaded_tables(backend, {"transactions": [path], "feedback": []})
        assert list(tables) == ["transactions"]


class TestDerive:
    def test_builds_once_per_file_set(self, tmp_path: Path, backend: Backend):
        path = write(tmp_path / "t.parquet", orders(["a", "a", "b"], [1.0, 2.0, 3.0]))
        calls = []

        def per_customer(table: ibis.Table) -> ibis.Table:
            calls.append(1)
            return table.group_by("customer_id").aggregate(total=table.amount.sum())

        first = backend.derive("per_customer", "transactions", [path], per_customer)
        second = backend.derive("per_customer", "transactions", [path], per_customer)
        assert first is second and len(calls) == 1
        frame = backend.execute(first.order_by("customer_id"))
        assert frame["total"].tolist() == [3.0, 3.0]


class TestTableColumns:
    def test_union_of_columns_in_first_seen_order(self, tmp_path: Path):
        first = write(tmp_path / "a.parquet", orders(["a"], [1.0]))
        second = write(tmp_path / "b.parquet", orders(["b"], [2.0], region=pd.Series(["x"], dtype="string")))
        columns = table_columns([first, second])
        assert list(columns) == ["customer_id", "date", "amount", "region"]
        assert pa.types.is_large_string(columns["region"]) or pa.types.is_string(columns["region"])


class TestReadColumns:
    def test_reads_the_columns_of_every_file_of_a_kind(self, tmp_path: Path):
        first = write(tmp_path / "a.parquet", orders(["a"], [1.0], region=pd.Series(["x"], dtype="string")))
        second = write(tmp_path / "b.parquet", orders(["b", "c"], [2.0, 3.0]))
        tables = {"transactions": [first, second], "customers": []}
        frame = read_columns(tables, "transactions", ["customer_id", "region", "nope"])
        # "nope" is in no file: left out. "region" is only in the first: blank in the others' rows.
        assert list(frame.columns) == ["customer_id", "region"]
        assert frame["customer_id"].tolist() == ["a", "b", "c"]
        assert frame["region"].isna().tolist() == [False, True, True]
        assert frame.index.tolist() == [0, 1, 2]

    def test_a_file_without_any_of_the_columns_adds_no_rows(self, tmp_path: Path):
        first = write(tmp_path / "a.parquet", orders(["a"], [1.0], region=pd.Series(["x"], dtype="string")))
        second = write(tmp_path / "b.parquet", orders(["b", "c"], [2.0, 3.0]))
        frame = read_columns({"transactions": [first, second]}, "transactions", ["region"])
        assert frame["region"].tolist() == ["x"]

    @pytest.mark.parametrize("tables", [{}, {"customers": []}], ids=["kind-absent", "kind-without-files"])
    def test_no_file_gives_an_empty_frame_with_the_columns(self, tables: dict):
        frame = read_columns(tables, "customers", ["customer_id", "churn"])
        assert frame.empty and list(frame.columns) == ["customer_id", "churn"]

    def test_saved_segmentations_can_be_read(self, tmp_path: Path):
        path = write(tmp_path / "s.parquet", pd.DataFrame({"customer_id": ["a"], "tier": ["Gold"]}))
        assert read_columns({ASSIGNMENTS: [path]}, ASSIGNMENTS, ["tier"])["tier"].tolist() == ["Gold"]

    def test_bad_input(self, tmp_path: Path):
        with pytest.raises(InputError, match="Unknown table kind"):
            read_columns({}, "orders", ["customer_id"])
        with pytest.raises(InputError, match="missing"):
            read_columns({"customers": [tmp_path / "gone.parquet"]}, "customers", ["customer_id"])


class TestFilesKey:
    def test_changes_with_a_file_and_not_with_the_order_of_kinds(self, tmp_path: Path):
        first = write(tmp_path / "a.parquet", orders(["a"], [1.0]))
        second = write(tmp_path / "b.parquet", orders(["b"], [2.0]))
        key = files_key({"transactions": [first], "customers": [second]})
        assert key == files_key({"customers": [second], "transactions": [first]})
        assert key != files_key({"transactions": [first], "feedback": [second]})
        write(first, orders(["a", "b"], [1.0, 2.0]))
        assert key != files_key({"transactions": [first], "customers": [second]})


class TestDefaultBackend:
    @pytest.fixture(autouse=True)
    def fresh_default(self):
        default_backend.cache_clear()
        yield
        default_backend.cache_clear()

    def test_duckdb_without_spark_master(self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.delenv(SPARK_MASTER_ENV, raising=False)
        backend = default_backend()
        assert backend.name == "duckdb"
        assert default_backend() is backend

    def test_spark_master_selects_spark(self, monkeypatch: pytest.MonkeyPatch):
        requested = []
        monkeypatch.setenv(SPARK_MASTER_ENV, " spark://scorecard-cluster:7077 ")
        monkeypatch.setattr(
            engine.Backend, "spark", classmethod(lambda cls, master: requested.append(master))
        )
        default_backend()
        assert requested == ["spark://scorecard-cluster:7077"]

    def test_duckdb_carries_the_configured_memory_limit_and_spill_folder(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ):
        monkeypatch.delenv(SPARK_MASTER_ENV, raising=False)
        monkeypatch.setenv(DUCKDB_MEMORY_SETTING, "300")
        monkeypatch.setenv(DUCKDB_TEMP_DIR_SETTING, str(tmp_path / "spill"))
        settings = duckdb_settings(default_backend())
        assert settings == {"memory_limit": "300.0 MiB", "temp_directory": str(tmp_path / "spill")}

    def test_duckdb_is_bounded_by_default(self, monkeypatch: pytest.MonkeyPatch):
        # Not DuckDB's own default of 80 % of the machine's memory, nor its spill folder in the
        # current folder (the source tree, for the app).
        for name in (SPARK_MASTER_ENV, DUCKDB_MEMORY_SETTING, DUCKDB_TEMP_DIR_SETTING):
            monkeypatch.delenv(name, raising=False)
        settings = duckdb_settings(default_backend())
        assert settings["memory_limit"] == f"{DEFAULT_DUCKDB_MEMORY_MB / 1024:.1f} GiB"
        assert Path(settings["temp_directory"]).name == f"bsc-duckdb-{os.getpid()}"

    def test_a_bad_memory_setting_is_an_input_error(self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.delenv(SPARK_MASTER_ENV, raising=False)
        monkeypatch.setenv(DUCKDB_MEMORY_SETTING, "2GB")
        with pytest.raises(InputError, match=DUCKDB_MEMORY_SETTING):
            default_backend()


def duckdb_settings(backend: Backend) -> dict[str, str]:
    rows = backend.connection.con.sql(
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('memory_limit', 'temp_directory')"
    ).fetchall()
    return dict(rows)


class TestMemoryLimit:
    # 1,000,000 groups of two rows each: the hash table does not fit in 32 MiB. Golden values by
    # hand: group k holds i = k and i = k + 1,000,000, so its sum is 2k + 1,000,000, and the sum
    # of all is the sum of i below 2,000,000, 1,999,999 * 2,000,000 / 2.
    GROUPS = (
        "SELECT count(*), sum(total), sum((total = 2 * k + 1000000)::INT)"
        " FROM (SELECT i % 1000000 AS k, sum(i) AS total FROM range(2000000) t(i) GROUP BY k)"
    )

    def test_a_query_larger_than_the_limit_spills_to_the_folder(self, tmp_path: Path):
        backend = Backend.duckdb(threads=1, memory_limit="32MiB", temp_directory=tmp_path / "spill")
        assert backend.connection.con.sql(self.GROUPS).fetchall() == [
            (1_000_000, 1_999_999 * 2_000_000 // 2, 1_000_000)
        ]

    def test_the_limit_is_real(self, tmp_path: Path):
        # The same query with nowhere to spill runs out of the configured memory.
        backend = Backend.duckdb(threads=1, memory_limit="32MiB", temp_directory=tmp_path / "spill")
        backend.connection.con.sql("SET temp_directory = ''")
        with pytest.raises(duckdb.OutOfMemoryException, match=r"32\.0 MiB"):
            backend.connection.con.sql(self.GROUPS).fetchall()

    def test_the_scorecard_is_identical_under_a_tight_limit(self, tmp_path: Path):
        # The demo company's full scorecard, monthly by region, on one thread each (so that sums
        # add in the same order): once with DuckDB's defaults, once within 96 MiB.
        from bsc.kpis import compute_kpis
        from bsc.store import Store
        from bsc.workspace import ensure_demo_workspace

        store = Store(tmp_path / "data")
        tables = store.workspace_tables(ensure_demo_workspace(store).id)
        free = compute_kpis(tables, period="month", by="region", backend=Backend.duckdb(threads=1))
        bounded = Backend.duckdb(threads=1, memory_limit="96MiB", temp_directory=tmp_path / "spill")
        tight = compute_kpis(tables, period="month", by="region", backend=bounded)
        pd.testing.assert_frame_equal(tight.values, free.values, check_exact=True)
