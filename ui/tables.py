"""Page parts for tables: the column-mapping editor, the problems list and a preview."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from bsc.mapping import Problem, TableMapping
from bsc.schema import KINDS, UNKNOWN
from ui.text import literal

SEGMENT_LABEL = "Segment attribute"
ATTRIBUTE_LABEL = "Numeric attribute"
OUTCOME_LABEL = "Churn outcome (not a segment)"
IGNORE_LABEL = "— not used"
SEVERITY_LABEL = {"error": "⛔ error", "warning": "⚠️ warning", "info": "ℹ️ info"}
KIND_LABELS = {**{k.id: k.label for k in KINDS.values()}, UNKNOWN: "Not recognised"}


def mapping_editor(
    frame: pd.DataFrame, detected: TableMapping, key: str, *, disabled: bool = False
) -> TableMapping:
    """Show the detected kind and role of every column; return the mapping as the user left it.

    ``disabled`` shows the mapping without letting it be changed (a read-only workspace).
    """
    kinds = list(KIND_LABELS)
    kind = st.selectbox(
        "Table kind",
        kinds,
        index=kinds.index(detected.kind) if detected.kind in kinds else kinds.index(UNKNOWN),
        format_func=KIND_LABELS.__getitem__,
        key=f"{key}_kind",
        help=f"Detected with {detected.kind_confidence:.0%} confidence. Change it if it is wrong.",
        disabled=disabled,
    )
    if kind == UNKNOWN:
        st.info("Choose what this table holds to map its columns.", icon=":material/help:")
        return TableMapping(kind=UNKNOWN)

    role_labels = {role.id: role.label for role in KINDS[kind].roles}
    options = [*role_labels.values(), SEGMENT_LABEL, ATTRIBUTE_LABEL, OUTCOME_LABEL, IGNORE_LABEL]
    rows = [
        {
            "Column": str(column),
            "Examples": _examples(frame[column]),
            "Role": _role_label(str(column), detected if kind == detected.kind else None, role_labels),
            "Confidence": _confidence(str(column), detected) if kind == detected.kind else None,
        }
        for column in frame.columns
    ]
    edited = st.data_editor(
        pd.DataFrame(rows),
        key=f"{key}_roles_{kind}",
        hide_index=True,
        width="stretch",
        disabled=True if disabled else ["Column", "Examples", "Confidence"],
        column_config={
            "Role": st.column_config.SelectboxColumn(
                "Role",
                options=options,
                required=True,
                width="medium",
                help="A churn outcome says who churned or why (churn reason, a status “Churned”): it is kept "
                "for the churn lab but never offered as a segment, since split by it churn is 0% or 100%.",
            ),
            "Confidence": st.column_config.ProgressColumn(
                "Confidence", min_value=0.0, max_value=1.0, format="percent"
            ),
            "Examples": st.column_config.TextColumn("Examples", width="large"),
        },
    )
    return _mapping_from_editor(kind, edited, role_labels, detected)


def show_problems(problems: Sequence[Problem]) -> None:
    if not problems:
        st.success("No problems found.", icon=":material/check_circle:")
        return
    errors = sum(p.severity == "error" for p in problems)
    warnings = sum(p.severity == "warning" for p in problems)
    st.write(f"{errors} errors, {warnings} warnings, {len(problems) - errors - warnings} notes")
    st.dataframe(
        pd.DataFrame(
            {
                "Severity": [SEVERITY_LABEL[p.severity] for p in problems],
                "Problem": [p.message for p in problems],
                "Rows": [p.rows for p in problems],
                "Examples": [", ".join(p.examples) for p in problems],
            }
        ),
        hide_index=True,
        width="stretch",
        # The message carries the most; examples (rows and customer ids) come next.
        column_config={
            "Severity": st.column_config.TextColumn(width="small"),
            "Problem": st.column_config.TextColumn(width="large"),
            "Rows": st.column_config.NumberColumn(width="small"),
            "Examples": st.column_config.TextColumn(width="medium"),
        },
    )


def _examples(values: pd.Series) -> str:
    distinct = values.dropna().astype(str).drop_duplicates().head(3)
    return ", ".join(v[:30] for v in distinct)


def _role_label(column: str, mapping: TableMapping | None, role_labels: dict[str, str]) -> str:
    if mapping is None:
        return IGNORE_LABEL
    role = mapping.column_role(column)
    if role in role_labels:
        return role_labels[role]
    if column in mapping.segments:
        return SEGMENT_LABEL
    if column in mapping.attributes:
        return ATTRIBUTE_LABEL
    if column in mapping.outcomes:
        return OUTCOME_LABEL
    return IGNORE_LABEL


def _confidence(column: str, mapping: TableMapping) -> float | None:
    role = mapping.column_role(column)
    return mapping.confidence.get(role) if role else None


def _mapping_from_editor(
    kind: str, edited: pd.DataFrame, role_labels: dict[str, str], detected: TableMapping
) -> TableMapping:
    role_by_label = {label: role for role, label in role_labels.items()}
    roles: dict[str, str] = {}
    segments: list[str] = []
    attributes: list[str] = []
    outcomes: list[str] = []
    for column, label in zip(edited["Column"], edited["Role"], strict=True):
        if label in role_by_label:
            role = role_by_label[label]
            if role in roles:
                st.warning(
                    f"Two columns are mapped to “{label}”: “{literal(roles[role])}” is used, "
                    f"“{literal(column)}” is not.",
                    icon=":material/warning:",
                )
                continue
            roles[role] = column
        elif label == SEGMENT_LABEL:
            segments.append(column)
        elif label == ATTRIBUTE_LABEL:
            attributes.append(column)
        elif label == OUTCOME_LABEL:
            outcomes.append(column)
    confidence = {r: c for r, c in detected.confidence.items() if roles.get(r) == detected.roles.get(r)}
    return TableMapping(
        kind=kind,
        roles=roles,
        segments=segments,
        attributes=attributes,
        confidence=confidence,
        kind_confidence=detected.kind_confidence if kind == detected.kind else 1.0,
        outcomes=outcomes,
    )
