"""Results kept on disk by content key: read back equal, bounded, computed once, in the background."""

from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bsc.results_cache as results_cache
from bsc.errors import InputError
from bsc.kpis import KpiParams
from bsc.results_cache import Pending, ResultsCache, result_key
from bsc.worker_process import Job, WorkerProcess


@pytest.fixture
def cache(tmp_path: Path) -> ResultsCache:
    return ResultsCache(tmp_path / "results")


class TestKeys:
    def test_same_inputs_same_key(self):
        assert result_key("kpis", "abc", "month", None, KpiParams()) == result_key(
            "kpis", "abc", "month", None, KpiParams()
        )

    @pytest.mark.parametrize(
        "other",
        [
            ("kpis", "abd", "month", None, KpiParams()),
            ("kpis", "abc", "quarter", None, KpiParams()),
            ("kpis", "abc", "month", "region", KpiParams()),
            ("kpis", "abc", "month", None, KpiParams(inactivity_days=30)),
            ("shifts", "abc", "month", None, KpiParams()),
        ],
        ids=["fingerprint", "period", "split", "parameters", "name"],
    )
    def test_any_input_changes_the_key(self, other):
        assert result_key(*other) != result_key("kpis", "abc", "month", None, KpiParams())

    def test_key_starts_with_the_results_name(self):
        # Readable in the folder: which kind of result each file holds.
        assert result_key("churn_forecast", "abc").startswith("churn_forecast-")


class TestOnDisk:
    def test_a_kept_frame_reads_back_equal_with_its_attrs(self, cache: ResultsCache):
        frame = pd.DataFrame({"kpi": ["nps", "csat"], "value": [31.5, None]})
        frame.attrs["roc_auc"] = 0.73
        cache.put("k", frame)
        again = cache.get("k")
        pd.testing.assert_frame_equal(again, frame)
        assert again.attrs == {"roc_auc": 0.73}

    def test_kept_across_instances_as_across_a_restart(self, tmp_path: Path):
        ResultsCache(tmp_path).put("k", [1, 2, 3])
        assert ResultsCache(tmp_path).get("k") == [1, 2, 3]

    def test_missing_gives_the_default(self, cache: ResultsCache):
        assert cache.get("nothing") is None
        assert cache.get("nothing", "default") == "default"
        assert not cache.has("nothing")

    def test_a_damaged_file_is_dropped_and_computed_again(self, cache: ResultsCache):
        cache.put("k", "good")
        (cache.folder / "k.result").write_bytes(b"not a kept result")
        assert cache.get("k") is None
        assert not cache.has("k")
        assert cache.get_or_compute("k", lambda: "again") == "again"

    def test_computed_once_then_read(self, cache: ResultsCache):
        calls = []
        for _ in range(3):
            assert cache.get_or_compute("k", lambda: calls.append(1) or 42) == 42
        assert calls == [1]

    def test_errors_are_raised_not_kept(self, cache: ResultsCache):
        def refuse():
            raise InputError("no orders")

        with pytest.raises(InputError, match="no orders"):
            cache.get_or_compute("k", refuse)
        assert not cache.has("k")

    def test_no_part_files_are_left(self, cache: ResultsCache):
        cache.put("k", 1)
        assert [p.name for p in cache.folder.iterdir()] == ["k.result"]

    def test_bounded_by_entries_least_recently_used_first(self, tmp_path: Path):
        cache = ResultsCache(tmp_path, max_entries=3)
        for age, key in enumerate(["a", "b", "c"]):
            cache.put(key, key)
            # Distinct use times, oldest first, without waiting.
            os.utime(cache.folder / f"{key}.result", (1_000 + age, 1_000 + age))
        cache.get("a")  # used again: now the most recent
        cache.put("d", "d")
        assert sorted(p.stem for p in cache.folder.glob("*.result")) == ["a", "c", "d"]

    def test_bounded_by_bytes(self, tmp_path: Path):
        cache = ResultsCache(tmp_path, max_bytes=50_000)
        for age, key in enumerate(["a", "b", "c"]):
            cache.put(key, b"x" * 14_000)
            os.utime(cache.folder / f"{key}.result", (1_000 + age, 1_000 + age))
        # 14,000 bytes are 18,668 characters of base64 in each file's JSON, plus the zip's
        # headers: three files pass 50,000 bytes, two do not, so a (the oldest) goes.
        assert sorted(p.stem for p in cache.folder.glob("*.result")) == ["b", "c"]

    def test_the_new_entry_stays_even_above_the_bound(self, tmp_path: Path):
        cache = ResultsCache(tmp_path, max_bytes=10)
        cache.put("big", b"x" * 1_000)
        assert cache.has("big")


def _large_frame(seed: int) -> pd.DataFrame:
    """20,000 random values: a kept file of about 160 kB, above DECODED_FROM_BYTES."""
    values = np.random.default_rng(seed).normal(size=20_000)
    return pd.DataFrame({"value": values})


class TestDecodedInMemory:
    def test_read_again_without_decoding_and_each_reader_has_its_own(
        self, cache: ResultsCache, monkeypatch: pytest.MonkeyPatch
    ):
        cache.put("big", _large_frame(1))
        decoded = []
        real = results_cache.read_result
        monkeypatch.setattr(results_cache, "read_result", lambda path: decoded.append(path) or real(path))
        first = cache.get("big")
        first.loc[0, "value"] = 99.0  # one session's change is its own
        second = cache.get("big")
        assert len(decoded) == 1
        pd.testing.assert_frame_equal(second, _large_frame(1))

    def test_a_result_written_again_by_another_process_is_read_anew(self, cache: ResultsCache):
        cache.put("big", _large_frame(1))
        pd.testing.assert_frame_equal(cache.get("big"), _large_frame(1))
        ResultsCache(cache.folder).put("big", _large_frame(2))  # as the worker process would
        pd.testing.assert_frame_equal(cache.get("big"), _large_frame(2))

    def test_a_removed_file_is_not_read_from_memory(self, cache: ResultsCache):
        cache.put("big", _large_frame(1))
        cache.get("big")
        (cache.folder / "big.result").unlink()
        assert cache.get("big") is None


class TestInTheBackground:
    def test_pending_then_kept(self, cache: ResultsCache):
        release = threading.Event()

        def slow():
            release.wait(10)
            return "done"

        first = cache.get_or_start("k", slow)
        assert first == Pending("k")
        assert cache.running("k")
        assert cache.get_or_start("k", slow) == Pending("k")
        release.set()
        cache.wait("k", timeout=10)
        assert not cache.running("k")
        assert cache.get_or_start("k", slow) == "done"
        assert cache.get("k") == "done"

    def test_started_once_per_key(self, cache: ResultsCache):
        calls = []
        release = threading.Event()

        def slow():
            calls.append(1)
            release.wait(10)
            return 1

        for _ in range(5):
            cache.start("k", slow)
        release.set()
        cache.wait("k", timeout=10)
        assert calls == [1]

    def test_a_failure_is_reported_once_then_tried_again(self, cache: ResultsCache):
        def fail():
            raise ValueError("broken")

        cache.start("k", fail)
        cache.wait("k", timeout=10)
        # Known to have failed: not started again by start().
        cache.start("k", fail)
        reported = cache.get_or_start("k", lambda: "fixed")
        assert isinstance(reported, Pending) and isinstance(reported.error, ValueError)
        assert cache.get_or_start("k", lambda: "fixed") == Pending("k")
        cache.wait("k", timeout=10)
        assert cache.get("k") == "fixed"

    def test_asked_now_a_queued_job_is_computed_now(self, cache: ResultsCache):
        release = threading.Event()
        cache.start("busy", lambda: release.wait(10))
        cache.start("k", lambda: "from the background")
        # The worker is busy: "k" is queued, so asking for it computes it here and cancels the job.
        assert cache.get_or_compute("k", lambda: "here") == "here"
        release.set()
        cache.wait("busy", timeout=10)
        assert cache.get("k") == "here"
        assert not cache.running("k")

    def test_asked_now_a_running_job_is_awaited(self, cache: ResultsCache):
        started, release = threading.Event(), threading.Event()

        def slow():
            started.set()
            release.wait(10)
            return "background"

        cache.start("k", slow)
        assert started.wait(10)
        threading.Timer(0.05, release.set).start()
        assert cache.get_or_compute("k", lambda: "here") == "background"

    def test_nothing_started_for_a_kept_result(self, cache: ResultsCache):
        cache.put("k", 1)
        cache.start("k", lambda: pytest.fail("computed again"))
        assert not cache.running("k")

    @pytest.fixture
    def queue(self, cache: ResultsCache) -> BusyWorker:
        return BusyWorker(cache)

    def test_a_result_a_page_waits_for_runs_before_those_started_ahead(self, cache, queue: BusyWorker):
        # Queued while the worker is busy: two started ahead of a click, then one a page waits for.
        cache.start("period-2", queue.job("period-2"))
        cache.start("period-3", queue.job("period-3"))
        assert cache.get_or_start("model", queue.job("model")) == Pending("model")
        queue.release("model", "period-2", "period-3")
        assert queue.order == ["busy", "model", "period-2", "period-3"]

    def test_a_started_job_asked_by_a_page_moves_ahead(self, cache: ResultsCache, queue: BusyWorker):
        cache.start("period-2", queue.job("period-2"))
        cache.start("forecast", queue.job("forecast"))
        # The page now waits for the forecast: it runs next, once (by the asker's equal computation),
        # before period 2.
        assert cache.get_or_start("forecast", queue.job("forecast again")) == Pending("forecast")
        queue.release("forecast", "period-2")
        assert queue.order == ["busy", "forecast again", "period-2"]
        assert cache.get("forecast") == 1

    def test_what_the_next_click_needs_runs_before_what_a_page_waits_for(self, cache, queue: BusyWorker):
        # Started ahead of later clicks, asked by a page, then needed by the next click.
        cache.start("other-period", queue.job("other-period"))
        assert cache.get_or_start("forecast", queue.job("forecast")) == Pending("forecast")
        cache.start("split", queue.job("split"), soon=True)
        queue.release("split", "forecast", "other-period")
        assert queue.order == ["busy", "split", "forecast", "other-period"]

    def test_a_waiting_job_started_again_for_the_next_click_moves_up_once(self, cache, queue: BusyWorker):
        cache.start("year", queue.job("year"))
        cache.start("quarter", queue.job("quarter"))
        # A click later, the quarter is one click away: it runs first, and only once.
        cache.start("quarter", queue.job("quarter again"), soon=True)
        cache.start("year", queue.job("year again"))  # same priority: stays where it was
        queue.release("quarter", "year")
        assert queue.order == ["busy", "quarter again", "year"]
        assert (cache.get("quarter"), cache.get("year")) == (1, 1)


class BusyWorker:
    """The cache's background worker held by a first job ("busy") until :meth:`release`, so that
    the jobs started meanwhile wait in its queue; ``order`` lists the jobs as they ran."""

    def __init__(self, cache: ResultsCache) -> None:
        self.cache = cache
        self.order: list[str] = []
        self._started, self._released = threading.Event(), threading.Event()

        def busy():
            self._started.set()
            self._released.wait(10)
            self.order.append("busy")
            return 0

        cache.start("busy", busy)
        assert self._started.wait(10)

    def job(self, name: str):
        return lambda: self.order.append(name) or 1

    def release(self, *keys: str) -> None:
        """Let the busy job end, and wait for it and the jobs ``keys``."""
        self._released.set()
        for key in ("busy", *keys):
            self.cache.wait(key, timeout=10)


class TestMemoryGivenBack:
    """After computing a result, the memory it took is given back to the system, once nothing
    but the file holds the result."""

    @pytest.fixture
    def trims(self, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
        # Each call records whether the last computed frame was still alive at that moment.
        calls: list[bool] = []
        monkeypatch.setattr(
            results_cache, "give_back_freed_memory", lambda: calls.append(TestMemoryGivenBack.alive())
        )
        return calls

    last: weakref.ref | None = None

    @classmethod
    def alive(cls) -> bool:
        return cls.last is not None and cls.last() is not None

    @classmethod
    def compute(cls) -> pd.DataFrame:
        frame = pd.DataFrame({"customer_id": ["a", "b"], "value": [1.0, 2.0]})
        cls.last = weakref.ref(frame)
        return frame

    def test_after_a_background_job_its_result_already_dropped(self, cache: ResultsCache, trims: list[bool]):
        cache.start("k", self.compute)
        cache.wait("k", timeout=10)
        assert trims == [False]
        assert cache.has("k")

    def test_after_a_failed_background_job(self, cache: ResultsCache, trims: list[bool]):
        def failing():
            raise InputError("no orders")

        cache.start("k", failing)
        cache.wait("k", timeout=10)
        assert trims == [False]

    def test_after_a_result_computed_in_the_page(self, cache: ResultsCache, trims: list[bool]):
        cache.get_or_compute("k", self.compute)
        assert len(trims) == 1

    def test_not_when_the_result_is_read_from_disk(self, cache: ResultsCache, trims: list[bool]):
        cache.put("k", "kept")
        assert cache.get_or_compute("k", self.compute) == "kept"
        assert trims == []


def _refuse_in_worker() -> None:
    raise InputError("No orders to fit.")


class TestInTheWorkerProcess:
    @pytest.fixture
    def cache(self, tmp_path: Path):
        worker = WorkerProcess()
        yield ResultsCache(tmp_path / "results", worker_process=worker)
        worker.stop()

    def test_a_job_that_can_be_sent_is_computed_and_kept_by_the_worker(self, cache: ResultsCache):
        assert cache.get_or_start("pid", Job(os.getpid)) == Pending("pid")
        cache.wait("pid", timeout=60)
        assert cache.get("pid") != os.getpid()

    def test_the_worker_keeps_the_same_result_as_the_thread(self, cache: ResultsCache, tmp_path: Path):
        columns = {"segment": ["North", "South", None], "value": [1.5, float("nan"), 3.0]}
        cache.start("frame", Job(pd.DataFrame, (columns,)))
        cache.wait("frame", timeout=60)
        on_thread = ResultsCache(tmp_path / "thread")
        on_thread.start("frame", Job(pd.DataFrame, (columns,)))
        on_thread.wait("frame", timeout=60)
        pd.testing.assert_frame_equal(cache.get("frame"), on_thread.get("frame"))

    def test_a_closure_or_a_function_made_at_run_time_runs_on_the_thread(self, cache: ResultsCache):
        def here() -> int:
            return os.getpid()

        cache.start("closure", lambda: os.getpid())
        cache.start("local", Job(here))
        for key in ("closure", "local"):
            cache.wait(key, timeout=60)
            assert cache.get(key) == os.getpid()

    def test_an_error_in_the_worker_is_reported_once(self, cache: ResultsCache):
        cache.start("refused", Job(_refuse_in_worker))
        cache.wait("refused", timeout=60)
        reported = cache.get_or_start("refused", Job(_refuse_in_worker))
        assert isinstance(reported, Pending) and isinstance(reported.error, InputError)
        assert str(reported.error) == "No orders to fit."
