"""Roles on the pages when sign-in is on: a viewer sees but cannot change (no target saved, no
read-only flip), only an owner changes roles and the read-only flag (version-checked, the last
owner kept), and a signed-in account not on the allow-list is refused."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from streamlit.testing.v1 import AppTest

from bsc.access import EDITOR, OWNER, VIEWER, members, role_changes_of, role_of, set_role
from bsc.store import Store, Workspace
from bsc.targets import Target, TargetBook
from tests.app.conftest import APP_TIMEOUT, ROOT, shown
from tests.app.test_sign_in import ANA, ONE_PROVIDER
from ui.text import WORD_JOINER

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]

BRUNO = {"is_logged_in": True, "name": "Bruno Reis", "email": "bruno@example.com"}
CARLA = {"is_logged_in": True, "name": "Carla Dias", "email": "carla@example.com"}
DORA = {"is_logged_in": True, "name": "Dora Kim", "email": "dora@elsewhere.test"}
WORKSPACES = "pages/workspaces.py"
OBJECTIVES = "pages/objectives.py"
VIEWER_NOTE = "You can view this workspace; ask an owner (ana@example.com) to edit."
REFUSED = "You can view “Demo company” but not change it, so nothing was changed"


def plain(markdown: str) -> str:
    """Markdown as read: no escaping backslashes, no word joiners that keep addresses from linking."""
    return shown(markdown).replace(WORD_JOINER, "")


def signed_in(user: dict, page: str, secrets: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    at.secrets.update(secrets or ONE_PROVIDER)
    at.user = user
    at.run()
    return at.switch_page(page).run()


@pytest.fixture
def demo(data_dir: Path) -> tuple[Store, Workspace]:
    """The demo workspace owned by Ana, with Bruno as editor and Carla as viewer."""
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    set_role(store, workspace.id, ANA["email"], OWNER, expected_version=None, by=ANA["email"])
    set_role(store, workspace.id, BRUNO["email"], EDITOR, expected_version=None, by=ANA["email"])
    set_role(store, workspace.id, CARLA["email"], VIEWER, expected_version=None, by=ANA["email"])
    return store, workspace


def edit(at: AppTest, name: str, edits: dict) -> None:
    key = at.session_state[f"{name}_editor_state"]["key"]
    at.session_state[key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [], **edits}
    at.run()


def editor(at: AppTest, name: str):
    key = at.session_state[f"{name}_editor_state"]["key"]
    return next(e for e in at.data_editor if e.key == key)


def errors(at: AppTest) -> list[str]:
    return [plain(e.value) for e in at.error]


class TestViewer:
    def test_a_viewer_cannot_save_a_target(self, demo):
        store, workspace = demo
        book = TargetBook(store, workspace.id)
        book.set_target(Target("nps", 30.0, "2027-06"), author="Setup")
        before = (book.targets(), len(book.audit_log()))

        at = signed_in(CARLA, OBJECTIVES)
        assert not at.exception, at.exception
        assert plain(at.main.info[0].value) == VIEWER_NOTE
        assert VIEWER_NOTE in [plain(i.value) for i in at.sidebar.info]
        assert next(b for b in at.button if b.label == "Save target").disabled
        assert editor(at, "targets").proto.disabled
        # An edit forced into the table anyway is refused by the store, with the reason.
        edit(at, "targets", {"edited_rows": {0: {"Target": 33.0}}})
        assert not at.exception, at.exception
        assert any(REFUSED in message for message in errors(at))
        assert (book.targets(), len(book.audit_log())) == before

    def test_a_viewer_cannot_flip_read_only(self, demo):
        _, workspace = demo
        at = signed_in(CARLA, WORKSPACES)
        toggle = at.toggle(key=f"read_only_{workspace.id}")
        assert toggle.disabled
        assert "Only an owner (ana@example.com) can turn this on or off." in [
            plain(c.value) for c in at.caption
        ]
        assert at.button(key="delete_workspace").disabled

    def test_a_flip_by_an_owner_demoted_meanwhile_is_refused(self, demo):
        store, workspace = demo
        set_role(store, workspace.id, CARLA["email"], OWNER, expected_version=1, by=ANA["email"])
        at = signed_in(CARLA, WORKSPACES)
        toggle = at.toggle(key=f"read_only_{workspace.id}")
        assert not toggle.disabled
        # Ana makes Carla a viewer again before she clicks.
        set_role(store, workspace.id, CARLA["email"], VIEWER, expected_version=2, by=ANA["email"])
        toggle.set_value(True).run()
        assert not at.exception, at.exception
        assert any(
            "Only an owner of “Demo company” can make it read-only or editable" in m for m in errors(at)
        )
        assert not store.get_workspace(workspace.id).read_only

    def test_a_viewer_cannot_add_a_file(self, demo):
        at = signed_in(CARLA, "pages/data.py")
        assert not at.exception, at.exception
        assert plain(at.main.info[0].value) == VIEWER_NOTE
        assert at.file_uploader(key="upload").proto.disabled


class TestOwner:
    def test_an_owner_changes_adds_and_removes_members(self, demo):
        store, workspace = demo
        at = signed_in(ANA, WORKSPACES)
        assert not editor(at, "members").proto.disabled
        assert not at.toggle(key=f"read_only_{workspace.id}").disabled
        # Rows: owners first, then editors, then viewers (Ana, Bruno, Carla).
        edit(at, "members", {"edited_rows": {2: {"Role": "editor"}}})
        assert not at.exception, at.exception
        assert role_of(store, workspace.id, CARLA["email"]) == EDITOR
        assert "carla@example.com is now editor." in [plain(s.value) for s in at.success]
        edit(at, "members", {"added_rows": [{"Member": "Dora@Elsewhere.test", "Role": "viewer"}]})
        assert role_of(store, workspace.id, DORA["email"]) == VIEWER
        # Now Ana, Bruno, Carla (editors by e-mail), Dora: remove Bruno.
        edit(at, "members", {"deleted_rows": [1]})
        assert [(m.email, m.role) for m in members(store, workspace.id)] == [
            ("ana@example.com", OWNER),
            ("carla@example.com", EDITOR),
            ("dora@elsewhere.test", VIEWER),
        ]
        history = role_changes_of(store, workspace.id)
        assert history[["who", "member", "old", "new"]].head(3).values.tolist() == [
            ["ana@example.com", "bruno@example.com", "editor", ""],
            ["ana@example.com", "dora@elsewhere.test", "", "viewer"],
            ["ana@example.com", "carla@example.com", "viewer", "editor"],
        ]

    def test_a_change_on_a_stale_version_keeps_the_stored_role_and_says_why(self, demo):
        store, workspace = demo
        at = signed_in(ANA, WORKSPACES)
        # Someone else (another owner's session) changes Carla first.
        set_role(store, workspace.id, CARLA["email"], EDITOR, expected_version=1, by=ANA["email"])
        edit(at, "members", {"edited_rows": {2: {"Role": "owner"}}})
        assert not at.exception, at.exception
        assert any("changed in another session by ana@example.com (now editor)" in m for m in errors(at))
        assert role_of(store, workspace.id, CARLA["email"]) == EDITOR
        shown_roles = dict(
            zip(editor(at, "members").value["Member"], editor(at, "members").value["Role"], strict=True)
        )
        assert shown_roles["carla@example.com"] == EDITOR

    def test_the_last_owner_cannot_step_down(self, demo):
        store, workspace = demo
        at = signed_in(ANA, WORKSPACES)
        edit(at, "members", {"edited_rows": {0: {"Role": "viewer"}}})
        assert any("ana@example.com is the last owner of “Demo company”" in m for m in errors(at))
        assert role_of(store, workspace.id, ANA["email"]) == OWNER

    def test_an_owner_flips_read_only(self, demo):
        store, workspace = demo
        at = signed_in(ANA, WORKSPACES)
        at.toggle(key=f"read_only_{workspace.id}").set_value(True).run()
        assert not at.exception, at.exception
        assert store.get_workspace(workspace.id).read_only

    def test_an_editor_sees_the_members_but_cannot_change_them(self, demo):
        store, workspace = demo
        at = signed_in(BRUNO, WORKSPACES)
        assert editor(at, "members").proto.disabled
        assert at.toggle(key=f"read_only_{workspace.id}").disabled
        edit(at, "members", {"edited_rows": {2: {"Role": "owner"}}})
        assert any("Only an owner of “Demo company” can change who may do what" in m for m in errors(at))
        assert role_of(store, workspace.id, CARLA["email"]) == VIEWER


def test_the_creator_of_a_workspace_owns_it(demo):
    store, _ = demo
    at = signed_in(BRUNO, WORKSPACES)
    at.text_input(key="new_workspace_name").input("Bruno's lab")
    at.button[0].click().run()  # the form's submit button
    assert not at.exception, at.exception
    created = store.find_workspace("Bruno's lab")
    assert [(m.email, m.role) for m in members(store, created.id)] == [("bruno@example.com", OWNER)]


def test_a_workspace_without_an_owner_can_be_claimed(data_dir: Path):
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    at = signed_in(BRUNO, WORKSPACES)
    assert at.toggle(key=f"read_only_{workspace.id}").disabled, "nobody owns it yet"
    at.button(key="claim_workspace").click().run()
    assert not at.exception, at.exception
    assert role_of(store, workspace.id, BRUNO["email"]) == OWNER
    assert not at.toggle(key=f"read_only_{workspace.id}").disabled


class TestAllowList:
    ALLOW: ClassVar[dict] = {**ONE_PROVIDER, "access": {"allow": ["ana@example.com", "@partner.test"]}}

    def test_an_account_not_on_the_list_is_refused(self, data_dir: Path):
        at = signed_in(DORA, "pages/about.py", self.ALLOW)
        assert not at.exception, at.exception
        assert [t.value for t in at.title] == ["Customer Scorecard"]
        assert errors(at) == [
            "dora@elsewhere.test is not on the list of people who may use this server. Ask whoever runs "
            "it to add you, or sign out and sign in with another account."
        ]
        assert [b.label for b in at.button] == ["Sign out"]
        assert not at.sidebar.selectbox and not at.metric

    def test_accounts_on_the_list_by_address_or_domain_get_in(self, data_dir: Path):
        for user in (ANA, {"is_logged_in": True, "name": "Eve", "email": "eve@partner.test"}):
            at = signed_in(user, "pages/about.py", self.ALLOW)
            assert not at.exception, at.exception
            assert at.title[0].value == "About"

    def test_the_environment_variable_adds_to_the_list(self, data_dir: Path, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setenv("BSC_ALLOWED_USERS", "someone@example.com, elsewhere.test")
        at = signed_in(DORA, "pages/about.py", self.ALLOW)
        assert at.title[0].value == "About"

    def test_an_unverified_address_is_refused(self, data_dir: Path):
        at = signed_in({**ANA, "email_verified": False}, "pages/about.py", self.ALLOW)
        assert "is not on the list of people who may use this server" in errors(at)[0]

    def test_a_malformed_list_lets_nobody_in(self, data_dir: Path):
        at = signed_in(ANA, "pages/about.py", {**ONE_PROVIDER, "access": {"allow": ["ana@"]}})
        assert errors(at)[0].startswith(
            "This server's list of who may sign in cannot be read, so nobody is let in"
        )
