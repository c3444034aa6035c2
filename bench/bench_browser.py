"""What a person waits for in a real browser: the first Scorecard and every later click.

Run: .venv/bin/python bench/bench_browser.py [--customers 100000 | --data-dir DIR] [--rounds 3]
[--port 8615] [--work-dir DIR]

Builds a fresh data folder (the shipped demo company, or the generated company with
``--customers``), or copies an existing one (``--data-dir``, e.g. the 1M-customer company made
once with ``python -m bsc import /tmp/bsc-scale/1000000/csv/*.csv --workspace "Company 1M"
--data-dir DIR``: the copy keeps that folder as it was, so every run starts cold), starts ``streamlit run app.py`` headless on it, and drives Debian's Chromium
with Playwright. Every figure is the time from the action (the address typed, the click) until
the app reports the run it started has finished: ``[data-testid=stApp]`` goes to
``data-test-script-state=running`` and then back to ``notRunning`` (a mutation observer in the
page records both with the page's clock, so a run that starts and ends between two polls is not
missed, and the ``notRunning`` the page shows before its first run is not taken for the end).

Measured, in order:

1. the cold first Scorecard on the fresh server and data folder (nothing cached anywhere), and
   when its first KPI tile appeared;
2. the first Scorecard after a server restart on the same data folder (only what the app keeps
   on disk survives);
3. ``--rounds`` rounds of warm clicks: open each page from the menu, and on each page with the
   sidebar filters change the period, the split and the segment;
4. a second browser session opens the Scorecard beside the first, and both click its filters
   (``--sessions 2``, the default).

The server's resident memory (its process and any children, from ``/proc``) is sampled every
0.2 s from its start to its stop: the table gives the peak over the whole run and over the part
with two sessions open.

The server logs its own time per run (``BSC_RUN_TIMING_LOG``, see :func:`ui.context.timed_run`),
so each table also gives the server's median wall and CPU seconds for those runs: what is left
of a click's time is the browser drawing and the network.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from bench.common import company_workspace  # noqa: E402
from bench.run_state import APP_IDLE, RUN_FINISHED, RUN_STARTED, RUN_STATE_RECORDER  # noqa: E402
from bsc.store import Store  # noqa: E402
from bsc.workspace import ensure_demo_workspace  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, Server, start_server  # noqa: E402

ACTION_TIMEOUT_MS = 300_000
# A run starts well within this after a click (the start is not the work).
START_TIMEOUT_MS = 15_000
# The pages in menu order; those with the sidebar's period, split and segment filters are marked.
PAGES = (
    ("Scorecard", True),
    ("Objectives & targets", True),
    ("Segmentation", True),
    ("Churn lab", False),
    ("Data", False),
    ("Workspaces", False),
    ("About", False),
)
# The note a page shows where a slow extra will appear (ui.slow_extras.pending_note).
PENDING = "being computed, it appears here in a moment"

# Records every run state change, and when the first KPI tile appeared, with the page's clock.
RUN_AND_TILE_RECORDER = (
    RUN_STATE_RECORDER
    + """
// When the first KPI tile appeared, with the same clock.
window.__tile = null;
const tileWatch = new MutationObserver(() => {
  if (document.querySelector('[data-testid=stMetric]')) {
    window.__tile = performance.now();
    tileWatch.disconnect();
  }
});
tileWatch.observe(document, {subtree: true, childList: true});
"""
)


@dataclass
class Figures:
    """Seconds per (page, action), in the browser and as the server logged the same runs."""

    browser: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    server_wall: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    server_cpu: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    missed: int = 0

    extras: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def add(self, where: tuple[str, str], seconds: float, extras: float, runs: list[dict]) -> None:
        self.browser.setdefault(where, []).append(seconds)
        self.extras.setdefault(where, []).append(extras)
        if runs:
            # The click's own run; runs after it only brought extras computed in the background.
            self.server_wall.setdefault(where, []).append(runs[0]["wall_s"])
            self.server_cpu.setdefault(where, []).append(runs[0]["cpu_s"])


class RunLog:
    """The server's own per-run timing log, read as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def new_runs(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as log:
            log.seek(self.offset)
            text = log.read()
            self.offset = log.tell()
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def timed(page: Page, action) -> tuple[float, float] | None:
    """Do ``action``; seconds until the run it started has finished, and until the slow extras it
    asked for had arrived too (None: no run started)."""
    count, started = page.evaluate("[window.__runs.length, performance.now()]")
    action()
    try:
        page.wait_for_function(RUN_STARTED, arg=count, timeout=START_TIMEOUT_MS, polling=20)
    except PlaywrightTimeout:
        return None
    finished = page.wait_for_function(
        RUN_FINISHED, arg=count, timeout=ACTION_TIMEOUT_MS, polling=20
    ).json_value()
    seconds = (finished - started) / 1000
    extras = settle(page) - started / 1000
    exceptions = page.get_by_test_id("stException")
    if exceptions.count():
        raise RuntimeError(f"the app showed an exception: {exceptions.first.inner_text()[:300]}")
    return seconds, max(seconds, extras)


def settle(page: Page) -> float:
    """Until no slow extra is pending and the app has been idle for a moment (a run may start
    another one); the page time, in seconds, when the last pending note went away."""
    arrived = page.evaluate("performance.now()") / 1000
    while True:
        page.wait_for_selector(APP_IDLE, timeout=ACTION_TIMEOUT_MS)
        if page.get_by_text(PENDING).count():
            page.wait_for_timeout(100)
            arrived = page.evaluate("performance.now()") / 1000
            continue
        page.wait_for_timeout(300)
        if page.get_by_text(PENDING).count() == 0 and page.locator(APP_IDLE).count():
            return arrived


@dataclass(frozen=True)
class FirstView:
    """Seconds from typing the address: the script's first run started, the first KPI tile
    showed, the run finished, and the slow extras had arrived."""

    run_started: float
    first_tile: float | None
    run_finished: float
    extras_arrived: float


def first_view(page: Page, url: str) -> FirstView:
    """Open ``url`` in a new page and time its first view (page times: the navigation starts at 0)."""
    page.goto(url, wait_until="commit")
    finished = page.wait_for_function(RUN_FINISHED, arg=0, timeout=ACTION_TIMEOUT_MS, polling=20).json_value()
    started = page.evaluate("(window.__runs.find((r) => r[0] === 'running') || [0, 0])[1]")
    extras = settle(page)
    tile_at = page.evaluate("window.__tile")
    tile_at = None if tile_at is None else tile_at / 1000
    return FirstView(started / 1000, tile_at, finished / 1000, max(finished / 1000, extras))


def choose(page: Page, label: str, rng: random.Random, avoid_first: bool = False) -> None:
    """Open a sidebar select box and click another option than the current one."""
    box = page.get_by_test_id("stSidebar").get_by_role("combobox", name=label, exact=True)
    current = box.input_value()
    options = page.get_by_role("option")
    box.click()
    options.first.wait_for(timeout=10_000)
    texts = [text.strip() for text in options.all_inner_texts()]
    candidates = [i for i, text in enumerate(texts) if text != current and not (avoid_first and i == 0)]
    options.nth(rng.choice(candidates or [0])).click()


def change_period(page: Page, rng: random.Random) -> None:
    group = page.get_by_test_id("stSidebar").get_by_role("radiogroup", name="Period")
    radios = group.get_by_role("radio")
    radios.last.wait_for()
    unchecked = [i for i in range(radios.count()) if radios.nth(i).get_attribute("aria-checked") != "true"]
    radios.nth(rng.choice(unchecked)).click()


def split_value(page: Page) -> str:
    return page.get_by_test_id("stSidebar").get_by_role("combobox", name="Split by").input_value()


def warm_clicks(page: Page, rounds: int, log: RunLog, figures: Figures) -> None:
    rng = random.Random(13)
    nav = page.get_by_test_id("stSidebarNav")
    for _ in range(rounds):
        for title, has_filters in PAGES:
            link = nav.get_by_role("link", name=title, exact=True)
            record(figures, (title, "open from the menu"), timed(page, link.click), log)
            if not has_filters:
                continue
            record(
                figures,
                (title, "period change"),
                timed(page, lambda page=page: change_period(page, rng)),
                log,
            )
            # Always to an attribute (never back to "Nothing"), so that a segment can be chosen next.
            record(
                figures,
                (title, "split change"),
                timed(page, lambda page=page: choose(page, "Split by", rng, avoid_first=True)),
                log,
            )
            if not split_value(page).startswith("Nothing"):
                record(
                    figures,
                    (title, "segment change"),
                    timed(page, lambda page=page: choose(page, "Segment", rng)),
                    log,
                )


def record(
    figures: Figures, where: tuple[str, str], seconds: tuple[float, float] | None, log: RunLog
) -> None:
    runs = log.new_runs()
    if seconds is None:
        figures.missed += 1
        return
    figures.add(where, *seconds, runs)


class MemoryWatch:
    """The resident memory of a process and its children, sampled from ``/proc`` on a thread."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.pid = pid
        self.every = every
        self.peak = 0
        self.marks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def mark(self, name: str) -> None:
        """Start a named peak (kept apart from the whole run's)."""
        self.marks[name] = self.resident()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            now = self.resident()
            self.peak = max(self.peak, now)
            for name, peak in self.marks.items():
                self.marks[name] = max(peak, now)

    def resident(self) -> int:
        """Bytes resident now in the process and its descendants (0 once it has gone)."""
        return sum(_resident(pid) for pid in _tree(self.pid))


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The parent id is the 2nd field after the command, which is in parentheses.
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _resident(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def prepare(folder: Path, customers: int | None, existing: Path | None = None) -> tuple[Path, str, float]:
    """The data folder with its one workspace; seconds the import (or copy) took (not part of
    any figure)."""
    started = time.perf_counter()
    if existing is not None:
        # A copy: the server writes its results cache there, and the next run must start cold.
        data = folder / "data"
        shutil.copytree(existing, data)
        store = Store(data)
        workspaces = store.list_workspaces()
        if not workspaces:
            raise SystemExit(f"{existing} holds no workspace")
        workspace_id = workspaces[0].id
    elif customers is None:
        data = folder / "data"
        store = Store(data)
        workspace_id = ensure_demo_workspace(store).id
    else:
        store, workspace_id, _ = company_workspace(folder, customers)
        data = store.data_dir
    store.engine.dispose()
    return data, workspace_id, time.perf_counter() - started


def print_report(
    label: str,
    cold: list[tuple[str, FirstView, list[dict]]],
    figures: Figures,
    rounds: int,
    memory: list[tuple[str, int]] = (),
) -> None:
    print(f"\n### Browser, {label}\n")
    print(
        "| first view | run started s | first tile s | run finished s | extras arrived s "
        "| server wall s, first run | server CPU s, first run |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, view, runs in cold:
        wall = runs[0]["wall_s"] if runs else float("nan")
        cpu = runs[0]["cpu_s"] if runs else float("nan")
        tile_text = "—" if view.first_tile is None else f"{view.first_tile:.2f}"
        print(
            f"| {name} | {view.run_started:.2f} | {tile_text} | {view.run_finished:.2f} | "
            f"{view.extras_arrived:.2f} | {wall:.2f} | {cpu:.2f} |"
        )
    print(f"\nWarm clicks, {rounds} rounds (each page's first opening is in its row):\n")
    print(
        "| page | action | n | median s | max s | extras arrived, median s "
        "| server median wall s | server median CPU s |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for (title, action), values in figures.browser.items():
        wall = figures.server_wall.get((title, action), [])
        cpu = figures.server_cpu.get((title, action), [])
        extras = figures.extras[(title, action)]
        print(
            f"| {title} | {action} | {len(values)} | {statistics.median(values):.2f} | {max(values):.2f} | "
            f"{statistics.median(extras):.2f} | "
            f"{statistics.median(wall) if wall else float('nan'):.2f} | "
            f"{statistics.median(cpu) if cpu else float('nan'):.2f} |"
        )
    everything = [x for values in figures.browser.values() for x in values]
    print(
        f"| **all** | | {len(everything)} | **{statistics.median(everything):.2f}** | "
        f"**{max(everything):.2f}** | | | |"
    )
    if figures.missed:
        print(f"\n{figures.missed} clicks started no run and are left out.")
    if memory:
        print("\nServer resident memory (process and children, sampled every 0.2 s):\n")
        print("| when | peak GB |")
        print("|---|---:|")
        for when, peak in memory:
            print(f"| {when} | {peak / 1e9:.2f} |")
    load = os.getloadavg()
    print(f"\nMachine load average (1, 5, 15 min) at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}.")


def two_sessions(browser, server: Server, url: str, first: Page, log: RunLog, figures: Figures) -> None:
    """A second session opens the Scorecard; then both change its period, split and segment."""
    nav = first.get_by_test_id("stSidebarNav")
    record(
        figures,
        ("Scorecard", "open from the menu"),
        timed(first, nav.get_by_role("link", name="Scorecard", exact=True).click),
        log,
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(RUN_AND_TILE_RECORDER)
    second = context.new_page()
    view = first_view(second, server.url + url)
    log.new_runs()
    where = ("Scorecard, two sessions", "second session's first view")
    figures.add(where, view.run_finished - view.run_started, view.extras_arrived - view.run_started, [])
    rng = random.Random(29)
    for page in (first, second, first, second):
        where = ("Scorecard, two sessions", "period change")
        record(figures, where, timed(page, lambda page=page: change_period(page, rng)), log)
        where = ("Scorecard, two sessions", "split change")
        record(
            figures,
            where,
            timed(page, lambda page=page: choose(page, "Split by", rng, avoid_first=True)),
            log,
        )
        if not split_value(page).startswith("Nothing"):
            where = ("Scorecard, two sessions", "segment change")
            record(figures, where, timed(page, lambda page=page: choose(page, "Segment", rng)), log)
    context.close()


def started(data: Path, port: int | None, when: str) -> Server:
    """The server, started; prints how long it took to answer, its warm-up included (see
    :mod:`ui.warm_up`): the time before a visitor can be let in, in no page's figure."""
    begun = time.perf_counter()
    server = start_server(data, port)
    print(f"Server ready ({when}) {time.perf_counter() - begun:.1f} s after its start, warm-up included.")
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=None, help="the generated company (else the demo)")
    parser.add_argument(
        "--data-dir", default=None, help="an existing data folder, copied (its first workspace is opened)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sessions", type=int, choices=(1, 2), default=2)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--work-dir", default=None, help="where the temporary data folder goes")
    args = parser.parse_args()
    existing = None if args.data_dir is None else Path(args.data_dir)
    if existing is not None:
        label = f"data folder {existing}"
    elif args.customers is None:
        label = "demo company"
    else:
        label = f"generated company, {args.customers:,} customers"
    memory: list[tuple[str, int]] = []
    with tempfile.TemporaryDirectory(prefix="bsc-browser-", dir=args.work_dir) as folder:
        data, workspace_id, import_s = prepare(Path(folder), args.customers, existing)
        print(f"Imported the {label} into a fresh data folder in {import_s:.1f} s (not in any figure).")
        log = RunLog(Path(folder) / "runs.jsonl")
        os.environ["BSC_RUN_TIMING_LOG"] = str(log.path)
        cold: list[tuple[str, FirstView, list[dict]]] = []
        figures = Figures()
        url = f"/?ws={workspace_id}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            server: Server = started(data, args.port, "fresh data folder")
            watch = MemoryWatch(server.process.pid)
            memory.append(("server ready (after its warm-up)", watch.resident()))
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_init_script(RUN_AND_TILE_RECORDER)
                page = context.new_page()
                view = first_view(page, server.url + url)
                cold.append(("Scorecard, fresh server and data folder", view, log.new_runs()))
                memory.append(("peak to the first Scorecard", watch.peak))
                warm_clicks(page, args.rounds, log, figures)
                memory.append(("peak to the end of the warm clicks, one session", watch.peak))
                if args.sessions == 2:
                    watch.mark("two")
                    two_sessions(browser, server, url, page, log, figures)
                    memory.append(("peak with two sessions on the Scorecard, clicking", watch.marks["two"]))
                context.close()
            finally:
                watch.stop()
                memory.append(("peak over the whole run", watch.peak))
                server.stop()
            # A restart: only what the app keeps in the data folder survives.
            server = started(data, args.port, "after the restart")
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_init_script(RUN_AND_TILE_RECORDER)
                page = context.new_page()
                view = first_view(page, server.url + url)
                cold.append(("Scorecard, after a server restart", view, log.new_runs()))
                context.close()
            finally:
                server.stop()
            browser.close()
    print_report(label, cold, figures, args.rounds, memory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
