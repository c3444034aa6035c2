"""The Objectives page's "Audit log" tab: who changed which target, objective or initiative, and when."""

from __future__ import annotations

import streamlit as st

from bsc.targets import TargetBook


def show(book: TargetBook) -> None:
    """The latest changes, newest first, narrowed to one person if chosen (key ``audit_who``)."""
    log = book.audit_log(limit=2000)
    if log.empty:
        st.info("Nothing has been changed in this workspace yet.")
        return
    people = ["Everyone", *sorted(log["who"].unique())]
    chosen = st.selectbox("Who", people, key="audit_who")
    if chosen != "Everyone":
        log = log[log["who"] == chosen]
    st.dataframe(
        log,
        hide_index=True,
        width="stretch",
        column_config={
            "when": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "who": "Who",
            "what": "What",
            "field": "Field",
            "old": "Old value",
            "new": "New value",
        },
    )
