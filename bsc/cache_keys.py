"""Content keys for caches: one hash for every result kept between runs or shared between sessions.

A cache keyed by :func:`cache_key` returns a kept result only when every input it was computed
from is the same: the data (frames by every value, files by their path, size and time) and the
settings.
"""

from __future__ import annotations

import hashlib

import pandas as pd

__all__ = ["cache_key"]

# Ends every part, so that ("ab", "c") and ("a", "bc") cannot give the same key.
_SEPARATOR = b"\x1f"


def cache_key(*parts: object) -> str:
    """The SHA-256, in hex, of a canonical form of ``parts``, in order.

    A pandas DataFrame or Series enters by its type, column names (or name), index and every
    row's values (:func:`pandas.util.hash_pandas_object`, which hashes all rows, not a sample);
    bytes enter as they are; anything else by its ``repr``, so pass values whose repr shows
    all of them: strings, numbers, None, timestamps, tuples, frozen dataclasses, and sorted
    lists of items rather than sets or dictionaries whose order may vary.

    Examples
    --------
    >>> cache_key("month", 3) == cache_key("month", 3)
    True
    >>> cache_key("month", 3) == cache_key("month", 4)
    False
    """
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, pd.DataFrame | pd.Series):
            names = list(part.columns) if isinstance(part, pd.DataFrame) else [part.name]
            digest.update(repr((type(part).__name__, names)).encode())
            digest.update(pd.util.hash_pandas_object(part, index=True).to_numpy().tobytes())
        elif isinstance(part, bytes):
            digest.update(b"bytes:")
            digest.update(part)
        else:
            digest.update(repr(part).encode())
        digest.update(_SEPARATOR)
    return digest.hexdigest()
