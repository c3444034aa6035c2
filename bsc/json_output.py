"""Strict JSON for every ``--json`` output of the command line.

Python's :func:`json.dumps` writes ``NaN`` and ``Infinity``, which are not JSON: a strict
parser (JavaScript's ``JSON.parse``, ``jq``) refuses the whole output. :func:`strict_json`
writes ``null`` for every non-finite number, and where it sits in a record's ``"value"``
adds a ``"reason"`` (unless the record already has one), so that a reader knows why.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

__all__ = ["NOT_FINITE", "finite", "strict_json"]

NOT_FINITE = "not a finite number (the data hold an amount too large to compute with)"


def finite(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, ±inf) replaced by None, recursively.

    A mapping whose ``"value"`` is not finite gains ``"reason"`` :data:`NOT_FINITE` unless
    it has a reason already. Numpy scalars become Python numbers.
    """
    if isinstance(value, dict):
        clean = {key: finite(item) for key, item in value.items()}
        if "value" in value and _not_finite(value["value"]) and not clean.get("reason"):
            clean["reason"] = NOT_FINITE
        return clean
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _not_finite(value: Any) -> bool:
    return isinstance(value, float | np.floating) and not math.isfinite(float(value))


def strict_json(value: Any, *, indent: int | None = 2, default=None) -> str:
    """``value`` as strict JSON text: non-finite numbers are ``null`` (see :func:`finite`)."""
    return json.dumps(finite(value), indent=indent, default=default, allow_nan=False)
