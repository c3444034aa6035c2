"""Addresses in data never become links: a workspace, a file and segment values holding web and
e-mail addresses are shown as typed on every page, with no link to follow.

GitHub-flavoured Markdown turns ``www.x``, ``http://x`` and ``a@b.c`` into links even when every
Markdown character is escaped; :func:`ui.text.literal` stops it with an invisible word joiner.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect

from bsc.store import Store
from bsc.workspace import import_file
from tests.e2e.conftest import Server, start_server, wait_for_app
from ui.navigation import PAGES
from ui.text import WORD_JOINER

pytestmark = pytest.mark.e2e

WORKSPACE = "Shop www.example.test"
FILE_NAME = "orders for sales@example.test.csv"
REGIONS = ["North http://evil.example.test/x", "South www.example.test", "East"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    folder = tmp_path_factory.mktemp("links") / "data"
    store = Store(folder)
    try:
        workspace = store.create_workspace(WORKSPACE)
        lines = ["customer_id,order_date,amount,region"]
        for customer in range(60):
            for month in range(1, 7):
                lines.append(
                    f"C{customer},2026-{month:02d}-1{customer % 9},{20 + customer},{REGIONS[customer % 3]}"
                )
        path = folder.parent / FILE_NAME
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        stored, refused = import_file(store, workspace.id, path)
        assert stored and not refused
        workspace_id = workspace.id
    finally:
        store.engine.dispose()
    server = start_server(folder)
    try:
        yield server, workspace_id
    finally:
        server.stop()


@pytest.mark.parametrize("page_file", [spec.path for spec in PAGES], ids=[spec.title for spec in PAGES])
def test_no_address_from_data_becomes_a_link(served: tuple[Server, str], browser: Browser, page_file: str):
    server, workspace_id = served
    spec = next(spec for spec in PAGES if spec.path == page_file)
    path = "" if spec.default else Path(spec.path).stem
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page: Page = context.new_page()
    try:
        page.goto(f"{server.url}/{path}?{urlencode({'ws': workspace_id, 'by': 'region'})}")
        wait_for_app(page, timeout=120_000)
        exceptions = page.get_by_test_id("stException")
        assert exceptions.count() == 0, exceptions.first.inner_text()
        app = page.get_by_test_id("stApp")
        assert app.locator("a[href*='example.test']").count() == 0
        assert app.locator("a[href^='mailto:']").count() == 0
        # The name still reads as typed (the word joiner is invisible).
        expect(page.get_by_role("combobox", name="Workspace")).to_have_value(WORKSPACE)
        shown = app.inner_text().replace(WORD_JOINER, "")
        if spec.default:  # the Scorecard's caption names the workspace
            assert f"{WORKSPACE} · monthly" in shown
    finally:
        context.close()
