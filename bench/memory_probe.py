"""``streamlit`` with a probe inside: what holds the server's memory, asked from outside.

Run: .venv/bin/python bench/memory_probe.py run app.py [streamlit options], with
``BSC_MEMORY_PROBE`` naming a folder. Whenever a file ``ask-NAME`` appears in that folder, a thread
of the server writes ``report-NAME.json`` there: the resident memory, what glibc's allocator holds
free, DuckDB's buffer manager (``duckdb_memory()`` and its ``memory_limit``), Streamlit's caches and
session states, and the largest DataFrames alive with what holds them. ``bench/bench_memory.py``
starts the server this way. Not part of the app: a diagnostic for the benchmarks.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import sys
import threading
import time
from pathlib import Path

PROBE = "BSC_MEMORY_PROBE"


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _malloc() -> dict[str, int]:
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    return {
        "heap_bytes": info.arena,
        "mmapped_bytes": info.hblkhd,
        "in_use_bytes": info.uordblks,
        "free_bytes": info.fordblks,
    }


def _status() -> dict[str, int]:
    wanted = {"VmRSS", "VmHWM", "RssAnon", "RssFile"}
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in wanted:
            found[name] = int(value.split()[0]) * 1024
    return found


def _duckdb() -> dict:
    from bsc.engine import default_backend

    backend = default_backend()
    if backend.name != "duckdb":
        return {}
    with backend._lock:
        raw = backend.connection.con
        memory = raw.sql(
            "SELECT tag, memory_usage_bytes, temporary_storage_bytes FROM duckdb_memory()"
        ).fetchall()
        settings = raw.sql(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('memory_limit', 'temp_directory', 'threads', 'max_temp_directory_size')"
        ).fetchall()
        tables = raw.sql("SELECT table_name, estimated_size FROM duckdb_tables()").fetchall()
    return {
        "memory": {tag: [used, spilled] for tag, used, spilled in memory if used or spilled},
        "settings": dict(settings),
        "tables": sorted(([name, size] for name, size in tables), key=lambda t: -(t[1] or 0))[:20],
        "kept_tables": len(backend._loaded),
    }


def _streamlit() -> dict:
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return {}
    runtime = Runtime.instance()
    stats = runtime.stats_mgr.get_stats()
    sizes: dict[str, int] = {}
    for family in stats.values():
        for stat in family:
            name = f"{getattr(stat, 'category_name', '?')}:{getattr(stat, 'cache_name', '?')}"
            sizes[name] = sizes.get(name, 0) + int(getattr(stat, "byte_length", 0) or 0)
    return {"sessions": len(runtime._session_mgr.list_active_sessions()), "caches": sizes}


def _frames() -> dict:
    import pandas as pd

    gc.collect()
    frames = []
    for item in gc.get_objects():
        if isinstance(item, pd.DataFrame):
            try:
                size = int(item.memory_usage(deep=False, index=True).sum())
            except Exception:
                continue
            if size > 8 * 2**20:
                holders = [type(r).__name__ for r in gc.get_referrers(item)][:6]
                frames.append((size, item.shape, list(map(str, item.columns[:6])), holders))
    frames.sort(key=lambda f: -f[0])
    return {"count_over_8mb": len(frames), "bytes": sum(f[0] for f in frames), "largest": frames[:15]}


def report(name: str, folder: Path) -> None:
    started = time.perf_counter()
    found: dict = {"name": name}
    for part, probe in (
        ("status", _status),
        ("malloc", _malloc),
        ("duckdb", _duckdb),
        ("streamlit", _streamlit),
        ("frames", _frames),
    ):
        try:
            found[part] = probe()
        except Exception as error:  # a diagnostic: say what failed and go on
            found[part] = {"error": repr(error)}
    found["seconds"] = time.perf_counter() - started
    (folder / f"report-{name}.json").write_text(json.dumps(found, indent=1, default=str))


def _watch(folder: Path) -> None:
    while True:
        for ask in sorted(folder.glob("ask-*")):
            name = ask.name.removeprefix("ask-")
            ask.unlink(missing_ok=True)
            report(name, folder)
        time.sleep(0.5)


def main() -> None:
    folder = Path(os.environ[PROBE])
    folder.mkdir(parents=True, exist_ok=True)
    threading.Thread(target=_watch, args=(folder,), daemon=True, name="memory-probe").start()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", *sys.argv[1:]]
    streamlit_main()


if __name__ == "__main__":
    main()
