"""The briefing pack as a landscape PDF, laid out for a projector (fpdf2).

Pages, in order: the scorecard (one row per KPI with its value, change, test verdict, target and
status); What changed and one paragraph per component (:mod:`bsc.brief.content`); the trend
charts as images, two a page; the strategy map's tested links when given; the notes; how to read
the pack. Every word is real PDF text (a screen reader and ``pdftotext`` read it), the document
has a title and a language, and every chart an alternative text.

Type is large (body 13 pt, tables 11.5 pt, titles 22 pt) so that the back of a room reads it.
DejaVu Sans is used where the system has it (any Unicode text); else the PDF's built-in
Helvetica, with text outside Latin-1 written in the nearest Latin-1 characters.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from bsc.brief.charts import chart_png, print_trend_chart
from bsc.brief.content import SECONDARY, KpiLine, component_paragraphs, kpi_lines, scorecard_rows
from bsc.currency import currency_words
from bsc.insights import Shift
from bsc.kpis import COMPONENT_NAMES, KPIS, KpiResult
from bsc.notes import Note
from bsc.targets import Target, trajectories

__all__ = ["LINK_FIELDS", "brief_pdf", "write_brief"]

# What a link's estimate is counted in, as the Estimate column says it.
_LINK_UNITS = {"points": "pts", "rho": "(rho)", "money": "(money)"}
# The fields of one tested strategy-map link, as `python -m bsc links --json` writes them.
LINK_FIELDS = ("cause", "effect", "estimate", "ci_low", "ci_high", "n", "verdict", "method")
MAX_CHARTS = 8
_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_TEXT, _MUTED, _RULE = (20, 20, 20), (90, 90, 90), (190, 190, 190)
_HEADER_FILL = (31, 58, 95)
# One line per row, so that the whole scorecard fits page 1.
_COMPONENT_SHORT = {"Loyalty and value": "Loyalty"}
# Light tints of the status colours (as in the workbook): dark text on them stays readable.
_STATUS_FILLS = {"green": (189, 230, 217), "amber": (248, 223, 166), "red": (243, 197, 168)}
_LATIN1 = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "…": "...",
        "“": '"',
        "”": '"',
        "’": "'",
        "→": "->",
        "≥": ">=",
        "≤": "<=",
        "×": "x",
        "−": "-",
    }
)


def brief_pdf(
    result: KpiResult,
    targets: Sequence[Target] = (),
    notes: Sequence[Note] = (),
    *,
    workspace: str = "",
    currency: str | None = None,
    shifts: Sequence[Shift] | None = None,
    links: Sequence[Mapping[str, Any]] | None = None,
    generated_at: datetime | None = None,
    max_charts: int = MAX_CHARTS,
) -> bytes:
    """The briefing pack of a computed scorecard, as PDF bytes.

    Parameters
    ----------
    result
        ``compute_kpis(...)`` (all customers are shown; its period unit is the pack's).
    targets, notes
        The workspace's targets and notes on KPIs.
    workspace, currency
        Named on every page; money is written in ``currency`` (ISO 4217) or "¤" when unknown.
    shifts
        What changed (:func:`bsc.insights.find_shifts`); None when it was not computed.
    links
        The strategy map's tested links (mappings with :data:`LINK_FIELDS`); its section is
        drawn only when given.
    max_charts
        At most this many trend charts: KPIs with a target, a note or a real change first.
    """
    pack = _Pack(workspace, generated_at or datetime.now(UTC))
    pack.scorecard_page(result, targets, currency)
    pack.review_page(result, targets, notes, currency, shifts)
    pack.chart_pages(result, targets, notes, currency, max_charts)
    if links is not None:
        pack.links_page(links)
    pack.notes_page(notes)
    pack.reading_page(currency)
    return bytes(pack.output())


def write_brief(path: str | Path, result: KpiResult, *args: Any, **options: Any) -> Path:
    """Write :func:`brief_pdf` to ``path`` (through a temporary file, then renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(brief_pdf(result, *args, **options))
    partial.replace(path)
    return path


class _Pack(FPDF):
    """One briefing pack being written: the page furniture and one method per section."""

    def __init__(self, workspace: str, generated_at: datetime) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.workspace, self.generated_at = workspace, generated_at
        self.set_margins(14, 14, 14)
        self.set_auto_page_break(True, margin=16)
        self.unicode = (_FONT_DIR / "DejaVuSans.ttf").exists() and (
            _FONT_DIR / "DejaVuSans-Bold.ttf"
        ).exists()
        if self.unicode:
            self.add_font("Body", "", str(_FONT_DIR / "DejaVuSans.ttf"))
            self.add_font("Body", "B", str(_FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.family = "Body" if self.unicode else "Helvetica"
        self.set_title(
            f"Customer scorecard briefing: {workspace}" if workspace else "Customer scorecard briefing"
        )
        self.set_lang("en")
        self.set_creator("Customer Scorecard")

    # -- furniture -------------------------------------------------------------------------

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 9)
        self.set_text_color(*_MUTED)
        when = self.generated_at.strftime("%Y-%m-%d %H:%M UTC")
        self.cell(
            0, 6, self.t(f"{self.workspace} · briefing pack · {when} · page {self.page_no()}"), align="R"
        )

    def t(self, text: object) -> str:
        """Text the current font can write."""
        text = str(text)
        if self.unicode:
            return text
        return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")

    def heading(self, text: str, size: int = 22) -> None:
        self.set_font(self.family, "B", size)
        self.set_text_color(*_TEXT)
        self.multi_cell(0, size * 0.5, self.t(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def paragraph(self, text: str, size: float = 13, *, bold: bool = False, colour: tuple = _TEXT) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*colour)
        self.multi_cell(0, size * 0.48, self.t(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        fills=None,
        size: float = 11.5,
    ) -> None:  # type: ignore[override]
        self.set_font(self.family, "", size)
        self.set_text_color(*_TEXT)
        heading = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=_HEADER_FILL)
        with super().table(
            col_widths=tuple(widths),
            headings_style=heading,
            line_height=size * 0.44,
            text_align="LEFT",
            borders_layout="HORIZONTAL_LINES",
            padding=0.8,
        ) as grid:
            row = grid.row()
            for header in headers:
                row.cell(self.t(header))
            for index, values in enumerate(rows):
                row = grid.row()
                for column, value in enumerate(values):
                    fill = (fills or {}).get((index, column))
                    row.cell(
                        self.t(value), style=FontFace(fill_color=fill, emphasis="BOLD") if fill else None
                    )
        self.ln(3)

    # -- sections --------------------------------------------------------------------------

    def scorecard_page(self, result: KpiResult, targets: Sequence[Target], currency: str | None) -> None:
        self.add_page()
        self.heading("Customer scorecard")
        if self.workspace:
            self.paragraph(self.workspace, 14, bold=True)
        rows = scorecard_rows(result, targets, currency)
        unit = {"month": "monthly", "quarter": "quarterly", "year": "yearly"}.get(
            result.period, result.period
        )
        self.paragraph(
            f"All customers, {unit}; change against the whole period before, called real only when "
            f"its test says so at 5%. Money {currency_words(currency)}.",
            11.5,
            colour=_MUTED,
        )
        fills = {
            (i, 7): _STATUS_FILLS[row.status_key]
            for i, row in enumerate(rows)
            if row.status_key in _STATUS_FILLS
        }
        self.table(
            ["Component", "KPI", "Period", "Value", "Change", "Test", "Target", "Status"],
            [
                [
                    _COMPONENT_SHORT.get(r.component, r.component),
                    r.short_name,
                    r.period,
                    r.value,
                    r.change,
                    r.test,
                    r.target,
                    r.status,
                ]
                for r in rows
            ],
            [36, 50, 20, 30, 26, 32, 46, 29],
            fills=fills,
            size=10,
        )

    def review_page(
        self,
        result: KpiResult,
        targets: Sequence[Target],
        notes: Sequence[Note],
        currency: str | None,
        shifts: Sequence[Shift] | None,
    ) -> None:
        self.add_page()
        self.heading("What changed")
        if shifts is None:
            self.paragraph("What changed was not computed for this pack.", colour=_MUTED)
        elif not shifts:
            self.paragraph("No KPI shifted by more than noise in any segment.")
        else:
            first = shifts[0]
            self.paragraph(
                f"Last {first.after_periods} against {first.before_periods}; only shifts that passed their "
                "test after a 5% false-discovery-rate correction over every segment and KPI, largest first.",
                11.5,
                colour=_MUTED,
            )
            for shift in shifts[:8]:
                verdict = "better" if shift.better else "worse"
                self.paragraph(f"•  {shift.headline_in(currency)} ({verdict})")
        self.ln(2)
        self.heading("What the tests say, by component", 18)
        for component, text in component_paragraphs(result, targets, notes, currency).items():
            self.paragraph(COMPONENT_NAMES[component], 14, bold=True)
            self.paragraph(text, 12.5)

    def chart_pages(
        self,
        result: KpiResult,
        targets: Sequence[Target],
        notes: Sequence[Note],
        currency: str | None,
        max_charts: int,
    ) -> None:
        numbers = _note_numbers(notes)
        paths = trajectories(targets, result.values, by=result.by)
        lines = {line.kpi: line for line in kpi_lines(result, currency)}
        charts = []
        for kpi in _chart_kpis(result, targets, notes, max_charts):
            rows = result.values[result.values["kpi"] == kpi]
            path = paths[(paths["kpi"] == kpi) & paths["segment"].isna()] if len(paths) else None
            noted = [(n.period, numbers[n.id]) for n in notes if n.kpi == kpi and n.segment_by is None]
            chart = print_trend_chart(KPIS[kpi], rows, path, noted, currency=currency)
            if chart is not None:
                charts.append((kpi, chart_png(chart), path is not None and len(path) > 0, noted))
        for start in range(0, len(charts), 2):
            self.add_page()
            self.heading("Trends" if start == 0 else "Trends (continued)")
            top = self.get_y()
            for offset, (kpi, png, has_target, noted) in enumerate(charts[start : start + 2]):
                x = self.l_margin + offset * 136
                alt_text = _alt_text(kpi, lines.get(kpi), has_target, noted)
                height = 132 * _aspect(png)
                self.image(io.BytesIO(png), x=x, y=top, w=132, alt_text=self.t(alt_text))
                self.set_xy(x, top + height + 3)
                self.set_font(self.family, "", 11.5)
                self.set_text_color(*_MUTED)
                self.multi_cell(132, 5.4, self.t(alt_text), align="L")

    def links_page(self, links: Sequence[Mapping[str, Any]]) -> None:
        """One row per tested link, its estimate with its unit (points of churn, a rank correlation,
        money in the data's currency)."""
        self.add_page()
        self.heading("Strategy map: the links tested on the data")
        if not links:
            self.paragraph("No links were tested.")
            return
        rows = []
        for link in links:
            cause, effect = (KPIS[k].name if k in KPIS else str(k) for k in (link["cause"], link["effect"]))
            rows.append(
                [
                    f"{cause} → {effect}",
                    f"{_number(link.get('estimate'))} {_LINK_UNITS.get(str(link.get('unit')), '')}".strip(),
                    f"{_number(link.get('ci_low'))} to {_number(link.get('ci_high'))}",
                    _number(link.get("n"), 0),
                    str(link.get("verdict", "")),
                    str(link.get("method", "")),
                ]
            )
        self.table(
            ["Link", "Estimate", "95% interval", "n", "Verdict", "Method"], rows, [70, 26, 40, 20, 46, 67]
        )

    def notes_page(self, notes: Sequence[Note]) -> None:
        self.add_page()
        self.heading("Notes")
        if not notes:
            self.paragraph(
                "No notes on KPIs yet. Editors write them on the Scorecard, per KPI and period.",
                colour=_MUTED,
            )
            return
        rows = [
            [
                str(number),
                KPIS[note.kpi].name if note.kpi in KPIS else note.kpi,
                note.period,
                f"{note.segment_by}: {note.segment}" if note.segment_by else "All customers",
                note.text,
                f"{note.updated_by}, {note.updated_at:%Y-%m-%d}" if note.updated_at else note.updated_by,
            ]
            for number, note in enumerate(_ordered(notes), start=1)
        ]
        self.table(["#", "KPI", "Period", "Segment", "Note", "By"], rows, [10, 44, 22, 34, 124, 35], size=11)

    def reading_page(self, currency: str | None) -> None:
        self.set_font(self.family, "", 11)
        if self.get_y() > self.h - 70:
            self.add_page()
        self.heading("How to read this pack", 16)
        for line in (
            "Value: the KPI for all customers in its latest whole period (a period the data cover only "
            "in part is left out). Change: against the whole period before.",
            "Test: 'real change' when the KPI's two-sample test rejects 'no change' at 5% (about one "
            "unchanged KPI in twenty is flagged by chance); 'within noise' when it does not; 'no test' "
            "for KPIs with no honest test from per-period sums (revenue, averages, CLV, medians).",
            "Status: On track, At risk or Off track against the target's value for that period "
            "(green and amber bands); 'No target' where none is set.",
            f"Money is {currency_words(currency)}. Charts: the line is all customers, the shaded band its "
            "95% interval, the dashed line the target, a dotted rule a period with a note (numbered as in Notes).",
        ):
            self.paragraph(line, 11.5, colour=_MUTED)


def _ordered(notes: Sequence[Note]) -> list[Note]:
    order = {kpi: i for i, kpi in enumerate(KPIS)}
    return sorted(
        notes, key=lambda n: (order.get(n.kpi, 99), n.period, -(n.created_at or datetime.min).timestamp())
    )


def _note_numbers(notes: Sequence[Note]) -> dict[str, int]:
    """Notes numbered 1, 2, … in the order of the Notes section (KPI, then period)."""
    return {note.id: number for number, note in enumerate(_ordered(notes), start=1)}


def _chart_kpis(result: KpiResult, targets: Sequence[Target], notes: Sequence[Note], limit: int) -> list[str]:
    """The KPIs worth a chart, in registry order: with a target, a note or a real change first,
    then the first KPI of each component, up to ``limit``."""
    dated = {line.kpi: line for line in kpi_lines(result)}
    wanted = {t.kpi for t in targets if t.segment_by is None} | {n.kpi for n in notes if n.segment_by is None}
    wanted |= {kpi for kpi, line in dated.items() if line.real}
    first = []
    for kpi in dated:
        component = KPIS[kpi].component
        if all(KPIS[k].component != component for k in first):
            first.append(kpi)
    chosen = [k for k in KPIS if k in dated and k in wanted and k not in SECONDARY]
    chosen += [k for k in first if k not in chosen]
    order = {kpi: i for i, kpi in enumerate(KPIS)}
    return sorted(chosen[:limit], key=order.__getitem__)


def _alt_text(kpi: str, line: KpiLine | None, has_target: bool, noted: Sequence[tuple[str, int]]) -> str:
    """What the chart shows, in words: under the image and as its alternative text."""
    text = f"Chart: {KPIS[kpi].name} per period for all customers"
    text += ", with its target (dashed)" if has_target else ""
    text += f", notes {', '.join(str(n) for _, n in noted)} marked" if noted else ""
    return text + (f". {line.sentence}" if line else ".")


def _aspect(png: bytes) -> float:
    """Height over width of a PNG, from its header (bytes 16–24: width and height)."""
    return int.from_bytes(png[20:24], "big") / int.from_bytes(png[16:20], "big")


def _number(value: object, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    try:
        return f"{float(value):,.{digits}f}"
    except (TypeError, ValueError):
        return str(value)
