"""The Scorecard's slow extras arrive after the tiles, in the background, and are kept on disk."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.app.conftest import open_app, shown

# A guard against a hung background job, not a speed test (the churn model is fitted on a busy machine).
DEADLINE_S = 240


def _wait_for(folder: Path, *names: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if all(any(folder.glob(f"{name}-*.result")) for name in names):
            return
        time.sleep(0.5)
    pytest.fail(f"{names} were not computed within {DEADLINE_S} s")


def test_tiles_first_then_what_changed_and_the_forecast(data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BSC_SLOW_EXTRAS", "background")
    # Only the extras here: the other periods and splits would keep the worker busy after the test.
    monkeypatch.setattr("ui.target_book.prefetch_kpis", lambda *args: None)
    at = open_app()
    assert not at.exception
    # The tiles are drawn in the first run; the extras stand as notes until they have arrived.
    assert len(at.metric) > 0
    notes = [c.value for c in at.caption if "being computed" in c.value]
    assert any(note.startswith(":material/hourglass_top: What changed") for note in notes)
    assert any("Predicted churn for the next period" in note for note in notes)
    assert not any("What changed**" in m.value for m in at.markdown)

    # The KPIs are kept with the data already; the extras once the background worker is done.
    results = data_dir / "results"
    assert any(results.glob("kpis-*.result"))
    _wait_for(results, "shifts", "churn_forecast")
    at.run()
    assert not at.exception
    assert not [c.value for c in at.caption if "being computed" in c.value]
    assert any(shown(m.value).startswith("**What changed** · last") for m in at.markdown)
    assert any(m.value.startswith("**Predicted churn for") for m in at.markdown)


def test_a_restarted_server_reads_what_was_kept(data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    # Computed within the run (as AppTest needs), then read back by a new session of a new cache.
    first = open_app()
    kept = sorted(p.name for p in (data_dir / "results").glob("*.result"))
    assert {name.split("-")[0] for name in kept} >= {"kpis", "shifts", "churn_forecast", "cohorts"}

    monkeypatch.setenv("BSC_SLOW_EXTRAS", "background")
    monkeypatch.setattr("ui.target_book.prefetch_kpis", lambda *args: None)
    from ui.slow_extras import _cache_for

    _cache_for.clear()  # as a restart: nothing in memory, only the files
    second = open_app()
    assert not second.exception
    # Everything came from the files at once: no note, the same What changed and forecast lines.
    assert not [c.value for c in second.caption if "being computed" in c.value]
    lines = [m.value for m in first.markdown if m.value.startswith(("**What changed**", "**Predicted churn"))]
    assert lines and lines == [
        m.value for m in second.markdown if m.value.startswith(("**What changed**", "**Predicted churn"))
    ]
    assert sorted(p.name for p in (data_dir / "results").glob("*.result")) == kept


def test_the_views_one_click_away_are_computed_first(monkeypatch: pytest.MonkeyPatch):
    import ui.target_book as target_book
    from bsc.kpis import KpiParams

    started: list[tuple[str, str | None, bool]] = []

    def record(name, fingerprint, params, compute, *, soon=False):
        started.append((params[0], params[1], soon))

    monkeypatch.setattr(target_book, "prefetch", record)
    target_book.prefetch_kpis("f", {}, "quarter", "region", KpiParams(), ["plan", "region"])
    # Every split of the shown quarter, then the shown split in the other periods: before the
    # extras. Then the other splits in the other periods, after them. Each once.
    assert started == [
        ("quarter", "region", True),
        ("quarter", None, True),
        ("quarter", "plan", True),
        ("month", "region", True),
        ("year", "region", True),
        ("month", None, False),
        ("year", None, False),
        ("month", "plan", False),
        ("year", "plan", False),
    ]


class TestWhereAJobRuns:
    """A job reading more table files than ``BSC_FIT_WORKER_MAX_MB`` stays on the server's thread."""

    @staticmethod
    def _tables(folder: Path, *sizes: int) -> dict[str, list[Path]]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for number, size in enumerate(sizes):
            path = folder / f"table-{number}.parquet"
            path.write_bytes(b"\0" * size)
            paths.append(path)
        return {"orders": paths[:1], "surveys": paths[1:]}

    def test_small_data_goes_to_the_worker_process_large_data_stays(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ):
        from bsc.kpis import compute_kpis
        from ui.slow_extras import job

        monkeypatch.setenv("BSC_FIT_WORKER_MAX_MB", "1")
        # 600,000 bytes alone are under the 1,048,576 of 1 MiB; with a second such file, over.
        assert job(compute_kpis, self._tables(tmp_path / "a", 600_000), period="month").sendable
        large = self._tables(tmp_path / "b", 600_000, 600_000)
        assert not job(compute_kpis, large, period="month").sendable
        assert not job(compute_kpis, tables=large).sendable
        # Still the same computation wherever it runs.
        assert job(compute_kpis, large).args == (large,)

    def test_a_bad_setting_is_named(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
        from bsc.errors import InputError
        from bsc.kpis import compute_kpis
        from ui.slow_extras import job

        monkeypatch.setenv("BSC_FIT_WORKER_MAX_MB", "lots")
        with pytest.raises(InputError, match="BSC_FIT_WORKER_MAX_MB must be a number"):
            job(compute_kpis, self._tables(tmp_path, 10))
