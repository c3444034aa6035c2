"""The model pages fit on the server's background worker: one fit per data and settings for every
session, kept on disk, the last result shown while a new one is computed, refusals explained."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import bsc.segmentation.kmeans_result as kmeans_result
import ui.churn_results as churn_results
from bsc.errors import InputError
from tests.app.conftest import open_app, shown

SEGMENTATION = "pages/segmentation.py"
CHURN = "pages/churn.py"
# A guard against a hung background job, not a speed test (models are fitted on a busy machine).
DEADLINE_S = 240

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


def _results(folder: Path, name: str) -> list[Path]:
    """The kept results called ``name`` (not the pointer to the latest one shown)."""
    return [p for p in folder.glob(f"{name}-*.result") if not p.name.startswith(f"{name}-latest-")]


def _wait_for(folder: Path, name: str, count: int = 1) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if len(_results(folder, name)) >= count:
            return
        time.sleep(0.2)
    pytest.fail(f"{count} {name} results were not computed within {DEADLINE_S} s")


@pytest.fixture
def background(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BSC_SLOW_EXTRAS", "background")
    # Only the fits here: the Scorecard's prefetched periods would keep the worker busy.
    monkeypatch.setattr("ui.target_book.prefetch_kpis", lambda *args: None)
    from ui.slow_extras import _cache_for

    _cache_for.clear()  # a fresh server: no job of an earlier test is known


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _notes(at) -> list[str]:
    return [c.value for c in at.caption if "being computed" in c.value]


def test_sessions_asking_the_same_segments_share_one_fit(
    data_dir: Path, background: None, monkeypatch: pytest.MonkeyPatch
):
    calls: list[tuple] = []
    real = kmeans_result.segment_customers

    def counted(*args, **kwargs):
        calls.append(args[1:])
        return real(*args, **kwargs)

    monkeypatch.setattr(kmeans_result, "segment_customers", counted)
    first = open_app(SEGMENTATION)
    second = open_app(SEGMENTATION)
    for at in (first, second):
        assert not at.exception, at.exception
    # The first session's run only started the fit: it shows a note, never a blank page.
    assert any(note.startswith(":material/hourglass_top: The segmentation") for note in _notes(first))
    _wait_for(data_dir / "results", "kmeans_segments")
    first.run()
    third = open_app(SEGMENTATION)
    assert len(calls) == 1, calls
    assert _metrics(first)["Segments"] == _metrics(third)["Segments"]
    assert not _notes(first) and not _notes(third)


def test_a_new_setting_shows_the_last_segments_until_it_arrives(
    data_dir: Path, background: None, monkeypatch: pytest.MonkeyPatch
):
    real = kmeans_result.segment_customers
    release = threading.Event()

    def held(features, k, **kwargs):
        # The fit of the new setting waits until the page has been looked at meanwhile.
        if k != "auto":
            assert release.wait(DEADLINE_S)
        return real(features, k, **kwargs)

    monkeypatch.setattr(kmeans_result, "segment_customers", held)
    at = open_app(SEGMENTATION)
    _wait_for(data_dir / "results", "kmeans_segments")
    at.run()
    automatic = _metrics(at)["Segments"]
    at.select_slider[0].set_value(3)
    at.button(key="FormSubmitter:segmentation_form-Segment customers").click().run()
    assert not at.exception, at.exception
    [note] = [i.value for i in at.info if "while the new ones" in i.value]
    assert note.startswith(
        "Showing the segments for 4 features, automatic number of segments, standard scaling"
    )
    assert "(4 features, 3 segments, standard scaling)" in note
    assert _metrics(at)["Segments"] == automatic
    release.set()
    _wait_for(data_dir / "results", "kmeans_segments", count=2)
    at.run()
    assert not [i.value for i in at.info if "while the new ones" in i.value]
    assert _metrics(at)["Segments"] == "3"
    # Opened afresh (a new session), the page starts from the segmentation last shown.
    assert _metrics(open_app(SEGMENTATION))["Segments"] == "3"


def test_a_refused_fit_is_explained(data_dir: Path, background: None, monkeypatch: pytest.MonkeyPatch):
    def refused(*args, **kwargs):
        raise InputError("Fewer customers than segments: choose fewer segments.")

    monkeypatch.setattr(kmeans_result, "segment_customers", refused)
    at = open_app(SEGMENTATION)
    _wait_for(data_dir / "results", "kmeans_segments")
    at.run()
    assert not at.exception, at.exception
    assert [shown(e.value) for e in at.error] == ["Fewer customers than segments: choose fewer segments."]
    assert not _notes(at)


def test_the_churn_lab_is_fitted_once_and_read_back_after_a_restart(
    data_dir: Path, background: None, monkeypatch: pytest.MonkeyPatch
):
    calls: list[tuple] = []
    real = churn_results.churn_lab

    def counted(*args, **kwargs):
        calls.append(args[1:])
        return real(*args, **kwargs)

    monkeypatch.setattr(churn_results, "churn_lab", counted)
    first = open_app(CHURN)
    second = open_app(CHURN)
    assert not first.exception and not second.exception
    assert any(note.startswith(":material/hourglass_top: The churn analysis") for note in _notes(first))
    assert not first.metric
    _wait_for(data_dir / "results", "churn_lab")
    first.run()
    assert "ranks a random churner above a random stayer" in first.success[0].value
    from ui.slow_extras import _cache_for

    _cache_for.clear()  # as a restart: nothing in memory, only the files
    third = open_app(CHURN)
    assert len(calls) == 1, calls
    assert _metrics(third) == _metrics(first)
    assert not _notes(third)
