"""Read-only workspaces on the pages: toggled on the Workspaces page, editing widgets disabled on
the Data, Workspaces, Objectives, Segmentation and Churn lab pages, and every page's writes
refused by the store with a message, also when the workspace turns read-only mid-session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bsc.store import Store
from bsc.targets import Initiative, Objective, Target, TargetBook
from tests.app.conftest import open_app, shown
from tests.conftest import FIXTURES

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]

REFUSED = "The workspace “Demo company” is read-only, so nothing was changed."


def the_workspace(data_dir: Path):
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    return store, workspace


def read_only_before_each(
    monkeypatch: pytest.MonkeyPatch, owner: type, method: str, store: Store, workspace_id: str
) -> None:
    """Someone marks the workspace read-only just before the page's write reaches ``owner.method``
    (the page was drawn editable)."""
    write = getattr(owner, method)

    def flipped(*args: object, **kwargs: object) -> object:
        store.set_read_only(workspace_id, True)
        return write(*args, **kwargs)

    monkeypatch.setattr(owner, method, flipped)


def notice(at: AppTest) -> str:
    """The read-only notice at the top of the page's main area."""
    return at.main.info[0].value


def refused(at: AppTest) -> bool:
    """Whether the page shows the store's refusal of a write into the read-only workspace."""
    return any(REFUSED in shown(error.value) for error in at.error)


def test_the_toggle_marks_the_workspace_read_only_and_back(data_dir: Path):
    store, workspace = the_workspace(data_dir)
    at = open_app("pages/workspaces.py")
    toggle = at.toggle(key=f"read_only_{workspace.id}")
    assert toggle.value is False
    toggle.set_value(True).run()
    assert not at.exception
    assert store.get_workspace(workspace.id).read_only
    assert "read-only" in at.sidebar.info[0].value
    assert at.button(key="delete_workspace").disabled
    assert at.text_input(key=f"rename_to_{workspace.id}").disabled
    table = next(d.value for d in at.dataframe if "Workspace" in d.value.columns)
    assert table["Read-only"].tolist() == ["Yes"]

    at.toggle(key=f"read_only_{workspace.id}").set_value(False).run()
    assert not store.get_workspace(workspace.id).read_only
    assert not at.button(key="delete_workspace").disabled


def test_the_toggle_follows_a_change_made_in_another_session(data_dir: Path):
    store, workspace = the_workspace(data_dir)
    at = open_app("pages/workspaces.py")
    store.set_read_only(workspace.id, True)
    at.run()
    assert at.toggle(key=f"read_only_{workspace.id}").value is True


def test_the_data_page_disables_its_editing_widgets(data_dir: Path):
    store, workspace = the_workspace(data_dir)
    store.set_read_only(workspace.id, True)
    at = open_app("pages/data.py")
    assert not at.exception
    assert "read-only" in at.info[0].value
    stored = [b for b in at.button if b.key.startswith("stored_")]
    assert {b.label for b in stored} == {"Save mapping", "Delete this table…"}
    assert all(b.disabled for b in stored)
    assert at.selectbox(key=next(s.key for s in at.selectbox if s.key.endswith("_kind"))).disabled


def test_a_save_after_the_workspace_became_read_only_stores_nothing(data_dir: Path):
    # The page was drawn editable; the workspace became read-only before the click.
    store, workspace = the_workspace(data_dir)
    at = open_app("pages/data.py")
    data = (FIXTURES / "cdnow_sample.txt").read_bytes()
    at.file_uploader(key="upload").set_value(("CDNOW_sample.txt", data, "text/plain")).run()
    store.set_read_only(workspace.id, True)
    save = next(b for b in at.button if b.key.startswith("new_") and b.key.endswith("_save"))
    save.click().run()
    assert not at.exception
    names = [d.name for d in store.list_datasets(workspace.id)]
    assert "CDNOW_sample.txt" not in names


# --- Objectives & targets ----------------------------------------------------------------------


OBJECTIVES = "pages/objectives.py"
TARGETS_FILE = b"kpi,segment,period,target\nnps,,2027-06,40\n"


def _book(store: Store, workspace_id: str) -> TargetBook:
    return TargetBook(store, workspace_id)


def _open_objectives_as(name: str) -> AppTest:
    at = open_app(OBJECTIVES)
    at.text_input(key="author_input").input(name).run()
    assert not at.exception, at.exception
    return at


def _editor(at: AppTest, name: str):
    key = at.session_state[f"{name}_editor_state"]["key"]
    return next(editor for editor in at.data_editor if editor.key == key)


def _edit(at: AppTest, name: str, edits: dict) -> None:
    key = at.session_state[f"{name}_editor_state"]["key"]
    at.session_state[key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [], **edits}
    at.run()


def _button(at: AppTest, label: str):
    return next(button for button in at.button if button.label == label)


def _stored_book(book: TargetBook) -> tuple:
    return book.targets(), book.objectives(), book.initiatives(), len(book.audit_log())


class TestObjectivesPage:
    def test_every_editing_widget_is_disabled(self, data_dir: Path):
        store, workspace = the_workspace(data_dir)
        book = _book(store, workspace.id)
        target = book.set_target(Target("nps", 30.0, "2027-06"), author="Setup")
        objective = book.add_objective(Objective("Keep customers", kpis=("nps",)), author="Setup")
        book.add_initiative(Initiative(objective.id, "Call detractors"), author="Setup")
        store.set_read_only(workspace.id, True)
        before = _stored_book(book)

        at = _open_objectives_as("Ana")
        assert notice(at).startswith("This workspace is read-only: its targets, objectives and initiatives")
        assert not any("Give your name" in w.value for w in at.warning), "no name is needed to look"
        assert _button(at, "Save target").disabled
        assert not _button(at, "Check the chance").disabled
        for name in ("targets", "objectives", "initiatives"):
            editor = _editor(at, name)
            assert editor.proto.disabled, name
            assert editor.editing_mode == "fixed", name  # no adding or deleting rows
        trajectory = next(e for e in at.data_editor if e.key == f"trajectory_{target.id}_1")
        assert trajectory.proto.disabled
        assert _button(at, "Save per-period targets").disabled
        downloads = at.get("download_button")
        assert [d.proto.label for d in downloads] == [
            "Targets (CSV)",
            "Targets (Excel)",
            "Scorecard workbook (Excel)",
        ]
        assert not any(d.proto.disabled for d in downloads)
        # A targets file can be read and checked, not imported.
        at.file_uploader(key="targets_upload").set_value(("targets.csv", TARGETS_FILE, "text/csv")).run()
        assert not at.exception, at.exception
        assert at.button(key="targets_import").disabled
        assert _stored_book(book) == before

    def test_edits_forced_into_the_tables_are_refused(self, data_dir: Path):
        store, workspace = the_workspace(data_dir)
        book = _book(store, workspace.id)
        book.set_target(Target("nps", 30.0, "2027-06"), author="Setup")
        store.set_read_only(workspace.id, True)
        before = _stored_book(book)
        at = _open_objectives_as("Ana")

        _edit(at, "targets", {"edited_rows": {0: {"Target": 33.0}}})
        assert not at.exception, at.exception
        assert refused(at)
        _edit(at, "targets", {"deleted_rows": [0]})
        assert refused(at)
        _edit(at, "objectives", {"added_rows": [{"Objective": "Grow"}]})
        assert refused(at)
        assert _stored_book(book) == before

    def test_saves_racing_the_switch_to_read_only_are_refused(
        self, data_dir: Path, monkeypatch: pytest.MonkeyPatch
    ):
        store, workspace = the_workspace(data_dir)
        book = _book(store, workspace.id)
        at = _open_objectives_as("Ana")
        assert not at.main.info or "read-only" not in notice(at)

        read_only_before_each(monkeypatch, TargetBook, "set_target", store, workspace.id)
        _button(at, "Save target").click().run()
        assert not at.exception, at.exception
        assert refused(at)
        assert book.targets() == []

        store.set_read_only(workspace.id, False)
        read_only_before_each(monkeypatch, TargetBook, "import_targets", store, workspace.id)
        at.file_uploader(key="targets_upload").set_value(("targets.csv", TARGETS_FILE, "text/csv")).run()
        at.button(key="targets_import").click().run()
        assert not at.exception, at.exception
        assert refused(at)
        assert book.targets() == [] and book.audit_log().empty


# --- Segmentation ------------------------------------------------------------------------------


SEGMENTATION = "pages/segmentation.py"
PILOT = pd.Series(["A", "B"], index=["C000001", "C000002"])


class TestSegmentationPage:
    def test_saving_renaming_and_deleting_are_disabled(self, data_dir: Path):
        store, workspace = the_workspace(data_dir)
        saved = store.save_segmentation(workspace.id, name="Pilot", attribute="pilot", segments=PILOT)
        store.set_read_only(workspace.id, True)

        at = open_app(SEGMENTATION)
        assert not at.exception, at.exception
        assert notice(at).startswith("This workspace is read-only: customers can be segmented")
        assert not at.button(key="FormSubmitter:segmentation_form-Segment customers").disabled
        assert at.button(key="kmeans_save").disabled
        [download] = at.get("download_button")
        assert download.proto.label == "Download assignments (CSV)" and not download.proto.disabled
        assert at.text_input(key=f"saved_rename_{saved.id}_1").disabled
        assert at.button(key="saved_rename").disabled
        assert at.button(key="saved_delete").disabled
        assert store.list_segmentations(workspace.id) == [saved]

    def test_writes_racing_the_switch_to_read_only_are_refused(
        self, data_dir: Path, monkeypatch: pytest.MonkeyPatch
    ):
        store, workspace = the_workspace(data_dir)
        saved = store.save_segmentation(workspace.id, name="Pilot", attribute="pilot", segments=PILOT)
        at = open_app(SEGMENTATION)
        assert not at.exception, at.exception

        read_only_before_each(monkeypatch, Store, "save_segmentation", store, workspace.id)
        at.button(key="kmeans_save").click().run()
        assert not at.exception, at.exception
        assert refused(at)
        assert store.list_segmentations(workspace.id) == [saved]

        store.set_read_only(workspace.id, False)
        at.run()
        read_only_before_each(monkeypatch, Store, "rename_segmentation", store, workspace.id)
        at.text_input(key=f"saved_rename_{saved.id}_1").set_value("Pilot groups")
        at.button(key="saved_rename").click().run()
        assert not at.exception, at.exception
        assert refused(at)
        assert store.list_segmentations(workspace.id) == [saved]

        store.set_read_only(workspace.id, False)
        at.run()
        at.button(key="saved_delete").click().run()
        read_only_before_each(monkeypatch, Store, "delete_segmentation", store, workspace.id)
        at.button(key="saved_delete_yes").click().run()
        assert not at.exception, at.exception
        assert refused(at), "the message stays on screen"
        assert store.list_segmentations(workspace.id) == [saved]


# --- Churn lab ---------------------------------------------------------------------------------


def test_the_churn_lab_analyses_and_downloads_as_usual(data_dir: Path):
    store, workspace = the_workspace(data_dir)
    store.set_read_only(workspace.id, True)
    fingerprint = store.workspace_fingerprint(workspace.id)
    at = open_app("pages/churn.py")
    assert not at.exception, at.exception
    assert notice(at).startswith("This workspace is read-only: nothing on this page is saved")
    assert "Churned = a churn date in the 365 days" in at.main.info[1].value
    assert not at.button(key="churn_analyse").disabled
    [download] = at.get("download_button")
    assert download.proto.label == "Download the list (CSV)" and not download.proto.disabled
    assert at.get("vega_lite_chart"), "the analysis ran"
    assert store.workspace_fingerprint(workspace.id) == fingerprint
