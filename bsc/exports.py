"""Safe exports: text cells that a spreadsheet would run as a formula are neutralised.

A CSV or workbook opened in Excel, LibreOffice or Google Sheets runs a cell that starts with
``=``, ``+``, ``-`` or ``@`` as a formula, and tab or carriage return can smuggle one in
after a separator. A customer name or a survey comment such as ``=HYPERLINK(...)`` would then
act on the reader's machine (CSV or formula injection). Every export of the product passes
its text through :func:`neutralise_cell`, which puts a single quote in front of such a value
so that it shows as typed, and does the same after every line break inside the value: a
spreadsheet that reads a line break as the end of a row would start a new row there.
:func:`safe_csv_bytes` quotes every text field (``csv.QUOTE_NONNUMERIC``) and ends rows with
CR LF, so a bare carriage return or line feed inside a cell never ends a row.

Numbers are never changed: ``-5`` as a number stays a number; ``"-5"`` as text gets its quote.

References
----------
.. [1] OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import csv
import re
from typing import TypeVar

import pandas as pd

__all__ = ["FORMULA_TRIGGERS", "neutralise_cell", "safe_csv_bytes", "safe_frame"]

FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

Cell = TypeVar("Cell")

# A line of a multi-line cell starting with a trigger: after CR LF, CR or LF.
_LINE_START = re.compile(r"(\r\n|\r|\n)(?=[=+\-@\t\r])")


def neutralise_cell(value: Cell) -> Cell | str:
    """A text value that starts with ``= + - @``, tab or carriage return, with a ``'`` in front.

    The same goes for every line of a multi-line value: ``"North\\r=1+2"`` becomes
    ``"North\\r'=1+2"``.

    Parameters
    ----------
    value
        Any cell value. Only ``str`` values are looked at; numbers, dates, booleans and missing
        values are returned unchanged.

    Returns
    -------
    The value itself, or ``"'" + value`` for a text value that a spreadsheet would run.

    Examples
    --------
    >>> neutralise_cell("=1+1")
    "'=1+1"
    >>> neutralise_cell(-5)
    -5
    """
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_TRIGGERS):
        value = "'" + value
    return _LINE_START.sub(lambda match: match.group(1) + "'", value)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are neutralised.

    Text columns (object or string dtype, or categorical of text) are mapped cell by cell with
    :func:`neutralise_cell`; numeric, boolean and date columns are left as they are. Missing
    values stay missing.
    """
    safe = frame.copy()
    for column in safe.columns:
        series = safe[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        if pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype):
            safe[column] = series.map(neutralise_cell, na_action="ignore")
    safe.columns = [neutralise_cell(str(column)) for column in safe.columns]
    return safe


def safe_csv_bytes(frame: pd.DataFrame, *, index: bool = False, encoding: str = "utf-8-sig") -> bytes:
    """``frame`` as CSV bytes, neutralised with :func:`safe_frame`.

    Every text field is quoted and rows end with CR LF (RFC 4180), so a line break or a
    delimiter inside a cell stays inside it in every reader. The default encoding writes a
    byte-order mark so that Excel reads accents correctly.
    """
    text = safe_frame(frame).to_csv(index=index, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    return text.encode(encoding)
