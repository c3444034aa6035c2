"""Analysis pages on a workspace without tables: a pointer to the Data page, then nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bsc.store import Store
from tests.app.conftest import APP_TIMEOUT, ROOT

ANALYSIS_PAGES = ["pages/scorecard.py", "pages/objectives.py", "pages/segmentation.py", "pages/churn.py"]


@pytest.mark.parametrize("page", ANALYSIS_PAGES)
def test_an_empty_workspace_points_to_the_data_page(data_dir: Path, page: str):
    store = Store(data_dir)
    workspace = store.create_workspace("Empty")
    store.engine.dispose()

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    at.session_state["current_workspace_id"] = workspace.id
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert [info.value for info in at.main.info] == [
        "This workspace has no tables yet: add some on the Data page."
    ]
    assert not at.metric and not at.get("arrow_vega_lite_chart") and not at.dataframe
