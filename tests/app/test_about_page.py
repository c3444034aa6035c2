"""The About page: what the product is, its version, where data is kept, whether sign-in is on."""

from __future__ import annotations

from pathlib import Path

from bsc import __version__
from bsc.store import Store
from tests.app.conftest import open_app
from tests.app.test_sign_in import ANA, TWO_PROVIDERS

ABOUT = "pages/about.py"


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_an_open_server_says_so(data_dir: Path):
    at = open_app(ABOUT)
    assert not at.exception
    assert metrics(at) == {"Version": __version__, "Sign-in": "Off", "This workspace": "Editable"}
    assert "Sign-in is off: anyone who can reach this server" in at.warning[0].value
    assert "**everyone who can open the app is an editor** of every workspace" in at.warning[0].value
    assert str(data_dir.resolve()) in [c.value for c in at.code]
    assert f"sqlite:///{data_dir.resolve() / 'bsc.sqlite3'}" in [c.value for c in at.code]
    promises = " ".join(m.value for m in at.markdown)
    for promise in ("Nothing in a file is run", "Nothing is lost", "Nothing leaks between people"):
        assert promise in promises


def test_with_sign_in_it_names_the_providers_and_the_user(data_dir: Path):
    at = open_app()
    at.secrets.update(TWO_PROVIDERS)
    at.user = ANA
    at.run()
    at.switch_page(ABOUT).run()
    assert not at.exception
    assert metrics(at)["Sign-in"] == "On"
    assert "sign-in with Google, Microsoft" in at.success[0].value
    assert "Ana Lima" in at.success[0].value


def test_a_read_only_workspace_is_shown_as_such(data_dir: Path):
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    store.set_read_only(workspace.id, True)
    at = open_app(ABOUT)
    assert metrics(at)["This workspace"] == "Read-only"
    assert "read-only" in at.sidebar.info[0].value
