"""The server's budget for ``st.cache_data`` entries, set in ``.streamlit/config.toml``."""

from __future__ import annotations

import tomllib
from pathlib import Path

from streamlit import byte_util

ROOT = Path(__file__).resolve().parents[2]


def test_every_cached_value_together_is_bounded_to_512_mib():
    # 512 MiB: "mb" is a power of 1024 in Streamlit's reading of the option.
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    budget = byte_util.config_max_cache_data_size_to_bytes(config["server"]["maxCacheDataSize"])
    assert budget == 512 * 2**20
