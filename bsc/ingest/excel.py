"""Reading Excel workbooks (.xlsx): one raw table per non-empty sheet.

Workbooks are read for the values Excel saved: formulas are not evaluated, and a sheet whose
formulas were never calculated is reported (:func:`_formula_problems`). Before the workbook is
opened its zip directory and the cells its sheets hold are checked (see :mod:`bsc.ingest.checks`);
while it is streamed (openpyxl's read-only mode), one :class:`_CellBudget` bounds the cells parsed
from all its sheets together, empty ones included. Columns keep their own types
where they hold one type, text where they mix types; cells showing an Excel error (``#DIV/0!``)
are read as empty and reported. A sheet that cannot be read is skipped with a warning, so it
does not cost the others.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bsc.errors import InputError
from bsc.ingest.checks import (
    MAX_COLUMNS,
    MAX_WORKBOOK_CELLS,
    MB,
    _check_workbook_cells,
    _check_workbook_parts,
    _too_many_workbook_cells,
)
from bsc.ingest.tables import RawTable, _count, _frame_with_header, _settle_column_type, _were
from bsc.mapping import Problem

__all__ = ["EXCEL_ERRORS"]


# What Excel shows in a cell whose formula failed; read as empty (and reported) in workbooks.
EXCEL_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!",
     "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#GETTING_DATA"}
)  # fmt: skip


# A formula cell without a saved value: "<f>A2*2</f></c>" or "<f .../><v/></c>".
_UNCALCULATED = re.compile(
    rb"(?:</(?:\w+:)?f>|<(?:\w+:)?f\b[^>]*/>)\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)


# Rows at the top of a sheet looked at for title lines above the header.
_TITLE_ROWS_LOOKED_AT = 10


class _TooManyCells(InputError):
    """The workbook holds more cells than can be read at once: refused as a whole."""


@dataclass
class _CellBudget:
    """Cells still to be parsed from a workbook, across all its sheets (:data:`MAX_WORKBOOK_CELLS`)."""

    name: str
    left: int = MAX_WORKBOOK_CELLS

    def take(self, cells: int) -> None:
        self.left -= cells
        if self.left < 0:
            raise _TooManyCells(str(_too_many_workbook_cells(self.name, "more")))


def _read_workbook(name: str, data: bytes) -> list[RawTable]:
    _check_workbook_parts(name, data)
    _check_workbook_cells(name, data)
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


def _read_sheet(name: str, sheet, budget: _CellBudget) -> tuple[pd.DataFrame | None, list[Problem]]:
    # The size a sheet declares may be wrong (A1:XFD1048576 for a small table would pad every
    # row to 16,384 cells), so rows are taken as they are stored.
    sheet.reset_dimensions()
    rows: list[list] = []
    numbers: list[int] = []  # each kept row's number in the sheet
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        # Every cell parsed costs, empty or not: charged before anything else is done with it.
        budget.take(len(row))
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
        rows.append(list(row[:end]))
        if len(numbers) < _TITLE_ROWS_LOOKED_AT:
            numbers.append(number)
    if not rows:
        return None, []
    width = max(len(row) for row in rows)
    rows = [row + [None] * (width - len(row)) for row in rows]
    start = _title_lines(rows)
    problems = [_title_problem(sheet.title, rows, numbers, start)] if start else []
    cells = pd.DataFrame(rows[start:], dtype=object)
    del rows
    cells = cells.map(lambda cell: None if isinstance(cell, str) and not cell.strip() else cell)
    frame, header_problems = _frame_with_header(f"{name} / sheet {sheet.title!r}", cells)
    frame = frame.dropna(how="all").reset_index(drop=True)
    frame, error_problems = _blank_excel_errors(frame)
    frame = frame.apply(_settle_column_type)
    return frame, problems + header_problems + error_problems


def _title_lines(rows: list[list]) -> int:
    """How many rows above the header are titles: a row is a title while it fills one cell, or at
    most half as many cells as the widest of the rows below it (a report title with its date,
    merged over the columns), and the rows below fill several."""
    widths = [sum(_filled(cell) for cell in row) for row in rows[:_TITLE_ROWS_LOOKED_AT]]
    start = 0
    while start < len(widths) - 1:
        below = max(widths[start + 1 :])
        if below <= 1 or (widths[start] > 1 and 2 * widths[start] > below):
            break
        start += 1
    return start


def _title_problem(sheet_title: str, rows: list[list], numbers: list[int], start: int) -> Problem:
    """Where the column names were read from, and the titles left out above them: a reader must
    be able to tell when the header was guessed wrong, and how to fix it."""
    title = " ".join(str(cell).strip() for cell in rows[0] if _filled(cell))
    shown = title if len(title) <= 60 else title[:59] + "…"
    return Problem(
        "info",
        f"Sheet {sheet_title!r}: {_count(start, 'title line')} above the column names {_were(start)} left out "
        f"(row {numbers[0]}: {shown!r}); the column names were read from row {numbers[start]}. If they are "
        "not the column names, delete the lines above them in Excel and upload the file again.",
        examples=tuple(f"row {numbers[i]}" for i in range(start)),
    )


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
