"""The Why page on the demo company: its drivers, quadrant, themes, names; the scorecard's links."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.conftest import open_app

PAGE = "pages/why.py"

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


def test_demo_drivers_and_themes(data_dir: Path):
    at = open_app(PAGE)
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    # The demo's planted story (bsc.demo.experience): support drives NPS most.
    assert metrics["Top driver"] == "support_rating"
    assert [h.value for h in at.header] == ["Key drivers", "What customers write about"]
    # Quadrant, driver bars and the themes' monthly shares.
    assert len(at.get("vega_lite_chart")) == 3
    drivers = at.dataframe[0].value
    assert drivers["Reading"].iloc[-1] == "within noise"
    themes = at.dataframe[1].value
    assert len(themes) == 8
    # Examples are plain text elements, never Markdown.
    assert any(t.value == "Great service" for t in at.text)


def test_churn_target_and_theme_name(data_dir: Path):
    at = open_app(PAGE)
    at.segmented_control(key="why_target").set_value("churn").run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["Top driver"] == "support_rating"
    first_theme = at.dataframe[1].value["Theme"].iloc[0]
    at.text_input[0].input("Praise for the service")
    at.button[0].click().run()
    assert not at.exception, at.exception
    names = list(at.dataframe[1].value["Theme"])
    assert "Praise for the service" in names and first_theme not in names


def test_scorecard_tiles_link_to_why(data_dir: Path):
    at = open_app("pages/scorecard.py")
    assert not at.exception, at.exception
    links = at.get("page_link")
    assert len(links) == 3
