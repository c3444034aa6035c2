"""Notes on the Scorecard: a line under each tile, the notes panel of a KPI, the briefing download.

Under a tile: the latest note on the shown period ("Price rise hit promoters… — Ana", after a note icon), or,
when the KPI is off track against its target and has no note, a request for one. The panel
(an expander under the trend chart) lists the chosen KPI's notes for the shown segment and lets
an editor add one or change one; a viewer or a read-only workspace reads them only. An edit
names the version it was made on: when someone saved meanwhile it is refused with the text they
saved, and the text typed stays in the box.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from bsc.errors import InputError
from bsc.kpis import KpiDef, KpiResult
from bsc.notes import NOTE_LIMIT, Note, NoteBook, first_words, notes_frame
from bsc.store import ConflictError
from ui.author import author_name
from ui.charts import note_marks
from ui.context import PageContext
from ui.text import literal

NEW_NOTE = ""
# The version each note was at when this session opened it for editing: a save names it.
_OPENED = "notes_opened_versions"


def workspace_notes(ctx: PageContext) -> list[Note]:
    """Every note of the workspace, all segments, newest first (a small table, read each run)."""
    return NoteBook(ctx.store, ctx.workspace.id).notes(any_segment=True)


def shown_notes(notes: Sequence[Note], by: str | None, segment: str | None) -> list[Note]:
    """The notes for the customers shown: all customers, or the chosen segment of the split."""
    if segment is None:
        return [n for n in notes if n.segment_by is None]
    return [n for n in notes if n.segment_by == by and n.segment == segment]


def chart_notes(notes: Sequence[Note], kpi: str, by: str | None) -> pd.DataFrame:
    """The trend chart's note marks for ``kpi``: all customers' and the split's segments'."""
    own = [n for n in notes if n.kpi == kpi and (n.segment_by is None or n.segment_by == by)]
    return note_marks(notes_frame(own))


def tile_note(kpi: str, rows: pd.DataFrame, status: object, notes: Sequence[Note]) -> None:
    """One caption under a tile: the latest note on its period, or a request for one when the
    KPI is off track. ``rows`` are the tile's rows, ``notes`` those of the shown customers."""
    # The last row with a value, found without filtering the rows into a new frame.
    known = np.flatnonzero(rows["value"].notna().to_numpy())
    if not len(known):
        return
    period = str(rows["period"].iloc[known[-1]])
    latest = next((n for n in notes if n.kpi == kpi and n.period == period), None)
    if latest is not None:
        st.caption(
            f":material/edit_note: {literal(first_words(latest.text, 7))} — {literal(latest.updated_by)}",
            help=f"Note on {period} by {latest.updated_by}: {latest.text}",
        )
    elif getattr(status, "status", None) == "red":
        st.caption(
            f":red[:material/edit_note: Off track in {period}: add a note] (Notes, under Trends)",
            help="A KPI off track against its target asks for a note: what happened, what we do about it.",
        )


def notes_panel(
    ctx: PageContext,
    definition: KpiDef,
    periods: Sequence[str],
    notes: Sequence[Note],
    *,
    segment_by: str | None,
    segment: str | None,
) -> None:
    """The expander of the chosen KPI's notes for the shown customers, with the editor."""
    own = [n for n in notes if n.kpi == definition.id]
    who = "all customers" if segment is None else f"{segment_by} {segment}"
    with st.expander(f"Notes on {definition.name} · {who} ({len(own)})", icon=":material/edit_note:"):
        for note in own:
            when = note.updated_at.strftime("%Y-%m-%d %H:%M UTC") if note.updated_at else ""
            st.markdown(
                f"**{literal(note.period)}** · {literal(note.updated_by)} · {when}  \n{literal(note.text)}"
            )
        if not own:
            st.caption("No notes yet on this KPI for these customers.")
        if ctx.read_only:
            st.caption(
                "You can read the notes here; writing them needs an editor of a workspace that is not read-only."
            )
            return
        if not periods:
            return
        _editor(ctx, definition, list(reversed(periods)), own, segment_by, segment)


def brief_download(make_pdf: Callable[[], bytes], workspace: str) -> None:
    """The briefing pack's download button; the PDF is made when it is clicked."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    name = "".join(c if c.isalnum() else "-" for c in workspace).strip("-") or "scorecard"
    st.download_button(
        "Briefing pack (PDF)",
        data=make_pdf,
        file_name=f"{name}-briefing-{stamp}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        key="brief_download",
        help="A landscape PDF for the next meeting: the scorecard with statuses and targets, What changed, "
        "a paragraph per component saying only what the change tests support, the trend charts and the notes.",
    )


def brief_bytes(
    result: KpiResult,
    targets: Sequence,
    notes: Sequence[Note],
    shifts,
    links_of: Callable[[], Sequence[Mapping[str, Any]]] | None = None,
    **options,
) -> Callable[[], bytes]:
    """The function the download button calls: the pack of this scorecard, with the strategy
    map's tested links that ``links_of`` gives (called then, not before)."""

    def make() -> bytes:
        from bsc.brief.pdf import brief_pdf

        links = links_of() if links_of is not None else None
        return brief_pdf(result, targets, notes, shifts=shifts, links=links, **options)

    return make


def _editor(
    ctx: PageContext,
    definition: KpiDef,
    periods: list[str],
    own: Sequence[Note],
    segment_by: str | None,
    segment: str | None,
) -> None:
    left, right = st.columns([1, 2])
    period = left.selectbox(
        "Period", periods, key=f"note_period_{definition.id}", help="The period the note is about."
    )
    choices = [NEW_NOTE, *[n.id for n in own if n.period == period]]
    by_id = {n.id: n for n in own}
    picked = right.selectbox(
        "Note",
        choices,
        format_func=lambda i: "A new note" if i == NEW_NOTE else f"Edit: {first_words(by_id[i].text, 8)}",
        key=f"note_pick_{definition.id}_{period}",
    )
    opened = st.session_state.setdefault(_OPENED, {})
    current = by_id.get(picked)
    if current is not None:
        opened.setdefault(current.id, current.version)
    author = author_name(st.container())
    with st.form(f"note_form_{definition.id}_{period}_{picked}", clear_on_submit=False, border=False):
        text = st.text_area(
            "What happened, and what we do about it",
            value=current.text if current is not None else "",
            max_chars=NOTE_LIMIT,
            height=110,
            key=f"note_text_{definition.id}_{period}_{picked or 'new'}",
        )
        save = st.form_submit_button("Save note", type="primary", icon=":material/save:")
    if not save:
        return
    book = NoteBook(ctx.store, ctx.workspace.id)
    try:
        if current is None:
            book.add_note(
                Note(
                    definition.id, period, text, segment_by=segment_by if segment else None, segment=segment
                ),
                author=author,
            )
        else:
            saved = book.update_note(current.id, text, author=author, expected_version=opened[current.id])
            opened[current.id] = saved.version
    except ConflictError as error:
        # The text typed stays in the box; the next save is made on the version now shown.
        if current is not None:
            opened[current.id] = book.get_note(current.id).version
        st.error(literal(str(error)), icon=":material/sync_problem:")
    except InputError as error:
        st.error(literal(str(error)), icon=":material/error:")
    else:
        st.toast("Note saved.", icon=":material/check:")
        st.rerun()
