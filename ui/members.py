"""The members of a workspace and their roles, on the Workspaces page: shown to everyone signed
in, changed by its owners in a version-checked table (a refused change shows why and the table
goes back to what is stored), with the history of every change."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from bsc.access import OWNER, ROLES, VIEWER, SignedInStore, may_manage, members, role_changes_of, set_role
from bsc.errors import InputError
from bsc.store import Store, Workspace
from ui.context import show_input_error
from ui.versioned_editor import EditorOutcome, apply_pending, show_outcome, versioned_editor

NAME = "members"
ROLE_HELP = (
    "Owners change roles, make the workspace read-only or editable and can delete it; editors change "
    "its tables, mappings, segmentations, objectives and targets; viewers only look."
)


def apply_edits(store: Store, workspace: Workspace) -> EditorOutcome:
    """Apply the edits made in the members table drawn by the previous run (call it before the
    page reads roles, so that the whole page shows the result)."""
    if not isinstance(store, SignedInStore):
        return EditorOutcome()

    def apply(row: dict[str, Any] | None, changes: dict[str, Any] | None) -> str:
        if row is None:
            values = changes or {}
            role = values.get("Role") or VIEWER
            added = set_role(
                store, workspace.id, values.get("Member") or "", role, expected_version=None, by=store.user
            )
            return f"{added.email} was added as {role}." if added else ""
        if changes is None:
            set_role(store, workspace.id, row["id"], None, expected_version=row["version"], by=store.user)
            return f"{row['id']} is no longer a member."
        if changes.get("Member", row["id"]) != row["id"]:
            raise InputError(
                f"An address cannot be changed ({row['id']}): remove the member and add the new address."
            )
        role = changes.get("Role", row["Role"])
        set_role(store, workspace.id, row["id"], role, expected_version=row["version"], by=store.user)
        return f"{row['id']} is now {role}."

    return apply_pending(NAME, apply)


def show(store: Store, workspace: Workspace, outcome: EditorOutcome) -> None:
    """Who may do what in the workspace; an owner edits the table (add a row, change a role,
    delete a row)."""
    st.subheader("Members", anchor=False)
    if not isinstance(store, SignedInStore):
        st.caption(
            "Sign-in is off: everyone who can open the app is an editor of every workspace. "
            "The About page says how to turn on sign-in and roles."
        )
        return
    everyone = members(store, workspace.id)
    if not everyone:
        show_outcome(outcome)
        st.info(
            "This workspace has no owner yet, so every signed-in person is its editor. Its first owner "
            "decides who may edit it and who may only view it.",
            icon=":material/group:",
        )
        if st.button("Become its owner", key="claim_workspace", icon=":material/shield_person:"):
            try:
                set_role(store, workspace.id, store.user, OWNER, expected_version=None, by=store.user)
            except InputError as error:
                show_input_error(error)
            else:
                st.rerun()
        return
    manage = may_manage(store, workspace.id)
    st.caption(
        ROLE_HELP
        + " Anyone signed in who is not listed is a viewer."
        + (
            " Add a row to add someone; delete a row to remove them."
            if manage
            else " Only an owner can change this list."
        )
    )
    frame = pd.DataFrame(
        [
            {
                "id": m.email,
                "version": m.version,
                "Member": m.email,
                "Role": m.role,
                "Changed by": m.updated_by,
                "Changed (UTC)": m.updated_at,
            }
            for m in everyone
        ],
        columns=["id", "version", "Member", "Role", "Changed by", "Changed (UTC)"],
    )
    versioned_editor(
        NAME,
        frame,
        outcome,
        read_only=not manage,
        num_rows="dynamic",
        disabled=["Changed by", "Changed (UTC)"],
        column_order=["Member", "Role", "Changed by", "Changed (UTC)"],
        column_config={
            "Member": st.column_config.TextColumn(
                required=True, help="The e-mail address the person signs in with.", width="medium"
            ),
            "Role": st.column_config.SelectboxColumn(options=list(ROLES), required=True, help=ROLE_HELP),
            "Changed (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        },
        width="stretch",
    )
    with st.expander("History of role changes"):
        history = role_changes_of(store, workspace.id)
        history = history.rename(
            columns={"at": "When (UTC)", "who": "Changed by", "member": "Member", "old": "From", "new": "To"}
        )
        st.caption("“From” is empty when the member was added, “To” when they were removed.")
        st.dataframe(history, hide_index=True, width="stretch")
