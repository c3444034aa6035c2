"""Targets as rows of a file: the import/export layout, CSV and Excel.

The layout is one row per target and period, with the columns :data:`TARGET_COLUMNS`
(``kpi, segment, period, target, green, amber, weight``): the due period's row holds the goal,
earlier rows of the same KPI and segment the per-period values. Exports are neutralised
against formula injection (:mod:`bsc.exports`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd

from bsc.errors import InputError
from bsc.exports import safe_csv_bytes, safe_frame
from bsc.kpis import KPIS
from bsc.periods import Period, parse_period
from bsc.targets.cells import (
    _bands,
    _blank,
    _check_goal,
    _kpi_id,
    _number,
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

    Cells are returned as read (text for CSV); :func:`targets_from_frame` makes targets of them.

    Raises
    ------
    InputError
        For a file that cannot be read.
    """
    lowered = name.lower()
    try:
        if lowered.endswith((".xlsx", ".xlsm")):
            with pd.ExcelFile(io.BytesIO(data), engine="openpyxl") as workbook:
                names = workbook.sheet_names
            sheet = next((s for s in names if str(s).strip().lower() == "targets"), names[0])
            return pd.read_excel(io.BytesIO(data), sheet_name=sheet, dtype=object, engine="openpyxl")
        if lowered.endswith((".csv", ".txt")):
            text = data.decode("utf-8-sig")
            first = text.splitlines()[0] if text else ""
            separator = ";" if first.count(";") > first.count(",") else ","
            return pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False)
    except UnicodeDecodeError:
        raise InputError(f"{name} is not UTF-8 text; save it as CSV UTF-8 and try again.") from None
    except (ValueError, KeyError, OSError) as error:
        raise InputError(f"{name} could not be read as a targets file ({error}).") from None
    raise InputError(f"{name}: targets can be read from .csv or .xlsx files.")


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
            value, _ = _number(cells["target"], "The target")
            _check_goal(kpi, value, "The target")
            bands = _bands(cells["green"], cells["amber"])
            weight = _weight(cells["weight"])
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
