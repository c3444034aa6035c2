"""Putting files into a workspace: import, the throw-away workspace of the CLI, KPI sources, the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

import bsc.ingest
from bsc.errors import InputError
from bsc.store import Store
from bsc.workspace import DEMO_WORKSPACE, ensure_demo_workspace, files_workspace, import_file, kpi_sources
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
