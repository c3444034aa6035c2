"""Shared set-up for the benchmarks: the generated 100k-customer company in a workspace."""

from __future__ import annotations

import compileall
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bsc.demo import write_company
from bsc.store import Store
from bsc.workspace import ensure_demo_workspace


def compile_project() -> None:
    """Compile the project's modules to bytecode, as installing a package does, before a whole
    process is timed: where ``PYTHONDONTWRITEBYTECODE`` is set, Python never writes them, and
    each run would compile ``bsc`` from source (about 0.2 s of ``bsc kpis``) as no installed
    copy does. The analyst's script has no modules of its own to compile."""
    compileall.compile_dir(Path(__file__).resolve().parents[1] / "bsc", quiet=1)


@contextmanager
def timer() -> Iterator[Callable[[], float]]:
    start = time.perf_counter()
    elapsed: list[float] = []
    yield lambda: elapsed[0] if elapsed else time.perf_counter() - start
    elapsed.append(time.perf_counter() - start)


def company_workspace(folder: Path, customers: int = 100_000) -> tuple[Store, str, dict[str, float]]:
    """Write the generated company as CSV and import it into a fresh workspace, timing each step."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    write_company(folder / "csv", customers=customers, xlsx=False)
    timings["generate and write CSV"] = time.perf_counter() - started
    store = Store(folder / "store")
    started = time.perf_counter()
    workspace = ensure_demo_workspace(store, folder / "csv")
    timings["import CSV files (read, detect, prepare, store Parquet)"] = time.perf_counter() - started
    return store, workspace.id, timings


def print_table(title: str, rows: list[tuple[str, float, str]]) -> None:
    """Rows of (what, seconds, target) as a Markdown table."""
    print(f"\n### {title}\n")
    print("| step | seconds | target |")
    print("|---|---:|---|")
    for what, seconds, target in rows:
        print(f"| {what} | {seconds:.3f} | {target} |")
