"""The "Why?" link under the Scorecard's NPS, CSAT and churn tiles, apart from the Why page's parts
(:mod:`ui.why`), whose models the Scorecard does not need to load."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

__all__ = ["why_link"]


def why_link(target: str) -> None:
    """A "Why?" link to the Why page with ``target`` (nps, csat or churn) chosen, for a KPI tile.

    A page opened first after a restart runs without the navigation (see ui.context), where
    ``st.page_link`` knows no other page: a plain link to the page's address stands in.
    """
    try:
        st.page_link(
            "pages/why.py",
            label="Why?",
            icon=":material/psychology_alt:",
            query_params={"target": target},
            help="Its key drivers, and what customers write about",
        )
    except StreamlitAPIException:
        st.markdown(f"[Why?](/why?target={target})")
