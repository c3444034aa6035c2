"""AppTest runs the real pages in-process against a real store in a temporary folder."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bsc.store import Store
from bsc.workspace import ensure_demo_workspace

ROOT = Path(__file__).resolve().parents[2]
# A guard against a hung page, not a speed test: model pages on a busy two-core machine need room.
APP_TIMEOUT = 180


@pytest.fixture(scope="session")
def seeded_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the demo workspace, built once and copied for each test."""
    folder = tmp_path_factory.mktemp("seeded") / "data"
    store = Store(folder)
    ensure_demo_workspace(store)
    store.engine.dispose()
    return folder


@pytest.fixture
def data_dir(seeded_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(seeded_data_dir, folder)
    monkeypatch.setenv("BSC_DATA_DIR", str(folder))
    # AppTest does not rerun a page by itself: compute the slow extras within the run.
    monkeypatch.setenv("BSC_SLOW_EXTRAS", "inline")
    monkeypatch.chdir(ROOT)
    return folder


def open_app(page: str | None = None) -> AppTest:
    """Run app.py once (as a browser would), then switch to ``page`` if given."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT).run()
    if page is not None:
        at.switch_page(page).run()
    return at


def shown(markdown: str) -> str:
    """Markdown text as the reader sees it: without the backslashes that keep data text literal."""
    return re.sub(r"\\(.)", r"\1", markdown)
