"""The stores of results shared by every session: bounded by entries and by the bytes they hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bsc.ingest import RawTable
from bsc.prepare import PreparedTable
from ui.shared_results import SharedResults, frames_bytes


class TestBoundedByBytes:
    def test_the_least_recently_used_go_first_once_past_the_bytes(self):
        store = SharedResults(max_entries=10, max_bytes=100)
        store.put("a", "A", 40)
        store.put("b", "B", 40)
        assert store.get("a") == "A"  # a is now the most recently used
        store.put("c", "C", 40)  # 120 bytes: b goes
        assert store.get("b") is None
        assert (store.get("a"), store.get("c")) == ("A", "C")
        assert store.kept_bytes == 80

    def test_a_result_larger_than_the_bound_is_not_kept_and_costs_nothing(self):
        store = SharedResults(max_entries=10, max_bytes=100)
        store.put("a", "A", 60)
        store.put("huge", "H", 101)
        assert store.get("huge") is None
        assert store.get("a") == "A" and store.kept_bytes == 60

    def test_putting_a_key_again_counts_it_once(self):
        store = SharedResults(max_entries=10, max_bytes=100)
        store.put("a", "A", 60)
        store.put("a", "A2", 70)
        assert store.kept_bytes == 70 and len(store) == 1 and store.get("a") == "A2"

    def test_entries_still_bound_without_a_byte_bound(self):
        store = SharedResults(max_entries=2)
        for key in "abc":
            store.put(key, key.upper())
        assert store.get("a") is None and len(store) == 2


class TestFramesBytes:
    def test_the_frames_of_read_uploads_and_checked_tables(self):
        # 1,000 float64 amounts are 8,000 bytes; the index is a RangeIndex of 132 bytes
        # (pandas' own memory_usage, counted the same way for both frames).
        frame = pd.DataFrame({"amount": np.arange(1_000, dtype="float64")})
        one = int(frame.memory_usage(deep=True).sum())
        assert one == 8_000 + int(frame.index.memory_usage())
        raw = RawTable("orders.csv", "orders.csv", None, frame)
        assert frames_bytes([(raw, "mapping")]) == one
        assert frames_bytes(PreparedTable(frame)) == one
        assert frames_bytes({"x": [raw, PreparedTable(frame)]}) == 2 * one

    @pytest.mark.parametrize("result", [None, "text", 42, ("a", 1)], ids=str)
    def test_results_without_frames_weigh_nothing(self, result: object):
        assert frames_bytes(result) == 0
