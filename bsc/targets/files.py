"""Targets as rows of a file: the import/export layout, CSV and Excel.

The layout is one row per target and period, with the columns :data:`TARGET_COLUMNS`
(``kpi, segment, period, target, green, amber, weight``): the due period's row holds the goal,
earlier rows of the same KPI and segment the per-period values. Files are read through
:func:`bsc.ingest.read_tables`, with its checks of size, type and encoding; exports are
neutralised against formula injection (:mod:`bsc.exports`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from bsc.errors import InputError
from bsc.exports import safe_csv_bytes, safe_frame
from bsc.ingest import read_tables
from bsc.kpis import KPIS
from bsc.periods import Period, parse_period
from bsc.targets.cells import (
    _bands,
    _blank,
    _check_goal,
    _kpi_id,
    _number,
    _read_number_cells,
    _segment,
    _weight,
)
from bsc.targets.model import Target

__all__ = [
    "TARGET_COLUMNS",
    "read_targets_file",
    "targets_from_frame",
    "targets_to_csv",
    "targets_to_frame",
    "targets_to_xlsx",
]

TARGET_COLUMNS: tuple[str, ...] = ("kpi", "segment", "period", "target", "green", "amber", "weight")
# The number columns, read together so that a file's numbers take one parse.
_NUMBER_COLUMNS = ("target", "green", "amber", "weight")
_TEXT_EXTENSIONS = (".csv", ".txt")
_WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm")


def targets_to_frame(targets: Sequence[Target]) -> pd.DataFrame:
    """Targets in the import/export layout: ``kpi, segment, period, target, green, amber, weight``.

    One row per target and due period, preceded by one row per per-period trajectory value.
    ``segment`` is "attribute=value" (empty for all customers); relative tolerances are written
    with a trailing "%" ("10%"), absolute ones as plain numbers.
    """
    rows = []
    for target in targets:

        def tolerance(value: float, target: Target = target) -> str:
            return f"{value:g}%" if target.band_mode == "relative" else f"{value:g}"

        for label, value in (*target.trajectory, (target.due_period, target.goal)):
            rows.append(
                {
                    "kpi": target.kpi,
                    "segment": target.segment_text,
                    "period": label,
                    "target": float(value),
                    "green": tolerance(target.green),
                    "amber": tolerance(target.amber),
                    "weight": float(target.weight),
                }
            )
    return pd.DataFrame(rows, columns=list(TARGET_COLUMNS)).astype({"target": float, "weight": float})


def targets_to_csv(targets: Sequence[Target]) -> bytes:
    """The targets as CSV bytes (UTF-8 with BOM), formula injection neutralised."""
    return safe_csv_bytes(targets_to_frame(targets))


def targets_to_xlsx(targets: Sequence[Target]) -> bytes:
    """The targets as an Excel workbook with one sheet "Targets", formula injection neutralised."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe_frame(targets_to_frame(targets)).to_excel(writer, sheet_name="Targets", index=False)
    return buffer.getvalue()


def read_targets_file(name: str, data: bytes) -> pd.DataFrame:
    """The rows of a targets file (CSV, or an Excel workbook's "Targets" sheet or first sheet).

    The file is read by :func:`bsc.ingest.read_tables`. Cells are returned as read (text for
    CSV, blank cells as empty text); :func:`targets_from_frame` makes targets of them.

    Raises
    ------
    InputError
        For a file that cannot be read, and for one whose lines or cells could not all be read
        as written (a line with too many fields, a cell showing an Excel error...): a target
        left out or read as blank would change the scorecard without anyone noticing.
    """
    extension = Path(name).suffix.lower()
    if extension not in (*_TEXT_EXTENSIONS, *_WORKBOOK_EXTENSIONS):
        raise InputError(f"{name}: targets can be read from .csv or .xlsx files.")
    # A macro-enabled workbook holds its cells as a plain one does; the reader knows it as .xlsx.
    alias = str(Path(name).with_suffix(".xlsx")) if extension == ".xlsm" else name
    try:
        tables = read_tables(alias, data)
    except InputError as error:
        raise InputError(str(error).replace(alias, name)) from None
    table = next((t for t in tables if str(t.sheet).strip().lower() == "targets"), tables[0])
    lost = [problem.message for problem in table.problems if problem.severity == "warning" and problem.rows]
    if lost:
        raise InputError(f"{name} could not be read as a targets file ({' '.join(lost)}).")
    if extension in _TEXT_EXTENSIONS:
        return table.frame.astype(object).fillna("")
    return table.frame


def targets_from_frame(frame: pd.DataFrame) -> list[Target]:
    """Targets from rows ``kpi, segment, period, target`` (+ optional ``green, amber, weight``).

    Rows of one KPI and segment make one target: the latest period is the due period and its
    value the goal; earlier rows become the per-period trajectory (they must use the same kind
    of period). Column names are matched without regard to case; KPI names are accepted for
    ids. Tolerances written with "%" are relative to the target. Nothing is checked against a
    workspace here (see :meth:`TargetBook.import_targets`).

    Raises
    ------
    InputError
        Listing every bad row (up to 10) when any cell cannot be read; no targets are returned.
    """
    columns = {str(column).strip().lower(): column for column in frame.columns}
    missing = [name for name in TARGET_COLUMNS[:4] if name not in columns]
    if missing:
        raise InputError(
            "A targets file needs the columns kpi, segment, period and target "
            f"(green, amber and weight are optional); missing: {', '.join(missing)}."
        )
    known = _read_number_cells(
        cell for name in _NUMBER_COLUMNS if name in columns for cell in frame[columns[name]]
    )
    problems: list[str] = []
    groups: dict[tuple[str, str | None, str | None], list[tuple[Period, float, tuple, float, int]]] = {}
    for number, (_, row) in enumerate(frame.iterrows(), start=2):
        cells = {name: row[columns[name]] if name in columns else None for name in TARGET_COLUMNS}
        if all(_blank(cell) for cell in cells.values()):
            continue
        try:
            kpi = _kpi_id(cells["kpi"])
            segment_by, segment = _segment(cells["segment"])
            period = parse_period(cells["period"])
            value, _ = _number(cells["target"], "The target", known=known)
            _check_goal(kpi, value, "The target")
            bands = _bands(cells["green"], cells["amber"], known=known)
            weight = _weight(cells["weight"], known=known)
        except InputError as error:
            problems.append(f"row {number}: {error}")
            continue
        groups.setdefault((kpi, segment_by, segment), []).append((period, value, bands, weight, number))
    targets = []
    for (kpi, segment_by, segment), entries in groups.items():
        entries.sort(key=lambda entry: entry[0].end_month)
        units = {entry[0].unit for entry in entries}
        rows = ", ".join(str(entry[4]) for entry in entries)
        if len(units) > 1:
            problems.append(f"rows {rows}: one target mixes months, quarters or years.")
            continue
        if len({entry[0] for entry in entries}) < len(entries):
            problems.append(f"rows {rows}: the same period appears twice for {KPIS[kpi].name}.")
            continue
        due, goal, (mode, green, amber), weight, _ = entries[-1]
        targets.append(
            Target(
                kpi=kpi,
                goal=goal,
                due_period=due.label,
                segment_by=segment_by,
                segment=segment,
                trajectory=tuple((entry[0].label, entry[1]) for entry in entries[:-1]),
                band_mode=mode,  # type: ignore[arg-type]
                green=green,
                amber=amber,
                weight=weight,
            )
        )
    if problems:
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise InputError("The targets could not be read: " + "; ".join(problems[:10]) + more + ".")
    return targets
