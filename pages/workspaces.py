"""Workspaces: create, rename, switch, mark read-only and delete; with sign-in, who may do what."""

import pandas as pd
import streamlit as st

from bsc.access import SignedInStore, may_manage, owners, role_of
from bsc.errors import InputError
from ui import members
from ui.context import page_setup, set_current_workspace, show_input_error
from ui.text import literal

ctx = page_setup("Workspaces")
store = ctx.store
member_edits = members.apply_edits(store, ctx.workspace)
signed_in = isinstance(store, SignedInStore)
# Owners only when signed in; everyone without sign-in.
manage = may_manage(store, ctx.workspace.id)

st.caption(
    "A workspace holds a company's tables and their column mappings, and later its objectives, targets "
    "and segmentations. Everything is saved at once; everyone on this server sees the same workspaces."
)

rows = []
for workspace in store.list_workspaces():
    tables = store.list_datasets(workspace.id)
    rows.append(
        {
            "Workspace": workspace.name,
            "Tables": len(tables),
            "Rows": sum(t.rows for t in tables),
            "Created": workspace.created_at.strftime("%Y-%m-%d %H:%M"),
            "Read-only": "Yes" if workspace.read_only else "",
            **({"Your role": role_of(store, workspace.id, store.user)} if signed_in else {}),
            "Current": "●" if workspace.id == ctx.workspace.id else "",
        }
    )
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

create, rename, delete = st.columns(3)

with create, st.form("create_workspace", clear_on_submit=True):
    st.subheader("New workspace")
    new_name = st.text_input("Name", key="new_workspace_name", placeholder="e.g. Acme retail 2026")
    if st.form_submit_button("Create and open", type="primary"):
        try:
            created = store.create_workspace(new_name)
        except InputError as error:
            show_input_error(error)
        else:
            set_current_workspace(created.id)
            st.rerun()

with rename, st.form("rename_workspace"):
    st.subheader("Rename")
    # One input per workspace: after a switch it shows the name of the workspace now current.
    renamed = st.text_input(
        "New name for the current workspace",
        value=ctx.workspace.name,
        key=f"rename_to_{ctx.workspace.id}",
        disabled=ctx.read_only,
    )
    if st.form_submit_button("Rename", disabled=ctx.read_only):
        try:
            store.rename_workspace(ctx.workspace.id, renamed)
        except InputError as error:
            show_input_error(error)
        else:
            st.rerun()


DELETING = "deleting_workspace_id"


def _cancel_delete() -> None:
    st.session_state.pop(DELETING, None)


@st.dialog("Delete workspace?", on_dismiss=_cancel_delete)
def _confirm_delete(workspace_id: str, name: str) -> None:
    st.write(
        f"This deletes **{len(store.list_datasets(workspace_id))} tables** and everything in the workspace:"
    )
    st.code(name, language=None)
    st.write("It cannot be undone.")
    typed = st.text_input("Type the workspace name to confirm", key="confirm_delete_name")
    confirm, cancel = st.columns(2)
    if confirm.button(
        "Delete for good", type="primary", key="confirm_delete", disabled=typed.strip() != name
    ):
        store.delete_workspace(workspace_id)
        _cancel_delete()
        st.session_state.pop("current_workspace_id", None)
        st.query_params.clear()
        st.rerun()
    if cancel.button("Cancel", key="cancel_delete"):
        _cancel_delete()
        st.rerun()


with delete:
    st.subheader("Delete")
    st.write("Deleting asks for confirmation.")
    if not manage:
        st.caption("Only an owner can delete it.")
    if st.button(
        "Delete the current workspace…", key="delete_workspace", disabled=ctx.read_only or not manage
    ):
        st.session_state[DELETING] = ctx.workspace.id

if st.session_state.get(DELETING) == ctx.workspace.id:
    _confirm_delete(ctx.workspace.id, ctx.workspace.name)


def _toggle_read_only() -> None:
    try:
        store.set_read_only(ctx.workspace.id, st.session_state[READ_ONLY])
    except InputError as error:
        show_input_error(error)


READ_ONLY = f"read_only_{ctx.workspace.id}"
# Follow the store: another session may have changed the flag since this one last drew it.
st.session_state[READ_ONLY] = ctx.workspace.read_only
st.subheader("Read-only", anchor=False)
st.toggle(
    "Read-only: the current workspace can be viewed, not changed",
    key=READ_ONLY,
    on_change=_toggle_read_only,
    disabled=not manage,
    help="For a workshop's viewers: nothing in the workspace (tables, mappings, segmentations, objectives, "
    "targets) can be changed, on any page, until this is turned off again.",
)
if not manage:
    names = ", ".join(owners(store, ctx.workspace.id))
    st.caption(
        f"Only an owner ({literal(names)}) can turn this on or off."
        if names
        else "Only an owner can turn this on or off."
    )

members.show(store, ctx.workspace, member_edits)
