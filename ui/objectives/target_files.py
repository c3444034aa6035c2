"""The Objectives page's "Import / export" tab: targets as CSV or Excel, the scorecard workbook, an import.

The upload (key ``targets_upload``) and the import button (``targets_import``) belong to this tab.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bsc.errors import InputError
from bsc.report import scorecard_xlsx
from bsc.targets import read_targets_file, targets_from_frame, targets_to_csv, targets_to_xlsx
from ui.author import current_author
from ui.context import PageContext, show_input_error
from ui.objectives.context import ObjectivesContext
from ui.objectives.messages import tell
from ui.target_book import open_book
from ui.text import literal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def show(view: ObjectivesContext) -> None:
    """Downloads of the targets and the workbook, then the targets file import."""
    _export(view)
    _import_section(view)


def _export(view: ObjectivesContext) -> None:
    targets_now = view.book.targets()
    st.subheader("Export", anchor=False)
    downloads = st.columns(3)
    downloads[0].download_button(
        "Targets (CSV)",
        targets_to_csv(targets_now),
        file_name="targets.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    downloads[1].download_button(
        "Targets (Excel)",
        targets_to_xlsx(targets_now),
        file_name="targets.xlsx",
        mime=XLSX,
        icon=":material/download:",
    )
    result, workspace_name = view.result, view.page.workspace.name
    downloads[2].download_button(
        "Scorecard workbook (Excel)",
        lambda: scorecard_xlsx(result, targets_now, workspace=workspace_name),
        file_name="scorecard.xlsx",
        mime=XLSX,
        icon=":material/table_view:",
        type="primary",
    )
    filters = view.filters
    st.caption(
        f"The workbook holds the KPIs per {filters.period}"
        + (f" split by {literal(filters.by_label or filters.by)}" if filters.by else "")
        + ": a summary with statuses, one sheet per component, the targets and the definitions."
    )


def _import_section(view: ObjectivesContext) -> None:
    st.subheader("Import targets", anchor=False)
    st.caption(
        "A CSV or Excel file with the columns kpi, segment, period, target and, if you like, green, amber and "
        "weight. Segment as attribute=value (e.g. region=North), empty for all customers; write tolerances "
        "with % to make them relative to the target."
    )
    upload = st.file_uploader("Targets file", type=["csv", "xlsx"], key="targets_upload")
    if upload is None:
        return
    try:
        rows = read_targets_file(upload.name, upload.getvalue())
        parsed = targets_from_frame(rows)
    except InputError as error:
        show_input_error(error)
        return
    st.dataframe(rows, hide_index=True, width="stretch")
    st.button(
        f"Import {len(parsed)} target{'s' if len(parsed) != 1 else ''}",
        type="primary",
        on_click=_import,
        args=(view.page, rows),
        key="targets_import",
        disabled=not parsed or view.read_only,
    )


def _import(page: PageContext, frame: pd.DataFrame) -> None:
    # Unlike the other saves, an import reports every refusal, a conflict included, as a plain error.
    try:
        summary = open_book(page).import_targets(frame, author=current_author())
    except InputError as error:
        tell("error", str(error))
    else:
        tell(
            "success",
            f"Imported: {summary.created} new, {summary.updated} changed, {summary.unchanged} unchanged.",
        )
