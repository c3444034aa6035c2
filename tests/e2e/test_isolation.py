"""Nothing leaked between people: two browser sessions on one server.

One session's upload that is not saved is never seen by the other, even when both upload the
very same bytes; the tables of one workspace never show in another. Each check looks for values
that exist only in the file or workspace that must stay private.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from bsc.store import Store
from bsc.workspace import ensure_demo_workspace, import_file
from tests.e2e.conftest import Server, Sessions, screenshot, start_server, wait_for_app

pytestmark = pytest.mark.e2e

SECRET_ROWS = "customer_id,order_date,amount,note\n" + "".join(
    f"SECRET-{n:03d},2024-03-{n % 28 + 1:02d},{10 + n},unsaved-upload-{n}\n" for n in range(30)
)


def upload(page: Page, path: Path) -> None:
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    wait_for_app(page)


def table_shows(page: Page, text: str) -> None:
    """Wait until a table shows ``text``: its cells are drawn lazily, after the page has run."""
    expect(page.get_by_test_id("stDataFrame").filter(has_text=text).first).to_be_visible(timeout=30_000)


def page_text(page: Page) -> str:
    """Every text of the page, hidden ones included (a table's cells live in a hidden grid)."""
    return page.locator("[data-testid=stApp]").text_content() or ""


def test_an_unsaved_upload_stays_in_its_session(server: Server, two_sessions: Sessions, tmp_path: Path):
    mine, theirs = two_sessions.first, two_sessions.second
    secret = tmp_path / "secret_orders.csv"
    secret.write_text(SECRET_ROWS)
    for page in (mine, theirs):
        page.goto(f"{server.url}/data")
        wait_for_app(page)

    upload(mine, secret)
    expect(mine.get_by_text("Found 1 table in secret_orders.csv")).to_be_visible(timeout=30_000)
    mine.get_by_text("Preview (first 50 rows)").click()
    expect(mine.get_by_test_id("stDataFrame").filter(has_text="SECRET-000").first).to_be_visible()
    assert "SECRET-000" in page_text(mine), "the check below would see a leaked cell"

    theirs.reload()
    wait_for_app(theirs)
    table_shows(theirs, "orders.csv")  # the demo workspace's own tables are drawn
    assert "secret_orders" not in page_text(theirs)
    assert "SECRET-" not in page_text(theirs)
    expect(theirs.get_by_text("Found 1 table")).to_have_count(0)

    # The same bytes under another name: the other session sees its own name only, and the
    # shared store is untouched.
    same = tmp_path / "my_orders.csv"
    same.write_text(SECRET_ROWS)
    upload(theirs, same)
    expect(theirs.get_by_text("Found 1 table in my_orders.csv")).to_be_visible(timeout=30_000)
    assert "secret_orders" not in page_text(theirs)
    screenshot(theirs, "isolation-second-session")
    store = Store(server.data_dir)
    names = {d.name for w in store.list_workspaces() for d in store.list_datasets(w.id)}
    assert not names & {"secret_orders.csv", "my_orders.csv"}
    store.engine.dispose()


def test_a_workspace_shows_only_its_own_tables(tmp_path: Path, two_sessions: Sessions):
    data_dir = tmp_path / "data"
    store = Store(data_dir)
    demo = ensure_demo_workspace(store)  # the first workspace: where a new session starts
    private = store.create_workspace("Private")
    orders = tmp_path / "private_orders.csv"
    pd.DataFrame(
        {
            "customer_id": [f"PRIVATE-{n:03d}" for n in range(40)],
            "order_date": pd.date_range("2024-01-01", periods=40, freq="D").strftime("%Y-%m-%d"),
            "amount": range(40),
            "tier": ["PRIVATETIER"] * 40,
        }
    ).to_csv(orders, index=False)
    import_file(store, private.id, orders)
    store.engine.dispose()
    server = start_server(data_dir)
    try:
        inside, outside = two_sessions.first, two_sessions.second
        inside.goto(f"{server.url}/data?ws={private.id}")
        wait_for_app(inside)
        expect(inside.get_by_test_id("stDataFrame").filter(has_text="private_orders.csv")).not_to_have_count(
            0
        )
        assert "private_orders" in page_text(inside), "the checks below would see a leaked table"

        for path, own in (("/data", "orders.csv"), ("/", None), ("/workspaces", "Demo company")):
            outside.goto(f"{server.url}{path}")
            wait_for_app(outside, timeout=60_000)
            expect(outside.get_by_test_id("stException")).to_have_count(0)
            if own:
                table_shows(outside, own)
            text = page_text(outside)
            assert "private_orders" not in text and "PRIVATE-" not in text and "PRIVATETIER" not in text, path
        # Only the workspace's name is shared: everyone on the server can pick it.
        assert "Private" in page_text(outside)
        assert f"ws={demo.id}" in outside.url, "the other session stayed in the workspace it started in"
        screenshot(outside, "isolation-other-workspace")
    finally:
        server.stop()
