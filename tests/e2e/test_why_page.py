"""The Why page in Chromium: the demo company's top driver, the quadrant, the themes, a Why? link."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def test_why_page_on_the_demo_company(server: Server, page: Page):
    page.goto(server.url)
    wait_for_app(page, timeout=120_000)
    # The scorecard's NPS tile links to the Why page with NPS chosen.
    page.get_by_role("link", name="Why?").first.click()
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_role("heading", name="Why", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    top = page.get_by_test_id("stMetric").filter(has_text="Top driver")
    # The demo's planted story (bsc.demo.experience): support drives NPS most.
    expect(top).to_contain_text("support_rating", timeout=60_000)
    expect(page.get_by_text("Fix first what matters most and scores worst").first).to_be_attached(
        timeout=30_000
    )
    screenshot(page, "why-drivers")
    page.get_by_role("heading", name="What customers write about").scroll_into_view_if_needed()
    expect(page.get_by_text("Share of comments per theme, month by month").first).to_be_attached(
        timeout=30_000
    )
    screenshot(page, "why-themes")
