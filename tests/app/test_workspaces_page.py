"""The Workspaces page: create, rename, switch and delete (with confirmation)."""

from __future__ import annotations

from pathlib import Path

from bsc.store import Store
from tests.app.conftest import open_app, shown

PAGE = "pages/workspaces.py"


def test_create_switches_to_the_new_workspace(data_dir: Path):
    at = open_app(PAGE)
    at.text_input(key="new_workspace_name").input("Acme retail")
    at.button[0].click().run()  # the form's submit button
    assert not at.exception
    names = {w.name for w in Store(data_dir).list_workspaces()}
    assert names == {"Demo company", "Acme retail"}
    picker = at.sidebar.selectbox(key="workspace_picker")
    assert picker.format_func(picker.value) == "Acme retail"


def test_duplicate_name_is_refused_with_a_message(data_dir: Path):
    at = open_app(PAGE)
    at.text_input(key="new_workspace_name").input("Demo company")
    at.button[0].click().run()
    assert not at.exception
    assert "already exists" in shown(at.error[0].value)
    assert len(Store(data_dir).list_workspaces()) == 1


def test_rename_keeps_the_tables(data_dir: Path):
    at = open_app(PAGE)
    [workspace] = Store(data_dir).list_workspaces()
    at.text_input(key=f"rename_to_{workspace.id}").input("Workshop copy")
    at.button[1].click().run()
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    assert workspace.name == "Workshop copy"
    assert len(store.list_datasets(workspace.id)) == 5


def test_delete_asks_for_the_name_first(data_dir: Path):
    store = Store(data_dir)
    store.create_workspace("Scratch")
    at = open_app(PAGE)
    picker = at.sidebar.selectbox(key="workspace_picker")
    scratch = next(w.id for w in store.list_workspaces() if w.name == "Scratch")
    picker.set_value(scratch).run()
    at.button(key="delete_workspace").click().run()
    assert len(store.list_workspaces()) == 2, "nothing is deleted before confirmation"
    at.text_input(key="confirm_delete_name").input("Scratch")
    at.run()
    at.button(key="confirm_delete").click().run()
    assert not at.exception
    assert [w.name for w in store.list_workspaces()] == ["Demo company"]
