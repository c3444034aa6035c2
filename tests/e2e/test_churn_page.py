"""The churn lab in Chromium: the demo company's drivers, model quality and the customers to call."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def test_churn_lab_on_the_demo_company(server: Server, page: Page):
    page.goto(server.url)
    wait_for_app(page, timeout=60_000)
    page.goto(f"{server.url}/churn")
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_role("heading", name="Churn lab", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    # The analysis is fitted in the background: a note stands in its place, then the page reruns.
    expect(page.get_by_text("Definition in use.", exact=False)).to_be_visible(timeout=120_000)
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_text("ranks a random churner above a random stayer", exact=False)).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Ranks churners")).to_have_count(1)
    screenshot(page, "churn-lab")

    # Drivers (by source and by column), ROC, calibration, gains and the net value of contacts.
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(6, timeout=30_000)
    page.get_by_role("heading", name="What drives churn").scroll_into_view_if_needed()
    expect(page.get_by_text("Satisfaction (surveys)", exact=False).first).to_be_attached()
    screenshot(page, "churn-lab-drivers")
    page.get_by_role("heading", name="Customers to call").scroll_into_view_if_needed()
    expect(page.get_by_test_id("stDownloadButton")).to_have_count(1)
    page.get_by_test_id("stMetric").filter(has_text="Customers to contact").scroll_into_view_if_needed()
    screenshot(page, "churn-lab-customers-to-call")

    # Changing the definition reruns the analysis with the new window.
    page.get_by_test_id("stMain").evaluate("node => node.scrollTo(0, 0)")
    page.get_by_test_id("stSelectbox").filter(has_text="Model").click()
    page.get_by_role("option", name="Gradient boosting").click()
    page.get_by_role("button", name="Analyse").click()
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    # Meanwhile the last analysis stays in view, marked as such, until the new one arrives.
    expect(page.get_by_text("Gradient boosting is used, as chosen", exact=False)).to_be_visible(
        timeout=120_000
    )
    expect(page.get_by_text("while the new one", exact=False)).to_have_count(0)
