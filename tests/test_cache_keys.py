"""Content keys for caches: equal inputs give equal keys, any change gives another key."""

from __future__ import annotations

import pandas as pd
import pytest

from bsc.cache_keys import cache_key


class TestCacheKey:
    def test_equal_parts_give_equal_keys(self):
        frame = pd.DataFrame({"customer_id": ["a", "b"], "spend": [1.0, 2.0]})
        assert cache_key("month", 3, frame) == cache_key("month", 3, frame.copy())
        # A SHA-256 in hex.
        assert len(cache_key()) == 64 and set(cache_key("x")) <= set("0123456789abcdef")

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            (("ab", "c"), ("a", "bc")),
            (("month", 3), ("month", 4)),
            ((1,), ("1",)),
            ((None,), ()),
            ((b"abc",), ("abc",)),
        ],
        ids=["split-between-parts", "a-setting", "type", "a-missing-part", "bytes-and-text"],
    )
    def test_different_parts_give_different_keys(self, first, second):
        assert cache_key(*first) != cache_key(*second)

    def test_frames_enter_by_every_value_their_names_and_index(self):
        frame = pd.DataFrame({"spend": range(100_000)})
        changed = frame.copy()
        changed.loc[54_321, "spend"] = -1
        keys = {
            cache_key(frame),
            cache_key(changed),
            cache_key(frame.rename(columns={"spend": "revenue"})),
            cache_key(frame.set_axis(frame.index + 1)),
            cache_key(frame["spend"]),
        }
        assert len(keys) == 5
