"""The demo company written to files: one CSV or Parquet file per table, and an Excel workbook.

:func:`write_company` generates the company and writes it; dates become ISO text in CSV and
real Excel dates (shown in the same ISO formats) in the workbook.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from bsc.demo.company import generate_company
from bsc.demo.timeline import DEMO_END
from bsc.errors import InputError

__all__ = ["FORMATS", "XLSX_MAX_ROWS", "XLSX_NAME", "write_company"]

log = logging.getLogger(__name__)

# openpyxl writes roughly 50k rows a second and Excel slows down well before its 1,048,576-row
# limit, so the workbook is only written when every table stays under this many rows.
XLSX_MAX_ROWS = 300_000
XLSX_NAME = "demo_company.xlsx"
FORMATS = ("csv", "parquet")

_DATE_COLUMNS = {
    "customers": ("signup_date", "churn_date"),
    "orders": ("order_date",),
    "surveys": ("response_date",),
    "tickets": (),
    "marketing": ("month",),
}
_DATETIME_COLUMNS = {"tickets": ("opened_at", "first_response_at", "resolved_at")}


def write_company(
    out_dir: str | Path,
    customers: int = 3000,
    months: int = 30,
    seed: int = 7,
    *,
    end: date = DEMO_END,
    xlsx: bool = True,
    xlsx_path: str | Path | None = None,
    formats: Sequence[str] = ("csv",),
) -> list[Path]:
    """Generate the demo company and write its tables to ``out_dir``.

    Writes one file per table and format (``customers.csv``, ``orders.csv``, ...; with
    ``"parquet"`` in ``formats`` also ``customers.parquet``, ...). In CSV files dates are ISO
    text (``YYYY-MM-DD``), ticket times ``YYYY-MM-DD HH:MM``, missing values blank.

    When ``xlsx`` is true, also writes one workbook with a sheet per table (to ``xlsx_path``,
    by default ``out_dir/demo_company.xlsx``), with real Excel dates shown in the same ISO
    formats. The workbook is skipped, with a warning in the log, when a table has
    ``XLSX_MAX_ROWS`` rows or more: such a workbook would take minutes to write and be slow to
    open, and the CSV files hold the same data.

    Parameters
    ----------
    out_dir : str or Path
        Folder for the table files; created when missing.
    customers, months, seed, end
        As for :func:`generate_company`.
    xlsx : bool
        Also write the workbook (when it fits).
    xlsx_path : str or Path, optional
        Where to write the workbook instead of ``out_dir/demo_company.xlsx``.
    formats : sequence of str
        Table file formats, among ``"csv"`` and ``"parquet"`` (a single name is accepted too).

    Returns
    -------
    list[Path]
        The files written, tables in ``TABLE_NAMES`` order, the workbook last if written.

    Raises
    ------
    InputError
        When a parameter is outside its range or a format is unknown.
    """
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise InputError(
            f"Unknown output format {', '.join(map(repr, unknown))}: choose from {', '.join(FORMATS)}."
            if unknown
            else f"Choose at least one output format: {', '.join(FORMATS)}."
        )
    tables = generate_company(customers=customers, months=months, seed=seed, end=end)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, table in tables.items():
        if "csv" in formats:
            path = out_dir / f"{name}.csv"
            _as_iso_text(name, table).to_csv(path, index=False)
            written.append(path)
        if "parquet" in formats:
            path = out_dir / f"{name}.parquet"
            table.to_parquet(path, index=False)
            written.append(path)
    if xlsx:
        largest = max(tables, key=lambda name: len(tables[name]))
        if len(tables[largest]) >= XLSX_MAX_ROWS:
            log.warning(
                "Skipped the Excel workbook: the %s table has %s rows, more than the %s that fit "
                "a sheet comfortably. Use the CSV files instead.",
                largest,
                f"{len(tables[largest]):,}",
                f"{XLSX_MAX_ROWS:,}",
            )
        else:
            path = Path(xlsx_path) if xlsx_path is not None else out_dir / XLSX_NAME
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_workbook(tables, path)
            written.append(path)
    return written


def _as_iso_text(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """The table with its dates as ISO text ("2026-10-31", "2026-10-31 14:05"), missing blank."""
    text = table.copy()
    for column, unit in [(c, "D") for c in _DATE_COLUMNS.get(name, ())] + [
        (c, "m") for c in _DATETIME_COLUMNS.get(name, ())
    ]:
        values = table[column].to_numpy("datetime64[us]")
        iso = np.datetime_as_string(values, unit=unit)
        if unit == "m":
            iso = np.strings.replace(iso, "T", " ")
        text[column] = pd.Series(np.where(np.isnat(values), "", iso), index=table.index, dtype="str")
    return text


def _write_workbook(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table; dates as Excel dates shown as YYYY-MM-DD (times as YYYY-MM-DD HH:MM).

    Written with openpyxl directly, in its streaming mode, because the pandas Excel writer
    ignores ``datetime_format`` with openpyxl.
    """
    book = Workbook(write_only=True)
    for name, table in tables.items():
        sheet = book.create_sheet(name)
        sheet.append(list(table.columns))
        columns = []
        for column in table.columns:
            values = table[column]
            missing = values.isna().to_numpy()
            if column in _DATE_COLUMNS.get(name, ()):
                cells = [_excel_date(sheet, value, "yyyy-mm-dd") for value in values.dt.date]
            elif column in _DATETIME_COLUMNS.get(name, ()):
                cells = [_excel_date(sheet, value, "yyyy-mm-dd hh:mm") for value in values.dt.to_pydatetime()]
            else:
                cells = values.astype(object).tolist()
            columns.append([None if gap else cell for cell, gap in zip(cells, missing, strict=True)])
        for row in zip(*columns, strict=True):
            sheet.append(row)
    book.save(path)


def _excel_date(sheet: object, value: date | None, number_format: str) -> WriteOnlyCell | None:
    if value is None or pd.isna(value):
        return None
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell
