"""A bounded store of fitted models shared by every session, for work that reports its progress.

``st.cache_data`` cannot hold such work: it replays the progress bar's updates on the next hit,
and a bar created outside the cached function cannot be replayed. Here the page looks the result
up, and on a miss fits it with a progress bar drawn as usual, then keeps it. Results are shared
read-only (a fitted model is never changed after ``fit``), so sharing them is safe.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import streamlit as st


class SharedResults:
    """At most ``max_entries`` results, the least recently used dropped first; thread-safe."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._results: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if key not in self._results:
                return None
            self._results.move_to_end(key)
            return self._results[key]

    def put(self, key: Hashable, result: Any) -> None:
        with self._lock:
            self._results[key] = result
            self._results.move_to_end(key)
            while len(self._results) > self.max_entries:
                self._results.popitem(last=False)


@st.cache_resource(show_spinner=False)
def shared_results(name: str, max_entries: int = 16) -> SharedResults:
    """The server-wide store called ``name`` (created on first use)."""
    return SharedResults(max_entries)
