"""Time objectives and targets on the generated 100,000-customer company.

Usage::

    .venv/bin/python bench/bench_targets.py [--customers 100000] [--repeat 5]

Draws the demo company, prepares its tables as the app does and computes the monthly scorecard
split by region once (timed for reference). Then times, with those KPI values: storing targets
(each save is one transaction with its audit rows), edits, a refused stale edit, reading the
targets and the audit log, evaluating statuses and the roll-up, the trajectories, the target
assistant for the North region's NPS, the NPS-to-churn link on every survey answer, the what-if
projection, a 200-row targets import and the formatted scorecard workbook.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from bench.bench_kpis import canonical_company
from bench.common import print_table
from bsc.assistant import Levers, assess_target, nps_churn_link, project_whatif, whatif_base
from bsc.kpis import compute_kpis
from bsc.report import scorecard_xlsx
from bsc.store import ConflictError, Store
from bsc.targets import Target, TargetBook, evaluate, rollup, trajectories

REGIONS = ("Central", "East", "North", "South", "West")
SEGMENT_KPIS = ("nps", "csat", "churn_rate", "revenue", "repeat_purchase_rate")


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    action()
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-targets-") as folder:
        root = Path(folder)
        print(f"Drawing and preparing the demo company with {args.customers:,} customers…")
        tables = canonical_company(args.customers, 30, 7, root)
        rows: list[tuple[str, float, str]] = []

        start = time.perf_counter()
        monthly = compute_kpis(tables, period="month", by="region")
        rows.append(("compute_kpis month by region (reference, cold)", time.perf_counter() - start, ""))
        results = {("month", "region"): monthly}

        def source(unit: str, by: str | None):
            if (unit, by) not in results:
                results[unit, by] = compute_kpis(tables, period=unit, by=by)
            return results[unit, by]

        store = Store(root / "store")
        workspace = store.create_workspace("Bench")
        book = TargetBook(store, workspace.id, kpi_source=source)
        source("month", None)

        wanted = [Target(kpi, 1.0, "2027-06", "region", region) for kpi in SEGMENT_KPIS for region in REGIONS]
        wanted += [Target(kpi, 1.0, "2027-06") for kpi in SEGMENT_KPIS]
        start = time.perf_counter()
        for target in wanted:
            last = monthly.kpi(target.kpi)
            last = last[
                last["segment"].isna() if target.segment is None else last["segment"] == target.segment
            ]
            goal = float(last["value"].dropna().iloc[-1]) * (0.9 if target.direction == "lower" else 1.1)
            book.set_target(Target(**{**target.__dict__, "goal": round(goal, 2)}), author="Bench")
        per_save = (time.perf_counter() - start) / len(wanted)
        rows.append((f"set_target, per target ({len(wanted)} targets, KPIs cached)", per_save, "≤ 0.1 s"))

        nps = book.find_target("nps")
        versions = iter(range(nps.version, nps.version + 10_000))

        def edit() -> None:
            book.update_target(
                nps.id,
                {"weight": 1.0 + next(versions) % 3},
                author="Bench",
                expected_version=book.get_target(nps.id).version,
            )

        rows.append(
            (
                "update_target (read, version check, write, audit)",
                median_seconds(edit, args.repeat * 4),
                "≤ 0.1 s",
            )
        )

        def stale_edit() -> None:
            try:
                book.update_target(nps.id, {"goal": 99}, author="Late", expected_version=1)
            except ConflictError:
                return
            raise AssertionError("a stale edit was saved")

        rows.append(
            (
                "stale edit refused with the current value",
                median_seconds(stale_edit, args.repeat * 4),
                "≤ 0.1 s",
            )
        )
        targets = book.targets()
        rows.append(("read every target", median_seconds(book.targets, args.repeat), ""))
        rows.append(("read the audit log (latest 500)", median_seconds(book.audit_log, args.repeat), ""))

        values = monthly.values
        rows.append(
            (
                f"evaluate + rollup ({len(values):,} KPI rows, {len(targets)} targets)",
                median_seconds(lambda: rollup(evaluate(targets, values, by="region")), args.repeat),
                "≤ 0.2 s",
            )
        )
        rows.append(
            (
                "trajectories for the charts",
                median_seconds(lambda: trajectories(targets, values, by="region"), args.repeat),
                "",
            )
        )
        north = monthly.kpi("nps")
        north = north[north["segment"] == "North"]
        rows.append(
            (
                "assess_target, NPS North, due 2027-06",
                median_seconds(
                    lambda: assess_target(north, kpi="nps", due_period="2027-06", proposed=45.0), args.repeat
                ),
                "≤ 0.1 s",
            )
        )
        rows.append(
            (
                "nps_churn_link over every survey answer",
                median_seconds(lambda: nps_churn_link(tables), args.repeat),
                "≤ 2 s",
            )
        )
        overall = source("month", None).values
        link = nps_churn_link(tables)
        levers = Levers(retention_points=0.3, nps_points=5, cpa_cut_percent=10, conversion_points=1)
        rows.append(
            (
                "what-if: base from the KPIs + 12-month projection",
                median_seconds(
                    lambda: project_whatif(whatif_base(overall, margin=0.3), levers, link=link), args.repeat
                ),
                "≤ 0.1 s",
            )
        )

        extra = pd.DataFrame(
            {
                "kpi": "nps",
                "segment": [f"region={r}" for r in REGIONS for _ in range(40)],
                "period": [f"{2027 + (m // 12)}-{m % 12 + 1:02d}" for _ in REGIONS for m in range(40)],
                "target": 40.0,
            }
        )
        start = time.perf_counter()
        summary = book.import_targets(extra, author="Bench")
        rows.append(
            (
                f"import_targets, {len(extra)} rows ({summary.updated} targets with per-period values)",
                time.perf_counter() - start,
                "≤ 2 s",
            )
        )

        targets = book.targets()
        start = time.perf_counter()
        workbook = scorecard_xlsx(monthly, targets, workspace="Bench")
        rows.append(
            (
                f"scorecard workbook, month by region ({len(values):,} KPI rows, {len(workbook) / 1e6:.1f} MB)",
                time.perf_counter() - start,
                "≤ 10 s",
            )
        )
        assert pd.ExcelFile(io.BytesIO(workbook), engine="openpyxl").sheet_names[0] == "Summary"
        store.engine.dispose()
        print_table(f"Objectives and targets, {args.customers:,} customers, 30 months", rows)


if __name__ == "__main__":
    main()
