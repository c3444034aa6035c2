"""CPU of the Scorecard's script per click on the demo company: first view, splits, periods, segment.

Run: .venv/bin/python bench/bench_scorecard_clicks.py [RUNS]
Each run is a fresh process (so every click is the first of its kind in that server's life, as in a
workshop) on a fresh copy of the demo workspace. The figure is the CPU seconds of the thread
that runs the page script (``time.thread_time`` around Streamlit's run of the script), which the
other sessions and background jobs of a shared machine do not inflate. Between clicks the
background jobs (the KPIs of the next splits and periods, What changed) are left to finish, as
they would while a room reads the page. Prints a Markdown table of the median of RUNS runs (3).
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLICKS = (
    "first view",
    "split: region",
    "split: plan",
    "split: acquisition_channel",
    "period: quarter",
    "period: month",
    "segment: first of acquisition_channel",
    "split: region again",
)


def one_run(seed: Path) -> dict[str, float]:
    """In this process: copy the demo data, drive the app through the clicks, give each CPU."""
    import gc
    import os
    import time

    work = Path(tempfile.mkdtemp(prefix="bench-clicks-"))
    shutil.copytree(seed, work / "data")
    os.environ["BSC_DATA_DIR"] = str(work / "data")
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import streamlit.runtime.scriptrunner.script_runner as script_runner
    import streamlit.testing.v1.app_test as app_test
    import streamlit.testing.v1.local_script_runner as local_runner
    from streamlit.testing.v1 import AppTest

    from bsc.results_cache import ResultsCache

    # A server compiles each page once; AppTest compiles it again on every run: share one cache.
    shared = local_runner.ScriptCache()
    local_runner.ScriptCache = app_test.ScriptCache = lambda: shared
    seconds: list[float] = []
    run_script = script_runner.exec_func_with_error_handling

    def timed(func: object, ctx: object) -> object:
        started = time.thread_time()
        try:
            return run_script(func, ctx)
        finally:
            seconds.append(time.thread_time() - started)

    script_runner.exec_func_with_error_handling = timed

    def background_done() -> None:
        time.sleep(0.2)
        for _ in range(600):
            caches = [o for o in gc.get_objects() if isinstance(o, ResultsCache)]
            if all(job.done() for cache in caches for job in list(cache._jobs.values())):
                return
            time.sleep(0.5)

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    clicks = [
        lambda: at.sidebar.selectbox(key="split_picker").set_value("region"),
        lambda: at.sidebar.selectbox(key="split_picker").set_value("plan"),
        lambda: at.sidebar.selectbox(key="split_picker").set_value("acquisition_channel"),
        lambda: at.sidebar.button_group(key="period_picker").set_value("quarter"),
        lambda: at.sidebar.button_group(key="period_picker").set_value("month"),
        lambda: at.sidebar.selectbox(key="segment_picker").select_index(1),
        lambda: at.sidebar.selectbox(key="split_picker").set_value("region"),
    ]
    figures = [seconds[-1]]
    background_done()
    for click in clicks:
        click().run()
        assert not at.exception, at.exception
        figures.append(seconds[-1])
        background_done()
    shutil.rmtree(work, ignore_errors=True)
    return dict(zip(CLICKS, figures, strict=True))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(one_run(Path(sys.argv[2]))))
        return
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory() as folder:
        seed = Path(folder) / "seed"
        subprocess.run(
            [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[2]); "
             "from bsc.store import Store; from bsc.workspace import ensure_demo_workspace; "
             "ensure_demo_workspace(Store(sys.argv[1]))", str(seed), str(ROOT)],
            check=True,
        )  # fmt: skip
        results = []
        for _ in range(runs):
            done = subprocess.run(
                [sys.executable, __file__, "--one", str(seed)], check=True, capture_output=True, text=True
            )
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"\n### Scorecard clicks on the demo company: script CPU seconds, median of {runs} runs\n")
    print("| click | CPU s (median) | runs |")
    print("|---|---:|---|")
    for click in CLICKS:
        each = [r[click] for r in results]
        print(f"| {click} | {statistics.median(each):.3f} | {', '.join(f'{s:.3f}' for s in each)} |")


if __name__ == "__main__":
    main()
