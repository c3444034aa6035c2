"""What a long-running process keeps in memory: DuckDB's bound and freed memory given back.

Two settings, read from the environment by whoever runs the server or the command line (and
documented in the README's settings table):

``BSC_DUCKDB_MEMORY_MB`` (default :data:`DEFAULT_DUCKDB_MEMORY_MB`)
    The most DuckDB may hold in its buffer pool: the tables the engine keeps loaded (surveys,
    tickets, customers, the per-customer-and-month table) and the working memory of a running
    query. Past it, DuckDB writes kept tables and the intermediate results of large joins and
    aggregations to its spill folder instead of failing. Without a limit DuckDB takes up to 80 %
    of the machine's memory and keeps its buffers once used.
``BSC_DUCKDB_TEMP_DIR`` (default: ``bsc-duckdb-<process id>`` in the system's temporary folder)
    DuckDB's spill folder. Its own default is ``.tmp`` in the current folder, which for the app
    is the source tree; one folder per process, because two DuckDB processes must not share one.

:func:`give_back_freed_memory` returns the memory freed by a big computation to the system:
glibc's allocator otherwise keeps it in its arenas (one per thread that allocated, up to eight
per core), and the server's resident size never comes down after a 10M-order job.
:func:`given_back_after_slow_work` does it after a page's run that took long, and
:func:`limit_allocator_arenas` makes glibc share fewer arenas between threads, so that memory one
thread freed is reused by the next job on another thread instead of new memory being taken.
:func:`arrow_uses_system_allocator` has Arrow allocate from that same allocator (see there why).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from pathlib import Path

from bsc.errors import InputError

__all__ = [
    "DEFAULT_DUCKDB_MEMORY_MB",
    "DUCKDB_MEMORY_SETTING",
    "DUCKDB_TEMP_DIR_SETTING",
    "arrow_uses_system_allocator",
    "duckdb_memory_limit",
    "duckdb_temp_directory",
    "give_back_freed_memory",
    "given_back_after_slow_work",
    "limit_allocator_arenas",
    "remove_stale_spill_folders",
]

DUCKDB_MEMORY_SETTING = "BSC_DUCKDB_MEMORY_MB"
DUCKDB_TEMP_DIR_SETTING = "BSC_DUCKDB_TEMP_DIR"
_SPILL_PREFIX = "bsc-duckdb-"
# At 1M customers / 10M orders the kept tables take about 0.95 GB once every page has been
# opened (0.65 GB for the Scorecard alone); 2 GiB leaves room for a query beside them without
# spilling, and keeps DuckDB's share of a 4 GB server bounded.
DEFAULT_DUCKDB_MEMORY_MB = 2048
# A run at least this long built something big enough to be worth trimming after; trimming
# costs up to a few tenths of a second on a fragmented heap of gigabytes, so not after every click.
SLOW_WORK_SECONDS = 1.0
# Arrow's own variable naming its allocator, read once, when pyarrow is first imported.
ARROW_POOL_SETTING = "ARROW_DEFAULT_MEMORY_POOL"
# glibc's M_ARENA_MAX parameter of mallopt, and the count the server asks for: one per core of
# this project's machine. glibc's default is eight per core.
_M_ARENA_MAX = -8
ARENAS = 2
# The smallest limit accepted: below it DuckDB cannot run a query at all.
MIN_DUCKDB_MEMORY_MB = 64


def duckdb_memory_limit(environ: Mapping[str, str] | None = None) -> str:
    """DuckDB's ``memory_limit``: :data:`DUCKDB_MEMORY_SETTING` megabytes when set, else
    :data:`DEFAULT_DUCKDB_MEMORY_MB`, in DuckDB's units (``"2048MiB"``: binary megabytes, as
    the setting's name means; DuckDB reads ``MB`` as 10^6 bytes).

    Raises
    ------
    InputError
        If the setting is not a whole number of at least :data:`MIN_DUCKDB_MEMORY_MB`.
    """
    text = (os.environ if environ is None else environ).get(DUCKDB_MEMORY_SETTING, "").strip()
    if not text:
        return f"{DEFAULT_DUCKDB_MEMORY_MB}MiB"
    megabytes = int(text) if text.isdigit() else 0
    if megabytes < MIN_DUCKDB_MEMORY_MB:
        raise InputError(
            f"{DUCKDB_MEMORY_SETTING} must be a whole number of megabytes, at least "
            f"{MIN_DUCKDB_MEMORY_MB}, not {text!r}."
        )
    return f"{megabytes}MiB"


def duckdb_temp_directory(environ: Mapping[str, str] | None = None) -> Path:
    """DuckDB's spill folder: :data:`DUCKDB_TEMP_DIR_SETTING` when set, else a folder of this
    process in the system's temporary folder. DuckDB creates it when it first spills.

    A server stopped by a signal leaves its spill files behind (hundreds of megabytes at 10M
    orders), so the default folders of processes that no longer run are removed here.
    """
    text = (os.environ if environ is None else environ).get(DUCKDB_TEMP_DIR_SETTING, "").strip()
    if text:
        return Path(text).expanduser()
    parent = Path(tempfile.gettempdir())
    remove_stale_spill_folders(parent)
    return parent / f"{_SPILL_PREFIX}{os.getpid()}"


def remove_stale_spill_folders(parent: Path) -> list[Path]:
    """Remove the default spill folders in ``parent`` whose process is gone; the removed ones.

    Only folders named as :func:`duckdb_temp_directory` names them (``bsc-duckdb-<pid>``) are
    looked at; one whose process still runs (or whose id was reused) is left alone.
    """
    removed = []
    for folder in parent.glob(f"{_SPILL_PREFIX}*"):
        pid = folder.name.removeprefix(_SPILL_PREFIX)
        if not pid.isdigit() or not folder.is_dir() or _running(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim  # noqa: B018 - glibc only; musl and macOS lack it
    except (OSError, AttributeError):
        return None
    return libc


def give_back_freed_memory() -> bool:
    """Return the memory freed in this process's allocator to the system (glibc's
    ``malloc_trim(0)``: every arena, not only the top of the main heap); False where the C
    library has no such call. Cheap (milliseconds): call it after a job that built and dropped
    large frames."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


@contextmanager
def given_back_after_slow_work(min_seconds: float = SLOW_WORK_SECONDS) -> Iterator[None]:
    """Around work that may build large frames: when it took at least ``min_seconds`` (wall
    clock, whether it finished or raised), give the freed memory back afterwards."""
    started = time.perf_counter()
    try:
        yield
    finally:
        if time.perf_counter() - started >= min_seconds:
            give_back_freed_memory()


def limit_allocator_arenas(count: int = ARENAS, environ: Mapping[str, str] | None = None) -> bool:
    """Ask glibc for at most ``count`` malloc arenas in this process (``mallopt(M_ARENA_MAX)``),
    unless whoever started it chose with glibc's own ``MALLOC_ARENA_MAX`` variable. Call it at
    start, before threads allocate. True when the limit was set."""
    if "MALLOC_ARENA_MAX" in (os.environ if environ is None else environ):
        return False
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, count))


def arrow_uses_system_allocator(environ: MutableMapping[str, str] | None = None) -> bool:
    """Have Arrow allocate from the C library's allocator (its ``system`` pool) unless whoever
    started the process chose one with Arrow's own :data:`ARROW_POOL_SETTING`; True when set.

    Arrow's wheels allocate from a mimalloc of their own by default. On this project's data it
    hands pages back and takes them again so often that the kernel's time dominates: reading,
    detecting and preparing the 100k-customer company's five files took 0.9–1.3 s of system
    CPU with mimalloc and 0.3–0.4 s with the system's allocator, for the same user CPU and less
    resident memory (375 against 440 MB). Allocated there, Arrow's freed memory is also given
    back by :func:`give_back_freed_memory` with the rest. Call it before pyarrow is imported
    (``bsc``'s own import does); when it already is, its default pool is switched for the
    allocations to come. The variable is inherited by the processes this one starts.
    """
    environ = os.environ if environ is None else environ
    if environ.get(ARROW_POOL_SETTING, "").strip():
        return False
    environ[ARROW_POOL_SETTING] = "system"
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.set_memory_pool(arrow.system_memory_pool())
    return True
