"""The Scorecard in a real browser on three table shapes: a customers table alone (undated), a
transaction log alone (CDNOW) and the demo; each split, read on the page, never an exception."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from bsc.store import Store
from bsc.workspace import ensure_demo_workspace, import_file
from tests.e2e.conftest import ROOT, screenshot, start_server, wait_for_app
from tests.fixtures.churn_make_fixtures import telco_contracts_sample


def _workspace(data_dir: Path, name: str, *files: Path) -> str:
    store = Store(data_dir)
    ensure_demo_workspace(store)
    workspace = store.create_workspace(name)
    for path in files:
        stored, refused = import_file(store, workspace.id, path)
        assert stored and not refused
    store.engine.dispose()
    return workspace.id


def _open(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app(page, timeout=90_000)
    assert page.get_by_test_id("stException").count() == 0


def test_scorecard_reads_every_shape_split(page: Page, tmp_path: Path):
    data_dir = tmp_path / "data"
    telco = tmp_path / "telco_customers.csv"
    telco_contracts_sample().to_csv(telco, index=False)
    telco_id = _workspace(data_dir, "Telco", telco)
    cdnow_id = _workspace(data_dir, "CDNOW", ROOT / "tests" / "fixtures" / "cdnow_sample.txt")
    demo_id = Store(data_dir).find_workspace("Demo company").id
    server = start_server(data_dir)
    try:
        # Customers alone, no dates, split by Contract: the public table's churn per contract.
        _open(page, f"{server.url}/?ws={telco_id}&by=Contract")
        page.get_by_text("Segments side by side: Contract").scroll_into_view_if_needed()
        assert page.get_by_test_id("stTable").count() >= 1
        assert page.get_by_text("Churn rate by Contract, all time").count() == 1
        screenshot(page, "scorecard_telco_by_contract")
        # Each contract as the sidebar's segment: its churn rate on the tile. (The comparison
        # table is read in full by the tiles below, one contract at a time.)
        for contract, churn in (("Month-to-month", "42.7%"), ("One year", "11.3%"), ("Two year", "2.83%")):
            _open(page, f"{server.url}/?ws={telco_id}&by=Contract&segment={contract}")
            tile = page.get_by_test_id("stMetric").filter(has_text="Churn rate")
            assert tile.get_by_test_id("stMetricValue").inner_text() == churn, contract
            assert page.get_by_text(f"Contract: {contract}").count() >= 1

        # A transaction log alone, not split: trends and cohorts, no exception.
        _open(page, f"{server.url}/?ws={cdnow_id}")
        assert page.get_by_text("Active customers").count() >= 1
        assert page.get_by_text("Cohort retention", exact=True).count() == 1

        # The demo split by plan: the comparison table and the trend.
        _open(page, f"{server.url}/?ws={demo_id}&by=plan")
        page.get_by_text("Segments side by side: plan").scroll_into_view_if_needed()
        assert page.get_by_test_id("stTable").filter(has_text="Premium").count() >= 1
        assert page.get_by_text("Compare with other segments").count() == 1
        screenshot(page, "scorecard_demo_by_plan")
    finally:
        server.stop()
