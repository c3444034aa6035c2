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
- its shape: at most :data:`MAX_COLUMNS` columns, :data:`MAX_CELLS` cells and lines of at most
  :data:`MAX_LINE_BYTES`.

Nothing in a file is ever run: workbooks are read for the values Excel saved (formulas are not
evaluated), Parquet files through Arrow, and no file is ever unpickled.
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
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bsc.errors import InputError
from bsc.mapping import Problem

__all__ = [
    "EXCEL_ERRORS",
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_EXPANDED_BYTES",
    "MAX_LINE_BYTES",
    "MAX_UPLOAD_BYTES",
    "SUPPORTED_EXTENSIONS",
    "RawTable",
    "read_path",
    "read_tables",
]

MB = 1024 * 1024
MAX_UPLOAD_BYTES = 200 * MB
# How far a file may unpack: a workbook's parts together, a Parquet file's column data.
MAX_EXPANDED_BYTES = 512 * MB
MAX_COLUMNS = 1_000
MAX_CELLS = 30_000_000
MAX_LINE_BYTES = 1 * MB
MAX_WORKBOOK_PARTS = 10_000
MAX_NAME_CHARS = 200
TEXT_EXTENSIONS = (".csv", ".tsv", ".txt")
SUPPORTED_EXTENSIONS = (*TEXT_EXTENSIONS, ".xlsx", ".parquet")

# Cells read as missing in text files. "None" and "NA" are left alone: they can be real values
# (a discount tier called None, Namibia's country code).
MISSING_TEXT = ("", "#N/A", "N/A", "n/a", "NULL", "null", "NaN", "nan", "<NA>")
# What Excel shows in a cell whose formula failed; read as empty (and reported) in workbooks.
EXCEL_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!",
     "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#GETTING_DATA"}
)  # fmt: skip
_DELIMITERS = (",", ";", "\t", "|")
_WHITESPACE = "whitespace"
_SNIFF_LINES = 200
_NUMBER_LIKE = re.compile(r"^\s*[-+(]?[$€£¥]?\s*\d[\d,.\s]*%?\)?\s*$")
_DATE_LIKE = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?\s*$")
_BLOCK = 16 * MB

# What a file really is, told by its first bytes: (signature, kind, description).
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"PK\x03\x04", "zip", "an Excel workbook or a zip archive"),
    (b"PK\x05\x06", "zip", "an empty zip archive"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "ole",
        "an Excel 97–2003 (.xls) workbook or a password-protected one",
    ),
    (b"PAR1", "parquet", "a Parquet file"),
    (b"%PDF", "pdf", "a PDF document"),
    (b"\x89PNG", "picture", "a PNG picture"),
    (b"\xff\xd8\xff", "picture", "a JPEG picture"),
    (b"GIF8", "picture", "a GIF picture"),
    (b"\x1f\x8b", "archive", "a gzip-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "archive", "a 7-Zip archive"),
    (b"Rar!", "archive", "a RAR archive"),
    *((b"\x80" + bytes([protocol]), "pickle", "a Python pickle") for protocol in range(2, 6)),
)
# A formula cell without a saved value: "<f>A2*2</f></c>" or "<f .../><v/></c>".
_UNCALCULATED = re.compile(
    rb"(?:</(?:\w+:)?f>|<(?:\w+:)?f\b[^>]*/>)\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")


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
        non-empty sheet. This is the only exception that leaves this module.
    """
    extension = _check_extension(name)
    _check_size(name, len(data), max_bytes)
    if not data.strip():
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


def _check_extension(name: str) -> str:
    extension = Path(name).suffix.lower()
    if extension == ".xls":
        raise InputError(
            f"{name} is an Excel 97–2003 workbook (.xls), which cannot be read; "
            "open it in Excel and save it as .xlsx."
        )
    if extension not in SUPPORTED_EXTENSIONS:
        shown = extension or "without an extension"
        raise InputError(
            f"{name}: files of type {shown} cannot be read; "
            f"upload a {', '.join(SUPPORTED_EXTENSIONS[:-1])} or {SUPPORTED_EXTENSIONS[-1]} file."
        )
    return extension


def _check_size(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise InputError(f"{name} is {size / MB:,.1f} MB, larger than the limit of {max_bytes // MB:,} MB.")


def _identify(data: bytes) -> tuple[str, str] | None:
    """``(kind, description)`` of a file recognised by its first bytes, else None."""
    for signature, kind, description in _SIGNATURES:
        if data.startswith(signature):
            return kind, description
    return None


def _pickle_note(found: tuple[str, str] | None) -> str:
    if found is not None and found[0] == "pickle":
        return " Pickles are never opened here, because opening one can run any code."
    return ""


def _misnamed_text(name: str, kind: str, description: str) -> str:
    advice = {
        "zip": " If it is an Excel workbook, give it the .xlsx extension.",
        "ole": " Open it in Excel and save it as .xlsx (without a password).",
        "parquet": " Give it the .parquet extension.",
        "archive": " Unpack it first and upload the table inside.",
    }.get(kind, "")
    return f"{name} is {description}, not a text table.{advice}{_pickle_note((kind, description))}"


def _not_a_workbook(name: str, data: bytes, found: tuple[str, str] | None) -> str:
    if found is not None and found[0] == "ole":
        return (
            f"{name} is {found[1]}. Open it in Excel and save it as .xlsx without a password, "
            "then upload the new file."
        )
    if found is not None:
        return f"{name} is {found[1]}, not an Excel workbook.{_pickle_note(found)}"
    head = data[:4096]
    if b"\x00" not in head and sum(byte < 32 and byte not in b"\t\r\n" for byte in head) == 0:
        return (
            f"{name} is not a readable Excel workbook: it holds text. "
            "If it is a CSV file, give it the .csv extension."
        )
    return f"{name} is not a readable Excel workbook (.xlsx) and cannot be read."


# --- text files -------------------------------------------------------------------------------


def _read_text(name: str, data: bytes) -> RawTable:
    lines = _count_lines(name, data)
    text, encoding_problems = _decode(name, data)
    head = text[: 2 * MAX_LINE_BYTES].splitlines()[: _SNIFF_LINES * 2]
    sniffed = [line for line in head if line.strip()][:_SNIFF_LINES]
    delimiter = _sniff_delimiter(sniffed)
    _check_shape(name, lines, _widest(sniffed, delimiter))
    cells, skipped = _parse_delimited(name, text, delimiter)
    del text
    problems = list(encoding_problems)
    if skipped:
        problems.append(
            Problem(
                "warning",
                f"{_count(len(skipped), 'line')} had more fields than the first line and {_were(len(skipped))} left out.",
                rows=len(skipped),
                examples=tuple(skipped[:5]),
            )
        )
    cells = cells.dropna(how="all")
    if cells.empty:
        raise InputError(f"{name} is empty.")
    frame, header_problems = _frame_with_header(name, cells)
    return RawTable(name, name, None, frame, problems + header_problems)


def _count_lines(name: str, data: bytes) -> int:
    """The number of lines, after checking that none is longer than :data:`MAX_LINE_BYTES`.

    Lines end at ``\\n`` (``\\r`` in files without any ``\\n``, as old Macs wrote them). Done on the
    bytes in blocks, so it costs no more memory than a block whatever the file holds.
    """
    newline = 10 if b"\n" in data else 13
    view = np.frombuffer(data, dtype=np.uint8)
    previous, lines = -1, 0
    for start in range(0, len(view), _BLOCK):
        breaks = np.flatnonzero(view[start : start + _BLOCK] == newline) + start
        if breaks.size:
            lengths = np.diff(breaks, prepend=previous) - 1
            worst = int(lengths.argmax())
            if lengths[worst] > MAX_LINE_BYTES:
                raise _line_too_long(name, lines + worst + 1)
            previous = int(breaks[-1])
            lines += int(breaks.size)
        if min(start + _BLOCK, len(view)) - previous - 1 > MAX_LINE_BYTES:
            raise _line_too_long(name, lines + 1)
    return lines + (1 if len(view) - previous - 1 > 0 else 0)


def _line_too_long(name: str, line: int) -> InputError:
    return InputError(
        f"Line {line:,} of {name} is longer than {MAX_LINE_BYTES // MB} MB; the lines of a table are "
        "shorter. The file may have lost its line breaks, or it may not be a table."
    )


def _widest(lines: Sequence[str], delimiter: str) -> int:
    if delimiter == _WHITESPACE:
        return max((len(line.split()) for line in lines), default=0)
    try:
        return max((len(row) for row in csv.reader(lines, delimiter=delimiter)), default=0)
    except csv.Error:
        return max((line.count(delimiter) + 1 for line in lines), default=0)


def _check_shape(name: str, rows: int, columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise InputError(
            f"{name} has {columns:,} columns; at most {MAX_COLUMNS:,} can be read. "
            "Keep the columns you need and upload it again."
        )
    if rows * columns > MAX_CELLS:
        raise InputError(
            f"{name} has about {_count(rows, 'row')} of {_count(columns, 'column')}, more than the "
            f"{MAX_CELLS // 1_000_000:,} million cells that can be read at once. "
            "Split it, or leave out the columns you do not need."
        )


def _decode(name: str, data: bytes) -> tuple[str, list[Problem]]:
    """Decode text and refuse binary content.

    UTF-16 with a byte-order mark, or without one when every other byte is NUL; else UTF-8
    (with or without byte-order mark); else, when the file holds valid UTF-8 sequences and
    invalid bytes, UTF-8 with the invalid bytes read as Windows-1252 (files pasted together from
    different systems); else Windows-1252 / Latin-1. A few stray NUL characters (left by some
    broken exports) are removed; many mean binary content.
    """
    utf16 = _utf16_encoding(data)
    if utf16 is not None:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError:
            raise InputError(f"{name} does not look like a text table: it contains binary data.") from None
        problems = (
            [] if data.startswith((b"\xff\xfe", b"\xfe\xff")) else [_info("It was read as UTF-16 text.")]
        )
        return _refuse_control_characters(name, text.removeprefix("\ufeff")), problems
    problems: list[Problem] = []
    nul = data.count(b"\x00")
    if nul:
        if nul > len(data) // 100:
            raise InputError(f"{name} does not look like a text table: it contains binary data.")
        data = data.replace(b"\x00", b"")
        problems.append(
            Problem(
                "warning",
                f"The file holds {nul:,} NUL characters (often left by a broken export); they were removed.",
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if _UTF8_SEQUENCE.search(data):
            text, mixed = _decode_mixed(data)
            problems.append(mixed)
        else:
            text, encoding = _decode_single_byte(data)
            problems.append(_info(f"The file is not UTF-8; it was read as {encoding} text."))
    return _refuse_control_characters(name, text), problems


def _count(number: int, noun: str) -> str:
    """``1 line``, ``2,000 lines``."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def _were(number: int) -> str:
    return "was" if number == 1 else "were"


def _info(message: str) -> Problem:
    return Problem("info", message)


def _utf16_encoding(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4096]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _decode_single_byte(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def _decode_mixed(data: bytes) -> tuple[str, Problem]:
    """UTF-8 text in which the bytes that are not UTF-8 are read as Windows-1252."""
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    touched = [line for line in text.splitlines() if _ESCAPED_BYTES.search(line)]

    def single_byte(match: re.Match) -> str:
        return _decode_single_byte(bytes(ord(ch) - 0xDC00 for ch in match.group()))[0]

    examples = tuple(_ESCAPED_BYTES.sub(single_byte, line)[:80] for line in touched[:5])
    problem = Problem(
        "warning",
        f"The file mixes UTF-8 and Windows-1252 text: {len(touched):,} lines are not UTF-8 and were "
        "read as Windows-1252. Check the accented letters in those lines.",
        rows=len(touched),
        examples=examples,
    )
    return _ESCAPED_BYTES.sub(single_byte, text), problem


def _refuse_control_characters(name: str, text: str) -> str:
    head = text[:65536]
    control = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\r\n\f\v")
    if control > max(2, len(head) // 200):
        raise InputError(f"{name} does not look like a text table: it contains binary data.")
    return text


def _sniff_delimiter(lines: Sequence[str]) -> str:
    """The delimiter giving the most consistent number of fields (at least two) per line.

    Candidates are ``, ; tab |``; runs of spaces count only when none of them splits the lines.
    A line count is consistent when it equals the most common count; the best candidate has the
    highest share of consistent lines, then the most fields.
    """
    best: tuple[float, int, str] | None = None
    for delimiter in _DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:  # a cell longer than the csv module's field limit
            counts = [line.count(delimiter) + 1 for line in lines]
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
        "sep": r"\s+" if delimiter == _WHITESPACE else delimiter,
    }
    try:
        return pd.read_csv(io.StringIO(text), **options), []
    except pd.errors.ParserError as error:
        if "EOF inside string" in str(error):
            raise _unclosed_quote(name, text) from None
    except (ValueError, csv.Error) as error:
        raise _unreadable_text(name, error) from None
    # Rare path: some lines have more fields than the first. Keep the good lines and say so.
    skipped: list[str] = []

    def skip(fields: list[str]) -> None:
        skipped.append(" ".join(fields)[:80])

    options.update(engine="python", on_bad_lines=skip)
    try:
        return pd.read_csv(io.StringIO(text), **options), skipped
    except (ValueError, csv.Error) as error:
        raise _unreadable_text(name, error) from None


def _unclosed_quote(name: str, text: str) -> InputError:
    """The error for a quote mark that is never closed, naming the line it is on.

    Each line with an odd number of quote marks opens or closes a quoted cell; the quote that
    is never closed is on the last line that opened one.
    """
    opened_on: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.count('"') % 2:
            opened_on = number if opened_on is None else None
    where = f"on line {opened_on:,}" if opened_on is not None else "in the file"
    return InputError(
        f'{name}: the quote mark (") {where} is never closed, so the rest of the file would be read '
        "as one cell. Remove that quote mark or close it, and upload the file again."
    )


def _unreadable_text(name: str, error: Exception) -> InputError:
    if "field larger than field limit" in str(error):
        return InputError(
            f"{name} has a cell longer than {csv.field_size_limit():,} characters; it cannot be read."
        )
    return InputError(f"{name} could not be read as a table: {error}")


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


# --- Excel workbooks --------------------------------------------------------------------------


class _TooManyCells(InputError):
    """The workbook holds more cells than can be read at once: refused as a whole."""


@dataclass
class _CellBudget:
    """Cells a workbook may still fill, across all its sheets."""

    name: str
    left: int = MAX_CELLS

    def take(self, cells: int) -> None:
        self.left -= cells
        if self.left < 0:
            raise _TooManyCells(
                f"{self.name} holds more than the {MAX_CELLS // 1_000_000:,} million cells that can be read "
                "at once. Save the sheets you need as separate files, or leave out columns."
            )


def _read_workbook(name: str, data: bytes) -> list[RawTable]:
    _check_workbook_parts(name, data)
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception:  # a damaged file can fail anywhere inside the reader
        raise InputError(
            f"{name} is not a readable Excel workbook: its contents are damaged. "
            "Open it in Excel, save it again and upload the new file."
        ) from None
    budget = _CellBudget(name)
    tables: list[RawTable] = []
    skipped: list[Problem] = []
    try:
        for sheet in workbook.worksheets:
            label = f"{name} / {sheet.title}"
            try:
                frame, problems = _read_sheet(name, sheet, budget)
                problems += _formula_problems(data, sheet)
            except _TooManyCells:
                raise
            except InputError as error:
                skipped.append(Problem("warning", str(error)))
                continue
            except Exception:  # a broken sheet must not cost the others
                skipped.append(
                    Problem("warning", f"Sheet {sheet.title!r} could not be read: its contents are damaged.")
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


def _damaged_workbook(name: str) -> str:
    return (
        f"{name} is not a readable Excel workbook: it is damaged or incomplete (perhaps cut off "
        "during a download). Open it in Excel, save it again and upload the new file."
    )


def _check_workbook_parts(name: str, data: bytes) -> None:
    """Refuse a workbook from its zip directory alone, before anything is inflated: too many
    parts, parts that would unpack past :data:`MAX_EXPANDED_BYTES`, or a zip that is no workbook."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except Exception:  # a damaged directory can fail in many ways
        raise InputError(_damaged_workbook(name)) from None
    if len(parts) > MAX_WORKBOOK_PARTS:
        raise InputError(f"{name} holds {len(parts):,} parts, far more than any workbook; it was not opened.")
    expanded = sum(part.file_size for part in parts)
    if expanded > MAX_EXPANDED_BYTES:
        raise InputError(
            f"{name} would unpack to {expanded / MB:,.0f} MB, more than the {MAX_EXPANDED_BYTES // MB:,} MB "
            "a workbook may take; it was not opened. Save the sheets you need as CSV files and upload those."
        )
    names = {part.filename for part in parts}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise InputError(f"{name} is a zip archive, not an Excel workbook.")


def _read_sheet(name: str, sheet, budget: _CellBudget) -> tuple[pd.DataFrame | None, list[Problem]]:
    # The size a sheet declares may be wrong (A1:XFD1048576 for a small table would pad every
    # row to 16,384 cells), so rows are taken as they are stored.
    sheet.reset_dimensions()
    rows: list[list] = []
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if row.count(None) == len(row):
            continue
        if len(row) > MAX_COLUMNS:
            beyond = row[MAX_COLUMNS:]
            if beyond.count(None) != len(beyond):
                raise InputError(
                    f"Sheet {sheet.title!r} has values beyond column {MAX_COLUMNS:,} (row {number:,}); "
                    f"at most {MAX_COLUMNS:,} columns can be read. Delete the columns you do not need."
                )
            row = row[:MAX_COLUMNS]
        end = len(row)
        while end and not _filled(row[end - 1]):
            end -= 1
        if not end:
            continue
        budget.take(end)
        rows.append(list(row[:end]))
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
        problems.append(
            Problem("info", f"{_count(start, 'title line')} above the column names {_were(start)} left out.")
        )
    cells = pd.DataFrame(rows[start:], dtype=object)
    del rows
    cells = cells.map(lambda cell: None if isinstance(cell, str) and not cell.strip() else cell)
    frame, header_problems = _frame_with_header(f"{name} / sheet {sheet.title!r}", cells)
    frame = frame.dropna(how="all").reset_index(drop=True)
    frame, error_problems = _blank_excel_errors(frame)
    frame = frame.apply(_settle_column_type)
    return frame, problems + header_problems + error_problems


def _blank_excel_errors(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Cells showing an Excel error (``#DIV/0!``, ``#N/A``...) become empty, reported per column."""
    problems: list[Problem] = []
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object:
            continue
        errors = values.map(lambda cell: isinstance(cell, str) and cell.strip() in EXCEL_ERRORS)
        count = int(errors.sum())
        if not count:
            continue
        kinds = ", ".join(sorted({str(cell).strip() for cell in values[errors]}))
        cells = "1 cell holds an Excel error" if count == 1 else f"{count:,} cells hold Excel errors"
        problems.append(
            Problem(
                "warning",
                f"Column {column!r}: {cells} ({kinds}); read as empty.",
                rows=count,
                examples=tuple(f"row {i + 1}: {values.iloc[i]}" for i in np.flatnonzero(errors)[:5]),
                column=str(column),
            )
        )
        frame[column] = values.mask(errors, None)
    return frame, problems


def _formula_problems(data: bytes, sheet) -> list[Problem]:
    """A warning when the sheet holds formulas whose value was never saved (a workbook written by
    a program rather than saved by Excel): the reader sees them as empty cells."""
    path = getattr(sheet, "_worksheet_path", None)
    if not path:
        return []
    count, tail = 0, b""
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(path.lstrip("/")) as stream:
        while chunk := stream.read(MB):
            text = tail + chunk
            last_end = 0
            for match in _UNCALCULATED.finditer(text):
                count += 1
                last_end = match.end()
            tail = text[max(last_end, len(text) - 512) :]
    if not count:
        return []
    cells = "1 formula cell has" if count == 1 else f"{count:,} formula cells have"
    return [
        Problem(
            "warning",
            f"Sheet {sheet.title!r}: {cells} never been calculated (the file was written by a program, "
            "not saved by Excel), so they read as empty. Open the file in Excel, save it and upload it again.",
            rows=count,
        )
    ]


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
    damaged = f"{name} is not a readable Parquet file: it is damaged or incomplete."
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        metadata, schema = parquet.metadata, parquet.schema_arrow
    except Exception:  # a damaged footer can fail in many ways
        raise InputError(damaged) from None
    if len(schema) == 0:
        raise InputError(f"{name} has no columns.")
    # Checked on the metadata, before any column is read.
    _check_shape(name, metadata.num_rows, len(schema))
    expanded = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    _check_expanded(name, expanded)
    flat = [f for f in schema if not pa.types.is_nested(f.type)]
    nested = [f.name for f in schema if pa.types.is_nested(f.type)]
    if not flat:
        raise InputError(f"{name} holds only lists or records, no column a table can show.")
    # Text stored once in a dictionary can decode to far more than the file says it unpacks to:
    # it is read as a dictionary first and decoded only when its decoded size is known.
    texts = [f.name for f in flat if pa.types.is_string(f.type) or pa.types.is_binary(f.type)]
    try:
        table = pq.read_table(pa.BufferReader(data), columns=[f.name for f in flat], read_dictionary=texts)
        table.validate(full=True)  # Arrow does not check text is valid UTF-8 when it reads it
        _check_expanded(name, expanded + sum(_decoded_bytes(table.column(text)) for text in texts))
        table = pa.table(
            [_decoded(table.column(i)) for i in range(table.num_columns)], names=table.column_names
        )
        frame = table.to_pandas()
    except InputError:
        raise
    except Exception:  # damaged pages, or types pandas cannot hold
        raise InputError(damaged) from None
    if frame.empty:
        raise InputError(f"{name} has column names but no rows of data.")
    frame = frame.reset_index(drop=True)
    names = [str(label).strip() for label in frame.columns]
    frame.columns = range(frame.shape[1])
    problems = []
    if nested:
        problems.append(
            Problem(
                "warning",
                f"{_count(len(nested), 'column')} {'holds' if len(nested) == 1 else 'hold'} lists or records, which a table cannot show; "
                f"{'it was' if len(nested) == 1 else 'they were'} left out: " + ", ".join(nested[:5]) + ".",
                examples=tuple(nested[:5]),
            )
        )
    frame, problems = _tidy_columns(frame, names, problems)
    frame = frame.apply(lambda column: _settle_column_type(column) if column.dtype == object else column)
    return RawTable(name, name, None, frame, problems)


def _check_expanded(name: str, expanded: int) -> None:
    if expanded > MAX_EXPANDED_BYTES:
        raise InputError(
            f"{name} would unpack to {expanded / MB:,.0f} MB, more than the {MAX_EXPANDED_BYTES // MB:,} MB "
            "a file may take; it was not read. Split it, or leave out the columns you do not need."
        )


def _decoded_bytes(column: pa.ChunkedArray) -> int:
    """Bytes a dictionary-encoded text column takes once decoded."""
    total = 0
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            lengths = pc.binary_length(chunk.dictionary)
            total += pc.sum(pc.take(lengths, chunk.indices)).as_py() or 0
    return total


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if not pa.types.is_dictionary(column.type):
        return column
    return pa.chunked_array([chunk.dictionary_decode() for chunk in column.chunks], column.type.value_type)
