"""Data: upload files, check the detected table kinds and column roles, and keep them in the workspace."""

import pandas as pd
import streamlit as st

from bsc.cache_keys import cache_key
from bsc.currency import UNKNOWN_CURRENCY_SIGN
from bsc.detect import detect_mapping
from bsc.errors import InputError
from bsc.import_folder import import_folder
from bsc.ingest import (
    MAX_CELLS,
    MAX_KEPT_UPLOAD_BYTES,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    MAX_WORKBOOK_CELLS,
    MB,
    RawTable,
    read_tables,
)
from bsc.mapping import TableMapping
from bsc.prepare import PreparedTable, prepare_table
from bsc.store import Dataset
from bsc.workspace import remap_dataset, save_table
from ui.context import page_setup, show_input_error, show_read_only_notice
from ui.server_import import PREVIEW_ROWS, server_import_section
from ui.shared_results import frames_bytes, shared_results
from ui.tables import KIND_LABELS, mapping_editor, show_problems
from ui.text import literal

ctx = page_setup("Data")
store = ctx.store


# Read uploads and their checked tables, shared read-only by every session and never mutated;
# bounded by the bytes of the frames they hold (bsc.ingest.checks.MAX_KEPT_UPLOAD_BYTES, half each).
_READ = shared_results("read uploads", max_entries=8, max_bytes=MAX_KEPT_UPLOAD_BYTES // 2)
_CHECKED = shared_results("checked uploads", max_entries=16, max_bytes=MAX_KEPT_UPLOAD_BYTES // 2)


def _read_upload(content_hash: str, name: str, data: bytes) -> list[tuple[RawTable, TableMapping]]:
    """Read and detect an upload once per content (a refused file is not kept: read again)."""
    key = (content_hash, name)
    tables = _READ.get(key)
    if tables is None:
        tables = [(table, detect_mapping(table.frame, table.name)) for table in read_tables(name, data)]
        _READ.put(key, tables, frames_bytes(tables))
    return tables


def _check(content_hash: str, table_name: str, mapping_json: str, frame: pd.DataFrame) -> PreparedTable:
    key = (content_hash, table_name, mapping_json)
    prepared = _CHECKED.get(key)
    if prepared is None:
        prepared = prepare_table(frame, TableMapping.from_json(mapping_json))
        _CHECKED.put(key, prepared, frames_bytes(prepared))
    return prepared


def _upload_section() -> None:
    st.header("Add data", divider="gray")
    st.caption(
        "CSV or TXT (any delimiter, UTF-8 or Windows encodings), Excel .xlsx (every sheet with data is a "
        "table) or Parquet. Customers, transactions, feedback, support tickets and marketing tables are "
        f"recognised; you can correct every guess before saving. Up to {MAX_UPLOAD_BYTES // MB} MB: a larger "
        "file is refused by the upload box before it is read; save it as Parquet, "
        "which is often ten times smaller, or split it, and upload that. "
        f"A table may hold up to {MAX_ROWS // 1_000_000} million rows and {MAX_CELLS // 1_000_000} million "
        "cells (rows × columns), a workbook "
        f"{MAX_WORKBOOK_CELLS // 1_000_000} million, so that reading it stays within the server's memory."
        + (" A larger file put in the server's import folder is imported below." if import_folder() else "")
    )
    show_read_only_notice(ctx, "no file can be added to it.")
    upload = st.file_uploader(
        "Upload a file",
        type=["csv", "txt", "tsv", "xlsx", "parquet"],
        key="upload",
        help=f"Files up to {MAX_UPLOAD_BYTES // MB} MB. For a larger one, save it as Parquet or split it.",
        max_upload_size=MAX_UPLOAD_BYTES // MB,
        label_visibility="collapsed",
        disabled=ctx.read_only,
    )
    if upload is None or ctx.read_only:
        return
    data = upload.getvalue()
    content_hash = cache_key(data)
    try:
        with st.spinner("Reading the file…"):
            tables = _read_upload(content_hash, upload.name, data)
    except InputError as error:
        show_input_error(error)
        return
    st.write(f"Found **{len(tables)}** table{'s' if len(tables) != 1 else ''} in {literal(upload.name)}.")
    for index, (table, detected) in enumerate(tables):
        _upload_table(content_hash, index, table, detected)


def _upload_table(content_hash: str, index: int, table: RawTable, detected: TableMapping) -> None:
    key = f"new_{content_hash[:12]}_{index}"
    with st.container(border=True):
        st.subheader(f"{literal(table.name)} · {len(table.frame):,} rows", anchor=False)
        mapping = mapping_editor(table.frame, detected, key)
        problems = list(table.problems)
        try:
            prepared = _check(content_hash, table.name, mapping.to_json(), table.frame)
        except InputError as error:
            st.warning(literal(error), icon=":material/warning:")
            prepared = None
        else:
            problems += prepared.problems
        with st.expander(f"Problems ({len(problems)})", expanded=bool(problems)):
            show_problems(problems)
        with st.expander("Preview (first 50 rows)"):
            st.dataframe(table.frame.head(50), width="stretch")
        if st.button("Save to workspace", key=f"{key}_save", type="primary", disabled=prepared is None):
            try:
                saved = save_table(store, ctx.workspace.id, table, mapping)
            except InputError as error:
                show_input_error(error)
            else:
                st.toast(f"Saved {literal(saved.name)} ({saved.rows:,} rows) as {KIND_LABELS[saved.kind]}.")
                st.session_state["saved_uploads"] = {*st.session_state.get("saved_uploads", ()), key}
        if key in st.session_state.get("saved_uploads", ()):
            st.success("Saved in this workspace.", icon=":material/check_circle:")


def _workspace_section() -> None:
    st.header("Tables in this workspace", divider="gray")
    datasets = store.list_datasets(ctx.workspace.id)
    if not datasets:
        st.info("This workspace has no tables yet. Upload a file above.", icon=":material/info:")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Table": [d.name for d in datasets],
                "Kind": [KIND_LABELS.get(d.kind, d.kind) for d in datasets],
                "Rows": [d.rows for d in datasets],
                "Roles found": [", ".join(d.mapping.roles) or "—" for d in datasets],
                "Segments": [", ".join(d.mapping.segments) or "—" for d in datasets],
                "Problems": [len(d.problems) for d in datasets],
                "Saved": [d.updated_at.strftime("%Y-%m-%d %H:%M") for d in datasets],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Rows": st.column_config.NumberColumn(format="localized"),
            "Roles found": st.column_config.TextColumn(width="large"),
        },
    )
    by_id = {d.id: d for d in datasets}
    chosen = st.selectbox(
        "Look at a table", list(by_id), format_func=lambda i: by_id[i].name, key="inspect_dataset"
    )
    _stored_table(by_id[chosen])


def _stored_table(dataset: Dataset) -> None:
    # A table streamed from a large file is never loaded whole: its first rows show the columns.
    raw = store.load_raw_head(dataset.id, PREVIEW_ROWS) if dataset.streamed else store.load_raw(dataset.id)
    mapping_tab, problems_tab, preview_tab = st.tabs(
        ["Column mapping", f"Problems ({len(dataset.problems)})", "Preview"]
    )
    with mapping_tab:
        key = f"stored_{dataset.id}_v{dataset.version}"
        mapping = mapping_editor(raw, dataset.mapping, key, disabled=ctx.read_only)
        save, delete = st.columns([1, 1])
        unchanged = mapping == dataset.mapping
        if save.button("Save mapping", key=f"{key}_save", disabled=unchanged or ctx.read_only):
            try:
                with st.spinner("Applying the mapping to every row…"):
                    remap_dataset(store, dataset, mapping)
            except InputError as error:
                show_input_error(error)
            else:
                st.rerun()
        if delete.button("Delete this table…", key=f"{key}_delete", disabled=ctx.read_only):
            _confirm_delete(dataset)
    with problems_tab:
        show_problems(dataset.problems)
    with preview_tab:
        if dataset.streamed:
            st.caption(
                f"Read in batches from a large file: its first {len(raw.head(50)):,} rows of {dataset.rows:,}."
            )
        st.dataframe(raw.head(50), width="stretch")


@st.dialog("Delete table?")
def _confirm_delete(dataset: Dataset) -> None:
    st.write(
        f"Delete **{literal(dataset.name)}** ({dataset.rows:,} rows) from this workspace? It cannot be undone."
    )
    if st.button("Delete", type="primary", key="confirm_delete_table"):
        store.delete_dataset(dataset.id)
        st.rerun()


def _currency_section() -> None:
    """The currency every money value of the workspace is written in: found in the data at upload
    (signs or codes in amount cells, a code in the header), or typed here."""
    st.header("Currency", divider="gray")
    current = ctx.workspace.currency
    st.caption(
        f"Money values (revenue, CLV, CPA...) are shown in {literal(current)}."
        if current
        else f"The data does not name its currency, so money values are shown with {UNKNOWN_CURRENCY_SIGN} "
        "(the data's currency). Type it here to show it everywhere."
    )
    with st.form(f"currency_{ctx.workspace.id}_{ctx.workspace.version}"):
        typed = st.text_input(
            "Currency of the money values",
            value=current or "",
            max_chars=3,
            placeholder="e.g. EUR",
            disabled=ctx.read_only,
            help="Three-letter code (EUR, USD, GBP, CHF...) or a sign (€ $ £ ¥); empty when unknown. "
            "Found at upload when amount cells carry it (€12.50, 12.50 EUR) or a header does (amount_eur).",
        )
        if st.form_submit_button("Save currency", disabled=ctx.read_only):
            try:
                store.set_currency(ctx.workspace.id, typed, expected_version=ctx.workspace.version)
            except InputError as error:
                show_input_error(error)
            else:
                st.rerun()


_upload_section()
server_import_section(ctx)
_currency_section()
_workspace_section()
