"""Time the KPI engine as the order log grows: about 1M, 3M and 10M orders, and the slope.

Usage::

    .venv/bin/python bench/bench_scale.py [--customers 100000,300000,1000000] [--cache /tmp/bsc-scale]
                                          [--repeat 3] [--by region] [--cli]

For each size, the generated company (:func:`bsc.demo.write_company`, 30 months, seed 7: about
ten orders per customer) is written once into ``CACHE/<customers>/``, as its five CSV files and
as the canonical Parquet files the app stores (each table mapped and prepared as the app does:
:func:`bsc.detect.detect_mapping`, :func:`bsc.prepare.prepare_table`), and reused by later runs.
Then, in a fresh Python process per size (so that its peak memory is that size's alone), on
DuckDB:

- load: :func:`bsc.kpis.load_tables` on a fresh :class:`bsc.engine.Backend` (read the Parquet
  files and derive the order and customer tables the KPI queries start from), ``--repeat`` times;
- the first full scorecard (every KPI) monthly by ``--by`` right after a load (what a page's first
  view waits for besides the load);
- the full scorecard monthly by ``--by`` and monthly for all customers, median of ``--repeat``
  runs after that first one (the tables loaded, nothing else kept between runs);
- the process's peak resident memory (``getrusage``).

Over the sizes it fits, by least squares, seconds = intercept + slope × million orders for each
step, and the exponent b of seconds ∝ orders^b (on the logs): cost grows linearly when b is near 1
(below 1.15 is called linear here; below 1, the fixed costs still weigh).

``--cli`` also times, per size, two whole processes on the size's five CSV files, with their peak
memory: ``python -m bsc kpis FILES`` (import into a throw-away workspace, every KPI monthly) and
the analyst's pandas script of :mod:`bench.bench_import` (reads the five files, three KPIs).

The load average of the machine is printed before and after: figures taken while it is above 2
were measured with other work sharing the two cores.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FILES = ("customers.csv", "orders.csv", "surveys.csv", "tickets.csv", "marketing.csv")
# Exponent of seconds ∝ orders^b below which the cost is called linear.
LINEAR_EXPONENT = 1.15


# --- the company, written once per size ---------------------------------------------------------


def company_folder(cache: Path, customers: int, months: int, seed: int) -> Path:
    """The folder of one size; the defaults (30 months, seed 7) are named by the count alone."""
    name = str(customers) if (months, seed) == (30, 7) else f"{customers}-m{months}-s{seed}"
    return cache / name


def write_size(folder: Path, customers: int, months: int, seed: int) -> dict:
    """Write the company's CSV files and canonical Parquet files into ``folder``; its summary."""
    import pandas as pd

    from bsc.demo import write_company
    from bsc.detect import detect_mapping
    from bsc.prepare import prepare_table
    from bsc.table_files import write_parquet_atomic

    started = time.perf_counter()
    csv_dir, canonical_dir = folder / "csv", folder / "canonical"
    canonical_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bsc-scale-", dir=folder) as raw:
        # The raw Parquet files carry the generated frames' types; the CSV files are what a user has.
        write_company(
            csv_dir, customers=customers, months=months, seed=seed, xlsx=False, formats=("csv", "parquet")
        )
        for path in sorted(csv_dir.glob("*.parquet")):
            path.rename(Path(raw) / path.name)
        tables: dict[str, list[str]] = {}
        rows: dict[str, int] = {}
        for path in sorted(Path(raw).glob("*.parquet")):
            frame = pd.read_parquet(path)
            mapping = detect_mapping(frame, path.stem)
            canonical = prepare_table(frame, mapping).canonical
            target = canonical_dir / f"{path.stem}.parquet"
            write_parquet_atomic(canonical, target)
            tables.setdefault(mapping.kind, []).append(str(target))
            rows[path.stem] = len(canonical)
            del frame, canonical
    summary = {
        "customers": customers,
        "months": months,
        "seed": seed,
        "tables": tables,
        "rows": rows,
        "csv_mb": sum((csv_dir / name).stat().st_size for name in FILES) / 1e6,
        "seconds": time.perf_counter() - started,
    }
    (folder / "company.json").write_text(json.dumps(summary, indent=1))
    return summary


def ensure_size(cache: Path, customers: int, months: int, seed: int) -> dict:
    """The size's summary, writing the company first (in a child process) when not cached."""
    folder = company_folder(cache, customers, months, seed)
    if not (folder / "company.json").exists():
        print(f"  writing the {customers:,}-customer company into {folder} (once) ...", flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, __file__, "--write-size", str(folder)]
        command += ["--customers", str(customers), "--months", str(months), "--seed", str(seed)]
        subprocess.run(command, check=True)
    return json.loads((folder / "company.json").read_text())


# --- one size, measured in its own process ----------------------------------------------------


def measure_size(summary: dict, by: str, repeat: int) -> dict:
    """Load and scorecard timings of one size, and this process's peak memory."""
    from bsc.engine import Backend
    from bsc.kpis import compute_kpis, load_tables
    from bsc.kpis import tables as derived_tables

    tables = summary["tables"]
    loads, load_cpu = [], []
    for _ in range(repeat):
        # What a process learns once per set of files (whether ids run steadily) is forgotten:
        # each load is timed as a fresh process would meet it.
        forget = getattr(derived_tables, "_ids_run_steadily", None)
        if forget is not None:
            forget.cache_clear()
        backend = Backend.duckdb()
        start, start_cpu = time.perf_counter(), _cpu_seconds()
        load_tables(tables, backend=backend)
        loads.append(time.perf_counter() - start)
        load_cpu.append(_cpu_seconds() - start_cpu)
        del backend
    backend = Backend.duckdb()
    load_tables(tables, backend=backend)
    start = time.perf_counter()
    result = compute_kpis(tables, backend=backend, by=by)
    first = time.perf_counter() - start
    orders = int(backend.execute(_order_count(backend, tables)).iloc[0, 0])

    cpu: dict[str, list[float]] = {"load": load_cpu}

    def runs(name: str, **options: object) -> list[float]:
        seconds, cpu[name] = [], []
        for _ in range(repeat):
            start, start_cpu = time.perf_counter(), _cpu_seconds()
            compute_kpis(tables, backend=backend, **options)
            seconds.append(time.perf_counter() - start)
            cpu[name].append(_cpu_seconds() - start_cpu)
        return seconds

    return {
        "orders": orders,
        "load": loads,
        "first_by": [first],
        "by": runs("by", by=by),
        "all": runs("all"),
        "cpu": cpu,
        "kpis": len(result.values["kpi"].unique()) if "kpi" in result.values else None,
        "unavailable": [kpi for kpi, _ in result.unavailable],
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _cpu_seconds() -> float:
    """CPU seconds used so far by this process, all threads (user and system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _order_count(backend, tables):
    from bsc.kpis.tables import order_table

    return order_table(backend, tables["transactions"]).count().as_table()


def run_process(command: list[str]) -> tuple[float, float, float | None]:
    """Wall seconds, peak resident memory (MB) and CPU seconds of one whole child process (its
    own processes included); CPU seconds None when it failed (its error is printed).

    The peak is the larger of the process's own peak and the sum over it and its children
    sampled every 0.1 s: the command prepares files in processes of its own at the same time
    (forked, so pages they still share with it are counted twice: the sum errs high)."""
    from bench.bench_browser import MemoryWatch

    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=ROOT)
    watch = MemoryWatch(child.pid, every=0.1)
    _, status, usage = os.wait4(child.pid, 0)
    watch.stop()
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    peak_mb = max(usage.ru_maxrss / 1024, watch.peak / 2**20)
    if child.returncode != 0:
        print(f"    {' '.join(command[1:4])} ... failed with exit status {child.returncode}", flush=True)
        return seconds, peak_mb, None
    return seconds, peak_mb, usage.ru_utime + usage.ru_stime


def time_cli(folder: Path) -> dict:
    """``python -m bsc kpis`` and the analyst's script on the size's CSV files, whole processes."""
    from bench.bench_import import ANALYST_SCRIPT
    from bench.common import compile_project

    compile_project()  # the command's modules as an installed copy has them
    csv_dir = folder / "csv"
    with tempfile.TemporaryDirectory(prefix="bsc-scale-") as scratch:
        script = Path(scratch) / "analyst.py"
        script.write_text(ANALYST_SCRIPT)
        cli = run_process([sys.executable, "-m", "bsc", "kpis", *[str(csv_dir / name) for name in FILES]])
        analyst = run_process([sys.executable, str(script), str(csv_dir)])
    return {"cli": cli, "analyst": analyst}


# --- the slope ----------------------------------------------------------------------------------


def fit(million_orders: list[float], seconds: list[float]) -> tuple[float, float, float]:
    """Least squares seconds = intercept + slope × x; and b of seconds ∝ x^b (on the logs)."""
    slope, intercept = _least_squares(million_orders, seconds)
    exponent, _ = _least_squares(
        [math.log(x) for x in million_orders], [math.log(max(y, 1e-9)) for y in seconds]
    )
    return slope, intercept, exponent


def _least_squares(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Slope and intercept of the least-squares line through the points."""
    x_mean, y_mean = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - x_mean) ** 2 for x in xs
    )
    return slope, y_mean - slope * x_mean


# --- the report ---------------------------------------------------------------------------------


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg()) + " (1, 5, 15 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", default="100000,300000,1000000", help="sizes, comma-separated")
    parser.add_argument("--months", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/bsc-scale"), help="where companies are kept")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--by", default="region", help="segment attribute for the split scorecard")
    parser.add_argument("--cli", action="store_true", help="also time `bsc kpis` and the analyst script")
    parser.add_argument("--write-size", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure-size", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.write_size:
        write_size(args.write_size, int(args.customers), args.months, args.seed)
        return
    if args.measure_size:
        summary = json.loads((args.measure_size / "company.json").read_text())
        print(json.dumps(measure_size(summary, args.by, args.repeat)))
        return

    sizes = [int(size) for size in args.customers.split(",")]
    print(f"Load average before: {load_average()}; {os.cpu_count()} cores", flush=True)
    rows = []
    for customers in sizes:
        summary = ensure_size(args.cache, customers, args.months, args.seed)
        folder = company_folder(args.cache, customers, args.months, args.seed)
        print(
            f"  {customers:,} customers: "
            + ", ".join(f"{name} {count:,}" for name, count in summary["rows"].items())
            + f" rows; CSV files {summary['csv_mb']:.0f} MB",
            flush=True,
        )
        command = [sys.executable, __file__, "--measure-size", str(folder)]
        command += ["--repeat", str(args.repeat), "--by", args.by]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        figures = json.loads(output.strip().splitlines()[-1])
        if args.cli:
            figures |= time_cli(folder)
        rows.append((customers, summary, figures))
        print(f"    measured (load average {load_average()})", flush=True)

    print(f"\n### Ten million orders: DuckDB, median of {args.repeat} runs, monthly scorecards\n")
    header = (
        "| customers | orders | load s (CPU s) | first scorecard by {by} s | scorecard by {by} s (CPU s) "
        "| scorecard all s (CPU s) | peak MB |"
    )
    print(header.format(by=args.by))
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for customers, _, figures in rows:
        cpu = {name: statistics.median(seconds) for name, seconds in figures.get("cpu", {}).items()}
        print(
            f"| {customers:,} | {figures['orders']:,} "
            f"| {statistics.median(figures['load']):.2f} ({cpu.get('load', math.nan):.2f}) "
            f"| {figures['first_by'][0]:.2f} "
            f"| {statistics.median(figures['by']):.2f} ({cpu.get('by', math.nan):.2f}) "
            f"| {statistics.median(figures['all']):.2f} ({cpu.get('all', math.nan):.2f}) "
            f"| {figures['peak_mb']:,.0f} |"
        )
    print(
        "\nCPU s: user and system seconds of all threads (DuckDB uses both cores); steadier than wall"
        " seconds when other work shares the machine."
    )
    if rows[0][2]["unavailable"]:
        print(f"\nKPIs unavailable on the generated company: {', '.join(rows[0][2]['unavailable'])}")

    if len(rows) >= 2:
        print("\n### Growth with the order log (least squares over the sizes)\n")
        print("| step | s per million orders | intercept s | exponent b (s ∝ orders^b) | linear? |")
        print("|---|---:|---:|---:|---|")
        million = [figures["orders"] / 1e6 for _, _, figures in rows]
        for name, key in (
            ("load", "load"),
            (f"first scorecard by {args.by}", "first_by"),
            (f"scorecard by {args.by}", "by"),
            ("scorecard all customers", "all"),
        ):
            slope, intercept, exponent = fit(million, [statistics.median(f[key]) for _, _, f in rows])
            verdict = "yes" if exponent < LINEAR_EXPONENT else "no: grows faster than the orders"
            print(f"| {name} | {slope:.3f} | {intercept:.2f} | {exponent:.2f} | {verdict} |")

    if args.cli:
        print("\n### Whole processes on the five CSV files\n")
        print(
            "| customers | CSV MB | `bsc kpis` s (CPU s) | peak MB | analyst script s (CPU s) | peak MB "
            "| ratio wall (CPU) |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for customers, summary, figures in rows:
            (cli, cli_mb, cli_cpu), (analyst, analyst_mb, analyst_cpu) = figures["cli"], figures["analyst"]
            if cli_cpu is None or analyst_cpu is None:
                print(f"| {customers:,} | {summary['csv_mb']:.0f} | failed | | | | |")
                continue
            print(
                f"| {customers:,} | {summary['csv_mb']:.0f} | {cli:.1f} ({cli_cpu:.1f}) | {cli_mb:,.0f} "
                f"| {analyst:.1f} ({analyst_cpu:.1f}) | {analyst_mb:,.0f} "
                f"| {cli / analyst:.1f} ({cli_cpu / analyst_cpu:.1f}) |"
            )
    print(f"\nLoad average after: {load_average()}")


if __name__ == "__main__":
    main()
