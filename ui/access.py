"""Who may sign in and what a signed-in person may do in the current workspace, on the pages.

The allow-list is read from ``.streamlit/secrets.toml`` and the ``BSC_ALLOWED_USERS`` variable
(both may be used; their entries add up)::

    [access]
    allow = ["ana@example.com", "@example.org"]

    BSC_ALLOWED_USERS="ana@example.com,example.org"

With neither, every account the sign-in provider accepts may sign in. Roles themselves are kept
by :mod:`bsc.access`; without sign-in everyone is an editor and none of this applies.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NoReturn

import streamlit as st

from bsc.access import VIEWER, AllowList, SignedInStore, may_edit, normalise_email, owners, role_of
from bsc.errors import InputError
from bsc.store import Store, Workspace
from ui.text import literal

ALLOW_ENV = "BSC_ALLOWED_USERS"


def allow_list() -> AllowList | None:
    """Who may sign in, from the secrets' ``[access] allow`` and ``BSC_ALLOWED_USERS``; None when
    neither is set. Raises InputError for a malformed entry."""
    entries: list[str] = []
    configured = False
    try:
        section = st.secrets.get("access")
    except (FileNotFoundError, KeyError):
        section = None
    if isinstance(section, Mapping) and "allow" in section:
        configured = True
        allow = section["allow"]
        entries += [allow] if isinstance(allow, str) else [str(entry) for entry in allow]
    if os.environ.get(ALLOW_ENV, "").strip():
        configured = True
        entries += os.environ[ALLOW_ENV].split(",")
    return AllowList.from_entries(entries) if configured else None


def refuse_unless_allowed() -> str:
    """The signed-in person's e-mail address; for anyone who may not sign in, a refusal (with a
    sign-out button) instead of the page, which then stops."""
    email = str(st.user.get("email") or "")
    try:
        allowed = allow_list()
    except InputError as error:
        # Fail closed: a list nobody can read lets nobody in.
        _refuse(f"This server's list of who may sign in cannot be read, so nobody is let in: {error}")
    try:
        address = normalise_email(email)
    except InputError:
        _refuse(
            "Your sign-in did not give an e-mail address, which this server needs to know what you may do. "
            "Sign in with another account."
        )
    # An address the provider has not verified could be anybody's.
    if allowed is not None and (not allowed.allows(address) or st.user.get("email_verified") is False):
        _refuse(
            f"{address} is not on the list of people who may use this server. Ask whoever runs it "
            "to add you, or sign out and sign in with another account."
        )
    return address


def _refuse(reason: str) -> NoReturn:
    st.title("Customer Scorecard")
    st.error(literal(reason), icon=":material/block:")
    st.button("Sign out", on_click=st.logout, key="sign_out", icon=":material/logout:")
    st.stop()


def workspace_role(store: Store, workspace: Workspace) -> str:
    """The role of whoever uses ``store`` in ``workspace`` (an editor without sign-in); a viewer
    is told so in the sidebar."""
    role = role_of(store, workspace.id, store.user if isinstance(store, SignedInStore) else None)
    if role == VIEWER:
        st.sidebar.info(literal(viewer_note(store, workspace)), icon=":material/visibility:")
    return role


def viewer_note(store: Store, workspace: Workspace) -> str:
    """What a viewer is told where they would edit."""
    names = ", ".join(owners(store, workspace.id)) or "nobody yet"
    return f"You can view this workspace; ask an owner ({names}) to edit."


def can_edit(store: Store, workspace: Workspace) -> bool:
    """Whether editing widgets are enabled: the workspace is not read-only and the user is not a viewer."""
    return not workspace.read_only and may_edit(store, workspace.id)
