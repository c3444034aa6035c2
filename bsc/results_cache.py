"""Results computed once from a workspace's data and kept on disk beside it, keyed by its content.

A scorecard, the What changed scan or a churn forecast depends only on the workspace's tables
(summed up by :meth:`bsc.store.Store.workspace_fingerprint`) and a few parameters. Kept here, a
result survives a server restart: the next first view reads it instead of computing it again.
When the data change, so does the fingerprint, and the old entries are simply never asked for
again; the least recently used go first once the cache passes its bounds.

:class:`ResultsCache` also computes slow results in the background (one worker thread, one job
per key at a time), so that a page can draw what it already has and fill in the rest later. Given
a :class:`~bsc.worker_process.WorkerProcess`, the worker thread hands every job it can send there
(one whose ``sendable`` is true, such as a :class:`~bsc.worker_process.Job`) to that process,
which computes the result and keeps it itself, and waits without holding the GIL; other jobs
(closures) run on the thread as before. A
result a page waits for (:meth:`ResultsCache.get_or_start`) runs before the results started
ahead of a later click (:meth:`ResultsCache.start`): a model asked on opening its page does not
wait behind the Scorecard's prefetched periods. The few results started for the very next click
(``soon=True``: the Scorecard's KPIs one filter away from the view shown, a second or two each)
run before both, so that a click on the sidebar finds them kept rather than computing them itself.

Each result is a data file (:mod:`bsc.result_files`: JSON and Parquet in a zip), so a file in
the folder can at worst hold wrong numbers, never code that reading it would run.

Computing a result builds and drops large frames (at 10M orders, per-customer tables of a
million rows); once it is kept, the memory they took is given back to the system
(:func:`bsc.memory.give_back_freed_memory`), so the server does not stay at its peak.
"""

from __future__ import annotations

import contextlib
import copy
import heapq
import itertools
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bsc.cache_keys import cache_key
from bsc.imports import retrying_import_deadlocks
from bsc.memory import give_back_freed_memory
from bsc.result_files import read_result, write_result
from bsc.worker_process import WorkerProcess

__all__ = ["Pending", "ResultsCache", "result_key"]

# The order of the waiting jobs: those the next click needs, those a page waits for, then those
# started ahead of later clicks.
SOON, ASKED, AHEAD = 0, 1, 2
SUFFIX = ".result"
# Bumped when the kept form of a result changes: old files are then never read.
FORMAT = "2"
# Results read lately stay decoded in memory up to this many bytes of their files, so that a
# rerun does not unzip and decode the same model result again. Files smaller than
# DECODED_FROM_BYTES decode in no time and are not kept (the pointers rewritten under one key
# among them).
DECODED_BYTES = 64 * 2**20
DECODED_FROM_BYTES = 64 * 2**10


def result_key(name: str, fingerprint: str, *params: object) -> str:
    """The key of result ``name`` of the data with ``fingerprint`` and these parameters.

    ``params`` must have stable ``repr`` forms (strings, numbers, None, tuples, frozen
    dataclasses): they are hashed through :func:`bsc.cache_keys.cache_key`.
    """
    return f"{name}-{cache_key(FORMAT, fingerprint, *params)}"


@dataclass(frozen=True)
class Pending:
    """A result being computed in the background; ``error`` is set when the computation failed."""

    key: str
    error: BaseException | None = None


class ResultsCache:
    """At most ``max_entries`` results and ``max_bytes`` on disk in ``folder``; thread-safe.

    Reading an entry marks it as used (its file's modification time), so the least recently used
    entries are the ones removed when a new entry passes a bound.
    """

    def __init__(
        self,
        folder: str | Path,
        max_entries: int = 256,
        max_bytes: int = 512 * 2**20,
        worker_process: WorkerProcess | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        # Where background jobs that can be sent to another process run (None: on the thread).
        self.worker_process = worker_process
        # key -> (the file's inode and size, the decoded result): see DECODED_BYTES.
        self._decoded: OrderedDict[str, tuple[tuple[int, int], Any]] = OrderedDict()
        self._decoded_bytes = 0
        # Re-entrant: cancelling a job runs its done-callback, which takes the lock, at once.
        self._lock = threading.RLock()
        self._jobs: dict[str, Future] = {}
        # Waiting jobs by priority, then in the order started; a job asked again while it waits
        # ahead is queued a second time as asked, and whichever entry comes first runs it.
        self._waiting: list[tuple[int, int, str, Callable[[], Any], Future]] = []
        self._priority: dict[str, int] = {}
        self._order = itertools.count()
        self._worker: ThreadPoolExecutor | None = None

    # -- on disk ---------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}{SUFFIX}"

    def get(self, key: str, default: Any = None) -> Any:
        """The kept result of ``key``; ``default`` when there is none (or it cannot be read).

        Each call returns a result of its own (a copy of the one decoded lately, if any), which
        the caller may change without changing anyone else's.
        """
        path = self._path(key)
        try:
            status = path.stat()
        except FileNotFoundError:
            self._forget_decoded(key)
            return default
        # A file written again under the key is a new file (written aside and renamed).
        identity = (status.st_ino, status.st_size)
        with self._lock:
            decoded = self._decoded.get(key)
            if decoded is not None and decoded[0] == identity:
                self._decoded.move_to_end(key)
        if decoded is not None and decoded[0] == identity:
            result = copy.deepcopy(decoded[1])
        else:
            try:
                result = read_result(path)
            except FileNotFoundError:
                self._forget_decoded(key)
                return default
            except Exception:  # a file cut short by a crash, or from another version: compute again
                path.unlink(missing_ok=True)
                self._forget_decoded(key)
                return default
            if DECODED_FROM_BYTES <= status.st_size <= DECODED_BYTES:
                self._remember_decoded(key, identity, copy.deepcopy(result))
        with contextlib.suppress(OSError):
            os.utime(path)
        return result

    def _remember_decoded(self, key: str, identity: tuple[int, int], result: Any) -> None:
        with self._lock:
            self._forget_decoded(key)
            self._decoded[key] = (identity, result)
            self._decoded_bytes += identity[1]
            while self._decoded_bytes > DECODED_BYTES and len(self._decoded) > 1:
                _, ((_, size), _) = self._decoded.popitem(last=False)
                self._decoded_bytes -= size

    def _forget_decoded(self, key: str) -> None:
        with self._lock:
            forgotten = self._decoded.pop(key, None)
            if forgotten is not None:
                self._decoded_bytes -= forgotten[0][1]

    def put(self, key: str, result: Any) -> None:
        """Keep ``result`` under ``key`` (written whole or not at all), then trim to the bounds."""
        self.folder.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a reader never sees half a file, even across processes.
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
        try:
            os.close(handle)
            write_result(result, Path(temporary))
            os.replace(temporary, self._path(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._forget_decoded(key)
        self._trim(keep=key)

    def has(self, key: str) -> bool:
        """Whether a result is kept under ``key`` (without reading it)."""
        return self._path(key).exists()

    def get_or_compute(self, key: str, compute: Callable[[], Any]) -> Any:
        """The kept result of ``key``, else ``compute()``, kept. Errors are raised, not kept.

        When the background worker is computing the same key, its result is awaited rather than
        computed twice; a job still queued for it is cancelled (asked now, it is computed now).
        """
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.cancel():
                self._jobs.pop(key, None)
                job = None
        if job is not None and not job.done():
            with contextlib.suppress(Exception):
                job.result()
        missing = object()
        result = self.get(key, missing)
        if result is missing:
            result = compute()
            self.put(key, result)
            give_back_freed_memory()
        return result

    def _trim(self, keep: str) -> None:
        entries = []
        for path in self.folder.glob(f"*{SUFFIX}"):
            try:
                status = path.stat()
            except FileNotFoundError:
                continue
            entries.append((status.st_mtime, status.st_size, path))
        entries.sort(reverse=True)  # the most recently used first
        total = 0
        for count, (_, size, path) in enumerate(entries, start=1):
            total += size
            if path.name != f"{keep}{SUFFIX}" and (count > self.max_entries or total > self.max_bytes):
                path.unlink(missing_ok=True)

    # -- in the background -----------------------------------------------------------------

    def get_or_start(self, key: str, compute: Callable[[], Any]) -> Any:
        """The kept result of ``key``; else start ``compute`` in the background (:meth:`start`) and
        return a :class:`Pending`, with the error once the computation has failed.

        A failed job is reported once and then forgotten, so the next call tries again.
        """
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and not job.done():
                if self._priority.get(key, ASKED) > ASKED:
                    self._queue(key, compute, job, ASKED)
                return Pending(key)
            if job is not None:
                del self._jobs[key]
                if not job.cancelled() and job.exception() is not None:
                    return Pending(key, job.exception())
        missing = object()
        result = self.get(key, missing)
        if result is not missing:
            return result
        self.start(key, compute, asked=True)
        return Pending(key)

    def start(self, key: str, compute: Callable[[], Any], *, asked: bool = False, soon: bool = False) -> None:
        """Compute and keep ``key`` on the background worker, unless it is kept or running.

        Jobs run one at a time: first those needed ``soon`` (by the next click), then those
        ``asked`` (a page waits for them), then the others, each group in the order started. A
        job still waiting is moved up when started again with a higher priority. A job that
        failed stays known (and is not started again) until :meth:`get_or_start` has reported
        its error.
        """
        priority = SOON if soon else ASKED if asked else AHEAD
        with self._lock:
            job = self._jobs.get(key)
            if job is not None:
                if not job.done() and priority < self._priority.get(key, priority):
                    self._queue(key, compute, job, priority)
                return
            if self.has(key):
                return
            job = Future()
            self._jobs[key] = job
            self._queue(key, compute, job, priority)
        job.add_done_callback(lambda done: self._forget_success(key, done))

    def _queue(self, key: str, compute: Callable[[], Any], job: Future, priority: int) -> None:
        # Called with the lock held. One task per entry: each runs the first waiting entry.
        heapq.heappush(self._waiting, (priority, next(self._order), key, compute, job))
        self._priority[key] = min(priority, self._priority.get(key, priority))
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bsc-results")
        self._worker.submit(self._run_next)

    def _run_next(self) -> None:
        with self._lock:
            if not self._waiting:
                return
            _, _, key, compute, job = heapq.heappop(self._waiting)
            # Run already from an earlier entry, or cancelled (asked now, computed by the asker).
            if job.running() or job.done() or not job.set_running_or_notify_cancel():
                return
            if self._jobs.get(key) is job:
                self._priority.pop(key, None)
        try:
            self._compute_and_keep(key, compute)
        except BaseException as error:  # kept on the job, as an executor does, for get_or_start
            job.set_exception(error)
        else:
            job.set_result(None)
        finally:
            # The result and everything built for it are dropped by now: only the file holds it.
            give_back_freed_memory()

    def _compute_and_keep(self, key: str, compute: Callable[[], Any]) -> None:
        # Returns nothing: a finished job holds no result in memory, the file has it.
        if self.has(key):
            return
        if self.worker_process is not None and getattr(compute, "sendable", False) is True:
            self.worker_process.run(
                _keep_in_worker, str(self.folder), self.max_entries, self.max_bytes, key, compute
            )
            return
        # A page opened meanwhile may be importing what the job imports (see bsc.imports).
        self.put(key, retrying_import_deadlocks(compute))

    def _forget_success(self, key: str, job: Future) -> None:
        with self._lock:
            if self._jobs.get(key) is job and (job.cancelled() or job.exception() is None):
                del self._jobs[key]
                self._priority.pop(key, None)

    def running(self, key: str) -> bool:
        """Whether a background job for ``key`` has not finished yet."""
        with self._lock:
            job = self._jobs.get(key)
            return job is not None and not job.done()

    def wait(self, key: str, timeout: float | None = None) -> None:
        """Wait for the background job of ``key`` (if any) to finish, for tests and scripts."""
        with self._lock:
            job = self._jobs.get(key)
        if job is not None:
            futures.wait([job], timeout=timeout)


def _keep_in_worker(
    folder: str, max_entries: int, max_bytes: int, key: str, compute: Callable[[], Any]
) -> None:
    """In the worker process: compute the job and keep its result in the same folder."""
    cache = ResultsCache(folder, max_entries, max_bytes)
    if not cache.has(key):
        cache.put(key, compute())
