"""Status chips: a coloured edge, the status in words, and a detail line (colour is never alone)."""

from __future__ import annotations

import html

import streamlit as st

from bsc.targets import STATUS_COLOURS, STATUS_LABELS

# Coloured circles for tile labels (the Scorecard uses them).
STATUS_MARKS = {
    "green": "🟢",
    "amber": "🟠",
    "red": "🔴",
    "noise": "⚪",
    "no_target": "·",
    "no_data": "·",
}
# Marks that every browser font has, for table cells: a PC without a colour emoji font shows the
# circles above as empty boxes, and a cell must read without colour anyway.
TABLE_MARKS = {
    "green": "✓",
    "amber": "!",
    "red": "✗",
    "noise": "≈",
    "no_target": "–",
    "no_data": "–",
}


def status_text(status: str | None) -> str:
    """ "✓ On track" for tables, where cells cannot be coloured."""
    if not status or status not in STATUS_LABELS:
        return "—"
    return f"{TABLE_MARKS[status]} {STATUS_LABELS[status]}"


def status_chip(title: str, status: str, detail: str = "") -> None:
    """A small card: ``title`` above the status label, ``detail`` below; all text is escaped."""
    colour = STATUS_COLOURS.get(status, "#BBBBBB")
    st.markdown(
        f"""<div style="border-left: 8px solid {colour}; border-radius: 4px; padding: 6px 10px;
        background: rgba(127,127,127,0.08); min-height: 104px">
        <div style="font-size: 0.85rem; opacity: 0.8">{html.escape(title)}</div>
        <div style="font-size: 1.0rem; font-weight: 600">{html.escape(STATUS_LABELS.get(status, status))}</div>
        <div style="font-size: 0.8rem; opacity: 0.75">{html.escape(detail)}</div></div>""",
        unsafe_allow_html=True,
    )
