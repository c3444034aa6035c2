"""Reading uploaded files into raw tables.

A file becomes one or more :class:`RawTable` objects: one for a CSV, text or Parquet file, one per
non-empty sheet for an Excel workbook. Raw tables keep the values as the file holds them: text files
are read entirely as text (so that zero-padded ids such as CDNOW's ``00001`` survive), Excel and
Parquet columns keep their own types. Working out what the columns mean is the job of
:mod:`bsc.detect`, typing them that of :mod:`bsc.prepare`.

Every raw frame can be written to Parquet: columns whose cells mix types are turned into text.

Whatever is uploaded, memory stays bounded, because a file is checked before it is parsed whole:

- its size, against :data:`MAX_UPLOAD_BYTES`;
- what it really is, from its first bytes: a workbook named ``.csv``, a picture named ``.xlsx``
  or a Python pickle under any name is refused with a message saying what it is;
- how far it would unpack: the sizes in a workbook's zip directory and in a Parquet file's
  metadata, against :data:`MAX_EXPANDED_BYTES` (a zip bomb is refused before anything is
  inflated: Python's zip reader never inflates a part past the size its directory declares);
- its shape: at most :data:`MAX_COLUMNS` columns, :data:`MAX_CELLS` cells (rows times the
  columns read; measured to keep a fresh ``bsc kpis`` process under 1 GB) and lines of at most
  :data:`MAX_LINE_BYTES`; a workbook's sheets at most :data:`MAX_WORKBOOK_CELLS` cells, counted
  on their XML before any is parsed and again while they are streamed; a Parquet file is read
  one row group at a time.

Nothing in a file is ever run: workbooks are read for the values Excel saved (formulas are not
evaluated), Parquet files through Arrow, and no file is ever unpickled.

The package, one module per step:

- :mod:`bsc.ingest.checks`: the limits, and what is checked before a file is parsed whole;
- :mod:`bsc.ingest.text`: CSV, TSV and text files (encoding, delimiter, quoting);
- :mod:`bsc.ingest.excel`: Excel workbooks, sheet by sheet;
- :mod:`bsc.ingest.parquet`: Parquet files;
- :mod:`bsc.ingest.tables`: :class:`RawTable` and the header and column clean-up the readers share;
- this module: :func:`read_tables` and :func:`read_path`, which check a file and hand it to its
  reader.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa

from bsc.errors import InputError
from bsc.ingest.checks import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_EXPANDED_BYTES,
    MAX_KEPT_UPLOAD_BYTES,
    MAX_LINE_BYTES,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    MAX_WORKBOOK_CELLS,
    MB,
    SUPPORTED_EXTENSIONS,
    TEXT_EXTENSIONS,
    _check_extension,
    _check_size,
    _identify,
    _misnamed_text,
    _not_a_workbook,
    _pickle_note,
)
from bsc.ingest.excel import EXCEL_ERRORS, _read_workbook
from bsc.ingest.parquet import _read_parquet
from bsc.ingest.tables import RawTable
from bsc.ingest.text import _read_text

__all__ = [
    "EXCEL_ERRORS",
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_EXPANDED_BYTES",
    "MAX_KEPT_UPLOAD_BYTES",
    "MAX_LINE_BYTES",
    "MAX_ROWS",
    "MAX_UPLOAD_BYTES",
    "MAX_WORKBOOK_CELLS",
    "MB",
    "SUPPORTED_EXTENSIONS",
    "RawTable",
    "read_path",
    "read_tables",
]

# Nothing but the ASCII spaces ``bytes.strip`` removes (space, tab, line feed, carriage return,
# vertical tab, form feed): an empty file.
_BLANK_BYTES = re.compile(rb"[ \t\n\r\x0b\x0c]*")


def read_path(path: str | Path) -> list[RawTable]:
    """Read a file from disk; see :func:`read_tables`. The size is checked before the file is read.

    Raises
    ------
    InputError
        When the file does not exist or cannot be read as a table.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"File not found: {path}")
    _check_extension(path.name)
    _check_size(path.name, path.stat().st_size, MAX_UPLOAD_BYTES)
    return read_tables(path.name, path.read_bytes())


def read_tables(name: str, data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> list[RawTable]:
    """Read the tables of an uploaded file.

    Parameters
    ----------
    name : str
        The file name; its extension chooses the reader (.csv, .tsv, .txt, .xlsx, .parquet).
    data : bytes
        The file's content.
    max_bytes : int
        Largest accepted file size.

    Returns
    -------
    list of RawTable
        One table for a text or Parquet file; one per non-empty sheet of a workbook.

    Raises
    ------
    InputError
        For an empty file, a file with column names but no rows, an unsupported extension, a file
        over the size limit, a file that is something else than its extension says (a picture, a
        pickle, an old .xls workbook), binary content in a text file, a damaged workbook or
        Parquet file, one that would unpack past :data:`MAX_EXPANDED_BYTES`, a table wider than
        :data:`MAX_COLUMNS` or larger than :data:`MAX_CELLS`, a line longer than
        :data:`MAX_LINE_BYTES`, a quote that is never closed, or a workbook without any
        non-empty sheet. This is the only exception that leaves this package.
    """
    try:
        return _read_checked(name, data, max_bytes)
    finally:
        # Arrow keeps the memory it freed for its next allocations; a server reads an upload
        # now and then, so it is handed back to the system rather than held between uploads.
        pa.default_memory_pool().release_unused()


def _read_checked(name: str, data: bytes, max_bytes: int) -> list[RawTable]:
    extension = _check_extension(name)
    _check_size(name, len(data), max_bytes)
    if _BLANK_BYTES.fullmatch(data):  # as ``not data.strip()``, without copying the file
        raise InputError(f"{name} is empty.")
    found = _identify(data)
    if extension in TEXT_EXTENSIONS:
        if found is not None:
            raise InputError(_misnamed_text(name, *found))
        return [_read_text(name, data)]
    if extension == ".xlsx":
        if found is None or found[0] != "zip":
            raise InputError(_not_a_workbook(name, data, found))
        return _read_workbook(name, data)
    if found is None or found[0] != "parquet":
        kind = f"{found[1]}, not a Parquet file" if found else "not a Parquet file"
        raise InputError(f"{name} is {kind}; it cannot be read." + _pickle_note(found))
    return [_read_parquet(name, data)]
