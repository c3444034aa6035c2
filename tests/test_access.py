"""Roles per workspace (owner, editor, viewer), their version-checked and audited changes, the
checks every write of a signed-in person passes, and the allow-list of who may sign in."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bsc.access import (
    EDITOR,
    OWNER,
    VIEWER,
    AccessError,
    AllowList,
    acting_as,
    may_manage,
    members,
    normalise_email,
    owners,
    role_changes_of,
    role_of,
    set_role,
)
from bsc.errors import InputError
from bsc.mapping import TableMapping
from bsc.store import ConflictError, ReadOnlyError, Store
from bsc.targets import Objective, TargetBook

ANA = "ana@example.com"
BRUNO = "bruno@example.com"
CARLA = "carla@example.org"

RAW = pd.DataFrame({"Customer ID": ["001"], "Order Date": ["2024-01-01"], "Amt": ["1.5"]})
CANONICAL = pd.DataFrame(
    {
        "customer_id": pd.array(["001"], dtype="string"),
        "date": pd.to_datetime(["2024-01-01"]),
        "amount": [1.5],
    }
)
MAPPING = TableMapping(
    kind="transactions", roles={"customer_id": "Customer ID", "date": "Order Date", "amount": "Amt"}
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "data")


@pytest.fixture
def acme(store: Store) -> str:
    """A workspace Ana created while signed in (so she owns it), with Bruno as editor, Carla viewer."""
    workspace = acting_as(store, ANA).create_workspace("Acme")
    set_role(store, workspace.id, BRUNO, EDITOR, expected_version=None, by=ANA)
    set_role(store, workspace.id, CARLA, VIEWER, expected_version=None, by=ANA)
    return workspace.id


def save_table(store: Store, workspace_id: str):
    return store.save_dataset(
        workspace_id,
        name="orders.csv",
        source="orders.csv",
        sheet=None,
        raw=RAW,
        canonical=CANONICAL,
        mapping=MAPPING,
    )


class TestRoles:
    def test_the_creator_becomes_the_owner(self, store: Store):
        workspace = acting_as(store, "Ana@Example.com ").create_workspace("Acme")
        assert [(m.email, m.role, m.version) for m in members(store, workspace.id)] == [(ANA, OWNER, 1)]
        assert owners(store, workspace.id) == [ANA]

    def test_role_of_members_non_members_and_nobody(self, store: Store, acme: str):
        assert role_of(store, acme, ANA) == OWNER
        assert role_of(store, acme, BRUNO) == EDITOR
        assert role_of(store, acme, CARLA) == VIEWER
        # Not a member of a workspace that has members: may look, not touch.
        assert role_of(store, acme, "dora@example.com") == VIEWER
        # Nobody signed in (sign-in off): everyone is an editor, as before roles existed.
        assert role_of(store, acme, None) == EDITOR

    def test_a_workspace_without_members_has_only_editors_until_claimed(self, store: Store):
        # Made without sign-in (the demo, or before sign-in was turned on).
        workspace = store.create_workspace("Demo")
        assert members(store, workspace.id) == []
        assert role_of(store, workspace.id, BRUNO) == EDITOR
        with pytest.raises(AccessError, match="has no owner yet"):
            acting_as(store, BRUNO).set_read_only(workspace.id, True)
        # Bruno claims it: he becomes its owner, and everyone else a viewer.
        set_role(store, workspace.id, BRUNO, OWNER, expected_version=None, by=BRUNO)
        assert role_of(store, workspace.id, BRUNO) == OWNER
        assert role_of(store, workspace.id, ANA) == VIEWER
        # Once claimed, nobody else can claim it.
        with pytest.raises(
            AccessError,
            match=f"Only an owner of “Demo” can change who may do what, so nothing was changed; ask {BRUNO}",
        ):
            set_role(store, workspace.id, ANA, OWNER, expected_version=None, by=ANA)

    def test_the_plain_store_lets_everyone_manage(self, store: Store, acme: str):
        assert may_manage(store, acme)
        assert may_manage(acting_as(store, ANA), acme)
        assert not may_manage(acting_as(store, BRUNO), acme)


class TestRoleChanges:
    def test_only_an_owner_changes_roles(self, store: Store, acme: str):
        with pytest.raises(
            AccessError,
            match=f"Only an owner of “Acme” can change who may do what, so nothing was changed; ask {ANA}",
        ):
            set_role(store, acme, CARLA, EDITOR, expected_version=1, by=BRUNO)
        assert role_of(store, acme, CARLA) == VIEWER

    def test_a_change_raises_the_version_and_records_who(self, store: Store, acme: str):
        changed = set_role(store, acme, BRUNO, OWNER, expected_version=1, by=ANA)
        assert (changed.role, changed.version, changed.updated_by) == (OWNER, 2, ANA)

    def test_a_change_on_a_stale_version_is_refused_and_changes_nothing(self, store: Store, acme: str):
        set_role(store, acme, CARLA, EDITOR, expected_version=1, by=ANA)  # now version 2
        with pytest.raises(ConflictError, match=f"changed in another session by {ANA} \\(now editor\\)"):
            set_role(store, acme, CARLA, OWNER, expected_version=1, by=ANA)
        assert [(m.role, m.version) for m in members(store, acme) if m.email == CARLA] == [(EDITOR, 2)]

    def test_adding_someone_already_there_or_changing_someone_removed_conflicts(
        self, store: Store, acme: str
    ):
        with pytest.raises(ConflictError, match="now viewer"):
            set_role(store, acme, CARLA, EDITOR, expected_version=None, by=ANA)
        set_role(store, acme, CARLA, None, expected_version=1, by=ANA)
        with pytest.raises(ConflictError, match=f"{CARLA} was removed from “Acme” in another session"):
            set_role(store, acme, CARLA, EDITOR, expected_version=1, by=ANA)

    def test_the_last_owner_cannot_be_removed_or_demoted(self, store: Store, acme: str):
        for role in (None, EDITOR, VIEWER):
            with pytest.raises(InputError, match=f"{ANA} is the last owner of “Acme”"):
                set_role(store, acme, ANA, role, expected_version=1, by=ANA)
        assert owners(store, acme) == [ANA]
        # With a second owner, the first may step down.
        set_role(store, acme, BRUNO, OWNER, expected_version=1, by=ANA)
        set_role(store, acme, ANA, EDITOR, expected_version=1, by=ANA)
        assert owners(store, acme) == [BRUNO]

    def test_bad_roles_and_addresses_are_refused(self, store: Store, acme: str):
        with pytest.raises(InputError, match="“admin” is not a role"):
            set_role(store, acme, BRUNO, "admin", expected_version=1, by=ANA)
        with pytest.raises(InputError, match="“bruno” is not an e-mail address"):
            set_role(store, acme, "bruno", EDITOR, expected_version=None, by=ANA)
        with pytest.raises(InputError, match="is not a member of “Acme”; nothing to remove"):
            set_role(store, acme, "dora@example.com", None, expected_version=None, by=ANA)

    def test_every_change_is_in_the_audit_log_and_refused_ones_are_not(self, store: Store, acme: str):
        set_role(store, acme, CARLA, EDITOR, expected_version=1, by=ANA)
        with pytest.raises(ConflictError):
            set_role(store, acme, CARLA, OWNER, expected_version=1, by=ANA)
        set_role(store, acme, BRUNO, None, expected_version=1, by=ANA)
        log = role_changes_of(store, acme)
        # Newest first; "" is no role: added (old) or removed (new). The fixture made the first three.
        assert log[["who", "member", "old", "new"]].values.tolist() == [
            [ANA, BRUNO, "editor", ""],
            [ANA, CARLA, "viewer", "editor"],
            [ANA, CARLA, "", "viewer"],
            [ANA, BRUNO, "", "editor"],
            [ANA, ANA, "", "owner"],
        ]

    def test_roles_can_change_while_the_workspace_is_read_only(self, store: Store, acme: str):
        acting_as(store, ANA).set_read_only(acme, True)
        set_role(store, acme, CARLA, EDITOR, expected_version=1, by=ANA)
        assert role_of(store, acme, CARLA) == EDITOR

    def test_roles_go_with_their_workspace(self, store: Store, acme: str):
        acting_as(store, ANA).delete_workspace(acme)
        assert members(store, acme) == []
        assert role_changes_of(store, acme).empty


class TestWrites:
    def test_a_viewer_cannot_write_anything(self, store: Store, acme: str):
        carla = acting_as(store, CARLA)
        refused = f"You can view “Acme” but not change it, so nothing was changed; ask an owner \\({ANA}\\)"
        with pytest.raises(AccessError, match=refused):
            save_table(carla, acme)
        with pytest.raises(AccessError, match=refused):
            carla.rename_workspace(acme, "Mine")
        # Targets and objectives are written by bsc.targets through the store's engine.
        with pytest.raises(AccessError, match=refused):
            TargetBook(carla, acme).add_objective(Objective("Delight customers"), author=CARLA)
        assert store.list_datasets(acme) == []
        assert TargetBook(store, acme).objectives() == []
        assert not list((store.data_dir / "tables").iterdir()), "a refused save leaves no file"

    def test_an_editor_writes_content_but_not_access(self, store: Store, acme: str):
        bruno = acting_as(store, BRUNO)
        dataset = save_table(bruno, acme)
        TargetBook(bruno, acme).add_objective(Objective("Delight customers"), author=BRUNO)
        bruno.rename_workspace(acme, "Acme 2026")
        with pytest.raises(
            AccessError,
            match="Only an owner of “Acme 2026” can make it read-only or editable, so nothing was changed",
        ):
            bruno.set_read_only(acme, True)
        with pytest.raises(
            AccessError, match="Only an owner of “Acme 2026” can delete it, so nothing was changed"
        ):
            bruno.delete_workspace(acme)
        bruno.delete_dataset(dataset.id)
        assert not store.get_workspace(acme).read_only

    def test_an_owner_flips_read_only_and_then_nobody_writes(self, store: Store, acme: str):
        ana = acting_as(store, ANA)
        ana.set_read_only(acme, True)
        with pytest.raises(ReadOnlyError):
            save_table(ana, acme)
        ana.set_read_only(acme, False)
        save_table(ana, acme)

    def test_the_engine_check_holds_without_the_store_methods(self, store: Store, acme: str):
        # A write that skips the store's own checks (straight SQL through the signed-in engine).
        from bsc.database import workspaces

        with (
            pytest.raises(AccessError, match="Only an owner"),
            acting_as(store, BRUNO).engine.begin() as conn,
        ):
            conn.execute(workspaces.update().where(workspaces.c.id == acme).values(read_only=True))
        assert not store.get_workspace(acme).read_only

    def test_without_sign_in_nothing_is_checked(self, store: Store, acme: str):
        # The plain store (no one signed in) writes into a workspace that has members.
        save_table(store, acme)
        store.set_read_only(acme, True)
        assert store.get_workspace(acme).read_only


class TestAllowList:
    LIST = AllowList.from_entries(["Ana@Example.com", "@partner.org", "example.net", "  "])

    @pytest.mark.parametrize(
        ("email", "allowed"),
        [
            ("ana@example.com", True),
            (" ANA@EXAMPLE.COM", True),
            ("bruno@example.com", False),  # same domain, but only Ana's address is listed
            ("anyone@partner.org", True),
            ("anyone@example.net", True),
            ("anyone@sub.partner.org", False),  # a domain lets in itself, not its subdomains
            ("anyone@partner.org.evil.test", False),
            ("partner.org@evil.test", False),
            ("", False),
            (None, False),
            ("not an address", False),
        ],
        ids=lambda value: repr(value),
    )
    def test_matching(self, email: str | None, allowed: bool):
        assert self.LIST.allows(email) is allowed

    def test_entries_are_parsed(self):
        assert self.LIST.emails == {"ana@example.com"}
        assert self.LIST.domains == {"partner.org", "example.net"}

    @pytest.mark.parametrize("entry", ["ana@", "*.example.com", "two words.com", "@"])
    def test_a_malformed_entry_is_refused(self, entry: str):
        with pytest.raises(InputError, match="is neither an e-mail address"):
            AllowList.from_entries([entry])


def test_normalise_email():
    assert normalise_email("  Ana@Example.COM ") == ANA
    with pytest.raises(InputError, match="is not an e-mail address"):
        normalise_email("ana@localhost")
