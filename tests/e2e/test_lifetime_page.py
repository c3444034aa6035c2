"""The Lifetime value page in Chromium: the demo company's back-test, computed in the background."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def test_lifetime_value_on_the_demo_company(server: Server, page: Page):
    page.goto(server.url)
    wait_for_app(page, timeout=60_000)
    page.goto(f"{server.url}/lifetime")
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_role("heading", name="Lifetime value", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    # The fits run on the background worker; the page reruns by itself once they have arrived.
    verdict = page.get_by_text("better than their past rate", exact=False)
    expect(verdict).to_be_visible(timeout=120_000)
    assert "RMSE" in verdict.inner_text()
    expect(page.get_by_text("being computed", exact=False)).to_have_count(0, timeout=120_000)
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(4, timeout=30_000)
    screenshot(page, "lifetime-value")
    page.get_by_role("heading", name="How long customers stay").scroll_into_view_if_needed()
    screenshot(page, "lifetime-value-survival")
    expect(page.get_by_test_id("stException")).to_have_count(0)
