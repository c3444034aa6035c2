"""Every page file is registered, and every page runs cleanly when opened first."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP_TIMEOUT, ROOT, open_app
from ui.navigation import PAGES

PAGE_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


def test_every_file_in_pages_is_registered():
    assert sorted(spec.path for spec in PAGES) == PAGE_FILES


def test_app_opens_on_the_default_page(data_dir: Path):
    at = open_app()
    assert not at.exception
    assert at.title[0].value == next(spec.title for spec in PAGES if spec.default)


@pytest.mark.parametrize("page", PAGE_FILES)
def test_each_page_runs_when_opened_first(data_dir: Path, page: str):
    # A deep link right after a restart runs the page without app.py (legacy pages/ mode).
    at = AppTest.from_file(str(ROOT / page), default_timeout=APP_TIMEOUT).run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="workspace_picker").value is not None
