"""The sidebar period and segment filters, kept across pages and browser refreshes."""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from bsc.columns import resolve_name
from bsc.engine import read_columns
from bsc.errors import InputError
from bsc.kpis.tables import segment_labels
from bsc.schema import ASSIGNMENTS
from bsc.store import Store, Workspace

PERIOD_LABELS = {"month": "Month", "quarter": "Quarter", "year": "Year"}
# The period a new visitor sees.
DEFAULT_PERIOD = "month"
ALL_CUSTOMERS = "All customers"
# Non-widget keys: widget keys vanish when a page stops drawing them.
_KEEP = {"period": "filter_period", "by": "filter_by", "segment": "filter_segment"}


@dataclass(frozen=True)
class Filters:
    """The sidebar's choices; ``by_label`` is the split attribute as the user's file names it,
    ``labels`` every segment attribute's name for people (the header in the user's file)."""

    period: str
    by: str | None
    segment: str | None
    by_label: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


def _remembered(name: str, default: str | None) -> str | None:
    value = st.session_state.get(_KEEP[name])
    if value is None:
        value = st.query_params.get(name, default)
    return value


def _remember(name: str, value: str | None) -> None:
    st.session_state[_KEEP[name]] = value
    if value is None:
        st.query_params.pop(name, None)
    else:
        st.query_params[name] = value


def sidebar_filters(store: Store, workspace: Workspace) -> Filters:
    """Period, split attribute and segment, drawn in the sidebar."""
    tables = store.workspace_tables(workspace.id)
    labels = segment_labels(tables)
    attributes = list(labels)
    periods = list(PERIOD_LABELS)
    period = _remembered("period", DEFAULT_PERIOD)
    period = period if period in periods else DEFAULT_PERIOD
    by = _known_attribute(labels, _remembered("by", None))

    with st.sidebar:
        st.divider()
        period = st.segmented_control(
            "Period", periods, default=period, format_func=PERIOD_LABELS.__getitem__, key="period_picker"
        )
        period = period or DEFAULT_PERIOD
        by_options = [None, *attributes]
        by = st.selectbox(
            "Split by",
            by_options,
            index=by_options.index(by),
            format_func=lambda a: "Nothing (all customers)" if a is None else labels[a],
            key="split_picker",
            help="Segment attributes come from the customers table (or from fact tables without one), named "
            "as in your file. Columns that say who churned or why are not offered: split by them, churn "
            "would be 0% or 100% by construction.",
        )
        segment = None
        if by is not None:
            values = segment_values(store.workspace_fingerprint(workspace.id), tables, by)
            remembered = _remembered("segment", None)
            options = [None, *values]
            segment = st.selectbox(
                "Segment",
                options,
                index=options.index(remembered) if remembered in options else 0,
                format_func=lambda v: ALL_CUSTOMERS if v is None else v,
                key="segment_picker",
                help="Tiles show this segment; trend charts compare all segments.",
            )
    _remember("period", period)
    _remember("by", by)
    _remember("segment", segment)
    return Filters(
        period=period, by=by, segment=segment, by_label=None if by is None else labels[by], labels=labels
    )


def _known_attribute(labels: dict[str, str], remembered: str | None) -> str | None:
    """The attribute a remembered or linked ``by`` names (as a column name or the file's header,
    in any case) among ``labels`` (:func:`bsc.kpis.tables.segment_labels`), None when it names none."""
    if remembered is None:
        return None
    try:
        return resolve_name(remembered, labels, "segment attribute")
    except InputError:
        return None


@st.cache_data(max_entries=64, show_spinner=False)
def segment_values(fingerprint: str, tables: dict, by: str) -> list[str]:
    """The distinct values of a segment attribute across the workspace's tables, sorted."""
    values: set[str] = set()
    # Saved segmentations first: their attribute lives only there.
    for kind in (ASSIGNMENTS, "customers", "transactions", "feedback", "support", "marketing"):
        frame = read_columns(tables, kind, [by])
        values |= set(frame[by].dropna().astype(str).unique())
        if values and kind in (ASSIGNMENTS, "customers"):
            break
    return sorted(values)
