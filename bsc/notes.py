"""Notes on a KPI for a period and a segment: what happened, and what we do about it.

A note belongs to a KPI of :data:`bsc.kpis.KPIS`, a period label ("2026-05", "2026-Q2", "2026",
or "all" for undated data) and a segment (an attribute and one of its values) or all customers.
Several notes may stand on the same KPI and period; the latest one is shown on the tile.

Notes are stored like targets (:mod:`bsc.targets.ledger`): written in a transaction with their
audit-log entry (entity "note"), version-checked, so a save made on an older version is refused
with a :class:`bsc.store.ConflictError` that quotes the text saved meanwhile, and refused in a
read-only workspace or for a viewer by the store itself. They live in the workspace database and
survive a restart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
from sqlalchemy import select

from bsc.database import notes_table
from bsc.errors import InputError
from bsc.kpis import KPIS
from bsc.periods import parse_period
from bsc.store import Store
from bsc.targets.cells import checked_author
from bsc.targets.ledger import delete_record, insert_record, read_record, update_record
from bsc.targets.rows import RecordKind

__all__ = ["NOTES", "NOTE_COLUMNS", "NOTE_LIMIT", "Note", "NoteBook", "first_words", "notes_frame"]

# Long enough for "what happened, what we do about it"; short enough to fit a tile's tooltip
# and a row of the briefing.
NOTE_LIMIT = 1000
UNDATED = "all"
# The columns of notes_frame a reader sees (``kpi``, ``segment_by`` and ``segment`` are for code).
NOTE_COLUMNS = ["kpi", "KPI", "Period", "Segment", "Note", "By", "Saved (UTC)"]
# Characters that could hide or reorder text (controls other than line breaks and tabs).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Note:
    """One note on a KPI for a period and segment.

    Attributes
    ----------
    kpi
        A KPI id of :data:`bsc.kpis.KPIS`.
    period
        The period label the note is about ("2026-05", "2026-Q2", "2026") or "all".
    text
        What happened and what we do about it (1 to :data:`NOTE_LIMIT` characters).
    segment_by, segment
        The segment attribute and its value, both None for all customers.
    id, version, created_at, updated_at, updated_by
        Set by the store; ``version`` 0 for a note not stored yet; ``updated_by`` is the author
        of the text as it stands.
    """

    kpi: str
    period: str
    text: str
    segment_by: str | None = None
    segment: str | None = None
    id: str = ""
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str = ""

    @property
    def label(self) -> str:
        """ "Note on Net Promoter Score, 2026-05 · all customers", as in the audit log."""
        who = f"{self.segment_by} {self.segment}" if self.segment_by else "all customers"
        name = KPIS[self.kpi].name if self.kpi in KPIS else self.kpi
        return f"Note on {name}, {self.period} · {who}"

    def describe(self) -> str:
        """The whole text, quoted: a refused edit's message shows what was saved meanwhile."""
        return f"“{self.text}”"


def _note_columns(note: Note) -> dict[str, object]:
    return {
        "kpi": note.kpi,
        "period": note.period,
        "segment_by": note.segment_by or "",
        "segment": (note.segment or "") if note.segment_by else "",
        "text": note.text,
    }


def _note(row) -> Note:
    return Note(
        kpi=row["kpi"],
        period=row["period"],
        text=row["text"],
        segment_by=row["segment_by"] or None,
        segment=(row["segment"] or None) if row["segment_by"] else None,
        id=row["id"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


NOTES = RecordKind("note", notes_table, ("text",), _note_columns, _note)


class NoteBook:
    """The notes of one workspace: read, add, edit and delete, version-checked and audited.

    Raises :class:`InputError` when the workspace does not exist.
    """

    def __init__(self, store: Store, workspace_id: str) -> None:
        self.store = store
        self.workspace_id = workspace_id
        store.get_workspace(workspace_id)

    def notes(
        self,
        kpi: str | None = None,
        *,
        period: str | None = None,
        segment_by: str | None = None,
        segment: str | None = None,
        any_segment: bool = False,
    ) -> list[Note]:
        """The workspace's notes, newest first; of one KPI, period and segment when given.

        With ``any_segment`` every segment's notes are listed; otherwise only those of
        ``segment_by`` = ``segment`` (all customers when both are None).
        """
        table = notes_table
        query = select(table).where(table.c.workspace_id == self.workspace_id)
        if kpi is not None:
            query = query.where(table.c.kpi == kpi)
        if period is not None:
            query = query.where(table.c.period == period)
        if not any_segment:
            query = query.where(
                table.c.segment_by == (segment_by or ""),
                table.c.segment == ((segment or "") if segment_by else ""),
            )
        query = query.order_by(table.c.created_at.desc(), table.c.id)
        with self.store.engine.connect() as conn:
            return [_note(row) for row in conn.execute(query).mappings()]

    def get_note(self, note_id: str) -> Note:
        found = read_record(self.store.engine, self.workspace_id, NOTES, note_id)
        if found is None:
            raise InputError("That note no longer exists (it was deleted in another session).")
        return found

    def add_note(self, note: Note, *, author: str) -> Note:
        """Store a new note (``id`` and ``version`` are ignored). Raises :class:`InputError` for
        an empty or too long text, an unknown KPI or period, or no author."""
        author = checked_author(author)
        checked = _checked(note)
        with self.store.engine.begin() as conn:
            note_id = insert_record(conn, self.workspace_id, NOTES, checked, author)
        return self.get_note(note_id)

    def update_note(self, note_id: str, text: str, *, author: str, expected_version: int) -> Note:
        """Replace a note's text, made on ``expected_version``.

        Raises :class:`bsc.store.ConflictError` when someone saved or deleted the note since
        (nothing is written; the message quotes the text saved meanwhile) and
        :class:`InputError` for a bad text.
        """
        author = checked_author(author)
        current = self.get_note(note_id)
        proposed = _checked(replace(current, text=text))
        with self.store.engine.begin() as conn:
            update_record(conn, self.workspace_id, NOTES, current, proposed, expected_version, author)
        return self.get_note(note_id)

    def delete_note(self, note_id: str, *, author: str, expected_version: int) -> None:
        """Delete a note, refused when someone changed it since ``expected_version``."""
        author = checked_author(author)
        current = self.get_note(note_id)
        with self.store.engine.begin() as conn:
            delete_record(conn, self.workspace_id, NOTES, current, expected_version, author)


def first_words(text: str, words: int = 8) -> str:
    """The first ``words`` words of a note on one line, "…" when cut: for tooltips and tiles."""
    split = text.split()
    return " ".join(split[:words]) + ("…" if len(split) > words else "")


def notes_frame(notes: Sequence[Note]) -> pd.DataFrame:
    """Notes as a table (KPI name, period, segment, text, author, time), for the chart, the
    workbook and the briefing; in KPI registry order, then period, newest first within a period.
    ``segment_by`` and ``segment`` are None for all customers."""
    order = {kpi: i for i, kpi in enumerate(KPIS)}
    ordered = sorted(
        notes, key=lambda n: (order.get(n.kpi, 99), n.period, -(n.created_at or datetime.min).timestamp())
    )
    return pd.DataFrame(
        {
            "kpi": [n.kpi for n in ordered],
            "KPI": [KPIS[n.kpi].name if n.kpi in KPIS else n.kpi for n in ordered],
            "Period": [n.period for n in ordered],
            "Segment": [f"{n.segment_by}: {n.segment}" if n.segment_by else "All customers" for n in ordered],
            "Note": [n.text for n in ordered],
            "By": [n.updated_by for n in ordered],
            "Saved (UTC)": [n.updated_at for n in ordered],
            "segment_by": [n.segment_by for n in ordered],
            "segment": [n.segment for n in ordered],
        },
        columns=[*NOTE_COLUMNS, "segment_by", "segment"],
    )


def _checked(note: Note) -> Note:
    """The note with its text tidied, or :class:`InputError` saying what is wrong."""
    if note.kpi not in KPIS:
        raise InputError(
            f"There is no KPI called {note.kpi!r}: a note belongs to one of the scorecard's KPIs."
        )
    period = str(note.period or "").strip()
    if period != UNDATED:
        period = parse_period(period).label
    text = _CONTROL.sub("", str(note.text or "")).strip()
    if not text:
        raise InputError("The note is empty: write what happened and what you will do about it.")
    if len(text) > NOTE_LIMIT:
        raise InputError(
            f"The note is too long ({len(text):,} characters; {NOTE_LIMIT:,} at most). "
            "Shorten it, or link to a longer document."
        )
    if note.segment_by and not note.segment:
        raise InputError(f"Name the {note.segment_by} the note is about, or write it for all customers.")
    return replace(note, period=period, text=text)
