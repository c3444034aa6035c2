"""The Scorecard's CLV tile: BG/NBD + Gamma-Gamma where a transaction log allows, named; else the simple formula."""

from __future__ import annotations

from pathlib import Path

import pytest

from bsc.clv import transactions_from_tables
from bsc.clv.report import customer_values, fit_lifetimes
from bsc.store import Store
from tests.app.conftest import open_app

PAGE = "pages/scorecard.py"

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


def _clv_metric(at):
    return next(m for m in at.metric if m.label == "CLV")


def test_demo_tile_is_the_probabilistic_clv_and_names_it(data_dir: Path):
    at = open_app(PAGE)
    assert not at.exception, at.exception
    tile = _clv_metric(at)
    assert any(c.value == "BG/NBD + Gamma-Gamma, 12 months, margin 30%, discount 10%/yr" for c in at.caption)
    assert "targets and the trend use it" in tile.help
    # Independently: the same models fitted here, the mean over every customer who bought.
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    fitted = fit_lifetimes(transactions_from_tables(store.workspace_tables(workspace.id)))
    store.engine.dispose()
    mean = customer_values(fitted, margin=0.3, yearly_discount=0.1)["clv"].mean()
    # The tile shows the KPI's own money format (one decimal here).
    assert float(tile.value.replace(",", "").lstrip("$€£")) == pytest.approx(mean, abs=0.05)


def test_one_segment_gets_the_simple_formula_and_says_so(data_dir: Path):
    at = open_app(PAGE)
    at.sidebar.selectbox(key="split_picker").set_value("region").run()
    at.sidebar.selectbox(key="segment_picker").set_value("North").run()
    assert not at.exception, at.exception
    assert any(
        "Simple formula: margin × revenue ÷ customers lost (for one segment)" in c.value for c in at.caption
    )


def test_a_kept_fit_gives_the_same_tile_without_reading_it_again(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    # The first run fits and keeps the models; later runs take the tile's figures from memory.
    first = _clv_metric(open_app(PAGE))
    from ui.slow_extras import results_cache

    reads: list[str] = []
    real_get = type(results_cache()).get
    monkeypatch.setattr(
        type(results_cache()), "get", lambda self, key, *a: reads.append(key) or real_get(self, key, *a)
    )
    again, once_more = open_app(PAGE), open_app(PAGE)
    assert (_clv_metric(again).value, _clv_metric(again).help) == (first.value, first.help)
    assert (_clv_metric(once_more).value, _clv_metric(once_more).help) == (first.value, first.help)
    # Read at most once more (the memory may hold it from the first run already), never per run.
    assert len([key for key in reads if key.startswith("clv_models-")]) <= 1
