"""Drawn integer codes turned into the demo tables' text columns: labels, ids and Yes/No.

Built in Arrow, without a Python loop over rows, so that millions of rows stay fast.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["id_column", "id_width", "label_column", "yes_no_column"]


def label_column(codes: np.ndarray, labels: Sequence[str]) -> pd.Series:
    """Strings from integer codes into ``labels``, built in Arrow without a Python loop."""
    return pd.Series(pa.array(labels).take(pa.array(codes)), dtype="str")


def id_column(prefix: str, count: int, width: int) -> pd.Series:
    """``prefix`` followed by 1..count zero-padded to ``width`` digits ("C000001")."""
    numbers = pc.cast(pa.array(np.arange(1, count + 1)), pa.string())
    return pd.Series(pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, width, "0"), ""), dtype="str")


def id_width(count: int) -> int:
    return max(6, len(str(count)))


def yes_no_column(flags: np.ndarray) -> pd.Series:
    return label_column(flags.astype(np.int64), ("No", "Yes"))
