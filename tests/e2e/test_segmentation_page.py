"""The segmentation lab in Chromium: segment the demo company, save the segments, split the Scorecard by them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def test_segment_save_and_split_the_scorecard(server: Server, page: Page):
    page.goto(server.url)
    wait_for_app(page, timeout=60_000)
    page.goto(f"{server.url}/segmentation")
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_role("heading", name="Segmentation", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    # k-means is fitted in the background: a note stands in its place, then the page reruns.
    expect(page.get_by_test_id("stMetric").filter(has_text="Segments")).to_have_count(1, timeout=120_000)
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_text("Why ", exact=False).first).to_be_visible()
    # The k choice, sizes, profile heatmap and PCA map.
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(4, timeout=30_000)
    screenshot(page, "segmentation-kmeans")

    page.get_by_role("button", name="Save to the scorecard").click()
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_text("Saved “Value segments”", exact=False)).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stDataFrame").filter(has_text="value_segments")).to_have_count(1)

    page.get_by_text("RFM scores", exact=True).click()
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("button", name="Reset breaks and map")).to_be_visible()
    screenshot(page, "segmentation-rfm")

    page.goto(server.url)
    wait_for_app(page, timeout=60_000)
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Split by").click()
    # Typed, as a person does in a long list: the list draws only the options in view.
    page.keyboard.type("Value segments")
    page.get_by_role("option", name="Value segments").click()
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stSidebar").get_by_text("Segment", exact=True)).to_be_visible()
    screenshot(page, "scorecard-split-by-saved-segments")
