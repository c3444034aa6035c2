"""Peak memory and time of the Churn lab's job on a stored workspace, in a fresh process.

Usage::

    .venv/bin/python bench/bench_churn_memory.py --data-dir DIR [--source churn_date] [--whole]

Opens the first workspace of the data folder ``DIR`` (a ``BSC_DATA_DIR``; give it a copy, as
opening a store may bring its database up to date) as the Churn lab's page does, and runs what its background job runs for the default
settings (a 365-day window up to the end of the data, model "auto"): the data prepared with
:data:`bsc.churn.analysis.TRAINING_SAMPLE` (``--whole``: every labelled customer's features, as
before the sample was drawn while preparing), the analysis and what the lab draws of it. After
each step it prints the seconds since start, the resident memory and its peak (``VmRSS`` and
``VmHWM`` of ``/proc/self/status``, GiB), then the analysis's figures as JSON, so that a run
before and after a change can be compared (the figures move only by the last bits of parallel
sums). Run it on a quiet machine for times; the memory figures hold on a busy one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bsc.churn import analyse_churn, churn_data_from_workspace, label_sources
from bsc.churn.analysis import TRAINING_SAMPLE
from bsc.churn.lab_result import churn_lab_result
from bsc.schema import ASSIGNMENTS
from bsc.store import Store


def memory(key: str) -> float:
    """A memory figure of this process from /proc/self/status, in GiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 2**20
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument(
        "--source", default=None, help="churn_date, inactivity or column (default: the page's)"
    )
    parser.add_argument("--whole", action="store_true", help="prepare every labelled customer's features")
    args = parser.parse_args()
    started = time.perf_counter()

    def mark(step: str) -> None:
        print(
            f"{step:<34} {time.perf_counter() - started:6.1f} s  "
            f"resident {memory('VmRSS'):.2f} GiB  peak {memory('VmHWM'):.2f} GiB",
            flush=True,
        )

    store = Store(args.data_dir)
    workspace = store.list_workspaces()[0]
    tables = {
        kind: paths for kind, paths in store.workspace_tables(workspace.id).items() if kind != ASSIGNMENTS
    }
    source = args.source or label_sources(tables)[0]
    mark(f"opened ({source})")
    sample = None if args.whole or source == "column" else TRAINING_SAMPLE
    data = churn_data_from_workspace(tables, source=source, horizon_days=365, sample=sample)
    mark(f"data ({len(data.churned):,} labelled)")
    analysis = analyse_churn(data, n_jobs=2)
    mark("analysis")
    lab = churn_lab_result(analysis)
    mark(f"lab result ({len(lab.probability):,} scored)")
    print(json.dumps({"summary": analysis.summary(), "peak_gib": round(memory("VmHWM"), 3)}, default=str))


if __name__ == "__main__":
    main()
