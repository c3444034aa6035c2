"""Results kept with the workspace's data, and slow extras that arrive after the rest of a page.

A page asks :func:`kept` for a result it needs before it can draw (the scorecard's KPIs): it is
read from the data folder's results cache (:class:`bsc.results_cache.ResultsCache`) or computed
now and kept. A page asks :func:`later` for an extra it can draw after the rest (What changed, a
churn forecast): when nothing is kept yet, the extra is computed on the server's background
worker, the page shows a note in its place, and :func:`refresh_when_ready` reruns the page once
every extra it waits for has arrived.

A page that fits a model asks :func:`fitted`: the fit runs on the background worker like an
extra, and until it arrives the page shows the last result kept for this workspace (with the
parameters it was computed for), so that opening the page or changing a setting never waits.

``BSC_SLOW_EXTRAS=inline`` computes the extras in the page's own run instead (AppTest, which
does not run the page again by itself, and scripts that want one complete run).

Extras given as a :func:`job` (a module-level function with its arguments) are computed in the server's one worker process (:mod:`bsc.worker_process`), so
that a model fit does not hold the GIL the sessions' scripts need; ``BSC_FIT_WORKER=thread``
keeps every extra on the background thread (tests that replace a model function at run time).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from bsc.errors import InputError
from bsc.result_files import keep_type
from bsc.results_cache import Pending, ResultsCache, result_key
from bsc.worker_process import Job, WorkerProcess
from ui.context import get_store

SLOW_EXTRAS = "BSC_SLOW_EXTRAS"
# "process" (the default) or "thread": where the background extras that can be sent run.
FIT_WORKER = "BSC_FIT_WORKER"
# Jobs reading more table files than this run on the server's thread (see job()): the generated
# company's Parquet files are 17 MB at 100k customers, 56 MB at 300k, 185 MB at a million.
WORKER_MAX_MB = "BSC_FIT_WORKER_MAX_MB"
DEFAULT_WORKER_MAX_MB = 64
# How often a page waiting for an extra looks whether it has arrived.
POLL_SECONDS = 1.0


@keep_type
@dataclass(frozen=True)
class Unavailable:
    """An extra that this data cannot give (the computation refused it with an InputError).

    Kept like any result: the same data would be refused again.
    """

    message: str


def results_cache() -> ResultsCache:
    """The results cache of this server's data folder (``results/`` in it), shared by every session."""
    return _cache_for(str(get_store().data_dir))


@st.cache_resource(show_spinner=False, max_entries=4)
def _cache_for(data_dir: str) -> ResultsCache:
    worker = None if os.environ.get(FIT_WORKER) == "thread" else WorkerProcess()
    return ResultsCache(Path(data_dir) / "results", worker_process=worker)


def job(function: Callable[..., Any], *args: object, **kwargs: object) -> Job:
    """``function`` with its arguments, as an extra that can run in the worker process: the
    function must be defined at module level and the arguments plain data (a function that is
    not, or a closure, still runs, on the background thread).

    A job whose tables (the ``{name: [paths]}`` among its arguments) hold more than
    ``BSC_FIT_WORKER_MAX_MB`` of files also runs on the background thread: the worker would read
    them again into memory of its own (its DuckDB, its frames) beside the server's copy. At ten
    million orders that second copy took the server and its worker from 4.2 to 6.1 GB, more
    than the GIL's wait costs.
    """
    in_process = _data_bytes([*args, *kwargs.values()]) <= worker_max_bytes()
    return Job(function, args, kwargs, in_process=in_process)


def worker_max_bytes() -> int:
    """The most bytes of table files a job may read and still run in the worker process."""
    text = os.environ.get(WORKER_MAX_MB, "").strip()
    try:
        megabytes = float(text) if text else DEFAULT_WORKER_MAX_MB
    except ValueError:
        raise InputError(f"{WORKER_MAX_MB} must be a number of megabytes, not {text!r}.") from None
    return int(megabytes * 2**20)


def _data_bytes(arguments: Sequence[object]) -> int:
    """Bytes of the table files named by ``arguments``' ``{name: [paths]}`` mappings."""
    total = 0
    for argument in arguments:
        if not isinstance(argument, Mapping):
            continue
        for paths in argument.values():
            for path in paths if isinstance(paths, list | tuple) else ():
                if isinstance(path, str | os.PathLike):
                    try:
                        total += os.stat(path).st_size
                    except OSError:
                        continue  # gone or not a file: the job itself will say so
    return total


@dataclass(frozen=True)
class _Refusing:
    """An extra whose refusal (an InputError) is its result: an :class:`Unavailable`."""

    compute: Callable[[], Any]

    def __call__(self) -> Any:
        try:
            return self.compute()
        except InputError as error:
            return Unavailable(str(error))

    @property
    def sendable(self) -> bool:
        """Whether it can run in the worker process (:attr:`bsc.worker_process.Job.sendable`)."""
        return getattr(self.compute, "sendable", False) is True


def kept(name: str, fingerprint: str, params: Sequence[object], compute: Callable[[], Any]) -> Any:
    """Result ``name`` of the data with ``fingerprint`` and ``params``: kept, or computed now and kept."""
    return results_cache().get_or_compute(result_key(name, fingerprint, *params), compute)


def later(name: str, fingerprint: str, params: Sequence[object], compute: Callable[[], Any]) -> Any:
    """Extra ``name``: the kept result, an :class:`Unavailable`, or a :class:`~bsc.results_cache.Pending`
    while the background worker computes it (with ``error`` set if that failed)."""
    key = result_key(name, fingerprint, *params)
    refusing = _Refusing(compute)
    if os.environ.get(SLOW_EXTRAS) == "inline":
        return results_cache().get_or_compute(key, refusing)
    return results_cache().get_or_start(key, refusing)


@dataclass(frozen=True)
class Fitted:
    """What a model page draws: ``result`` (None when nothing is kept yet) computed for ``params``,
    and ``pending`` while the result of the asked parameters is being computed."""

    result: Any
    params: tuple | None
    pending: Pending | None = None

    @property
    def stale(self) -> bool:
        """Whether ``result`` is an earlier one, shown while the asked one is computed."""
        return self.result is not None and self.pending is not None


def fitted(name: str, fingerprint: str, params: Sequence[object], compute: Callable[[], Any]) -> Fitted:
    """Model ``name`` of the data with ``fingerprint`` fitted with ``params`` (see :func:`later`),
    or, while it is computed, the last one kept for this data.

    Every result shown is remembered as the data's latest (on disk, beside the results), so a
    page opened later, in any session or after a restart, can start from it (:func:`latest_params`).
    An :class:`Unavailable` is shown but never remembered.
    """
    params = tuple(params)
    result = later(name, fingerprint, params, compute)
    if not isinstance(result, Pending):
        if not isinstance(result, Unavailable) and latest_params(name, fingerprint) != params:
            results_cache().put(_latest_key(name, fingerprint), params)
        return Fitted(result, params)
    last = latest_params(name, fingerprint)
    if last is not None and last != params:
        earlier = results_cache().get(result_key(name, fingerprint, *last))
        if earlier is not None and not isinstance(earlier, Unavailable):
            return Fitted(earlier, last, result)
    return Fitted(None, None, result)


def latest_params(name: str, fingerprint: str) -> tuple | None:
    """The parameters of the last model ``name`` shown for the data with ``fingerprint``."""
    return results_cache().get(_latest_key(name, fingerprint))


def _latest_key(name: str, fingerprint: str) -> str:
    return result_key(f"{name}-latest", fingerprint)


def prefetch(
    name: str, fingerprint: str, params: Sequence[object], compute: Callable[[], Any], *, soon: bool = False
) -> None:
    """Compute result ``name`` on the background worker, after whatever it is doing, unless it is
    kept already: for results a later click is likely to ask for. Nothing is drawn, nothing waits.

    ``soon``: the very next click is likely to ask for it (one filter away from the view shown):
    it runs before the extras pages wait for (see :meth:`bsc.results_cache.ResultsCache.start`).
    Off with ``BSC_SLOW_EXTRAS=inline``: a run then does only what it draws.
    """
    if os.environ.get(SLOW_EXTRAS) != "inline":
        results_cache().start(result_key(name, fingerprint, *params), compute, soon=soon)


def refresh_when_ready(waiting: Sequence[Pending]) -> None:
    """At the end of a page: rerun it once every extra in ``waiting`` has been computed.

    A fragment looks every :data:`POLL_SECONDS`; only it reruns meanwhile, so the rest of the
    page stays as it is and its widgets stay usable.
    """
    keys = [p.key for p in waiting if p.error is None]
    if not keys:
        return

    @st.fragment(run_every=POLL_SECONDS)
    def _look() -> None:
        cache = results_cache()
        if not any(cache.running(key) for key in keys):
            st.rerun()

    _look()


def pending_note(what: str, pending: Pending) -> None:
    """The note drawn where an extra will appear, or why it did not."""
    if pending.error is not None:
        st.warning(f"{what} could not be computed this time: {pending.error}", icon=":material/warning:")
    else:
        st.caption(f":material/hourglass_top: {what}: being computed, it appears here in a moment.")
