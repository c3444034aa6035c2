"""Bounded stores of results shared by every session: fitted models, and read uploads.

``st.cache_data`` cannot hold work that reports its progress: it replays the progress bar's
updates on the next hit, and a bar created outside the cached function cannot be replayed. Here
the page looks the result up, and on a miss computes it with a progress bar drawn as usual, then
keeps it. Results are shared read-only (a fitted model is never changed after ``fit``, a read
upload never mutated), so sharing them is safe.

A store is bounded by entries and, where its results can be large, by bytes: each result is kept
with its size (:func:`frames_bytes` sums the DataFrames it holds), and the least recently used
go first once either bound is passed. ``st.cache_resource`` bounds entries only, so eight
uploads of 150 MB once stayed held whole.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import pandas as pd
import streamlit as st


class SharedResults:
    """At most ``max_entries`` results and ``max_bytes`` bytes of them (None: no byte bound), the
    least recently used dropped first; thread-safe. A result larger than ``max_bytes`` on its own
    is not kept."""

    def __init__(self, max_entries: int, max_bytes: int | None = None) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._results: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0

    @property
    def kept_bytes(self) -> int:
        """The sizes of the kept results, as given to :meth:`put`."""
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._results)

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if key not in self._results:
                return None
            self._results.move_to_end(key)
            return self._results[key][0]

    def put(self, key: Hashable, result: Any, size: int = 0) -> None:
        """Keep ``result`` of ``size`` bytes under ``key``, then drop the least recently used
        results until both bounds hold."""
        with self._lock:
            if key in self._results:
                self._bytes -= self._results.pop(key)[1]
            if self.max_bytes is not None and size > self.max_bytes:
                return
            self._results[key] = (result, size)
            self._bytes += size
            while len(self._results) > self.max_entries or (
                self.max_bytes is not None and self._bytes > self.max_bytes
            ):
                self._bytes -= self._results.popitem(last=False)[1][1]


@st.cache_resource(show_spinner=False)
def shared_results(name: str, max_entries: int = 16, max_bytes: int | None = None) -> SharedResults:
    """The server-wide store called ``name`` (created on first use)."""
    return SharedResults(max_entries, max_bytes)


def frames_bytes(result: object) -> int:
    """The bytes of the DataFrames ``result`` holds: itself, in lists, tuples and dicts, or as
    fields of dataclasses (a RawTable's frame, a PreparedTable's canonical table). Text cells
    are counted with their characters (``memory_usage(deep=True)``)."""
    if isinstance(result, pd.DataFrame):
        return int(result.memory_usage(deep=True).sum())
    if isinstance(result, list | tuple):
        return sum(frames_bytes(item) for item in result)
    if isinstance(result, dict):
        return sum(frames_bytes(item) for item in result.values())
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return sum(frames_bytes(getattr(result, f.name)) for f in dataclasses.fields(result))
    return 0
