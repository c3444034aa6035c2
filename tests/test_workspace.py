"""Putting files into a workspace: import, the throw-away workspace of the CLI, KPI sources, the demo."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import bsc.ingest
import bsc.large_files
from bsc.errors import InputError
from bsc.store import ReadOnlyError, Store
from bsc.workspace import (
    DEMO_DIR,
    DEMO_WORKSPACE,
    ensure_demo_workspace,
    files_workspace,
    import_file,
    kpi_sources,
    remap_dataset,
)
from tests.conftest import FIXTURES


def test_import_keeps_every_usable_table(tmp_path: Path):
    store = Store(tmp_path / "data")
    workspace = store.create_workspace("Files")
    stored, refused = import_file(store, workspace.id, FIXTURES / "telco_customers.csv")
    assert refused == []
    [dataset] = stored
    assert (dataset.kind, dataset.rows) == ("customers", 40)


def test_an_oversize_file_is_refused_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    store = Store(tmp_path / "data")
    workspace = store.create_workspace("Files")
    monkeypatch.setattr(bsc.ingest, "MAX_UPLOAD_BYTES", 100)

    def never(self):
        raise AssertionError("the file was read before its size was checked")

    monkeypatch.setattr(Path, "read_bytes", never)
    with pytest.raises(InputError, match="MB"):
        import_file(store, workspace.id, FIXTURES / "telco_customers.csv")
    assert store.list_datasets(workspace.id) == []


def test_files_workspace_is_removed_afterwards():
    with files_workspace([FIXTURES / "cdnow_sample.txt"]) as (tables, refused):
        [path] = tables["transactions"]
        assert path.exists() and refused == []
    assert not path.exists()


def test_kpi_sources_name_the_columns_that_feed_a_kpi(tmp_path: Path):
    store = Store(tmp_path / "data")
    workspace = store.create_workspace("Files")
    import_file(store, workspace.id, FIXTURES / "cdnow_sample.txt")
    datasets = store.list_datasets(workspace.id)
    # CDNOW's log: column_1 is the customer, column_5 the dollar value (tests/fixtures/README.md).
    assert kpi_sources((("transactions.customer_id", "transactions.amount"),), datasets) == [
        "cdnow_sample.txt: column_1 → customer_id",
        "cdnow_sample.txt: column_5 → amount",
    ]
    assert kpi_sources((("feedback.nps",),), datasets) == []


def test_the_demo_workspace_is_made_once(tmp_path: Path):
    store = Store(tmp_path / "data")
    first = ensure_demo_workspace(store)
    again = ensure_demo_workspace(store)
    assert first.id == again.id and first.name == DEMO_WORKSPACE
    kinds = sorted(d.kind for d in store.list_datasets(first.id))
    assert kinds == ["customers", "feedback", "marketing", "support", "transactions"]


def test_a_customers_tables_scores_feed_the_satisfaction_kpis(tmp_path: Path):
    store = Store(tmp_path / "data")
    workspace = store.create_workspace("Files")
    import_file(store, workspace.id, FIXTURES / "telco_status.csv")
    datasets = store.list_datasets(workspace.id)
    tables = store.workspace_tables(workspace.id)
    # Without a survey of its own, the customers table is also the (undated) survey.
    assert tables["feedback"] == tables["customers"]
    assert kpi_sources((("feedback.csat",),), datasets) == [
        "telco_status.csv: Satisfaction Score → csat (one score per customer, undated)"
    ]
    assert kpi_sources((("feedback.nps",),), datasets) == []


def test_the_demo_workspace_is_in_euros(tmp_path: Path):
    store = Store(tmp_path / "data")
    assert ensure_demo_workspace(store).currency == "EUR"


def test_a_table_naming_its_currency_gives_it_to_the_workspace(tmp_path: Path):
    store = Store(tmp_path / "data")
    workspace = store.create_workspace("Shop")
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "customer_id,order_date,amount\nC1,2024-01-05,€12.50\nC2,2024-01-06,€3\n", encoding="utf-8"
    )
    import_file(store, workspace.id, orders)
    assert store.get_workspace(workspace.id).currency == "EUR"


def test_a_currency_set_by_hand_is_kept(tmp_path: Path):
    store = Store(tmp_path / "data")
    workspace = store.create_workspace("Shop")
    workspace = store.set_currency(workspace.id, "GBP", expected_version=workspace.version)
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "customer_id,order_date,amount_usd\nC1,2024-01-05,12.50\nC2,2024-01-06,3\n", encoding="utf-8"
    )
    import_file(store, workspace.id, orders)
    assert store.get_workspace(workspace.id).currency == "GBP"


def test_files_workspace_reports_the_currencies_its_files_name(tmp_path: Path):
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "customer_id,order_date,amount_usd\nC1,2024-01-05,12.50\nC2,2024-01-06,3\n", encoding="utf-8"
    )
    found: set[str] = set()
    with files_workspace([orders], found) as (tables, _):
        assert "transactions" in tables
    assert found == {"USD"}


class TestStreamedImport:
    """A file larger than the streaming threshold kept in a workspace as the same file read whole.

    Golden values: the same company's files imported whole (:func:`import_file` below the
    threshold, the upload's path, tested in tests/test_kpis.py and tests/test_prepare.py), so the
    streamed tables must give the same rows and every KPI value.
    """

    # Bytes: orders (about 140 kB, detected on its first 50 kB), surveys and tickets (about 40 kB)
    # are streamed in batches of 16 kB; customers (about 22 kB) and marketing are read whole.
    THRESHOLD = 30_000
    SAMPLE = 50_000
    BATCH = 16_000

    @pytest.fixture
    def company(self, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
        from bsc.demo import write_company

        return write_company(tmp_path_factory.mktemp("company"), customers=400, months=24, xlsx=False)

    @classmethod
    def stream_small_files(cls, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr("bsc.large_files.STREAM_FROM_BYTES", cls.THRESHOLD)
        monkeypatch.setattr("bsc.ingest.batches.SAMPLE_BYTES", cls.SAMPLE)
        monkeypatch.setattr("bsc.ingest.batches.BATCH_BYTES", cls.BATCH)

    @pytest.fixture
    def streaming(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.stream_small_files(monkeypatch)

    def _import(self, store: Store, name: str, files: list[Path]):
        workspace = store.create_workspace(name)
        for path in files:
            assert import_file(store, workspace.id, path)[1] == []
        return workspace

    def test_streamed_tables_give_the_rows_and_kpis_of_the_whole_tables(
        self, tmp_path: Path, company: list[Path], monkeypatch: pytest.MonkeyPatch
    ):
        from bsc.kpis import compute_kpis

        store = Store(tmp_path / "data")
        whole = self._import(store, "Whole", company)
        self.stream_small_files(monkeypatch)
        streamed = self._import(store, "Streamed", company)

        by_name = {d.name: d for d in store.list_datasets(whole.id)}
        kept = {d.name: d for d in store.list_datasets(streamed.id)}
        assert {name for name, d in kept.items() if d.streamed} == {
            "orders.csv",
            "surveys.csv",
            "tickets.csv",
        }
        for name, dataset in kept.items():
            assert (dataset.kind, dataset.rows, dataset.mapping) == (
                by_name[name].kind,
                by_name[name].rows,
                by_name[name].mapping,
            ), name
            pd.testing.assert_frame_equal(
                store.load_canonical(dataset.id), store.load_canonical(by_name[name].id), check_dtype=False
            )
        orders = kept["orders.csv"]
        # One row group per batch: the file was never read whole.
        assert pq.ParquetFile(store.raw_path(orders.id)).num_row_groups >= 142_000 // self.BATCH
        assert orders.content_hash == hashlib.sha256((company[1]).read_bytes()).hexdigest()
        assert store.get_workspace(streamed.id).currency == store.get_workspace(whole.id).currency
        for period in ("month", "quarter"):
            expected = compute_kpis(store.workspace_tables(whole.id), period=period).values
            actual = compute_kpis(store.workspace_tables(streamed.id), period=period).values
            assert len(actual) > 100
            pd.testing.assert_frame_equal(actual, expected)
        # Nothing half-written is left in the tables folder.
        assert not list((store.data_dir / "tables").glob(".*"))

    def test_a_streamed_table_is_remapped_in_batches(
        self, tmp_path: Path, company: list[Path], streaming: None, monkeypatch: pytest.MonkeyPatch
    ):
        store = Store(tmp_path / "data")
        workspace = store.create_workspace("Streamed")
        [orders], _ = import_file(store, workspace.id, company[1])
        assert orders.streamed
        before = store.load_canonical(orders.id)
        roles = {role: column for role, column in orders.mapping.roles.items() if role != "quantity"}
        ignored = replace(orders.mapping, roles=roles)
        monkeypatch.setattr("bsc.workspace.prepare_table", None)  # never the whole-table path
        done: list[int] = []
        remapped = remap_dataset(store, orders, ignored, progress=done.append)
        assert remapped.version == 2 and done[-1] == orders.rows and len(done) > 1
        after = store.load_canonical(orders.id)
        assert len(after) == len(before)
        assert "quantity" in before.columns and "quantity" not in after.columns
        pd.testing.assert_frame_equal(after, before[list(after.columns)])
        # The head of the table as read, for the Data page, without reading the rest.
        head = store.load_raw_head(orders.id, 20)
        assert len(head) == 20 and list(head.columns) == list(store.load_raw(orders.id).columns)

    def test_a_read_only_workspace_refuses_a_large_file_before_reading_it(
        self, tmp_path: Path, company: list[Path], streaming: None
    ):
        store = Store(tmp_path / "data")
        workspace = store.create_workspace("Locked")
        store.set_read_only(workspace.id, True)
        with pytest.raises(ReadOnlyError, match="read-only"):
            import_file(store, workspace.id, company[1])
        assert store.list_datasets(workspace.id) == []
        assert not list((store.data_dir / "tables").iterdir())

    def test_a_bad_large_file_leaves_nothing_behind(self, tmp_path: Path, streaming: None):
        path = tmp_path / "ragged.csv"
        lines = [f"O{i},C{i % 97},2024-01-{1 + i % 28:02d},{i % 50}.50" for i in range(3000)]
        path.write_text("order_id,customer_id,order_date,amount\n" + "\n".join([*lines, "x,y"]) + "\n")
        store = Store(tmp_path / "data")
        workspace = store.create_workspace("Files")
        stored, refused = import_file(store, workspace.id, path)
        assert stored == []
        assert refused == [
            "ragged.csv could not be read past its first rows: CSV parse error: Expected 4 columns, got 2: x,y"
        ]
        assert store.list_datasets(workspace.id) == []
        assert not list((store.data_dir / "tables").iterdir())


def test_a_workbook_above_the_upload_limit_is_refused_with_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Only text files are read in batches: a larger workbook or Parquet file is to be saved as CSV."""
    path = tmp_path / "orders.parquet"
    pd.DataFrame({"order_id": range(100), "amount": 1.5}).to_parquet(path)
    monkeypatch.setattr(bsc.ingest, "MAX_UPLOAD_BYTES", 100)
    store = Store(tmp_path / "data")
    workspace = store.create_workspace("Files")
    with pytest.raises(
        InputError, match=r"orders.parquet is 0.0 MB: a workbook or Parquet file .* Save it as CSV"
    ):
        import_file(store, workspace.id, path)


def test_the_command_lines_workspace_loads_no_workbook_writer_and_the_engine_meanwhile(tmp_path: Path):
    # A fresh interpreter: what bsc.workspace imports, and what files_workspace imports while it
    # reads (the demo generator's workbook writer is for the demo only; Ibis loads its DuckDB
    # backend on the first connection, so the command names it to have it ready).
    import subprocess
    import sys

    script = (
        "import sys\n"
        "import bsc.workspace\n"
        "print('openpyxl' in sys.modules, 'ibis.backends.duckdb' in sys.modules)\n"
        f"with bsc.workspace.files_workspace([{str(FIXTURES / 'telco_customers.csv')!r}]) as (tables, refused):\n"
        "    print(sorted(tables), refused)\n"
        "print('openpyxl' in sys.modules, 'ibis.backends.duckdb' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=root, check=True
    )
    assert result.stdout.splitlines() == ["False False", "['customers'] []", "False True"]


def test_a_file_that_cannot_be_read_waits_for_the_import_meanwhile(tmp_path: Path, monkeypatch):
    # The module imported meanwhile takes a moment and says when it is done: when the command
    # stops on an unreadable file, that import has finished (a process ending while another
    # thread imports an extension such as DuckDB aborts instead of printing the error).
    (tmp_path / "slow_engine_for_test.py").write_text("import time\ntime.sleep(0.5)\nDONE = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    bad = tmp_path / "text_named.xlsx"
    bad.write_text("a,b\n1,2\n")
    with (
        pytest.raises(InputError, match="holds text"),
        files_workspace([bad], import_meanwhile=("slow_engine_for_test",)),
    ):
        pass
    import sys

    assert sys.modules["slow_engine_for_test"].DONE


class TestCommandLineFilesInProcesses:
    """The command line's files are read, detected and prepared in forked processes when the
    command has no other thread, else in threads; both give the same tables."""

    @staticmethod
    def tables_of(
        paths: list[Path], pool, monkeypatch: pytest.MonkeyPatch
    ) -> tuple[dict, list[str], set[str]]:
        import bsc.workspace

        monkeypatch.setattr(bsc.workspace, "_files_pool", pool)
        found: set[str] = set()
        with files_workspace(paths, found) as (tables, refused):
            read = {kind: [pd.read_parquet(path) for path in files] for kind, files in tables.items()}
        return read, refused, found

    @pytest.mark.parametrize("streamed", [False, True], ids=["read-whole", "streamed"])
    def test_processes_and_threads_give_the_same_tables(
        self, streamed: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

        dollars = tmp_path / "orders_usd.csv"
        dollars.write_text(
            "customer_id,order_date,amount_usd\nC1,2024-01-05,12.50\nC2,2024-01-06,3\n", encoding="utf-8"
        )
        paths = [*sorted(DEMO_DIR.glob("*.csv")), FIXTURES / "telco_customers.csv", dollars]
        if streamed:  # the demo's larger files streamed in batches (the forked processes see it too)
            TestStreamedImport.stream_small_files(monkeypatch)
            assert sum(bsc.large_files.is_streamed(path) for path in paths) >= 3
        by_process = self.tables_of(
            paths,
            lambda: ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")),
            monkeypatch,
        )
        by_thread = self.tables_of(paths, lambda: ThreadPoolExecutor(max_workers=2), monkeypatch)
        tables, refused, found = by_process
        assert sorted(tables) == sorted(by_thread[0])
        for kind in tables:
            assert len(tables[kind]) == len(by_thread[0][kind])
            for mine, theirs in zip(tables[kind], by_thread[0][kind], strict=True):
                pd.testing.assert_frame_equal(mine, theirs)
        assert refused == by_thread[1]
        assert found == by_thread[2] == {"USD"}  # named by the header amount_usd
        # The demo's orders file in its own rows (as counted by pandas straight from the file).
        assert len(tables["transactions"][0]) == len(pd.read_csv(DEMO_DIR / "orders.csv"))

    def test_processes_only_in_a_command_without_other_threads(self):
        import subprocess
        import sys

        script = (
            "import threading, time\n"
            "from bsc.workspace import _files_pool\n"
            "pool = _files_pool(); print(type(pool).__name__); pool.shutdown()\n"
            "threading.Thread(target=time.sleep, args=(1,), daemon=True).start()\n"
            "pool = _files_pool(); print(type(pool).__name__); pool.shutdown()\n"
        )
        root = Path(__file__).resolve().parent.parent
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, cwd=root, check=True
        )
        assert result.stdout.splitlines() == ["ProcessPoolExecutor", "ThreadPoolExecutor"]

    def test_a_file_whose_process_died_is_done_again_here(self, tmp_path: Path):
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        from bsc.workspace import _written

        died: Future = Future()
        died.set_exception(BrokenProcessPool("killed"))
        [table] = _written(died, FIXTURES / "telco_customers.csv", tmp_path, 0, True, False)
        assert table.kind == "customers" and table.refused is None
        assert len(pd.read_parquet(table.file)) == 40  # the fixture's 40 customers
