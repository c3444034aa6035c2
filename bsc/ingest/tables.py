"""The raw table every reader returns, and the column clean-up the readers share.

A :class:`RawTable` holds the cells of one table as the file gave them. Before a reader returns
one, the helpers here choose the header (:func:`_frame_with_header`: the first row, unless it looks
like data), name and de-duplicate the columns (:func:`_tidy_columns`) and, for Excel and Parquet,
give each column of Python objects one type that Parquet can store (:func:`_settle_column_type`).
The names starting with ``_`` are shared inside :mod:`bsc.ingest` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bsc.errors import InputError
from bsc.mapping import Problem

__all__ = ["MAX_NAME_CHARS", "RawTable"]

MAX_NAME_CHARS = 200
# The cells that make a first row look like data rather than column names.
_NUMBER_LIKE = re.compile(r"^\s*[-+(]?[$€£¥]?\s*\d[\d,.\s]*%?\)?\s*$")
_DATE_LIKE = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?\s*$")


@dataclass
class RawTable:
    """One table read from a file, before its columns are given meaning.

    Attributes
    ----------
    name : str
        The file name, or ``"file.xlsx / Sheet"`` for a sheet of a workbook.
    source : str
        The file name.
    sheet : str or None
        The sheet name for a workbook, else None.
    frame : pandas.DataFrame
        The cells. Text files give text columns (missing cells as NA); Excel and Parquet keep
        their column types where a column holds one type, text where it mixes types.
    problems : list of Problem
        What was noticed while reading (encoding fallback, renamed duplicate columns, ...).
    """

    name: str
    source: str
    sheet: str | None
    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)


def _frame_with_header(name: str, cells: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Use the first row as column names unless it looks like data; then tidy the columns."""
    first = cells.iloc[0]
    body = cells.iloc[1:]
    problems: list[Problem] = []
    if _first_row_is_data(first, body):
        names = [f"column_{i + 1}" for i in range(cells.shape[1])]
        body = cells
        problems.append(
            Problem(
                "info",
                f"The file has no header line; its columns were named column_1 to column_{len(names)}.",
            )
        )
    else:
        names = [_header_text(value) for value in first]
        if body.empty:
            raise InputError(f"{name} has column names but no rows of data.")
    frame = body.reset_index(drop=True)
    frame.columns = range(frame.shape[1])
    return _tidy_columns(frame, names, problems)


def _header_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _first_row_is_data(first: pd.Series, body: pd.DataFrame) -> bool:
    """True when the first row has the shape of the rows below it.

    The first row is data when some columns hold numbers or dates below it and the first row
    holds a number or date in every one of them (a header would name them with words).
    """
    if body.empty:
        return False
    sample = body.iloc[:200]
    typed_columns = 0
    for position in range(body.shape[1]):
        values = sample.iloc[:, position].dropna().astype(str)
        if values.empty:
            continue
        shaped = values.str.match(_NUMBER_LIKE) | values.str.match(_DATE_LIKE)
        if shaped.mean() < 0.9:
            continue
        typed_columns += 1
        head = first.iloc[position]
        if head is None or pd.isna(head):
            return False
        if not (_NUMBER_LIKE.match(str(head)) or _DATE_LIKE.match(str(head))):
            return False
    return typed_columns > 0


def _tidy_columns(
    frame: pd.DataFrame, names: list[str], problems: list[Problem]
) -> tuple[pd.DataFrame, list[Problem]]:
    """Name unnamed columns, drop empty unnamed ones, shorten very long names, make duplicate
    names unique."""
    keep = [i for i, label in enumerate(names) if label or frame.iloc[:, i].notna().any()]
    dropped = len(names) - len(keep)
    if dropped:
        problems.append(
            Problem("info", f"{_count(dropped, 'empty column')} without a name {_were(dropped)} left out.")
        )
    frame = frame.iloc[:, keep]
    names = [names[i] or f"column_{i + 1}" for i in keep]
    long_names = [label for label in names if len(label) > MAX_NAME_CHARS]
    if long_names:
        names = [
            label if len(label) <= MAX_NAME_CHARS else label[: MAX_NAME_CHARS - 1] + "…" for label in names
        ]
        problems.append(
            Problem(
                "info",
                f"{_count(len(long_names), 'column name')} longer than {MAX_NAME_CHARS} characters {_were(len(long_names))} shortened.",
                examples=tuple(label[:60] + "…" for label in long_names[:5]),
            )
        )
    unique, renamed = _unique_names(names)
    if renamed:
        problems.append(
            Problem(
                "warning",
                "Some column names appear more than once; the repeats were renamed: "
                + ", ".join(f"{old} → {new}" for old, new in renamed[:5])
                + ".",
                examples=tuple(new for _, new in renamed[:5]),
            )
        )
    frame = frame.set_axis(unique, axis=1)
    return frame, problems


def _unique_names(names: Iterable[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Make names unique the way pandas does (``a``, ``a.1``, ``a.2``)."""
    names = list(names)
    taken = set(names)
    seen: set[str] = set()
    unique: list[str] = []
    renamed: list[tuple[str, str]] = []
    for label in names:
        if label not in seen:
            seen.add(label)
            unique.append(label)
            continue
        suffix = 1
        while f"{label}.{suffix}" in taken or f"{label}.{suffix}" in seen:
            suffix += 1
        new = f"{label}.{suffix}"
        seen.add(new)
        unique.append(new)
        renamed.append((label, new))
    return unique, renamed


def _settle_column_type(column: pd.Series) -> pd.Series:
    """Give a column of Python objects one Parquet-friendly type.

    Whole numbers stay integers (nullable), other numbers floats, dates datetimes, booleans
    nullable booleans, text text. A column mixing types becomes text, whole numbers written
    without ".0" and dates in ISO form.
    """
    inferred = pd.api.types.infer_dtype(column, skipna=True)
    if inferred == "integer":
        return column.astype("Int64")
    if inferred in ("floating", "mixed-integer-float"):
        return column.astype("float64")
    if inferred == "boolean":
        return column.astype("boolean")
    if inferred in ("datetime", "datetime64", "date"):
        converted = pd.to_datetime(column, errors="coerce")
        if converted.notna().sum() == column.notna().sum():
            return converted.astype("datetime64[us]")
    if inferred == "empty":
        return column.astype("str")
    return column.map(_cell_text, na_action="ignore").astype("str")


def _cell_text(cell: object) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, pd.Timestamp):
        return cell.isoformat()
    if hasattr(cell, "isoformat"):
        return cell.isoformat()
    return str(cell)


def _count(number: int, noun: str) -> str:
    """``1 line``, ``2,000 lines``."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def _were(number: int) -> str:
    return "was" if number == 1 else "were"
