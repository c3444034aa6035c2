"""A note written on the Scorecard in Debian's Chromium, kept after a reload and in the briefing pack.

A person opens the notes panel under the trend chart, gives their name, writes a note on the
latest month and saves it; the tile shows its first words with the author, a new session (a
reload) shows it again, the store holds it with the author, and the briefing pack downloaded
from the same page is a PDF whose text holds the note.
"""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from bsc.notes import NoteBook
from bsc.store import Store
from tests.e2e.conftest import Server, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

TEXT = "Price rise hit promoters in the north; we call the fifty largest accounts this week."


def _open_notes(page: Page, count: int) -> None:
    page.get_by_text(re.compile(rf"^Notes on .+ · all customers \({count}\)$")).click()


def _stored_notes(server: Server):
    store = Store(server.data_dir)
    try:
        [workspace] = store.list_workspaces()
        return NoteBook(store, workspace.id).notes(any_segment=True)
    finally:
        store.engine.dispose()


def test_a_note_is_saved_kept_and_in_the_briefing_pack(server: Server, page: Page):
    page.goto(server.url)
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_role("heading", name="Scorecard")).to_be_visible(timeout=30_000)
    _open_notes(page, 0)
    expect(page.get_by_text("No notes yet on this KPI for these customers.")).to_be_visible()

    name = page.get_by_role("textbox", name="Your name, for the audit log")
    name.fill("Ana")
    name.press("Enter")
    wait_for_app(page)
    page.get_by_role("textbox", name="What happened, and what we do about it").fill(TEXT)
    page.get_by_role("button", name="Save note").click()
    wait_for_app(page)

    # The panel counts it, and the tile of the KPI shows its first words with the author.
    expect(page.get_by_text(re.compile(r"^Notes on .+ · all customers \(1\)$"))).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"Price rise hit promoters .*— Ana"))).to_be_visible()
    screenshot(page, "scorecard-note-saved")
    [stored] = _stored_notes(server)
    assert (stored.text, stored.updated_by, stored.segment_by) == (TEXT, "Ana", None)

    # A reload is a new session: the note is read back from the store.
    page.reload()
    wait_for_app(page, timeout=60_000)
    _open_notes(page, 1)
    expect(page.get_by_text(TEXT)).to_be_visible(timeout=30_000)

    # The briefing pack is made when its button is clicked; its text holds the note.
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Briefing pack (PDF)").click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Price rise hit promoters" in " ".join(text.split())
