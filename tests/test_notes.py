"""Notes on KPIs (bsc.notes): stored, version-checked, audited, refused where they must be."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bsc.access import EDITOR, VIEWER, AccessError, acting_as, set_role
from bsc.database import audit_table
from bsc.errors import InputError
from bsc.notes import NOTE_LIMIT, Note, NoteBook, first_words, notes_frame
from bsc.store import ConflictError, ReadOnlyError, Store

ANA, BRUNO, CARLA = "ana@example.com", "bruno@example.com", "carla@example.com"


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "data")


@pytest.fixture
def workspace(store):
    return store.create_workspace("Acme")


@pytest.fixture
def book(store, workspace) -> NoteBook:
    return NoteBook(store, workspace.id)


def _audit(store: Store) -> list[tuple[str, str, str, str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(audit_table).order_by(audit_table.c.id)).mappings().all()
    return [(r["who"], r["entity"], r["field"], r["old"], r["new"]) for r in rows]


class TestNoteBook:
    def test_a_note_is_stored_at_version_1_with_its_author_and_audited(self, store, book):
        note = book.add_note(Note("nps", "2026-05", "  Promoters fell after the price rise.\n"), author="Ana")
        assert (note.version, note.updated_by, note.text) == (
            1,
            "Ana",
            "Promoters fell after the price rise.",
        )
        assert note.created_at is not None
        assert _audit(store) == [("Ana", "note", "created", "", "“Promoters fell after the price rise.”")]

    def test_an_edit_raises_the_version_and_logs_old_and_new_text(self, store, book):
        note = book.add_note(Note("nps", "2026-05", "First draft"), author="Ana")
        edited = book.update_note(
            note.id, "Price rise; win-back calls start in June", author="Bruno", expected_version=1
        )
        assert (edited.version, edited.updated_by) == (2, "Bruno")
        assert _audit(store)[-1] == (
            "Bruno",
            "note",
            "text",
            "First draft",
            "Price rise; win-back calls start in June",
        )

    def test_a_conflicting_edit_is_refused_and_the_saved_text_kept(self, book):
        note = book.add_note(Note("churn_rate", "2026-Q2", "Churn up in the North"), author="Ana")
        book.update_note(
            note.id, "Churn up in the North: a competitor's offer", author="Bruno", expected_version=1
        )
        with pytest.raises(ConflictError, match="a competitor's offer") as refused:
            book.update_note(note.id, "Ana's stale edit", author="Ana", expected_version=1)
        assert "was not saved" in str(refused.value)
        assert book.get_note(note.id).text == "Churn up in the North: a competitor's offer"

    def test_a_delete_on_a_stale_version_is_refused(self, book):
        note = book.add_note(Note("nps", "2026-05", "text"), author="Ana")
        book.update_note(note.id, "new text", author="Bruno", expected_version=1)
        with pytest.raises(ConflictError):
            book.delete_note(note.id, author="Ana", expected_version=1)
        book.delete_note(note.id, author="Ana", expected_version=2)
        assert book.notes() == []

    def test_notes_survive_a_new_store_on_the_same_folder(self, tmp_path, workspace, book):
        book.add_note(Note("nps", "2026-05", "kept", segment_by="region", segment="North"), author="Ana")
        reopened = NoteBook(Store(tmp_path / "data"), workspace.id)
        [note] = reopened.notes("nps", period="2026-05", segment_by="region", segment="North")
        assert (note.text, note.segment_by, note.segment, note.updated_by) == (
            "kept",
            "region",
            "North",
            "Ana",
        )

    def test_notes_are_filtered_by_kpi_period_and_segment_newest_first(self, book):
        book.add_note(Note("nps", "2026-05", "older"), author="Ana")
        book.add_note(Note("nps", "2026-05", "newer"), author="Ana")
        book.add_note(Note("nps", "2026-04", "April"), author="Ana")
        book.add_note(Note("nps", "2026-05", "North", segment_by="region", segment="North"), author="Ana")
        book.add_note(Note("csat", "2026-05", "CSAT"), author="Ana")
        assert [n.text for n in book.notes("nps", period="2026-05")] == ["newer", "older"]
        assert len(book.notes("nps", any_segment=True)) == 4
        assert len(book.notes()) == 4  # all customers only, every KPI

    def test_periods_are_read_as_labels(self, book):
        assert book.add_note(Note("nps", "Q2 2026", "x"), author="Ana").period == "2026-Q2"
        assert book.add_note(Note("nps", "all", "undated data"), author="Ana").period == "all"


class TestBadInput:
    @pytest.mark.parametrize(
        ("note", "message"),
        [
            (Note("nps", "2026-05", "   \n "), "The note is empty"),
            (Note("nps", "2026-05", "x" * (NOTE_LIMIT + 1)), "too long .1,001 characters; 1,000 at most"),
            (Note("not_a_kpi", "2026-05", "x"), "no KPI called 'not_a_kpi'"),
            (Note("nps", "May", "x"), "period"),
            (Note("nps", "2026-05", "x", segment_by="region"), "Name the region"),
        ],
        ids=["empty", "too-long", "unknown-kpi", "bad-period", "segment-without-value"],
    )
    def test_bad_notes_are_refused_with_a_message(self, book, note, message):
        with pytest.raises(InputError, match=message):
            book.add_note(note, author="Ana")
        assert book.notes(any_segment=True) == []

    def test_a_note_needs_an_author(self, book):
        with pytest.raises(InputError, match="Give your name first"):
            book.add_note(Note("nps", "2026-05", "x"), author=" ")

    def test_a_read_only_workspace_refuses_notes(self, store, workspace, book):
        store.set_read_only(workspace.id, True)
        with pytest.raises(ReadOnlyError):
            book.add_note(Note("nps", "2026-05", "x"), author="Ana")

    def test_a_viewer_may_read_but_not_write(self, store):
        acme = acting_as(store, ANA).create_workspace("Acme")
        set_role(store, acme.id, BRUNO, EDITOR, expected_version=None, by=ANA)
        set_role(store, acme.id, CARLA, VIEWER, expected_version=None, by=ANA)
        NoteBook(acting_as(store, BRUNO), acme.id).add_note(
            Note("nps", "2026-05", "by an editor"), author=BRUNO
        )
        viewer = NoteBook(acting_as(store, CARLA), acme.id)
        with pytest.raises(AccessError):
            viewer.add_note(Note("nps", "2026-05", "by a viewer"), author=CARLA)
        assert [n.text for n in viewer.notes()] == ["by an editor"]


class TestShownText:
    def test_first_words_cuts_with_an_ellipsis(self):
        assert first_words("one two three four", 3) == "one two three…"
        assert first_words("one\ntwo", 3) == "one two"

    def test_notes_frame_orders_by_kpi_registry_then_period(self, book):
        book.add_note(Note("csat", "2026-05", "c"), author="Ana")
        book.add_note(Note("nps", "2026-06", "b"), author="Ana")
        book.add_note(Note("nps", "2026-05", "a"), author="Ana")
        frame = notes_frame(book.notes())
        assert frame["Note"].tolist() == ["a", "b", "c"]  # NPS precedes CSAT in the registry
        assert frame["Segment"].unique().tolist() == ["All customers"]
