"""Reading uploaded files into raw tables.

A file becomes one or more :class:`RawTable` objects: one for a CSV, text or Parquet file, one per
non-empty sheet for an Excel workbook. Raw tables keep the values as the file holds them: text files
are read entirely as text (so that zero-padded ids such as CDNOW's ``00001`` survive), Excel and
Parquet columns keep their own types. Working out what the columns mean is the job of
:mod:`bsc.detect`, typing them that of :mod:`bsc.prepare`.

Every raw frame can be written to Parquet: columns whose cells mix types are turned into text.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bsc.errors import InputError
from bsc.mapping import Problem

__all__ = [
    "MAX_UPLOAD_BYTES",
    "SUPPORTED_EXTENSIONS",
    "RawTable",
    "read_path",
    "read_tables",
]

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
TEXT_EXTENSIONS = (".csv", ".tsv", ".txt")
SUPPORTED_EXTENSIONS = (*TEXT_EXTENSIONS, ".xlsx", ".parquet")

# Cells read as missing in text files. "None" and "NA" are left alone: they can be real values
# (a discount tier called None, Namibia's country code).
MISSING_TEXT = ("", "#N/A", "N/A", "n/a", "NULL", "null", "NaN", "nan", "<NA>")
_DELIMITERS = (",", ";", "\t", "|")
_WHITESPACE = "whitespace"
_SNIFF_LINES = 200
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


def read_path(path: str | Path) -> list[RawTable]:
    """Read a file from disk; see :func:`read_tables`.

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
        over the size limit, binary content in a text file, a corrupt workbook or one without any
        non-empty sheet.
    """
    extension = _check_extension(name)
    _check_size(name, len(data), max_bytes)
    if not data.strip():
        raise InputError(f"{name} is empty.")
    if extension in TEXT_EXTENSIONS:
        return [_read_text(name, data)]
    if extension == ".xlsx":
        return _read_workbook(name, data)
    return [_read_parquet(name, data)]


def _check_extension(name: str) -> str:
    extension = Path(name).suffix.lower()
    if extension not in SUPPORTED_EXTENSIONS:
        shown = extension or "without an extension"
        raise InputError(
            f"{name}: files of type {shown} cannot be read; "
            f"upload a {', '.join(SUPPORTED_EXTENSIONS[:-1])} or {SUPPORTED_EXTENSIONS[-1]} file."
        )
    return extension


def _check_size(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise InputError(
            f"{name} is {size / 1e6:,.1f} MB, larger than the limit of {max_bytes / 1e6:,.0f} MB."
        )


# --- text files -------------------------------------------------------------------------------


def _read_text(name: str, data: bytes) -> RawTable:
    text, encoding_problems = _decode(name, data)
    head = text[:1_000_000].splitlines()[: _SNIFF_LINES * 2]
    lines = [line for line in head if line.strip()][:_SNIFF_LINES]
    delimiter = _sniff_delimiter(lines)
    cells, skipped = _parse_delimited(name, text, delimiter)
    problems = list(encoding_problems)
    if skipped:
        problems.append(
            Problem(
                "warning",
                f"{len(skipped)} lines had more fields than the first line and were left out.",
                rows=len(skipped),
                examples=tuple(skipped[:5]),
            )
        )
    cells = cells.dropna(how="all")
    if cells.empty:
        raise InputError(f"{name} is empty.")
    frame, header_problems = _frame_with_header(name, cells)
    return RawTable(name, name, None, frame, problems + header_problems)


def _decode(name: str, data: bytes) -> tuple[str, list[Problem]]:
    """Decode text as UTF-8 (with or without byte-order mark), UTF-16 with a byte-order mark,
    or else Windows-1252 / Latin-1; refuse binary content."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:65536]:
        raise InputError(f"{name} does not look like a text table: it contains binary data.")
    problems: list[Problem] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
            encoding = "Windows-1252"
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            encoding = "Latin-1"
        problems.append(Problem("info", f"The file is not UTF-8; it was read as {encoding} text."))
    head = text[:65536]
    control = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\r\n\f\v")
    if control > max(2, len(head) // 200):
        raise InputError(f"{name} does not look like a text table: it contains binary data.")
    return text, problems


def _sniff_delimiter(lines: Sequence[str]) -> str:
    """The delimiter giving the most consistent number of fields (at least two) per line.

    Candidates are ``, ; tab |``; runs of spaces count only when none of them splits the lines.
    A line count is consistent when it equals the most common count; the best candidate has the
    highest share of consistent lines, then the most fields.
    """
    best: tuple[float, int, str] | None = None
    for delimiter in _DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        score = _consistency(counts)
        if score is not None and (best is None or score > best[:2]):
            best = (*score, delimiter)
    if best is not None and best[0] >= 0.8:
        return best[2]
    score = _consistency([len(line.split()) for line in lines])
    if score is not None and score[0] >= 0.9:
        return _WHITESPACE
    return best[2] if best is not None else ","


def _consistency(counts: Sequence[int]) -> tuple[float, int] | None:
    if not counts:
        return None
    fields, hits = Counter(counts).most_common(1)[0]
    if fields < 2:
        return None
    return hits / len(counts), fields


def _parse_delimited(name: str, text: str, delimiter: str) -> tuple[pd.DataFrame, list[str]]:
    """All cells as text, without treating any line as the header; lines with too many fields
    are left out and returned."""
    options: dict = {
        "header": None,
        "dtype": str,
        "keep_default_na": False,
        "na_values": list(MISSING_TEXT),
        "skip_blank_lines": True,
    }
    if delimiter == _WHITESPACE:
        options["sep"] = r"\s+"
    else:
        options["sep"] = delimiter
    try:
        return pd.read_csv(io.StringIO(text), **options), []
    except pd.errors.ParserError:
        pass
    except (ValueError, csv.Error) as error:
        raise InputError(f"{name} could not be read as a table: {error}") from None
    # Rare path: some lines have more fields than the first. Keep the good lines and say so.
    skipped: list[str] = []

    def skip(fields: list[str]) -> None:
        skipped.append(" ".join(fields)[:80])

    options.update(engine="python", on_bad_lines=skip)
    if delimiter == _WHITESPACE:
        options["sep"] = r"\s+"
    try:
        return pd.read_csv(io.StringIO(text), **options), skipped
    except (ValueError, csv.Error) as error:
        raise InputError(f"{name} could not be read as a table: {error}") from None


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
    """Name unnamed columns, drop empty unnamed ones, make duplicate names unique."""
    keep = [i for i, label in enumerate(names) if label or frame.iloc[:, i].notna().any()]
    dropped = len(names) - len(keep)
    if dropped:
        problems.append(Problem("info", f"{dropped} empty columns without a name were left out."))
    frame = frame.iloc[:, keep]
    names = [names[i] or f"column_{i + 1}" for i in keep]
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


# --- Excel workbooks --------------------------------------------------------------------------


def _read_workbook(name: str, data: bytes) -> list[RawTable]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise InputError(f"{name} is not a readable Excel workbook ({type(error).__name__}).") from None
    tables: list[RawTable] = []
    skipped: list[Problem] = []
    try:
        for sheet in workbook.worksheets:
            label = f"{name} / {sheet.title}"
            try:
                frame, problems = _read_sheet(name, sheet)
            except InputError as error:
                skipped.append(Problem("warning", str(error)))
                continue
            except Exception as error:  # a broken sheet must not cost the others
                skipped.append(
                    Problem("warning", f"Sheet {sheet.title!r} could not be read ({type(error).__name__}).")
                )
                continue
            if frame is None:
                skipped.append(Problem("info", f"Sheet {sheet.title!r} is empty and was skipped."))
                continue
            tables.append(RawTable(label, name, sheet.title, frame, problems))
    finally:
        workbook.close()
    if not tables:
        if skipped and all(p.severity == "info" for p in skipped):
            raise InputError(f"{name} has no sheet with data.")
        reasons = " ".join(p.message for p in skipped if p.severity != "info")
        raise InputError(f"{name} has no sheet with readable data. {reasons}".strip())
    # Notes about skipped sheets belong to the workbook; keep them with its first table.
    tables[0].problems[:0] = skipped
    return tables


def _read_sheet(name: str, sheet) -> tuple[pd.DataFrame | None, list[Problem]]:
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    rows = [row for row in rows if any(_filled(cell) for cell in row)]
    if not rows:
        return None, []
    width = max(len(row) for row in rows)
    rows = [row + [None] * (width - len(row)) for row in rows]
    problems: list[Problem] = []
    # A title line above the header (one filled cell, where the rows below fill several).
    start = 0
    widths = [sum(_filled(cell) for cell in row) for row in rows[:10]]
    while start < len(widths) - 1 and widths[start] == 1 and max(widths[start + 1 :]) > 1:
        start += 1
    if start:
        problems.append(Problem("info", f"{start} title lines above the column names were left out."))
    cells = pd.DataFrame(rows[start:], dtype=object)
    cells = cells.map(lambda cell: None if isinstance(cell, str) and not cell.strip() else cell)
    frame, header_problems = _frame_with_header(f"{name} / sheet {sheet.title!r}", cells)
    frame = frame.dropna(how="all").reset_index(drop=True)
    frame = frame.apply(_settle_column_type)
    return frame, problems + header_problems


def _filled(cell: object) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


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


# --- Parquet ----------------------------------------------------------------------------------


def _read_parquet(name: str, data: bytes) -> RawTable:
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError, ValueError) as error:
        raise InputError(f"{name} is not a readable Parquet file ({type(error).__name__}).") from None
    frame = table.to_pandas()
    if frame.shape[1] == 0:
        raise InputError(f"{name} has no columns.")
    if frame.empty:
        raise InputError(f"{name} has column names but no rows of data.")
    frame = frame.reset_index(drop=True)
    names = [str(label).strip() for label in frame.columns]
    frame.columns = range(frame.shape[1])
    frame, problems = _tidy_columns(frame, names, [])
    frame = frame.apply(lambda column: _settle_column_type(column) if column.dtype == object else column)
    return RawTable(name, name, None, frame, problems)
