"""The server's warm-up: what the first visitor's Scorecard needs, done before anyone arrives.

``streamlit run app.py`` serves the app as an ASGI application (``st.App``, see ``app.py``), and
its start-up runs :func:`warm_up` before the server accepts a connection. Without it, the first
visitor of a fresh server waits for the interpreter to import the page's libraries (pandas, Ibis
and its DuckDB backend, Altair, SQLAlchemy, SciPy: about half of that first run) and for the
scorecard to be computed. The warm-up

1. imports every module the default page imports (read from the page's own import lines, so the
   list cannot fall behind the page) and opens the DuckDB backend;
2. opens the store, creating the demo workspace in a new data folder, as a first visit would;
3. computes the Scorecard a new visitor opens (the first workspace, monthly, all customers,
   the default assumptions) and keeps it with the workspace's data in the results cache, unless
   it is kept already (a restart then reads it, as the page would).

Before any of that, the server is told that the app navigates with ``st.navigation`` (see
:func:`navigation_only`). Everything runs before the first session exists, on the one thread there is, so no import can
meet another thread's. A step that fails is logged and skipped: the page then does that work
itself, as it would without a warm-up. Each step's time is logged.
"""

from __future__ import annotations

import ast
import importlib
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from streamlit.logger import get_logger

from bsc.memory import limit_allocator_arenas
from ui.navigation import PAGES

__all__ = ["WARM_UP", "warm_up"]

# Set to 0 to start the server without warming up (the first visitor then does the work).
WARM_UP = "BSC_WARM_UP"

_LOG = get_logger(__name__)
_ROOT = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def warm_up(_app: Any) -> AsyncIterator[None]:
    """The ASGI lifespan of the app: warm up at start, nothing to do at shutdown."""
    navigation_only()
    # Before the sessions' threads and the background worker allocate (see bsc.memory).
    limit_allocator_arenas()
    if os.environ.get(WARM_UP, "1") != "0":
        started = time.perf_counter()
        for step in (_import_default_page, _open_store_and_scorecard):
            _timed(step)
        _LOG.info("Warm-up done in %.2f s.", time.perf_counter() - started)
    yield


def navigation_only() -> None:
    """Tell the server that ``pages/`` is not Streamlit's legacy multipage folder.

    Streamlit decides per process, when the first session starts, whether a ``pages/`` folder
    beside the main script makes a legacy multipage app, and changes its mind only when a script
    calls ``st.navigation``. So the first visitor of a fresh server who opened a page's address
    (``/objectives``) got that file alone, with the files' names as the menu, until someone
    opened ``/``. The app always navigates with ``st.navigation`` (``app.py``), so the question
    is settled before the first session.
    """
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def default_page_modules() -> list[str]:
    """The modules the default page imports at its top, in the order it imports them."""
    page = next(spec for spec in PAGES if spec.default)
    tree = ast.parse((_ROOT / page.path).read_text(encoding="utf-8"))
    modules: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append(node.module)
    return list(dict.fromkeys(modules))


def _import_default_page() -> None:
    for module in default_page_modules():
        importlib.import_module(module)
    from bsc.engine import default_backend

    default_backend()


def _open_store_and_scorecard() -> None:
    from bsc.kpis import KpiParams
    from ui.context import get_store
    from ui.filters import DEFAULT_PERIOD
    from ui.target_book import workspace_kpis

    # The store every session shares (one per data folder), with the demo workspace in a new one.
    store = get_store()
    workspaces = store.list_workspaces()
    if not workspaces:
        return
    workspace = workspaces[0]
    tables = store.workspace_tables(workspace.id)
    if not any(tables.values()):
        return
    # The page's own cached call, so the first visitor's run finds it in memory too.
    workspace_kpis(store.workspace_fingerprint(workspace.id), tables, DEFAULT_PERIOD, None, KpiParams())


def _timed(step) -> None:
    started = time.perf_counter()
    try:
        step()
    except Exception:  # a failed step only leaves its work to the first visitor
        _LOG.exception("Warm-up step %s failed; the first visitor's page does its work.", step.__name__)
        return
    _LOG.info("Warm-up step %s: %.2f s.", step.__name__, time.perf_counter() - started)
