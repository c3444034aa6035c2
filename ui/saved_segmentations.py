"""Saving a segmentation as a segment attribute of the workspace, exporting it, and managing saved ones."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bsc.errors import InputError
from bsc.exports import safe_csv_bytes
from bsc.prepare import clean_column_name
from bsc.store import Store, Workspace
from ui.access import can_edit
from ui.context import show_input_error
from ui.text import literal

_SAVED_FLASH = "segmentation_saved_message"


def save_panel(
    store: Store, workspace: Workspace, segments: pd.Series, params: dict, *, key: str, default_name: str
) -> None:
    """Name the segmentation, save it for the Scorecard, or download the assignments as CSV.

    In a read-only workspace the save button is disabled; the download stays.
    """
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    name = left.text_input(
        "Name of the segmentation",
        value=default_name,
        key=f"{key}_name",
        help="It becomes a segment attribute: the Scorecard can be split by it and targets can be set per segment.",
    )
    attribute = clean_column_name(name) if name.strip() else ""
    if right.button(
        "Save to the scorecard",
        key=f"{key}_save",
        type="primary",
        icon=":material/save:",
        disabled=not can_edit(store, workspace),
    ):
        try:
            saved = store.save_segmentation(
                workspace.id, name=name, attribute=attribute, segments=segments, params=params
            )
        except InputError as error:
            show_input_error(error)
        else:
            # A full rerun lists the new segmentation below and in the sidebar's "Split by".
            st.session_state[_SAVED_FLASH] = (
                f"Saved “{literal(saved.name)}” for {len(segments):,} customers. On the Scorecard, choose "
                f"**{literal(saved.attribute.replace('_', ' ').capitalize())}** under *Split by* in the sidebar."
            )
            st.rerun()
    flash = st.session_state.pop(_SAVED_FLASH, None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
        st.page_link("pages/scorecard.py", label="Open the Scorecard", icon=":material/dashboard:")
    st.caption(f"Column name in the scorecard: `{attribute or '—'}`")
    st.download_button(
        "Download assignments (CSV)",
        # Written when clicked, not on every run: at a million customers the CSV took about 2 s
        # per run and was held in memory for every session (and its table 0.1–0.5 s per run).
        data=lambda: safe_csv_bytes(
            pd.DataFrame(
                {"customer_id": segments.index.astype(str), "segment": segments.astype(str).to_numpy()}
            )
        ),
        file_name=f"{attribute or 'segments'}.csv",
        mime="text/csv",
        key=f"{key}_download",
        icon=":material/download:",
    )


def saved_list(store: Store, workspace: Workspace) -> None:
    """The workspace's saved segmentations, with rename and delete (disabled while read-only)."""
    saved = store.list_segmentations(workspace.id)
    if not saved:
        st.caption("No segmentation saved in this workspace yet.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Name": [s.name for s in saved],
                "Split by column": [s.attribute for s in saved],
                "Method": [s.params.get("method", "—") for s in saved],
                "Segments": [", ".join(s.params.get("segments", [])) for s in saved],
                "Saved": [s.created_at.strftime("%Y-%m-%d %H:%M") for s in saved],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    by_id = {s.id: s for s in saved}
    left, middle, rename_column, delete_column = st.columns([3, 3, 1.4, 1.4], vertical_alignment="bottom")
    chosen_id = left.selectbox(
        "Segmentation", list(by_id), format_func=lambda i: by_id[i].name, key="saved_segmentation_pick"
    )
    chosen = by_id[chosen_id]
    read_only = not can_edit(store, workspace)
    new_name = middle.text_input(
        "New name",
        value=chosen.name,
        key=f"saved_rename_{chosen.id}_{chosen.version}",
        disabled=read_only,
    )
    rename = rename_column.button(
        "Rename", key="saved_rename", icon=":material/edit:", width="stretch", disabled=read_only
    )
    delete = delete_column.button(
        "Delete", key="saved_delete", icon=":material/delete:", width="stretch", disabled=read_only
    )
    if rename:
        try:
            store.rename_segmentation(
                chosen.id,
                expected_version=chosen.version,
                name=new_name,
                attribute=clean_column_name(new_name),
            )
        except InputError as error:
            show_input_error(error)
        else:
            st.rerun()
    if delete:
        st.session_state["saved_delete_pending"] = chosen.id
    if st.session_state.get("saved_delete_pending") == chosen.id:
        st.warning(
            f"Delete “{literal(chosen.name)}”? The Scorecard can no longer be split by it.",
            icon=":material/warning:",
        )
        yes, no = st.columns(2)
        if yes.button("Yes, delete", key="saved_delete_yes", type="primary", disabled=read_only):
            st.session_state.pop("saved_delete_pending", None)
            try:
                store.delete_segmentation(chosen.id)
            except InputError as error:
                # Shown where the question was; a rerun would wipe the message.
                show_input_error(error)
            else:
                st.rerun()
        if no.button("Keep it", key="saved_delete_no"):
            st.session_state.pop("saved_delete_pending", None)
            st.rerun()
