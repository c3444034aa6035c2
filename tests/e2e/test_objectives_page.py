"""Objectives & targets in Debian's Chromium: a workshop sets a segment target, a second browser is told."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, Page, expect

from bsc.store import Store
from bsc.targets import TargetBook
from tests.e2e.conftest import Server, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

NORTH = "/objectives?by=region&segment=North"


def _sign_in(page: Page, name: str) -> None:
    page.get_by_role("textbox", name="Your name, for the audit log").fill(name)
    page.get_by_role("textbox", name="Your name, for the audit log").press("Enter")
    wait_for_app(page)


def _set_target(page: Page, value: str) -> None:
    box = page.get_by_role("spinbutton", name="Target (higher is better)")
    box.fill(value)
    page.get_by_role("button", name="Save target").click()
    wait_for_app(page)


def _stored_north_target(server: Server):
    store = Store(server.data_dir)
    try:
        [workspace] = store.list_workspaces()
        return TargetBook(store, workspace.id).find_target("nps", "region", "North")
    finally:
        store.engine.dispose()


def test_set_a_segment_target_and_a_second_session_is_told(server: Server, browser: Browser, page: Page):
    page.goto(server.url)  # the entry point first, as a visitor would (see the deep-link note)
    wait_for_app(page)
    started = time.monotonic()
    page.goto(server.url + NORTH)
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Objectives & targets")).to_be_visible(timeout=30_000)
    _sign_in(page, "Ana")
    expect(page.get_by_text("No target yet")).to_be_visible()
    _set_target(page, "45")
    expect(page.get_by_text("Saved: Net Promoter Score · region North, 45 points")).to_be_visible(
        timeout=30_000
    )
    expect(page.get_by_text("Chance of reaching 45 points", exact=True)).to_be_visible()
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"setting a segment target took {elapsed:.1f} s"
    screenshot(page, "objectives-target-set")

    # A second browser (its own session) opens the same target, then Ana changes it again.
    other = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        second = other.new_page()
        second.goto(server.url + NORTH)
        wait_for_app(second)
        _sign_in(second, "Ben")
        expect(second.get_by_text("Current target:")).to_be_visible(timeout=30_000)

        _set_target(page, "47")
        expect(page.get_by_text("Saved: Net Promoter Score · region North, 47 points")).to_be_visible(
            timeout=30_000
        )

        # Ben's form still shows version 1: his save is refused and Ana's value is shown.
        _set_target(second, "50")
        expect(second.get_by_text("was changed by Ana")).to_be_visible(timeout=30_000)
        expect(second.get_by_text("now: 47 points by")).to_be_visible()
        screenshot(second, "objectives-second-session-told")
        stored = _stored_north_target(server)
        assert (stored.goal, stored.version, stored.updated_by) == (47.0, 2, "Ana")

        # A refresh finds everything again.
        second.reload()
        wait_for_app(second)
        expect(second.get_by_text("Current target:")).to_be_visible(timeout=30_000)
        expect(second.get_by_text("47 points by", exact=False).first).to_be_visible()
        expect(second.get_by_test_id("stException")).to_have_count(0)
    finally:
        other.close()
