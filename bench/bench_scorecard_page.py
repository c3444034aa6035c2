"""Scorecard page speed on the generated 100k-customer company: import, first view, filter changes.

Run: .venv/bin/python bench/bench_scorecard_page.py [CUSTOMERS]
Prints a Markdown table; the figures are recorded in bench/README.md.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import company_workspace, print_table  # noqa: E402


def main() -> None:
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        store, workspace_id, timings = company_workspace(Path(folder), customers)
        rows = [(what, seconds, "") for what, seconds in timings.items()]
        rows.append((f"rows stored: {sum(d.rows for d in store.list_datasets(workspace_id)):,}", 0.0, ""))

        os.environ["BSC_DATA_DIR"] = str(store.data_dir)
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(str(ROOT / "pages" / "scorecard.py"), default_timeout=300)
        started = time.perf_counter()
        at.run()
        rows.append(
            ("page, first view (computes and caches the scorecard)", time.perf_counter() - started, "")
        )
        assert not at.exception, at.exception

        def rerun(action) -> float:
            started = time.perf_counter()
            action()
            assert not at.exception, at.exception
            return time.perf_counter() - started

        split = at.sidebar.selectbox(key="split_picker")
        rows.append(
            (
                "split by region, first time (new scorecard)",
                rerun(lambda: split.set_value("region").run()),
                "",
            )
        )
        rows.append(
            ("split by plan, first time (new scorecard)", rerun(lambda: split.set_value("plan").run()), "")
        )
        warm = []
        for segment in ("North", "South", "East", None, "West"):
            at.sidebar.selectbox(key="split_picker").set_value("region").run()
            warm.append(
                rerun(lambda s=segment: at.sidebar.selectbox(key="segment_picker").set_value(s).run())
            )
        rows.append(("segment filter change, warm (median of 5)", statistics.median(warm), "≤ 0.2 s"))
        periods = []
        for period in ("quarter", "month", "quarter", "month"):
            periods.append(
                rerun(lambda p=period: at.sidebar.button_group(key="period_picker").set_value(p).run())
            )
        rows.append(("period change, warm (median of last 2)", statistics.median(periods[2:]), "≤ 0.2 s"))
        print_table(f"Scorecard page, {customers:,} customers", rows)


if __name__ == "__main__":
    main()
