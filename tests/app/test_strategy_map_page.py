"""The Strategy map page: the tested arrows on the demo, "no data" without a survey, user arrows
added and removed by editors, refused in a read-only workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bsc.links.arrows import ArrowBook
from bsc.store import Store
from bsc.workspace import import_file
from tests.app.conftest import APP_TIMEOUT, ROOT, open_app, shown

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]

PAGE = "pages/strategy_map.py"


def _links(at: AppTest):
    return at.dataframe[0].value


def _button(at: AppTest, label: str):
    return next(button for button in at.button if button.label == label)


def _graph(at: AppTest) -> str:
    [chart] = at.get("graphviz_chart")
    return chart.proto.spec


def test_the_demo_map_shows_every_built_in_arrow_with_its_verdict(data_dir: Path):
    at = open_app(PAGE)
    assert not at.exception, at.exception
    links = _links(at)
    assert len(links) == 7
    nps = links[(links["Cause"] == "Net Promoter Score") & (links["Effect"] == "Churn rate")].iloc[0]
    # The demo's detractors churn more within 90 days than its promoters (bsc.demo.stories).
    assert nps["Verdict"] == "supported"
    assert set(links["Verdict"]) <= {"supported", "not supported by this data", "too little data", "no data"}
    dot = _graph(at)
    assert "nps -> churn_rate" in dot and 'label="supported' in dot


def test_a_workspace_without_a_survey_says_no_data(data_dir: Path):
    store = Store(data_dir)
    workspace = store.create_workspace("Telco churn only")
    stored, refused = import_file(
        store, workspace.id, ROOT / "tests" / "fixtures" / "links_telco_customers.csv"
    )
    assert stored and not refused
    store.engine.dispose()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    at.session_state["current_workspace_id"] = workspace.id
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    links = _links(at)
    csat = links[(links["Cause"] == "Customer satisfaction (CSAT)") & (links["Effect"] == "Churn rate")].iloc[
        0
    ]
    assert csat["Verdict"] == "no data"
    assert csat["Estimate"] == "—"
    assert "survey answers" in csat["What it means"]


def test_an_editor_adds_and_removes_an_arrow(data_dir: Path):
    at = open_app(PAGE)
    at.text_input(key="author_input").set_value("Ana").run()
    at.selectbox(key="arrow_cause").set_value("ces")
    at.selectbox(key="arrow_effect").set_value("retention_rate")
    _button(at, "Add arrow").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("Added Customer effort score (CES) → Retention rate" in shown(s.value) for s in at.success)
    links = _links(at)
    drawn = links[links["Drawn by"] == "a user"]
    assert list(drawn["Cause"]) == ["Customer effort score (CES)"]
    assert "ces -> retention_rate" in _graph(at)
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    assert [(a.cause, a.effect) for a in ArrowBook(store, workspace.id).arrows()] == [
        ("ces", "retention_rate")
    ]
    _button(at, "Remove arrow").click().run()
    assert any("Removed" in shown(s.value) for s in at.success)
    assert ArrowBook(store, workspace.id).arrows() == []


def test_a_read_only_workspace_offers_no_arrow_form(data_dir: Path):
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    store.set_read_only(workspace.id, True)
    store.engine.dispose()
    at = open_app(PAGE)
    assert not at.exception, at.exception
    assert any("Arrows cannot be added or removed" in info.value for info in at.info)
    assert len(at.selectbox) == len([s for s in at.sidebar.selectbox])  # only the sidebar's pickers
