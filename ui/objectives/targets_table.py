"""The Objectives page's "Targets" tab: every target of the workspace in one table, edited together.

Each edited cell is saved at once against the version the user saw (see
:mod:`ui.versioned_editor`); the editor's keys start with ``targets_``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from bsc.errors import InputError
from bsc.kpis import KPIS
from ui.filters import ALL_CUSTOMERS
from ui.objectives.context import ObjectivesContext
from ui.status_chips import status_text
from ui.versioned_editor import EditorOutcome, apply_pending, show_outcome, versioned_editor

EDITOR = "targets"
# Editable columns of the table and the target fields they change.
TARGET_FIELDS = {
    "Due": "due_period",
    "Target": "goal",
    "Bands": "band_mode",
    "Green": "green",
    "Amber": "amber",
    "Weight": "weight",
}
# The table's columns in the order shown: status first.
SHOWN_COLUMNS = ["KPI", "Segment", "Status", "Latest", "Target now", *TARGET_FIELDS, "Baseline", "Set by"]
READ_ONLY_COLUMNS = ["KPI", "Segment", "Baseline", "Latest", "Target now", "Status", "Set by"]


def save_edits(view: ObjectivesContext) -> EditorOutcome:
    """Save the edits made in the table drawn by the previous run (call before reading targets)."""

    def apply(row: dict[str, Any] | None, changes: dict[str, Any] | None) -> str:
        if row is None:
            raise InputError("Add targets with “Set a target”.")
        if changes is None:
            view.book.delete_target(row["id"], author=view.author, expected_version=int(row["version"]))
            return f"Deleted the target for {row['KPI']} · {row['Segment']}."
        fields = {
            TARGET_FIELDS[column]: value for column, value in changes.items() if column in TARGET_FIELDS
        }
        saved = view.book.update_target(
            row["id"], fields, author=view.author, expected_version=int(row["version"])
        )
        return f"Saved: {saved.label}, {saved.describe()}."

    return apply_pending(EDITOR, apply)


def show(view: ObjectivesContext, statuses: pd.DataFrame, outcome: EditorOutcome) -> None:
    """``outcome``'s messages, then the targets with their latest status, editable unless read-only."""
    frame = _targets_frame(view, statuses)
    if frame.empty:
        show_outcome(outcome)
        st.info("No targets yet: set one under “Set a target”, or import a file.", icon=":material/flag:")
        return
    st.caption(
        "Edit a cell to save it at once (the log records who and when); select rows and press the bin to "
        "delete. If someone else saved the same target first, your edit is refused and the current value shown."
    )
    versioned_editor(
        EDITOR,
        frame,
        outcome,
        read_only=view.read_only,
        num_rows="delete",
        disabled=READ_ONLY_COLUMNS,
        column_order=SHOWN_COLUMNS,
        column_config={
            "Due": st.column_config.TextColumn(help="A month (2027-06), quarter (2027-Q2) or year (2027)"),
            "Target": st.column_config.NumberColumn(format="%.2f", help="The goal in the KPI's unit"),
            "Bands": st.column_config.SelectboxColumn(options=["relative", "absolute"], required=True),
            "Green": st.column_config.NumberColumn(
                min_value=0.0, format="%.2f", help="On track while missing by at most this"
            ),
            "Amber": st.column_config.NumberColumn(
                min_value=0.0, format="%.2f", help="At risk while missing by at most this"
            ),
            "Weight": st.column_config.NumberColumn(min_value=0.0, format="%.1f"),
        },
        width="stretch",
    )


def _targets_frame(view: ObjectivesContext, statuses: pd.DataFrame) -> pd.DataFrame:
    by_id = statuses.set_index("target_id") if len(statuses) else pd.DataFrame()
    rows = []
    for target in view.book.targets():
        status = by_id.loc[target.id] if target.id in by_id.index else None
        definition = KPIS[target.kpi]
        rows.append(
            {
                "id": target.id,
                "version": target.version,
                "KPI": definition.short_name,
                "Segment": ALL_CUSTOMERS
                if target.segment is None
                else f"{target.segment_by}: {target.segment}",
                "Due": target.due_period,
                "Target": target.goal,
                "Bands": target.band_mode,
                "Green": target.green,
                "Amber": target.amber,
                "Weight": target.weight,
                "Baseline": "—"
                if target.baseline is None
                else f"{definition.format_value(target.baseline, currency=view.currency)} ({target.baseline_period})",
                "Latest": "—"
                if status is None
                else definition.format_value(status["value"], currency=view.currency),
                "Target now": "—"
                if status is None
                else definition.format_value(status["target"], currency=view.currency),
                "Status": f"split by {target.segment_by} to see it"
                if status is None
                else status_text(status["status"]),
                "Set by": target.updated_by,
            }
        )
    return pd.DataFrame(rows, columns=["id", "version", *SHOWN_COLUMNS])
