"""The set-up every page runs first: sign-in, the store, the current workspace and the sidebar.

Pages must work when opened first (a deep link straight after a server restart runs a page
without ``app.py``), so each page starts with :func:`page_setup` rather than relying on the
entry point. That is also what makes sign-in cover every page: where an OpenID Connect provider
is configured in ``.streamlit/secrets.toml`` (``[auth]``), no page draws anything but the sign-in
screen until the visitor has signed in.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from bsc.access import EDITOR, VIEWER, acting_as
from bsc.errors import InputError
from bsc.imports import ATTEMPTS, ImportDeadlock, is_import_race
from bsc.store import DEFAULT_DATA_DIR, Store, Workspace
from bsc.workspace import ensure_demo_workspace
from ui.access import refuse_unless_allowed, viewer_note, workspace_role
from ui.text import literal

# Non-widget session keys: they survive page switches, unlike widget keys.
CURRENT_WORKSPACE = "current_workspace_id"
_IMPORT_RETRIES = "page_import_retries"
# Where each script run's own time goes when set (one JSON line a run): the benchmarks read it to
# tell the server's work from the browser's.
RUN_TIMING_LOG = "BSC_RUN_TIMING_LOG"
_timing_lock = threading.Lock()
# The page the script thread is running, for the timing log (each session runs in its own thread).
_this_run = threading.local()


@dataclass(frozen=True)
class PageContext:
    store: Store
    workspace: Workspace
    # owner, editor or viewer (bsc.access); everyone is an editor without sign-in.
    role: str = EDITOR

    @property
    def read_only(self) -> bool:
        """True when the workspace is read-only or the user a viewer: pages disable their editing
        widgets (the store refuses every such write anyway)."""
        return self.workspace.read_only or self.role == VIEWER


def get_store() -> Store:
    """The store of this server's data folder (``BSC_DATA_DIR``), shared by every session."""
    return _store_for(os.environ.get("BSC_DATA_DIR") or DEFAULT_DATA_DIR, os.environ.get("BSC_DATABASE_URL"))


@st.cache_resource(show_spinner=False, max_entries=4)
def _store_for(data_dir: str, database_url: str | None) -> Store:
    # One Store per folder and process; it holds no per-user state, so sharing it is safe.
    store = Store(data_dir, database_url)
    ensure_demo_workspace(store)
    return store


def page_setup(title: str) -> PageContext:
    """Require sign-in where it is configured, draw the page title and the sidebar workspace
    picker; return the store and current workspace."""
    _this_run.page = title
    st.set_page_config(page_title=f"{title} · Customer Scorecard", layout="wide")
    email = _require_sign_in()
    # Signed in, the store checks the person's role in every workspace they write to.
    store = get_store() if email is None else acting_as(get_store(), email)
    workspace = _current_workspace(store)
    _workspace_picker(store, workspace)
    role = workspace_role(store, workspace)
    st.title(title)
    return PageContext(store=store, workspace=workspace, role=role)


def sign_in_providers() -> list[str] | None:
    """The sign-in providers configured in ``.streamlit/secrets.toml``; None when sign-in is off.

    ``[auth]`` with its own ``client_id`` is one provider, signed in with ``st.login()`` (listed
    as ``""``); sections such as ``[auth.google]`` are named providers (``st.login("google")``).
    """
    try:
        auth = st.secrets.get("auth")
    except (FileNotFoundError, KeyError):
        return None
    if not isinstance(auth, Mapping):
        return None
    providers = [
        name for name, section in auth.items() if isinstance(section, Mapping) and "client_id" in section
    ]
    if "client_id" in auth:
        providers.insert(0, "")
    return providers or None


def signed_in_user() -> str | None:
    """The name (or e-mail) of the signed-in user; None when nobody is signed in."""
    user = st.user
    if not user.get("is_logged_in"):
        return None
    return str(user.get("name") or user.get("email") or "signed in")


def _require_sign_in() -> str | None:
    """The signed-in person's e-mail address; None when sign-in is off."""
    providers = sign_in_providers()
    if providers is None:
        return None
    user = signed_in_user()
    if user is not None:
        email = refuse_unless_allowed()
        with st.sidebar:
            st.caption(f"Signed in as {literal(user)}")
            st.button("Sign out", on_click=st.logout, key="sign_out", icon=":material/logout:")
        return email
    st.title("Customer Scorecard")
    st.write("This server keeps its workspaces for signed-in people only. Sign in to open them.")
    for provider in providers:
        st.button(
            f"Sign in with {provider.capitalize()}" if provider else "Sign in",
            on_click=st.login,
            args=(provider,) if provider else (),
            type="primary",
            key=f"sign_in_{provider or 'default'}",
            icon=":material/login:",
        )
    st.stop()


def set_current_workspace(workspace_id: str) -> None:
    st.session_state[CURRENT_WORKSPACE] = workspace_id
    st.query_params["ws"] = workspace_id


def _current_workspace(store: Store) -> Workspace:
    workspaces = store.list_workspaces()
    if not workspaces:
        # Every workspace was deleted: bring the demo back so the app is never empty.
        workspaces = [ensure_demo_workspace(store)]
    by_id = {w.id: w for w in workspaces}
    wanted = st.session_state.get(CURRENT_WORKSPACE) or st.query_params.get("ws")
    workspace = by_id.get(wanted) if wanted else None
    if workspace is None:
        workspace = workspaces[0]
    set_current_workspace(workspace.id)
    return workspace


def _workspace_picker(store: Store, current: Workspace) -> None:
    workspaces = store.list_workspaces()
    names = {w.id: w.name for w in workspaces}
    # The current workspace may have been switched elsewhere (the Workspaces page): follow it.
    st.session_state["workspace_picker"] = current.id
    with st.sidebar:
        st.selectbox(
            "Workspace",
            list(names),
            format_func=names.__getitem__,
            key="workspace_picker",
            on_change=_picked_workspace,
            help="Everything you upload or set is kept in the workspace; everyone on this server can open it.",
        )
        if current.read_only:
            st.info(
                "This workspace is read-only: it can be viewed, not changed.",
                icon=":material/lock:",
            )


def _picked_workspace() -> None:
    set_current_workspace(st.session_state["workspace_picker"])


@contextmanager
def timed_run() -> Iterator[None]:
    """Around one run of the page script: when ``BSC_RUN_TIMING_LOG`` names a file, append the
    run's page, wall-clock seconds and the CPU seconds of the script's own thread to it.

    Streamlit runs each session's script in a thread of its own, so the thread's CPU time is this
    run's work, apart from other sessions and from the browsers. A run that ends by ``st.stop``
    or ``st.rerun`` is logged too, with how it ended.
    """
    log = os.environ.get(RUN_TIMING_LOG)
    if not log:
        yield
        return
    _this_run.page = "?"
    wall, cpu = time.perf_counter(), time.thread_time()
    outcome = "finished"
    try:
        yield
    except BaseException as stopped:
        outcome = type(stopped).__name__
        raise
    finally:
        record = {
            "page": getattr(_this_run, "page", "?"),
            "wall_s": round(time.perf_counter() - wall, 4),
            "cpu_s": round(time.thread_time() - cpu, 4),
            "outcome": outcome,
            "at": round(time.time(), 3),
        }
        with _timing_lock, open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")


def run_page(navigation: StreamlitPage) -> None:
    """Run the page the visitor chose; when its imports met a background job's, run it again.

    A background job (What changed, a forecast) may be importing the same large package as the
    page at that moment; Python then stops one of the two imports, or hands the page a module
    still being run (see :mod:`bsc.imports`). The
    page is run again from the top, at most a few times in a row, rather than shown broken.
    """
    try:
        navigation.run()
    except (ImportDeadlock, ImportError) as error:
        tried = st.session_state.get(_IMPORT_RETRIES, 0)
        if tried >= ATTEMPTS or not is_import_race(error):
            raise
        st.session_state[_IMPORT_RETRIES] = tried + 1
        time.sleep(0.05 * (tried + 1))
        st.rerun()
    st.session_state.pop(_IMPORT_RETRIES, None)


def show_input_error(error: InputError) -> None:
    """The message of a refused input; names in it come from data, so it is shown literally."""
    st.error(literal(str(error)), icon=":material/error:")


def show_read_only_notice(ctx: PageContext, what_still_works: str) -> None:
    """At the top of a page, when the workspace is read-only: what can still be done on it.

    ``what_still_works`` finishes the sentence "This workspace is read-only: ...", e.g.
    "customers can be segmented, but no segmentation can be saved."
    """
    if ctx.role == VIEWER:
        st.info(literal(viewer_note(ctx.store, ctx.workspace)), icon=":material/visibility:")
    elif ctx.read_only:
        st.info(
            f"This workspace is read-only: {what_still_works} "
            "It can be made editable again on the Workspaces page.",
            icon=":material/lock:",
        )
