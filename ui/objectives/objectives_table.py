"""The Objectives page's "Objectives & initiatives" tab: objectives with their KPIs, initiatives under them.

Both tables are edited in place and saved at once against the versions the user saw (see
:mod:`ui.versioned_editor`); their editors' keys start with ``objectives_`` and ``initiatives_``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd
import streamlit as st

from bsc.errors import InputError
from bsc.kpis import KPIS
from bsc.targets import INITIATIVE_STATUSES, STATUS_LABELS, Initiative, Objective, TargetBook
from ui.objectives.context import ObjectivesContext
from ui.versioned_editor import EditorOutcome, apply_pending, versioned_editor

# Editable columns of each table and the fields they change.
OBJECTIVE_FIELDS = {
    "Objective": "name",
    "Description": "description",
    "Owner": "owner",
    "Due": "due_date",
    "KPIs": "kpis",
}
INITIATIVE_FIELDS = {
    "Initiative": "name",
    "Owner": "owner",
    "Status": "status",
    "Start": "start_date",
    "End": "end_date",
}


class ObjectiveEdits(NamedTuple):
    """What the last edits of each table did."""

    objectives: EditorOutcome
    initiatives: EditorOutcome


def save_edits(view: ObjectivesContext) -> ObjectiveEdits:
    """Save the edits made in both tables drawn by the previous run (call before reading the book)."""
    book, author = view.book, view.author

    def apply_objective(row: dict[str, Any] | None, changes: dict[str, Any] | None) -> str:
        return _apply_objective_edit(book, author, row, changes)

    def apply_initiative(row: dict[str, Any] | None, changes: dict[str, Any] | None) -> str:
        return _apply_initiative_edit(book, author, row, changes)

    return ObjectiveEdits(
        objectives=apply_pending("objectives", apply_objective),
        initiatives=apply_pending("initiatives", apply_initiative),
    )


def show(view: ObjectivesContext, statuses: pd.DataFrame, edits: ObjectiveEdits) -> None:
    """The objectives table, then the initiatives table (once there is an objective to hang them on)."""
    objectives = view.book.objectives()
    st.subheader("Objectives", anchor=False)
    st.caption("Add a row at the bottom of the table; link the KPIs that show progress.")
    frame = pd.DataFrame(
        [
            {
                "id": o.id,
                "version": o.version,
                "Objective": o.name,
                "Description": o.description,
                "Owner": o.owner,
                "Due": o.due_date,
                "KPIs": list(o.kpis),
                "KPI status": _kpi_statuses(statuses, o.kpis),
            }
            for o in objectives
        ],
        columns=["id", "version", "Objective", "Description", "Owner", "Due", "KPIs", "KPI status"],
    )
    frame["Due"] = pd.to_datetime(frame["Due"]).dt.date
    versioned_editor(
        "objectives",
        frame,
        edits.objectives,
        read_only=view.read_only,
        num_rows="dynamic",
        disabled=["KPI status"],
        column_order=["Objective", "Owner", "Due", "KPI status", "KPIs", "Description"],
        column_config={
            "Objective": st.column_config.TextColumn(required=True, width="medium"),
            "Description": st.column_config.TextColumn(width="medium"),
            "Due": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "KPIs": st.column_config.MultiselectColumn(
                options=view.available_kpis(), format_func=lambda k: KPIS[k].name, width="medium"
            ),
            "KPI status": st.column_config.TextColumn(width="large"),
        },
        width="stretch",
    )

    st.subheader("Initiatives", anchor=False)
    if not objectives:
        st.caption("Initiatives hang under objectives: add an objective first.")
        return
    _initiatives_table(view, objectives, edits.initiatives)


def _initiatives_table(view: ObjectivesContext, objectives: list[Objective], outcome: EditorOutcome) -> None:
    names = {o.name: o.id for o in objectives}
    by_id = {o.id: o.name for o in objectives}
    frame = pd.DataFrame(
        [
            {
                "id": i.id,
                "version": i.version,
                "Objective": by_id.get(i.objective_id, ""),
                "Initiative": i.name,
                "Owner": i.owner,
                "Status": i.status,
                "Start": i.start_date,
                "End": i.end_date,
            }
            for i in view.book.initiatives()
        ],
        columns=["id", "version", "Objective", "Initiative", "Owner", "Status", "Start", "End"],
    )
    for column in ("Start", "End"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    versioned_editor(
        "initiatives",
        frame,
        outcome,
        read_only=view.read_only,
        num_rows="dynamic",
        disabled=["Objective"] if not len(frame) else False,
        column_order=["Objective", "Initiative", "Owner", "Status", "Start", "End"],
        column_config={
            "Objective": st.column_config.SelectboxColumn(options=list(names), required=True),
            "Initiative": st.column_config.TextColumn(required=True),
            "Status": st.column_config.SelectboxColumn(options=list(INITIATIVE_STATUSES), default="planned"),
            "Start": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "End": st.column_config.DateColumn(format="YYYY-MM-DD"),
        },
        width="stretch",
    )


def _kpi_statuses(statuses: pd.DataFrame, kpis: tuple[str, ...]) -> str:
    """The linked KPIs' statuses for all customers, in words."""
    overall = statuses[statuses["segment"].isna()].set_index("kpi") if len(statuses) else pd.DataFrame()
    parts = []
    for kpi in kpis:
        status = overall.loc[kpi, "status"] if kpi in overall.index else None
        label = STATUS_LABELS.get(status, "not computed") if status else "not computed"
        parts.append(f"{KPIS[kpi].name}: {label}")
    return "; ".join(parts)


def _apply_objective_edit(
    book: TargetBook, author: str, row: dict[str, Any] | None, changes: dict[str, Any] | None
) -> str:
    if row is None:
        values = {OBJECTIVE_FIELDS[c]: v for c, v in (changes or {}).items() if c in OBJECTIVE_FIELDS}
        saved = book.add_objective(
            Objective(
                name=values.get("name") or "",
                description=values.get("description") or "",
                owner=values.get("owner") or "",
                due_date=values.get("due_date") or None,
                kpis=tuple(values.get("kpis") or ()),
            ),
            author=author,
        )
        return f"Added the objective “{saved.name}”."
    if changes is None:
        book.delete_objective(row["id"], author=author, expected_version=int(row["version"]))
        return f"Deleted the objective “{row['Objective']}” and its initiatives."
    fields = {OBJECTIVE_FIELDS[c]: v for c, v in changes.items() if c in OBJECTIVE_FIELDS}
    saved = book.update_objective(row["id"], fields, author=author, expected_version=int(row["version"]))
    return f"Saved the objective “{saved.name}”."


def _apply_initiative_edit(
    book: TargetBook, author: str, row: dict[str, Any] | None, changes: dict[str, Any] | None
) -> str:
    if row is None:
        values = {INITIATIVE_FIELDS.get(c, c): v for c, v in (changes or {}).items()}
        names = {o.name: o.id for o in book.objectives()}
        objective = values.get("Objective")
        if objective not in names:
            raise InputError("Choose the objective a new initiative belongs to.")
        saved = book.add_initiative(
            Initiative(
                objective_id=names[objective],
                name=values.get("name") or "",
                owner=values.get("owner") or "",
                status=values.get("status") or "planned",
                start_date=values.get("start_date") or None,
                end_date=values.get("end_date") or None,
            ),
            author=author,
        )
        return f"Added the initiative “{saved.name}”."
    if changes is None:
        book.delete_initiative(row["id"], author=author, expected_version=int(row["version"]))
        return f"Deleted the initiative “{row['Initiative']}”."
    fields = {INITIATIVE_FIELDS[c]: v for c, v in changes.items() if c in INITIATIVE_FIELDS}
    saved = book.update_initiative(row["id"], fields, author=author, expected_version=int(row["version"]))
    return f"Saved the initiative “{saved.name}”."
