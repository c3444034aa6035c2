"""Kept results as data files: JSON for the structure, Parquet for the tables, never code.

A result kept by :mod:`bsc.results_cache` (a scorecard's KPIs, What changed, a forecast) is
written as a zip of ``result.json`` and one Parquet file per table in it. Reading it back runs
nothing from the file: the JSON names only plain values, tables, and dataclasses registered with
:func:`keep_type`; any other name is refused. So a file in the data folder can at worst hold
wrong numbers, never code to run (a pickle could).

What can be kept: None, booleans, numbers (NaN and infinities included), text, bytes, lists,
tuples, dicts, dates and timestamps, pandas DataFrames (with their ``attrs``) and registered
dataclasses made of these.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["UnreadableResult", "keep_type", "read_result", "write_result"]

_TYPES: dict[str, type] = {}


class UnreadableResult(ValueError):
    """A kept file that is damaged or holds something this version does not read."""


def keep_type(cls: type) -> type:
    """Allow dataclass ``cls`` in kept results (usable as a decorator)."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass")
    _TYPES[_name(cls)] = cls
    return cls


def _name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def write_result(result: Any, path: Path) -> None:
    """Write ``result`` to ``path`` (a zip of ``result.json`` and its tables)."""
    frames: list[bytes] = []
    tree = _encode(result, frames)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("result.json", json.dumps(tree, allow_nan=False))
        for number, data in enumerate(frames):
            archive.writestr(f"frames/{number}.parquet", data)


def read_result(path: Path) -> Any:
    """The result written by :func:`write_result` at ``path``.

    Raises
    ------
    FileNotFoundError
        Nothing is kept there.
    UnreadableResult
        The file is damaged or names a type that is not registered.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            tree = json.loads(archive.read("result.json"))
            return _decode(tree, archive)
    except FileNotFoundError:
        raise
    except UnreadableResult:
        raise
    except Exception as error:  # a file cut short, or from another version
        raise UnreadableResult(str(error)) from error


def _encode(value: Any, frames: list[bytes]) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"t": "float", "v": repr(value)}
    if value is pd.NA:
        return {"t": "na"}
    if value is pd.NaT:
        return {"t": "nat"}
    if isinstance(value, pd.Timestamp | dt.datetime):
        return {"t": "timestamp", "v": pd.Timestamp(value).isoformat()}
    if isinstance(value, dt.date):
        return {"t": "date", "v": value.isoformat()}
    if isinstance(value, bytes):
        return {"t": "bytes", "v": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list | tuple):
        return {"t": type(value).__name__, "v": [_encode(item, frames) for item in value]}
    if isinstance(value, dict):
        return {"t": "dict", "v": [[_encode(k, frames), _encode(v, frames)] for k, v in value.items()]}
    if isinstance(value, pd.DataFrame):
        buffer = io.BytesIO()
        plain = value.copy()
        plain.attrs = {}
        plain.to_parquet(buffer, index=True)
        frames.append(buffer.getvalue())
        return {"t": "frame", "v": len(frames) - 1, "attrs": _encode(dict(value.attrs), frames)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = _name(type(value))
        if name not in _TYPES:
            raise TypeError(f"{name} is not registered with keep_type")
        fields = {
            f.name: _encode(getattr(value, f.name), frames) for f in dataclasses.fields(value) if f.init
        }
        return {"t": "dataclass", "name": name, "v": fields}
    raise TypeError(f"a {type(value).__name__} cannot be kept")


def _decode(node: Any, archive: zipfile.ZipFile) -> Any:
    if not isinstance(node, dict):
        return node
    kind, value = node.get("t"), node.get("v")
    if kind == "float":
        return float(value)
    if kind == "na":
        return pd.NA
    if kind == "nat":
        return pd.NaT
    if kind == "timestamp":
        return pd.Timestamp(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "list":
        return [_decode(item, archive) for item in value]
    if kind == "tuple":
        return tuple(_decode(item, archive) for item in value)
    if kind == "dict":
        return {_hashable(_decode(k, archive)): _decode(v, archive) for k, v in value}
    if kind == "frame":
        frame = pd.read_parquet(io.BytesIO(archive.read(f"frames/{int(value)}.parquet")))
        frame.attrs = _decode(node.get("attrs"), archive) or {}
        return frame
    if kind == "dataclass":
        cls = _TYPES.get(node.get("name"))
        if cls is None:
            raise UnreadableResult(f"{node.get('name')!r} is not a type kept results may hold")
        return cls(**{name: _decode(item, archive) for name, item in value.items()})
    raise UnreadableResult(f"unknown entry {kind!r}")


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key
