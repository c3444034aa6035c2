"""The scorecard as a formatted Excel workbook.

Sheets, in order:

- **Summary**: the roll-up per component and for the customer perspective, then every KPI and
  segment in its latest period with its target and status; status cells are filled with the
  status colour and carry the status in words.
- **One sheet per component** (Satisfaction, Retention, ...): the trend data per KPI, segment
  and period with the 95 % interval, n, the target of the period, its band limits and status,
  and a line chart per KPI for all customers with its target.
- **Notes**: the notes on KPIs (what happened, what we do about it), per KPI, period and segment,
  with author and time; only when there are notes.
- **Targets**: the targets in the import layout (kpi, segment, period, target, green, amber,
  weight), so the workbook can be read back as a targets file.
- **Definitions**: formula, unit, direction and method of every KPI, and what the statuses mean.

Every text cell goes through :func:`bsc.exports.neutralise_cell`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bsc.currency import currency_words
from bsc.exports import neutralise_cell
from bsc.kpis import COMPONENT_NAMES, COMPONENTS, KPIS, KpiResult
from bsc.notes import NOTE_COLUMNS, Note, notes_frame
from bsc.targets import (
    STATUS_LABELS,
    Target,
    evaluate,
    rollup,
    targets_to_frame,
    trajectories,
)

__all__ = ["STATUS_FILLS", "build_workbook", "scorecard_xlsx", "write_scorecard"]

# Light tints of the status colours (Okabe-Ito), dark text on top stays readable when printed.
STATUS_FILLS: dict[str, str] = {
    "green": "BDE6D9",
    "amber": "F8DFA6",
    "red": "F3C5A8",
    "noise": "E2E2E2",
    "no_target": "F2F2F2",
    "no_data": "F2F2F2",
}
ALL_CUSTOMERS = "All customers"
HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT = Font(bold=True, color="FFFFFF")
THIN = Side(style="thin", color="BFBFBF")
CHART_ROWS = 16


def build_workbook(
    result: KpiResult,
    targets: Sequence[Target] = (),
    *,
    workspace: str = "",
    title: str = "Customer scorecard",
    generated_at: datetime | None = None,
    currency: str | None = None,
    notes: Sequence[Note] = (),
) -> Workbook:
    """The scorecard workbook for a computed scorecard and its targets.

    Parameters
    ----------
    result
        ``compute_kpis(...)``; its ``period`` and ``by`` decide what is shown.
    targets
        The workspace's targets (targets for another split than ``result.by`` are left out).
    workspace, title
        Shown at the top of the summary.
    generated_at
        Time stamp shown on the summary (now, UTC, by default).
    currency
        ISO 4217 code of the money values, written in their number format ("€12,346.00");
        None when unknown: "12,346.00 ¤", the summary saying what ¤ means.
    notes
        The workspace's notes on KPIs (:class:`bsc.notes.Note`), written on a Notes sheet.
    """
    statuses = evaluate(targets, result.values, by=result.by)
    paths = trajectories(targets, result.values, by=result.by)
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    _summary_sheet(summary, result, statuses, workspace, title, generated_at or datetime.now(UTC), currency)
    for component in COMPONENTS:
        kpis = [k for k in KPIS if KPIS[k].component == component and k in set(result.values["kpi"])]
        if kpis:
            _component_sheet(book.create_sheet(COMPONENT_NAMES[component]), result, kpis, paths, currency)
    if notes:
        _notes_sheet(book.create_sheet("Notes"), notes)
    _targets_sheet(book.create_sheet("Targets"), targets)
    _definitions_sheet(book.create_sheet("Definitions"), result, currency)
    return book


def scorecard_xlsx(result: KpiResult, targets: Sequence[Target] = (), **options: Any) -> bytes:
    """The workbook of :func:`build_workbook` as bytes, for a download button."""
    buffer = io.BytesIO()
    build_workbook(result, targets, **options).save(buffer)
    return buffer.getvalue()


def write_scorecard(
    path: str | Path, result: KpiResult, targets: Sequence[Target] = (), **options: Any
) -> Path:
    """Write the workbook of :func:`build_workbook` to ``path`` (through a temporary file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    build_workbook(result, targets, **options).save(partial)
    partial.replace(path)
    return path


# --------------------------------------------------------------------------------------------
# Sheets
# --------------------------------------------------------------------------------------------


def _summary_sheet(
    sheet: Worksheet,
    result: KpiResult,
    statuses: pd.DataFrame,
    workspace: str,
    title: str,
    generated_at: datetime,
    currency: str | None,
) -> None:
    sheet["A1"] = neutralise_cell(title)
    sheet["A1"].font = Font(bold=True, size=16)
    split = f"split by {result.by}" if result.by else "all customers"
    # Said once for every amount of the workbook, when it has any.
    has_money = any(KPIS[kpi].unit == "money" for kpi in set(result.values["kpi"]) if kpi in KPIS)
    money = f"money in {currency_words(currency)}" if has_money else ""
    facts = [workspace, f"per {result.period}", split, money, f"generated {generated_at:%Y-%m-%d %H:%M} UTC"]
    sheet["A2"] = neutralise_cell(" · ".join(fact for fact in facts if fact))
    sheet["A2"].font = Font(italic=True, color="595959")

    sheet["A4"] = "Roll-up"
    sheet["A4"].font = Font(bold=True, size=12)
    totals = rollup(statuses)
    roll_rows = [
        [
            row.name,
            row.score,
            row.status_label,
            row.targets,
            row.on_track,
            row.at_risk,
            row.off_track,
            row.within_noise,
        ]
        for row in totals.itertuples()
    ]
    end = _table(
        sheet,
        5,
        [
            "Component",
            "Score (0–100)",
            "Status",
            "Targets",
            "On track",
            "At risk",
            "Off track",
            "Within noise",
        ],
        roll_rows,
        status_column=3,
        statuses=list(totals["status"]),
        formats={2: "0"},
    )
    sheet.cell(
        end + 1, 1, "Scores: on track 100, at risk 50, off track 0, weighted over every target shown below."
    ).font = Font(italic=True, color="595959")

    top = end + 3
    sheet.cell(top, 1, "KPIs in their latest period").font = Font(bold=True, size=12)
    kpi_rows = []
    formats: dict[int, list[str]] = {}
    for row in statuses.itertuples():
        kpi_rows.append(
            [
                COMPONENT_NAMES[row.component],
                row.name,
                _segment_text(row.segment),
                row.period,
                row.value,
                row.target,
                row.goal,
                row.due_period,
                row.status_label,
                row.score,
                row.weight,
                row.note,
            ]
        )
        formats.setdefault(len(kpi_rows) - 1, []).append(KPIS[row.kpi].excel_format_in(currency))
    _table(
        sheet,
        top + 1,
        [
            "Component",
            "KPI",
            _segment_header(result.by),
            "Period",
            "Value",
            "Target",
            "Goal",
            "Due",
            "Status",
            "Score",
            "Weight",
            "Note",
        ],
        kpi_rows,
        status_column=9,
        statuses=list(statuses["status"]),
        row_formats={index: {5: fmt[0], 6: fmt[0], 7: fmt[0]} for index, fmt in formats.items()},
    )
    _widths(sheet, [20, 32, 22, 10, 12, 12, 12, 10, 14, 8, 8, 50])
    sheet.freeze_panes = "A6"


def _component_sheet(
    sheet: Worksheet, result: KpiResult, kpis: list[str], paths: pd.DataFrame, currency: str | None
) -> None:
    values = result.values[result.values["kpi"].isin(kpis)].copy()
    values["segment_key"] = _segment_keys(values["segment"])
    if len(paths):
        past = paths[~paths["future"].astype(bool)]
        wanted = past[["kpi", "period", "target", "green_limit", "amber_limit", "status"]].assign(
            segment_key=_segment_keys(past["segment"])
        )
        values = values.merge(wanted, on=["kpi", "segment_key", "period"], how="left")
    else:
        values = values.assign(
            target=float("nan"), green_limit=float("nan"), amber_limit=float("nan"), status=None
        )
    order = {kpi: i for i, kpi in enumerate(KPIS)}
    values["_order"] = values["kpi"].map(order)
    values["_total"] = values["segment"].notna()
    values = values.sort_values(
        ["_order", "_total", "segment_key", "period"], na_position="first", kind="stable"
    )

    rows, statuses, row_formats = [], [], {}
    blocks: list[tuple[str, int, int]] = []
    for _, block in values.groupby("_order", sort=True):
        kpi_id = block["kpi"].iloc[0]
        number_format = KPIS[kpi_id].excel_format_in(currency)
        first = len(rows)
        for row in block.itertuples():
            status = row.status if isinstance(row.status, str) else None
            rows.append(
                [
                    KPIS[kpi_id].name,
                    _segment_text(row.segment),
                    row.period,
                    row.value,
                    row.ci_low,
                    row.ci_high,
                    row.n,
                    row.target,
                    row.green_limit,
                    row.amber_limit,
                    STATUS_LABELS[status] if status else "",
                ]
            )
            statuses.append(status)
            row_formats[len(rows) - 1] = {column: number_format for column in (4, 5, 6, 8, 9, 10)}
        total_rows = int((block["segment"].isna() & (block["period"] != "all")).sum())
        if total_rows >= 2:
            blocks.append((kpi_id, first, first + total_rows - 1))
    _table(
        sheet,
        1,
        [
            "KPI",
            _segment_header(result.by),
            "Period",
            "Value",
            "95% low",
            "95% high",
            "n",
            "Target",
            "Green from",
            "Amber from",
            "Status",
        ],
        rows,
        status_column=11,
        statuses=statuses,
        row_formats=row_formats,
        formats={7: "#,##0"},
    )
    _widths(sheet, [32, 22, 10, 12, 12, 12, 9, 12, 12, 12, 14])
    sheet.freeze_panes = "A2"
    for position, (kpi_id, first, last) in enumerate(blocks):
        _trend_chart(sheet, kpi_id, first + 2, last + 2, 1 + position * CHART_ROWS, currency)


def _trend_chart(
    sheet: Worksheet, kpi_id: str, first_row: int, last_row: int, anchor_row: int, currency: str | None
) -> None:
    definition = KPIS[kpi_id]
    chart = LineChart()
    chart.title = f"{definition.name}, all customers"
    chart.y_axis.title = definition.unit_title(currency)
    chart.x_axis.title = "Period"
    chart.height, chart.width = 7.5, 16
    chart.add_data(Reference(sheet, min_col=4, min_row=first_row, max_row=last_row), titles_from_data=False)
    chart.add_data(Reference(sheet, min_col=8, min_row=first_row, max_row=last_row), titles_from_data=False)
    chart.set_categories(Reference(sheet, min_col=3, min_row=first_row, max_row=last_row))
    chart.series[1].graphicalProperties.line.dashStyle = "dash"
    chart.series[0].tx = SeriesLabel(v="Value")
    chart.series[1].tx = SeriesLabel(v="Target")
    sheet.add_chart(chart, f"M{anchor_row}")


def _targets_sheet(sheet: Worksheet, targets: Sequence[Target]) -> None:
    frame = targets_to_frame(targets)
    _table(sheet, 1, list(frame.columns), frame.to_numpy().tolist())
    _widths(sheet, [26, 24, 10, 12, 10, 10, 8])
    sheet.freeze_panes = "A2"


def _notes_sheet(sheet: Worksheet, notes: Sequence[Note]) -> None:
    frame = notes_frame(notes)[NOTE_COLUMNS[1:]]
    end = _table(sheet, 1, list(frame.columns), frame.to_numpy().tolist(), formats={6: "yyyy-mm-dd hh:mm"})
    for row in sheet.iter_rows(min_row=2, max_row=end, min_col=4, max_col=4):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    _widths(sheet, [28, 10, 22, 70, 22, 18])
    sheet.freeze_panes = "A2"


def _definitions_sheet(sheet: Worksheet, result: KpiResult, currency: str | None) -> None:
    unavailable = dict(result.unavailable)
    rows = [
        [
            definition.name,
            definition.id,
            COMPONENT_NAMES[definition.component],
            definition.formula,
            definition.unit_title(currency),
            f"{definition.direction} is better",
            definition.description,
            result.notes.get(definition.id, ""),
            unavailable.get(definition.id, "computed"),
        ]
        for definition in KPIS.values()
    ]
    end = _table(
        sheet,
        1,
        ["KPI", "Id", "Component", "Formula", "Unit", "Direction", "Description", "Method", "Available"],
        rows,
    )
    legend = [
        [
            "On track",
            "The value meets the target of the period, or misses it by no more than the green tolerance.",
        ],
        ["At risk", "Misses the target by more than the green tolerance but no more than the amber one."],
        ["Off track", "Misses the target by more than the amber tolerance."],
        ["Within noise", "A survey KPI whose 95% interval contains the target: the data cannot tell."],
        ["No target", "No target is set for this KPI and segment."],
        ["No data", "A target is set but the KPI has no value."],
    ]
    _table(
        sheet,
        end + 2,
        ["Status", "Meaning"],
        legend,
        status_column=1,
        statuses=["green", "amber", "red", "noise", "no_target", "no_data"],
    )
    _widths(sheet, [32, 24, 18, 50, 8, 16, 60, 60, 40])
    for row in sheet.iter_rows(min_row=2, max_row=end, min_col=4, max_col=8):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------


def _table(
    sheet: Worksheet,
    top: int,
    headers: list[str],
    rows: list[list[object]],
    *,
    status_column: int | None = None,
    statuses: Sequence[str | None] = (),
    formats: dict[int, str] | None = None,
    row_formats: dict[int, dict[int, str]] | None = None,
) -> int:
    """Write a header and rows from ``top``; return the last row written."""
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(top, column, neutralise_cell(header))
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for offset, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(top + offset, column, _cell_value(value))
            cell.border = Border(bottom=THIN)
            number_format = (row_formats or {}).get(offset - 1, {}).get(column) or (formats or {}).get(column)
            if number_format and isinstance(cell.value, int | float):
                cell.number_format = number_format
        if status_column is not None and offset - 1 < len(statuses) and statuses[offset - 1]:
            cell = sheet.cell(top + offset, status_column)
            cell.fill = PatternFill("solid", fgColor=STATUS_FILLS[statuses[offset - 1]])
            cell.font = Font(bold=statuses[offset - 1] in ("green", "amber", "red"))
    return top + len(rows)


def _cell_value(value: object) -> object:
    """A value openpyxl can write: NaN and NA as empty cells, numpy scalars as Python ones."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
        if isinstance(value, float) and value != value:
            return None
    return neutralise_cell(value)


def _segment_keys(segments: pd.Series) -> pd.Series:
    """Segments as plain strings, all customers as "" (missing values never match in a merge)."""
    return segments.astype(object).where(segments.notna(), "").astype(str)


def _segment_text(segment: object) -> str:
    """The segment's value, or "All customers"."""
    if segment is None or segment is pd.NA or (isinstance(segment, float) and segment != segment):
        return ALL_CUSTOMERS
    return str(segment)


def _segment_header(by: str | None) -> str:
    return f"Segment ({by})" if by else "Segment"


def _widths(sheet: Worksheet, widths: list[int]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
