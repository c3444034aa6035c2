"""Time importing the generated 100k company and `python -m bsc kpis` against an analyst's script.

Usage::

    .venv/bin/python bench/bench_import.py [--customers 100000] [--repeat 3] [--csv-dir DIR]
    .venv/bin/python bench/bench_import.py --snapshot DIR [--csv-dir DIR]
    .venv/bin/python bench/bench_import.py --compare DIR [--csv-dir DIR]

The timing run writes the demo company's five CSV files (``python -m bsc demo``; 1,457,836 rows
at 100,000 customers), then times, each as the median of ``--repeat`` runs:

- import: the five files into a fresh workspace as the app does
  (:func:`bsc.workspace.ensure_demo_workspace`: read, detect, prepare, store Parquet and SQLite),
  in this process, so without the interpreter's start;
- kpis CLI: the whole process ``python -m bsc kpis FILES`` (interpreter start, imports, import
  of the files into a throw-away workspace, every KPI monthly, the printed table);
- analyst script: the whole process of the pandas script in :data:`ANALYST_SCRIPT`, which reads
  the five files and computes three KPIs per month (revenue, active customers, NPS);

and prints them as a Markdown table with the ratio kpis CLI / analyst script, in wall seconds
and in CPU seconds (user and system, all threads and child processes: steadier than wall time
when other work shares the machine).

``--snapshot DIR`` and ``--compare DIR`` check that the import gives the same results: the first
writes, for every test fixture, the shipped demo company and the CSV files of ``--csv-dir``,
each table's detected mapping, problems and raw and canonical Parquet files (as the store writes
them); the second recomputes them and reports every difference (exit status 1 if any).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# What an analyst writes to get three monthly KPIs out of the five files with pandas.
ANALYST_SCRIPT = """
import sys
from pathlib import Path

import pandas as pd

folder = Path(sys.argv[1])
customers = pd.read_csv(folder / "customers.csv", parse_dates=["signup_date", "churn_date"])
orders = pd.read_csv(folder / "orders.csv", parse_dates=["order_date"])
surveys = pd.read_csv(folder / "surveys.csv", parse_dates=["response_date"])
tickets = pd.read_csv(folder / "tickets.csv", parse_dates=["opened_at"])
marketing = pd.read_csv(folder / "marketing.csv", parse_dates=["month"])

orders["month"] = orders["order_date"].dt.to_period("M")
revenue = orders.groupby("month")["amount"].sum()
active = orders.groupby("month")["customer_id"].nunique()
surveys["month"] = surveys["response_date"].dt.to_period("M")
nps = surveys.groupby("month")["nps"].agg(
    lambda s: 100 * ((s >= 9).mean() - (s <= 6).mean())
)
print(pd.DataFrame({"revenue": revenue, "active_customers": active, "nps": nps}).to_string())
"""

FILES = ("customers.csv", "orders.csv", "surveys.csv", "tickets.csv", "marketing.csv")


# --- timing ---------------------------------------------------------------------------------


def _cpu_seconds() -> float:
    """CPU seconds used so far by this process and its finished children (all threads)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _median_seconds(action, repeat: int) -> tuple[float, list[float], float]:
    """Median wall seconds, every run's, and the median CPU seconds (steadier on a busy machine)."""
    seconds, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), _cpu_seconds()
        action()
        seconds.append(time.perf_counter() - start)
        cpu.append(_cpu_seconds() - start_cpu)
    return statistics.median(seconds), seconds, statistics.median(cpu)


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)


def time_all(csv_dir: Path, repeat: int) -> list[tuple[str, float, list[float]]]:
    from bench.common import compile_project
    from bsc.store import Store
    from bsc.workspace import ensure_demo_workspace

    compile_project()  # the command's modules as an installed copy has them

    def import_company() -> None:
        with tempfile.TemporaryDirectory(prefix="bsc-bench-") as folder:
            store = Store(Path(folder) / "store")
            ensure_demo_workspace(store, csv_dir)
            store.engine.dispose()

    files = [str(csv_dir / name) for name in FILES]
    with tempfile.TemporaryDirectory(prefix="bsc-bench-") as folder:
        script = Path(folder) / "analyst.py"
        script.write_text(ANALYST_SCRIPT)
        rows = [
            (
                "import the five CSV files (read, detect, prepare, store)",
                *_median_seconds(import_company, repeat),
            ),
            (
                "`python -m bsc kpis` on the five files, whole process",
                *_median_seconds(lambda: _run([sys.executable, "-m", "bsc", "kpis", *files]), repeat),
            ),
            (
                "analyst's pandas script (three monthly KPIs), whole process",
                *_median_seconds(lambda: _run([sys.executable, str(script), str(csv_dir)]), repeat),
            ),
        ]
    return rows


def company_files(csv_dir: Path | None, customers: int, folder: Path) -> Path:
    """The folder holding the company's five CSV files, written there unless given."""
    if csv_dir is not None:
        return csv_dir
    from bsc.demo import write_company

    target = folder / "csv"
    write_company(target, customers=customers, xlsx=False)
    return target


# --- the same results before and after --------------------------------------------------------


def _result_files() -> list[Path]:
    """The files whose import results are compared: test fixtures, hostile files, the demo."""
    found: list[Path] = []
    for folder in ("tests/fixtures", "tests/hostile", "data/demo"):
        found += [
            path
            for path in sorted((ROOT / folder).rglob("*"))
            if path.suffix.lower() in (".csv", ".tsv", ".txt", ".xlsx", ".parquet", ".xls")
        ]
    return found


def snapshot(out: Path, extra: Path | None) -> dict[str, dict]:
    """Read, detect and prepare every result file; write the Parquet files and return a summary."""
    from bsc.detect import detect_mapping
    from bsc.errors import InputError
    from bsc.ingest import read_path
    from bsc.prepare import prepare_table
    from bsc.store import write_parquet_atomic

    paths = _result_files() + (sorted(extra.glob("*.csv")) if extra else [])
    summary: dict[str, dict] = {}
    for path in paths:
        key = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else f"extra/{path.name}"
        try:
            tables = read_path(path)
        except InputError as error:
            summary[key] = {"error": str(error)}
            continue
        for number, table in enumerate(tables):
            entry: dict[str, object] = {}
            mapping = detect_mapping(table.frame, table.name)
            entry["mapping"] = json.loads(mapping.to_json())
            entry["read_problems"] = [repr(problem) for problem in table.problems]
            stem = out / f"{key.replace('/', '__')}.{number}"
            write_parquet_atomic(table.frame, stem.with_suffix(".raw.parquet"))
            try:
                prepared = prepare_table(table.frame, mapping)
            except InputError as error:
                entry["prepare_error"] = str(error)
            else:
                entry["prepare_problems"] = [repr(problem) for problem in prepared.problems]
                write_parquet_atomic(prepared.canonical, stem.with_suffix(".canonical.parquet"))
            summary[f"{key} #{number}"] = entry
    return summary


def compare(reference: Path, extra: Path | None) -> list[str]:
    """Every difference between the results now and those saved in ``reference``."""
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="bsc-check-") as folder:
        now = snapshot(Path(folder), extra)
        before = json.loads((reference / "summary.json").read_text())
        differences = [f"{key}: only before" for key in before.keys() - now.keys()]
        differences += [f"{key}: only now" for key in now.keys() - before.keys()]
        for key in sorted(before.keys() & now.keys()):
            for field in sorted(before[key].keys() | now[key].keys()):
                if before[key].get(field) != now[key].get(field):
                    differences.append(
                        f"{key}: {field} differs: {before[key].get(field)!r} → {now[key].get(field)!r}"
                    )
        for old in sorted(reference.glob("*.parquet")):
            new = Path(folder) / old.name
            if not new.exists():
                differences.append(f"{old.name}: not written now")
                continue
            old_table, new_table = pq.read_table(old), pq.read_table(new)
            if not old_table.schema.equals(new_table.schema, check_metadata=True):
                differences.append(f"{old.name}: schema differs:\n{old_table.schema}\n→\n{new_table.schema}")
            elif not old_table.equals(new_table):
                differences.append(f"{old.name}: values differ")
        return differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--csv-dir", type=Path, help="use the company's CSV files in this folder")
    parser.add_argument("--snapshot", type=Path, metavar="DIR", help="save the import results to DIR")
    parser.add_argument("--compare", type=Path, metavar="DIR", help="compare the import results with DIR")
    args = parser.parse_args()

    if args.snapshot:
        args.snapshot.mkdir(parents=True, exist_ok=True)
        summary = snapshot(args.snapshot, args.csv_dir)
        (args.snapshot / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True))
        print(f"{len(summary)} tables and errors saved to {args.snapshot}")
        return
    if args.compare:
        differences = compare(args.compare, args.csv_dir)
        print("\n".join(differences) or "The same: mappings, problems, raw and canonical Parquet files.")
        sys.exit(1 if differences else 0)

    with tempfile.TemporaryDirectory(prefix="bsc-bench-") as folder:
        csv_dir = company_files(args.csv_dir, args.customers, Path(folder))
        rows = time_all(csv_dir, args.repeat)
    print(f"\n### Import and `kpis` CLI, {args.customers:,} customers, median of {args.repeat}\n")
    print("| step | median wall s | runs wall s | median CPU s |")
    print("|---|---:|---|---:|")
    for what, median, runs, cpu in rows:
        print(f"| {what} | {median:.2f} | {' / '.join(f'{s:.2f}' for s in runs)} | {cpu:.2f} |")
    print(
        f"| ratio kpis CLI / analyst script | {rows[1][1] / rows[2][1]:.1f} | | {rows[1][3] / rows[2][3]:.1f} |"
    )


if __name__ == "__main__":
    main()
