"""Notes and the briefing download on the Scorecard page (demo workspace)."""

from __future__ import annotations

from pathlib import Path

from bsc.notes import Note, NoteBook
from bsc.store import Store
from tests.app.conftest import open_app, shown

PAGE = "pages/scorecard.py"


def _workspace(data_dir: Path):
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    return store, workspace


def _write(at, text: str, name: str = "Ana"):
    at.text_input(key="author_input").set_value(name)
    [area] = [a for a in at.text_area if a.key and a.key.startswith("note_text_nps_")]
    area.set_value(text)
    [save] = [b for b in at.button if b.label == "Save note"]
    return save.click().run()


def _errors(at) -> list[str]:
    return [shown(e.value) for e in at.error]


def test_an_editor_adds_a_note_shown_on_the_tile_and_kept_in_the_store(data_dir: Path):
    at = open_app(PAGE)
    latest = at.selectbox(key="note_period_nps").value
    at = _write(at, "Price rise in the North hit promoters; win-back calls start next month.")
    assert not at.exception and not _errors(at)
    store, workspace = _workspace(data_dir)
    [note] = NoteBook(store, workspace.id).notes("nps")
    assert (note.period, note.updated_by, note.version) == (latest, "Ana", 1)
    # The NPS tile's caption carries the note's first words and its author.
    assert any(
        "Price rise in the North hit promoters" in shown(c.value) and "Ana" in c.value for c in at.caption
    )
    # The trend chart is drawn with the note mark layered in.
    assert "triangle-down" in at.get("vega_lite_chart")[0].proto.spec


def test_an_empty_note_is_refused_with_a_message(data_dir: Path):
    at = _write(open_app(PAGE), "   ")
    assert not at.exception
    assert any("The note is empty" in e for e in _errors(at))
    store, workspace = _workspace(data_dir)
    assert NoteBook(store, workspace.id).notes(any_segment=True) == []


def test_a_note_without_a_name_is_refused(data_dir: Path):
    at = _write(open_app(PAGE), "Something happened", name="")
    assert any("Give your name first" in e for e in _errors(at))


def test_a_conflicting_edit_is_refused_and_the_typed_text_kept(data_dir: Path):
    store, workspace = _workspace(data_dir)
    at = open_app(PAGE)
    period = at.selectbox(key="note_period_nps").value
    book = NoteBook(store, workspace.id)
    note = book.add_note(Note("nps", period, "First text"), author="Ana")
    at.run()
    at.selectbox(key=f"note_pick_nps_{period}").set_value(note.id).run()
    # Someone else saves while this session edits.
    book.update_note(note.id, "Bruno's text", author="Bruno", expected_version=1)
    at = _write(at, "Ana's edit on the old version")
    assert any("Bruno's text" in e and "was not saved" in e for e in _errors(at))
    assert book.get_note(note.id).text == "Bruno's text"
    [area] = [a for a in at.text_area if a.key and a.key.startswith("note_text_nps_")]
    assert area.value == "Ana's edit on the old version"


def test_a_read_only_workspace_shows_notes_without_the_editor(data_dir: Path):
    store, workspace = _workspace(data_dir)
    at = open_app(PAGE)
    period = at.selectbox(key="note_period_nps").value
    NoteBook(store, workspace.id).add_note(Note("nps", period, "Visible to all"), author="Ana")
    store.set_read_only(workspace.id, True)
    at.run()
    assert not at.exception
    assert not [b for b in at.button if b.label == "Save note"]
    assert any("Visible to all" in shown(m.value) for m in at.markdown)


def test_the_briefing_pack_download_is_offered(data_dir: Path):
    at = open_app(PAGE)
    [download] = at.get("download_button")
    assert download.proto.label == "Briefing pack (PDF)"
