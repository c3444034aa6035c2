"""Optional sign-in: with a provider in the secrets every page asks for it first; signed in, the
pages open and changes are logged under the signed-in name; without one the app runs open."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bsc.store import Store
from bsc.targets import TargetBook
from tests.app.conftest import APP_TIMEOUT, ROOT, open_app
from ui.navigation import PAGES

PAGE_FILES = [spec.path for spec in PAGES]
SETTINGS = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "not-a-real-secret"}
PROVIDER = {
    "client_id": "scorecard",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
}
ONE_PROVIDER = {"auth": {**SETTINGS, **PROVIDER}}
TWO_PROVIDERS = {"auth": {**SETTINGS, "google": PROVIDER, "microsoft": PROVIDER}}
ANA = {"is_logged_in": True, "name": "Ana Lima", "email": "ana@example.com"}


def run_page(page: str, secrets: dict, user: dict) -> AppTest:
    """Open a page first, as a deep link after a restart does."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=APP_TIMEOUT)
    at.secrets.update(secrets)
    at.user = user
    return at.run()


@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_asks_for_sign_in_first(data_dir: Path, page: str):
    at = run_page(page, ONE_PROVIDER, {"is_logged_in": False})
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Customer Scorecard"]
    assert [b.label for b in at.button] == ["Sign in"]
    # Nothing of the workspaces is drawn: no picker, no table, no chart, no metric.
    assert not at.sidebar.selectbox and not at.dataframe and not at.metric
    assert not at.get("arrow_vega_lite_chart")


def test_each_named_provider_has_its_button(data_dir: Path):
    at = run_page("pages/scorecard.py", TWO_PROVIDERS, {"is_logged_in": False})
    assert [b.label for b in at.button] == ["Sign in with Google", "Sign in with Microsoft"]


def test_signed_in_the_pages_open(data_dir: Path):
    at = open_app()
    at.secrets.update(ONE_PROVIDER)
    at.user = ANA
    at.run()
    for page in ("pages/data.py", "pages/workspaces.py", "pages/about.py"):
        at.switch_page(page).run()
        assert not at.exception
        assert at.title[0].value != "Customer Scorecard"
        assert at.sidebar.selectbox(key="workspace_picker").value is not None
        assert "Signed in as Ana Lima" in [c.value for c in at.sidebar.caption]
        assert at.sidebar.button(key="sign_out").label == "Sign out"


def test_the_audit_log_records_the_signed_in_user(data_dir: Path):
    def add_an_objective():
        from bsc.targets import Objective, TargetBook
        from ui.author import author_name
        from ui.context import page_setup

        ctx = page_setup("Objectives")
        book = TargetBook(ctx.store, ctx.workspace.id)
        if not book.objectives():
            book.add_objective(Objective("Delight customers"), author=author_name())

    at = AppTest.from_function(add_an_objective, default_timeout=APP_TIMEOUT)
    at.secrets.update(ONE_PROVIDER)
    at.user = ANA
    at.run()
    assert not at.exception, at.exception
    assert "Changes are logged as **Ana Lima**." in [c.value for c in at.sidebar.caption]
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    log = TargetBook(store, workspace.id).audit_log()
    assert log[["who", "what", "field"]].values.tolist() == [
        ["Ana Lima", "Objective “Delight customers”", "created"]
    ]


def test_without_a_provider_the_app_runs_open(data_dir: Path):
    at = run_page("pages/data.py", {}, {"email": "test@example.com"})
    assert not at.exception
    assert at.title[0].value == "Data"
    assert not any(b.label.startswith("Sign in") for b in at.button)
