"""The per-customer features: computed on the background worker after the Scorecard, held once in
memory, and found there by the Segmentation page."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bsc.features import customer_features
from bsc.store import Store
from tests.app.conftest import open_app

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]
# A guard against a hung background job, not a speed test.
DEADLINE_S = 120


def test_the_segmentation_finds_the_features_the_scorecard_had_computed(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("BSC_SLOW_EXTRAS", "background")
    # Only the features in the background here: the other results would keep the worker busy.
    monkeypatch.setattr("ui.target_book.prefetch_kpis", lambda *args: None)
    monkeypatch.setattr("ui.target_book.prefetch_nps_link", lambda *args: None)
    at = open_app()
    assert not at.exception
    results = data_dir / "results"
    deadline = time.monotonic() + DEADLINE_S
    while not any(results.glob("customer_features_warmed-*.result")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert any(results.glob("customer_features_warmed-*.result"))

    # Computed once already: the page must not compute them again.
    def computed_again(tables):
        raise AssertionError("the features were computed again")

    monkeypatch.setattr("ui.customer_features.customer_features", computed_again)
    at.switch_page("pages/segmentation.py").run()
    assert not at.exception, at.exception
    # The features shown are those of the workspace, without its saved segmentations.
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    expected = customer_features(store.workspace_tables(workspace.id)).frame
    caption = next(c.value for c in at.caption if "customers ·" in c.value)
    assert f"{len(expected):,} customers · {len(expected.columns)} features" in caption
