"""The Data page's "Import from the server": files of any size from the server's import folder.

Shown only when whoever runs the server names an existing folder with ``BSC_IMPORT_DIR``
(:func:`bsc.import_folder.import_folder`). The user picks a file from the listing; it is kept in
the current workspace at once (:func:`bsc.workspace.import_file`: a large text file is streamed
in batches, with the rows read so far in a status line), then its detected kind, roles and
problems are shown as an upload's are. The roles are corrected under "Tables in this workspace",
where the imported table is chosen.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from bsc.errors import InputError
from bsc.import_folder import IMPORT_DIR_SETTING, ServerFile, import_folder, list_server_files, server_file
from bsc.ingest import MAX_UPLOAD_BYTES, MB
from bsc.ingest.batches import stream_batch_bytes
from bsc.large_files import STREAM_FROM_BYTES, is_streamed
from bsc.workspace import import_file
from ui.context import PageContext, show_input_error, show_read_only_notice
from ui.tables import KIND_LABELS, mapping_editor, show_problems
from ui.text import literal

__all__ = ["PREVIEW_ROWS", "server_import_section"]

# Rows of a stored table read for its columns' examples (a streamed table is never read whole).
PREVIEW_ROWS = 200

# The last import of this session: {"workspace": id, "file": name, "datasets": [ids], "refused": [messages]}.
_LAST = "server_import_last"
# The Data page's "Look at a table" choice, set to the imported table.
INSPECT_KEY = "inspect_dataset"


def server_import_section(ctx: PageContext) -> None:
    """The section, when the import folder is set and exists; nothing otherwise."""
    folder = import_folder()
    if folder is None:
        return
    st.header("Import from the server", divider="gray")
    st.caption(
        f"Files put in the server's import folder ({IMPORT_DIR_SETTING}) by whoever runs the server, of any "
        f"size: a CSV, TSV or text file larger than {STREAM_FROM_BYTES // MB} MB is read in batches, so the "
        f"server's memory does not grow with the file; workbooks and Parquet files up to "
        f"{MAX_UPLOAD_BYTES // MB} MB. The file is kept in this workspace at once; correct the detected roles "
        "under Tables in this workspace."
    )
    try:
        batch_bytes = stream_batch_bytes()
        files = list_server_files(folder)
    except InputError as error:  # a malformed batch-size setting
        show_input_error(error)
        return
    except OSError as error:
        st.error(
            f"The import folder cannot be read: {literal(error.strerror or error)}.", icon=":material/error:"
        )
        return
    if not files:
        st.info(
            "The import folder holds no CSV, TSV, text, Excel (.xlsx) or Parquet file.",
            icon=":material/info:",
        )
        return
    _file_list(files, folder, batch_bytes)
    show_read_only_notice(ctx, "no file can be imported into it.")
    by_name = {file.name: file for file in files}
    chosen = st.selectbox(
        "File to import",
        list(by_name),
        format_func=lambda name: f"{name} ({_size(by_name[name].size)})",
        key="server_file",
        disabled=ctx.read_only,
    )
    if st.button("Import into this workspace", key="server_import", type="primary", disabled=ctx.read_only):
        _import(ctx, folder, chosen)
    _last_import(ctx)


def _file_list(files: list[ServerFile], folder: Path, batch_bytes: int) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                "File": [file.name for file in files],
                "Size": [_size(file.size) for file in files],
                "Read": ["in batches" if is_streamed(folder / file.name) else "whole" for file in files],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Size": st.column_config.TextColumn(help="The file's size on disk (1 MB = 1,024 kB)."),
            "Read": st.column_config.TextColumn(
                help=f"In batches of {batch_bytes // MB} MB when larger than {STREAM_FROM_BYTES // MB} MB "
                "(a text file): memory stays bounded whatever the file's size. Whole otherwise."
            ),
        },
    )


def _import(ctx: PageContext, folder: Path, name: str) -> None:
    """Import one file of the folder, with a status line that counts the rows read."""
    record = {"workspace": ctx.workspace.id, "file": name, "datasets": [], "refused": []}
    with st.status(f"Importing {literal(name)}…", expanded=False) as status:

        def progress(rows: int) -> None:
            status.update(label=f"Importing {literal(name)}: {rows:,} rows read…")

        try:
            stored, refused = import_file(ctx.store, ctx.workspace.id, server_file(folder, name), progress)
        except InputError as error:
            record["refused"] = [str(error)]
            status.update(label=f"{literal(name)} could not be imported.", state="error")
        except OSError as error:
            record["refused"] = [f"{name} could not be read: {error.strerror or error}."]
            status.update(label=f"{literal(name)} could not be imported.", state="error")
        else:
            record["datasets"] = [dataset.id for dataset in stored]
            record["refused"] = refused
            rows = sum(dataset.rows for dataset in stored)
            status.update(
                label=f"Imported {literal(name)}: {len(stored)} table{'s' if len(stored) != 1 else ''}, "
                f"{rows:,} rows.",
                state="complete" if stored else "error",
            )
            if stored:
                st.session_state[INSPECT_KEY] = stored[0].id
    st.session_state[_LAST] = record


def _last_import(ctx: PageContext) -> None:
    """What the last import of this session kept and refused, while its workspace is shown."""
    record = st.session_state.get(_LAST)
    if not record or record["workspace"] != ctx.workspace.id:
        return
    for message in record["refused"]:
        show_input_error(InputError(message))
    for dataset_id in record["datasets"]:
        try:
            dataset = ctx.store.get_dataset(dataset_id)
        except InputError:
            continue  # deleted since
        with st.container(border=True):
            st.subheader(f"{literal(dataset.name)} · {dataset.rows:,} rows", anchor=False)
            st.caption(
                f"Kept in this workspace as {KIND_LABELS.get(dataset.kind, dataset.kind)}"
                + (", read in batches" if dataset.streamed else "")
                + ". Rows: data rows read from the file. The roles below were detected"
                + (" on the file's first rows" if dataset.streamed else "")
                + "; change them under Tables in this workspace."
            )
            head = ctx.store.load_raw_head(dataset.id, PREVIEW_ROWS)
            mapping_editor(head, dataset.mapping, f"server_{dataset.id}_v{dataset.version}", disabled=True)
            with st.expander(f"Problems ({len(dataset.problems)})", expanded=bool(dataset.problems)):
                show_problems(dataset.problems)


def _size(size: int) -> str:
    return f"{size / MB:,.1f} MB" if size >= MB / 10 else f"{size / 1024:,.1f} kB"
