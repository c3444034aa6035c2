"""What is checked before a file is parsed whole, so that memory stays bounded.

- its extension and size (:func:`_check_extension`, :func:`_check_size`);
- what it really is, from its first bytes (:func:`_identify`), with the message that says so
  when it is not what its extension claims;
- how far it would unpack: a workbook's zip directory (:func:`_check_workbook_parts`) and a
  Parquet file's metadata (:func:`_check_expanded`), against :data:`MAX_EXPANDED_BYTES`;
- its shape: columns and cells (:func:`_check_shape`) and the length of its lines
  (:func:`_count_lines`);
- the cells a workbook's sheets hold, counted on their XML as it is inflated a block at a time
  (:func:`_check_workbook_cells`), before any cell is parsed.

Every bound of the product lives here as a constant: what a file may be, what reading it may
cost (cells read at once, cells parsed from a workbook), how many bytes of read uploads the app
keeps in memory (:data:`MAX_KEPT_UPLOAD_BYTES`), and the one bound checked later, once cells are
read: the range of dates taken as real (:class:`DateBounds`, applied by :mod:`bsc.prepare`). A
deployment or a test changes a bound here (tests patch the module attribute). The names starting
with ``_`` are shared inside :mod:`bsc.ingest` only.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bsc.errors import InputError
from bsc.ingest.tables import _count

__all__ = [
    "EARLIEST_DATE",
    "FUTURE_DATE_MARGIN_DAYS",
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_EXPANDED_BYTES",
    "MAX_KEPT_UPLOAD_BYTES",
    "MAX_LINE_BYTES",
    "MAX_ROWS",
    "MAX_UPLOAD_BYTES",
    "MAX_WORKBOOK_CELLS",
    "MAX_WORKBOOK_PARTS",
    "MB",
    "SUPPORTED_EXTENSIONS",
    "TEXT_EXTENSIONS",
    "DateBounds",
]

MB = 1024 * 1024
MAX_UPLOAD_BYTES = 200 * MB
# How far a file may unpack: a workbook's parts together, a Parquet file's column data.
MAX_EXPANDED_BYTES = 512 * MB
MAX_COLUMNS = 1_000
# Rows and cells (rows x columns read) of one file read at once. What reading a table costs from
# the file to the KPIs was measured with `python -m bsc kpis` in a fresh process (bench/README.md):
# a row costs most when its cells are distinct text (ids), so both are bounded. At the bounds the
# worst tables stay under 1 GB: 8 million distinct text cells (1.6 million rows of 5 columns)
# 790 MB, 4 million distinct ids in one column 805 MB; the 100k-customer company's order lines
# (1 million rows of 5 columns) 612 MB. The 30 million cells once allowed took 1.8 GB for
# 10 million distinct ids.
MAX_ROWS = 4_000_000
MAX_CELLS = 8_000_000
# Cells parsed from a workbook, empty ones included: a workbook is parsed cell by cell in Python,
# about 30,000 cells a second here, against millions for a CSV file. Checked on the sheets' XML
# before any cell is parsed, and again while the cells are streamed.
MAX_WORKBOOK_CELLS = 1_000_000
MAX_LINE_BYTES = 1 * MB
MAX_WORKBOOK_PARTS = 10_000
# Bytes of read uploads (their frames and checked tables) the app keeps in memory for all
# sessions together, so that reading a file again on every rerun costs nothing.
MAX_KEPT_UPLOAD_BYTES = 256 * MB
TEXT_EXTENSIONS = (".csv", ".tsv", ".txt")
SUPPORTED_EXTENSIONS = (*TEXT_EXTENSIONS, ".xlsx", ".parquet")
_BLOCK = 16 * MB  # bytes scanned at a time when counting lines
# Dates taken as real: from EARLIEST_DATE to today plus FUTURE_DATE_MARGIN_DAYS. Outside, a date is
# a placeholder (9999-12-31, 1900-01-00) or a typo (2204 for 2024): left empty and reported, so
# that one such cell cannot stretch a period grid over thousands of years.
EARLIEST_DATE = "1900-01-01"
FUTURE_DATE_MARGIN_DAYS = 366


@dataclass(frozen=True)
class DateBounds:
    """The dates taken as real: from ``earliest`` to ``today + margin_days``, both included.

    ``today`` None means the day the check runs. The defaults are :data:`EARLIEST_DATE` and
    :data:`FUTURE_DATE_MARGIN_DAYS`; a test or a deployment passes its own.
    """

    earliest: str = EARLIEST_DATE
    margin_days: int = FUTURE_DATE_MARGIN_DAYS
    today: str | None = None

    @property
    def first(self) -> pd.Timestamp:
        return pd.Timestamp(self.earliest)

    @property
    def last(self) -> pd.Timestamp:
        """The last real moment: the end of the day ``today + margin_days``."""
        today = pd.Timestamp(self.today) if self.today is not None else pd.Timestamp.now()
        return today.normalize() + pd.Timedelta(days=self.margin_days + 1) - pd.Timedelta(microseconds=1)

    def outside(self, dates: pd.Series) -> pd.Series:
        """True where a date is filled and outside the bounds."""
        return dates.notna() & ((dates < self.first) | (dates > self.last))

    def describe(self) -> str:
        """The bounds as people read them: ``1900-01-01 to 2027-05-02``."""
        return f"{self.first:%Y-%m-%d} to {self.last:%Y-%m-%d}"


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


def _check_shape(name: str, rows: int, columns: int) -> None:
    """Refuse a table wider than :data:`MAX_COLUMNS`, longer than :data:`MAX_ROWS` or of more than
    :data:`MAX_CELLS` cells, on
    its shape alone (counted lines, or a Parquet file's metadata), before its cells are parsed."""
    if columns > MAX_COLUMNS:
        raise InputError(
            f"{name} has {columns:,} columns; at most {MAX_COLUMNS:,} can be read. "
            "Keep the columns you need and upload it again."
        )
    if rows > MAX_ROWS:
        raise InputError(
            f"{name} has about {_count(rows, 'row')}, more than the {MAX_ROWS // 1_000_000:,} million "
            "rows that can be read at once. Split it into smaller files, or keep the rows you need."
        )
    if rows * columns > MAX_CELLS:
        raise InputError(
            f"{name} has about {_count(rows, 'row')} of {_count(columns, 'column')}, more than the "
            f"{MAX_CELLS // 1_000_000:,} million cells that can be read at once. "
            "Split it, or leave out the columns you do not need."
        )


def _too_many_workbook_cells(name: str, cells: str) -> InputError:
    return InputError(
        f"{name} holds {cells} cells, more than the {MAX_WORKBOOK_CELLS:,} that can be read from a "
        "workbook (a workbook is read cell by cell, far more slowly than a CSV file). Save the sheets "
        "you need as CSV files and upload those, or delete the rows and columns you do not need."
    )


def _check_workbook_cells(name: str, data: bytes) -> None:
    """Refuse a workbook whose sheets hold more than :data:`MAX_WORKBOOK_CELLS` cells, counted on
    their XML (``<c>`` elements, empty ones included: each costs its parsing) while it is inflated
    a block at a time, so that this costs a block of memory and about a second per 150 MB of XML.

    Cells in a namespace prefix (``<x:c>``) are not counted here; the budget checked while the
    cells are streamed (:mod:`bsc.ingest.excel`) stops those.
    """
    cells = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for part in archive.infolist():
                if not (part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml")):
                    continue
                with archive.open(part) as stream:
                    tail = b""
                    while block := stream.read(_BLOCK // 4):
                        # The last two bytes go with the next block, so that a tag cut between
                        # blocks is counted there (a tag is three bytes: never counted twice).
                        text = tail + block
                        cells += _cell_tags(text)
                        tail = text[-2:]
                if cells > MAX_WORKBOOK_CELLS:
                    raise _too_many_workbook_cells(name, f"about {cells:,}")
    except InputError:
        raise
    except Exception:  # damaged parts: the workbook reader says so, with its own message
        return


def _cell_tags(text: bytes) -> int:
    return text.count(b"<c ") + text.count(b"<c>") + text.count(b"<c/")


def _count_lines(name: str, data: bytes) -> int:
    """The number of lines, after checking that none is longer than :data:`MAX_LINE_BYTES`.

    A line ends at ``\\n``, ``\\r\\n`` or a lone ``\\r`` (old Macs), as the readers split them; a
    file of lone ``\\r`` line ends that holds one ``\\n`` (in a quoted cell, or added at its end)
    must not read as one long line. Done on the bytes in blocks, so it costs no more memory than
    a block whatever the file holds.
    """
    view = np.frombuffer(data, dtype=np.uint8)
    # Most files have no lone \r (every \r starts a \r\n): their lines end at the \n alone.
    # (``in`` stops at the first \r, while a count reads the whole file: look only where one is.)
    lone_cr = b"\r" in data and data.count(b"\r") != data.count(b"\r\n")
    previous, lines = -1, 0
    for start in range(0, len(view), _BLOCK):
        stop = min(start + _BLOCK, len(view))
        block = view[start:stop]
        if lone_cr:
            # A \r followed by \n ends its line at the \n; the byte after the block settles the last one.
            followed_by_lf = np.zeros(len(block), dtype=bool)
            after = view[start + 1 : stop + 1] == 10
            followed_by_lf[: len(after)] = after
            breaks = np.flatnonzero((block == 10) | ((block == 13) & ~followed_by_lf)) + start
        else:
            breaks = np.flatnonzero(block == 10) + start
        if breaks.size:
            lengths = np.diff(breaks, prepend=previous) - 1
            worst = int(lengths.argmax())
            if lengths[worst] > MAX_LINE_BYTES:
                raise _line_too_long(name, lines + worst + 1)
            previous = int(breaks[-1])
            lines += int(breaks.size)
        if stop - previous - 1 > MAX_LINE_BYTES:
            raise _line_too_long(name, lines + 1)
    return lines + (1 if len(view) - previous - 1 > 0 else 0)


def _line_too_long(name: str, line: int) -> InputError:
    return InputError(
        f"Line {line:,} of {name} is longer than {MAX_LINE_BYTES // MB} MB; the lines of a table are "
        "shorter. The file may have lost its line breaks, or it may not be a table."
    )


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


def _check_expanded(name: str, expanded: int) -> None:
    if expanded > MAX_EXPANDED_BYTES:
        raise InputError(
            f"{name} would unpack to {expanded / MB:,.0f} MB, more than the {MAX_EXPANDED_BYTES // MB:,} MB "
            "a file may take; it was not read. Split it, or leave out the columns you do not need."
        )
