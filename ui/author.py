"""Who is making changes: the login where one exists, else a name the user gives in the sidebar."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui.text import literal

# A non-widget key: the name survives page switches (widget keys do not).
AUTHOR = "audit_author"


def author_name(place: DeltaGenerator | None = None) -> str:
    """The name written to the audit log ("" until the user gives one), drawn in ``place`` (the
    sidebar by default; a page puts it beside the message that asks for it)."""
    login = _login_name()
    with place if place is not None else st.sidebar:
        if place is None:
            st.divider()
        if login:
            st.caption(f"Changes are logged as **{literal(login)}**.")
            return login
        name = st.text_input(
            "Your name, for the audit log",
            value=st.session_state.get(AUTHOR, ""),
            max_chars=80,
            placeholder="e.g. Ana, Sales",
            key="author_input",
            help="Every change to objectives and targets is logged with this name.",
        )
    st.session_state[AUTHOR] = " ".join(name.split())
    return st.session_state[AUTHOR]


def current_author() -> str:
    """The name to log for a change made in a callback (before the page draws the sidebar)."""
    login = _login_name()
    if login:
        return login
    typed = st.session_state.get("author_input")
    return " ".join(str(typed if typed is not None else st.session_state.get(AUTHOR, "")).split())


def _login_name() -> str | None:
    user = st.user
    if not user.get("is_logged_in"):
        return None
    return user.get("name") or user.get("email") or None
