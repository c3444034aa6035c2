"""The server's one worker process: heavy background jobs (model fits, scans) run off its GIL.

Streamlit runs every session's script in a thread of the one server process. A model fit on a
background thread of that process holds the GIL through its pandas, DuckDB and Python parts, so
every session's rerun waits for it. Run in a process of its own, a fit takes a core, not the
interpreter; the scripts keep theirs.

One process at most, started on the first job (``spawn``: forking a server with running threads
is unsafe), used for one job at a time, and stopped once it has been idle for
:data:`IDLE_SECONDS`, so that the memory of its imports and models is given back between bursts
of work. A job is a :class:`Job`: a module-level function the worker imports by its name, with
arguments that are plain data (paths, parameters, frames); ``concurrent.futures`` carries it to
the worker, as ``joblib.Parallel`` carries the app's own objects between its workers. Nothing
read from a file is ever sent. What a job returns goes back the same way (the results cache has
it write its result to disk itself, so nothing large comes back). A worker that dies (killed,
out of memory) fails the job it ran; the next job starts a new worker. A worker whose server
has gone (stopped or killed without shutting it down) exits within :data:`PARENT_CHECK_SECONDS`.
The worker runs at a lower priority (:data:`WORKER_NICE`): on a machine whose cores are all busy,
the sessions' reruns come before a fit nobody is clicking for.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

__all__ = ["IDLE_SECONDS", "WORKER_NICE", "Job", "WorkerProcess"]

# Long enough to keep the worker (and its imports) through a burst of clicks, short enough that
# a quiet server soon holds no second interpreter (the worker's imports and models take about
# 450 MB; with 20 s the crowded workshop's server was still at 1,077 MB 15 s after the crowd).
IDLE_SECONDS = 10.0
# How often the worker looks whether the server that started it is still running.
PARENT_CHECK_SECONDS = 1.0
# The worker's nice value. Its jobs are waited for by nobody's click: when the cores are all
# busy, the sessions' scripts in the server (nice 0) get them first and the fit takes what is
# left, instead of taking a core away from every rerun in the room.
WORKER_NICE = 10


@dataclass(frozen=True)
class Job:
    """``function(*args, **kwargs)`` as a background job that the worker process can run."""

    function: Callable[..., Any]
    args: tuple = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    # False: run it on the server's background thread (e.g. data too large to read twice).
    in_process: bool = True

    def __call__(self) -> Any:
        return self.function(*self.args, **self.kwargs)

    @property
    def sendable(self) -> bool:
        """Whether the worker process finds the same function under its module and name; not
        for a function made at run time (a closure, a page script's own) or replaced since, nor
        for a job kept on the server (:attr:`in_process` false)."""
        if not self.in_process:
            return False
        qualified = getattr(self.function, "__qualname__", "")
        found: Any = sys.modules.get(getattr(self.function, "__module__", None) or "")
        if found is None or "<" in qualified or found is sys.modules.get("__main__"):
            return False
        for part in qualified.split("."):
            found = getattr(found, part, None)
        return found is self.function


class WorkerProcess:
    """Runs one job at a time in a child process (thread-safe; callers wait for their job)."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS) -> None:
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._running = 0
        self._idle_timer: threading.Timer | None = None

    def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` in the worker process; its result, or its exception raised here.

        The calling thread waits without holding the GIL. A worker that died is replaced at the
        next call; this call then raises :class:`~concurrent.futures.process.BrokenProcessPool`.
        """
        with self._lock:
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(os.getpid(),),
                )
            pool = self._pool
            self._running += 1
        try:
            with _no_script_as_main():  # the process is spawned here, on the pool's first job
                future = pool.submit(function, *args)
            return future.result()
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0 and self._pool is not None:
                    self._idle_timer = threading.Timer(self.idle_seconds, self._stop_if_idle)
                    self._idle_timer.daemon = True
                    self._idle_timer.start()

    @property
    def started(self) -> bool:
        """Whether a worker process is running now."""
        with self._lock:
            return self._pool is not None

    def stop(self) -> None:
        """Stop the worker process (after the job it runs, if any)."""
        with self._lock:
            pool, self._pool = self._pool, None
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
        if pool is not None:
            pool.shutdown(wait=True)

    def _stop_if_idle(self) -> None:
        with self._lock:
            if self._running or self._pool is None:
                return
            pool, self._pool = self._pool, None
            self._idle_timer = None
        pool.shutdown(wait=True)


# One stand-in at a time (two threads swapping __main__ could leave a stand-in behind).
_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _no_script_as_main() -> Iterator[None]:
    """While a worker is spawned: a ``__main__`` module without a file.

    ``spawn`` runs the parent's ``__main__`` file again in the child before the first job.
    Streamlit installs each script it runs as ``__main__`` (the app's entry point, a page, a
    test's script), so the worker would run that script again, or fail on it. A script started
    meanwhile installs its own module; it is left in place.
    """
    with _MAIN_LOCK:
        main = sys.modules.get("__main__")
        stand_in = types.ModuleType("__main__")
        sys.modules["__main__"] = stand_in
        try:
            yield
        finally:
            if sys.modules.get("__main__") is stand_in and main is not None:
                sys.modules["__main__"] = main


def _start_worker(parent: int) -> None:
    """In the worker, before its first job: give way to the server's scripts, and watch the server."""
    with contextlib.suppress(OSError):  # not allowed here: it runs at the server's priority
        os.nice(max(0, WORKER_NICE - os.nice(0)))
    _exit_with_parent(parent)


def _exit_with_parent(parent: int) -> None:
    """In the worker: exit once the server that started it has gone (it is then re-parented)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="bsc-worker-parent", daemon=True).start()
