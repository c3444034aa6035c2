"""The server's memory with a company open in two sessions, page by page.

Run: .venv/bin/python bench/bench_memory.py --data-dir DIR [--port 8731] [--probe]

Copies the data folder (so every run starts cold: no kept result), starts ``streamlit run
app.py`` headless on the copy, and drives Debian's Chromium with Playwright: a first session
opens the Scorecard and then every page of the menu, waiting on each until its slow extras have
arrived; a second session does the same. After each page the server's resident memory (its
process and children, from ``/proc``) is printed, now and the peak so far; at the end, again
after a pause of ``--settle`` seconds. With ``--probe`` the server runs inside
``bench/memory_probe.py`` and a report of what holds its memory (DuckDB's buffers, Streamlit's
caches, the largest DataFrames, glibc's free bytes) is written after the Scorecard, after the
first session's pages and at the end.

Lighter than ``bench/bench_browser.py`` (no timed clicks): it answers "how much, and where".
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from bench.bench_browser import RUN_AND_TILE_RECORDER, MemoryWatch, settle  # noqa: E402
from bsc.store import Store  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_server  # noqa: E402
from ui.navigation import PAGES  # noqa: E402

GB = 1e9  # decimal, as bench/bench_browser.py prints


def start(data: Path, port: int, probe: Path | None, extra_env: dict[str, str]) -> subprocess.Popen:
    """The server on ``data``; inside the memory probe with ``probe`` (where it writes)."""
    env = dict(extra_env)
    runner: tuple[str, ...] = (sys.executable, "-m", "streamlit")
    if probe is not None:
        env["BSC_MEMORY_PROBE"] = str(probe)
        runner = (sys.executable, str(ROOT / "bench" / "memory_probe.py"))
    return start_server(data, port, runner=runner, env=env, timeout=120).process


def ask(probe: Path | None, name: str) -> dict | None:
    """The probe's report ``name`` (see bench/memory_probe.py); None without a probe."""
    if probe is None:
        return None
    (probe / f"ask-{name}").touch()
    report = probe / f"report-{name}.json"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if report.exists():
            time.sleep(0.2)
            return json.loads(report.read_text())
        time.sleep(0.5)
    return None


def visit(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    page.wait_for_timeout(500)
    settle(page)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="a data folder, copied")
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument("--probe", action="store_true", help="report what holds the memory")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds to wait before the last figure")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server")
    args = parser.parse_args()
    extra_env = dict(item.split("=", 1) for item in args.env)
    rows: list[tuple[str, int, int]] = []
    reports: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bsc-memory-") as folder:
        data = Path(folder) / "data"
        shutil.copytree(args.data_dir, data)
        workspace = Store(data).list_workspaces()[0]
        probe = Path(folder) / "probe" if args.probe else None
        process = start(data, args.port, probe, extra_env)
        watch = MemoryWatch(process.pid)
        ready = watch.resident()
        rows.append(("server ready", ready, ready))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for session in (1, 2):
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    context.add_init_script(RUN_AND_TILE_RECORDER)
                    page = context.new_page()
                    page.goto(f"http://127.0.0.1:{args.port}/?ws={workspace.id}")
                    page.wait_for_timeout(1000)
                    settle(page)
                    rows.append((f"session {session}: Scorecard", watch.resident(), watch.peak))
                    print(*rows[-1], flush=True)
                    for spec in PAGES:
                        if spec.default:
                            continue
                        visit(page, spec.title)
                        rows.append((f"session {session}: {spec.title}", watch.resident(), watch.peak))
                        print(*rows[-1], flush=True)
                    if session == 1 and (report := ask(probe, "one-session")):
                        reports.append(report)
                time.sleep(args.settle)
                rows.append((f"{args.settle:.0f} s after the last page", watch.resident(), watch.peak))
                if report := ask(probe, "end"):
                    reports.append(report)
                browser.close()
        finally:
            watch.stop()
            process.terminate()
            process.wait(timeout=30)
    print("\n| after | resident GB | peak so far GB |\n|---|---:|---:|")
    for name, now, peak in rows:
        print(f"| {name} | {now / GB:.2f} | {peak / GB:.2f} |")
    for report in reports:
        print(f"\n## probe: {report['name']}\n")
        print(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
