"""The server's start: it warms up before it accepts a visitor, and knows the app's own menu."""

from __future__ import annotations

import ast
from pathlib import Path

from playwright.sync_api import Page, expect

from bsc.kpis import KpiParams
from bsc.results_cache import ResultsCache, result_key
from bsc.store import Store
from tests.e2e.conftest import Server, wait_for_app
from ui.filters import DEFAULT_PERIOD
from ui.warm_up import default_page_modules

ROOT = Path(__file__).resolve().parents[2]


def test_the_modules_warmed_are_the_default_pages_imports():
    # Independently of the module's reading: every top-level import line of the Scorecard page.
    tree = ast.parse((ROOT / "pages" / "scorecard.py").read_text())
    lines = [
        node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert default_page_modules() == list(dict.fromkeys(lines))
    assert {"bsc.kpis", "ui.chart_specs", "streamlit", "pandas"} <= set(default_page_modules())


def test_a_fresh_server_has_the_default_scorecard_kept_before_the_first_visit(server: Server, page: Page):
    # Nobody has visited yet: the warm-up created the demo workspace and kept its Scorecard.
    store = Store(server.data_dir)
    workspace = store.list_workspaces()[0]
    fingerprint = store.workspace_fingerprint(workspace.id)
    key = result_key("kpis", fingerprint, DEFAULT_PERIOD, None, KpiParams())
    assert ResultsCache(server.data_dir / "results").has(key)

    # The first visitor sees the Scorecard drawn from it.
    page.goto(server.url)
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_role("heading", name="Scorecard")).to_be_visible()
    assert page.locator("[data-testid=stException]").count() == 0


def test_a_page_address_opened_first_on_a_fresh_server_is_the_apps_page(server: Server, page: Page):
    # The first visit of the server opens a page's address directly, not "/".
    page.goto(f"{server.url}/objectives")
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_role("heading", name="Objectives & targets", exact=True)).to_be_visible()
    menu = page.get_by_test_id("stSidebarNav")
    # The app's menu with its titles, not the file names of the pages folder.
    expect(menu.get_by_role("link", name="Objectives & targets")).to_be_visible()
    expect(menu.get_by_role("link", name="Strategy map")).to_be_visible()
    assert menu.get_by_role("link", name="app", exact=True).count() == 0
