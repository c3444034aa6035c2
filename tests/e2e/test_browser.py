"""The app in Debian's Chromium: upload, confirm the mapping, see it kept across a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import FIXTURES
from tests.e2e.conftest import Server, screenshot, start_server, wait_for_app

pytestmark = pytest.mark.e2e


def test_upload_confirm_and_keep_across_restart(server: Server, page: Page):
    page.goto(f"{server.url}/data")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").filter(has_text="orders.csv")).not_to_have_count(0)

    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(FIXTURES / "cdnow_sample.txt"))
    wait_for_app(page)
    expect(page.get_by_text("Found 1 table in cdnow_sample.txt")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Save to workspace").click()
    wait_for_app(page)
    expect(page.get_by_text("Saved in this workspace.")).to_be_visible()
    screenshot(page, "data-page-after-upload")

    server.stop()
    restarted = start_server(server.data_dir, port=server.port)
    try:
        page.goto(f"{restarted.url}/data")
        wait_for_app(page)
        summary = page.get_by_test_id("stDataFrame").filter(has_text="cdnow_sample.txt")
        expect(summary).not_to_have_count(0, timeout=30_000)
        screenshot(page, "data-page-after-restart")
    finally:
        restarted.stop()


def test_deep_link_after_a_restart_works(tmp_path: Path, page: Page):
    # The first visitor after a restart who opens a page address runs the page without app.py.
    fresh = start_server(tmp_path / "data")
    try:
        page.goto(f"{fresh.url}/workspaces")
        wait_for_app(page)
        expect(page.get_by_role("heading", name="Workspaces", exact=True)).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        expect(page.get_by_test_id("stDataFrame").filter(has_text="Demo company")).to_have_count(1)
        screenshot(page, "workspaces-deep-link")
    finally:
        fresh.stop()


def test_scorecard_shows_the_demo_stories_at_a_glance(server: Server, page: Page):
    page.goto(server.url)
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_role("heading", name="Scorecard", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    # What changed arrives after the tiles, once the background scan of every segment is done.
    changed = page.get_by_text("What changed", exact=False).filter(has_not_text="being computed")
    expect(changed.first).to_be_visible(timeout=180_000)
    expect(page.get_by_text("Acquisition channel Social").first).to_be_visible()
    expect(page.get_by_text("Region North").first).to_be_visible()
    expect(page.get_by_test_id("stMetric").first).to_be_visible()
    screenshot(page, "scorecard")
