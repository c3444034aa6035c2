"""The Strategy map page in Chromium: the demo company's map, its arrows labelled with verdicts."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def test_strategy_map_on_the_demo_company(server: Server, page: Page):
    page.goto(server.url)
    wait_for_app(page, timeout=60_000)
    page.goto(f"{server.url}/strategy_map")
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_role("heading", name="Strategy map", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    graph = page.get_by_test_id("stGraphVizChart")
    expect(graph).to_be_visible(timeout=60_000)
    # The arrow NPS → Churn rate: the demo's detractors churn more within 90 days than promoters.
    arrow = graph.locator("g.edge", has=page.locator("title", has_text="nps->churn_rate"))
    expect(arrow).to_have_count(1)
    assert arrow.locator("text").first.text_content() == "supported"
    # Drawn large enough to read: the map fills the page's width.
    assert graph.locator("svg").bounding_box()["width"] > 700
    screenshot(page, "strategy-map")
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
