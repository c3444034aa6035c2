"""A crowded workshop: ten browser sessions work on one Streamlit server at once.

Run: .venv/bin/python bench/load_test.py [SECONDS]   (or ``make load``; 90 s by default)

One ``streamlit run`` on 127.0.0.1 with a fresh data folder holding the demo workspace, and one
headless Chromium with a context (its own cookies, its own Streamlit session) per person,
the browser's processes on one core of the machine and at a lower CPU priority, as if on the
people's own laptops (see :data:`BROWSER_CORES` and :data:`BROWSER_NICE`):

- six people switch the Scorecard's filters (period, split, segment);
- two people edit targets on the Objectives page, each their own KPI and segment; after every
  three of their own saves both open a third, shared target and save it from the same version at
  the same moment (one must be refused, with the message);
- one runs segmentations (k-means with another number of segments each time);
- one trains churn models (another window or model each time);
- one uploads a 150 MB CSV file (5 million orders, 20 million cells) on the Data page a third
  of the way through, which must be refused with the cell limit's message.

Each action's rerun latency is the time from the action until the app reports the run finished
(``[data-testid=stApp][data-test-script-state=notRunning]``, recorded by a mutation observer in
the page). Before the crowd, one visitor opens each page of the cold server. The script prints
the median and 95th percentile per kind of session, the server's own time per script run (each
run's wall-clock and script-thread CPU seconds, logged by the app itself when
``BSC_RUN_TIMING_LOG`` is set, see :func:`ui.context.timed_run`: what the browsers' CPU and the
network add to a rerun is the difference), the server's memory (resident set of the
Streamlit process and any worker processes it started, sampled each second) and CPU, and fails
when a session shows an exception, an acknowledged target edit is missing from the audit log or
not what the store holds, a conflicting save was not refused, the memory passes
``MEMORY_LIMIT_MB``, or it is not back under ``SETTLED_MEMORY_LIMIT_MB`` ``SETTLE_S`` seconds
after the crowd has left (the large upload must not stay held by the server).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.async_api import Browser, Page, async_playwright  # noqa: E402
from playwright.async_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from bench.run_state import APP_IDLE, RUN_FINISHED, RUN_STARTED, RUN_STATE_RECORDER  # noqa: E402
from bsc.kpis import KPIS  # noqa: E402
from bsc.store import Store  # noqa: E402
from bsc.targets import Target, TargetBook  # noqa: E402
from bsc.worker_process import WORKER_NICE  # noqa: E402
from bsc.workspace import ensure_demo_workspace  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, Server, start_server  # noqa: E402
from tests.hostile.make_corpus import WRITERS  # noqa: E402
from ui.context import RUN_TIMING_LOG  # noqa: E402

DURATION_S = 90
# The server with ten sessions, the demo workspace, segmentations and churn models in memory.
MEMORY_LIMIT_MB = 1_500
# The server's resident memory once the crowd has left, the 150 MB upload included: what the
# read-upload store may keep (bsc.ingest.checks.MAX_KEPT_UPLOAD_BYTES) above a quiet server.
SETTLED_MEMORY_LIMIT_MB = 1_200
SETTLE_S = 15
# At most this long more for the worker process to finish the jobs the crowd queued and stop.
WORKER_DRAIN_S = 90
LARGE_UPLOAD = "orders_150mb.csv"
LARGE_UPLOAD_REFUSAL = "more than the 4 million rows that can be read at once"
ACTION_TIMEOUT_MS = 180_000
# A run starts well within this after a click even on a busy server (the start is not the work).
START_TIMEOUT_MS = 30_000
OWN_SAVES_PER_ROUND = 3
THINK_TIME_S = (0.3, 1.0)
FILTER_SESSIONS = 6
# In a workshop every person's browser runs on their own laptop; here ten browsers share the
# server's two cores. Their processes run at the lowest priority (nice 19: a thread of the server
# at 0 weighs some seventy times one of theirs when both want a core, and Chromium runs many), so
# the server's time per run is its own work and its sessions' contention, as in the room, while
# the browsers still get the cores the server leaves.
BROWSER_NICE = 19
# The browsers' autogroups (see _lower_priority), when BSC_LOAD_BROWSER_AUTOGROUP_NICE names a
# nice value above 0: as if the browsers ran on machines of their own, the server's time per run
# is then its own. Off by default (make load): Chromium, starved of the cores, let clicks through
# that started no run (at 10, one session of six in one run of four), and the test fails then.
BROWSER_AUTOGROUP_NICE = int(os.environ.get("BSC_LOAD_BROWSER_AUTOGROUP_NICE", "0") or 0)
# The cores the browsers (Playwright's driver, Chromium and this script) may run on: the last one
# by default, so that the server has a core no browser takes, as a server on its own machine
# would, and shares the other with the ten browsers. The server itself may run on every core.
# BSC_LOAD_BROWSER_CORES="all" lets the browsers use every core too (set "1,2" to name cores).
BROWSER_CORES = os.environ.get("BSC_LOAD_BROWSER_CORES", "last")
DUE = "2027-06"


@dataclass(frozen=True)
class TargetSpot:
    """Which target an editor works on: a KPI for all customers or for one segment."""

    kpi: str
    by: str | None = None
    segment: str | None = None
    start: float = 30.0

    @property
    def option(self) -> str:
        return f"{KPIS[self.kpi].name} ("

    def query(self) -> dict[str, str]:
        return {"by": self.by, "segment": self.segment} if self.by and self.segment else {}


OWN_TARGETS = (TargetSpot("nps", start=30.0), TargetSpot("churn_rate", "region", "North", start=20.0))
GOAL_STEPS = (1.0, 0.5)
SHARED_TARGET = TargetSpot("csat", start=80.0)


@dataclass
class Session:
    name: str
    kind: str
    first_render: float | None = None
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    missed: int = 0
    # (when, KPI, split, segment, goal) of every save the app confirmed.
    acknowledged: list[tuple[float, str, str | None, str | None, float]] = field(default_factory=list)
    # (round, outcome) of the deliberate conflicting saves: "saved" or "refused".
    conflicts: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Workshop:
    server: Server
    workspace_id: str
    duration: float
    deadline: float
    conflict_rounds: int
    barrier: asyncio.Barrier
    rng: random.Random

    def url(self, path: str = "", **query: str) -> str:
        return f"{self.server.url}/{path}?{urlencode({'ws': self.workspace_id, **query})}"

    def running(self) -> bool:
        return time.monotonic() < self.deadline


# --------------------------------------------------------------------------------------------
# Measuring a rerun
# --------------------------------------------------------------------------------------------


async def measured(page: Page, session: Session, action: Callable[[], Awaitable[None]]) -> float | None:
    """Do ``action`` and return the seconds until the run it started has finished.

    None (and counted as missed) when no run started within ``START_TIMEOUT_MS``: the click
    landed on an element that a rerun was replacing, so nothing was asked of the server.
    """
    count, started = await page.evaluate("[window.__runs.length, performance.now()]")
    await action()
    try:
        await page.wait_for_function(RUN_STARTED, arg=count, timeout=START_TIMEOUT_MS, polling=50)
    except PlaywrightTimeout:
        session.missed += 1
        return None
    handle = await page.wait_for_function(RUN_FINISHED, arg=count, timeout=ACTION_TIMEOUT_MS, polling=50)
    finished = await handle.json_value()
    latency = (finished - started) / 1000
    session.latencies.append(latency)
    await settle(page)
    await check_for_exceptions(page, session)
    return latency


async def settle(page: Page) -> None:
    """Wait until the app has been idle for a moment (a run may start another one)."""
    await page.wait_for_selector(APP_IDLE, timeout=ACTION_TIMEOUT_MS)
    await page.wait_for_timeout(200)
    await page.wait_for_selector(APP_IDLE, timeout=ACTION_TIMEOUT_MS)


async def open_page(page: Page, session: Session, url: str) -> None:
    started = time.monotonic()
    await page.goto(url)
    # The app reports "not running" before its first run starts: wait for that run to end.
    await page.wait_for_function(RUN_FINISHED, arg=0, timeout=ACTION_TIMEOUT_MS, polling=50)
    await settle(page)
    if session.first_render is None:
        session.first_render = time.monotonic() - started
    await check_for_exceptions(page, session)


async def check_for_exceptions(page: Page, session: Session) -> None:
    exceptions = page.get_by_test_id("stException")
    if await exceptions.count():
        session.errors.append((await exceptions.first.inner_text())[:300])


async def think(workshop: Workshop) -> None:
    await asyncio.sleep(workshop.rng.uniform(*THINK_TIME_S))


async def choose(
    page: Page,
    label: str,
    *,
    avoid: str | None = None,
    pick: str | None = None,
    rng: random.Random | None = None,
) -> None:
    """Open a select box and click an option: ``pick`` (its start), or a random one other than ``avoid``."""
    box = page.get_by_role("combobox", name=label, exact=True)
    options = page.get_by_role("option")
    for attempt in range(3):
        await box.click()
        try:
            await options.first.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            # A rerun that was still drawing closed the list: open it again.
            if attempt == 2:
                raise
            await page.keyboard.press("Escape")
    texts = [text.strip() for text in await options.all_inner_texts()]
    if pick is not None:
        index = next(i for i, text in enumerate(texts) if text.startswith(pick))
    else:
        index = (rng or random).choice([i for i, text in enumerate(texts) if text != avoid] or [0])
    await options.nth(index).click()


# --------------------------------------------------------------------------------------------
# The people
# --------------------------------------------------------------------------------------------


async def filter_scorecard(page: Page, session: Session, workshop: Workshop) -> None:
    """Switch period, split and segment on the Scorecard, one at a time, as a facilitator would."""
    await open_page(page, session, workshop.url())
    sidebar = page.get_by_test_id("stSidebar")
    while workshop.running():
        split = await sidebar.get_by_role("combobox", name="Split by").input_value()
        moves = ["period", "split"] + (["segment", "segment"] if not split.startswith("Nothing") else [])
        move = workshop.rng.choice(moves)
        if move == "period":
            radios = sidebar.get_by_role("radiogroup", name="Period").get_by_role("radio")
            await radios.last.wait_for()
            unchecked = [
                i
                for i in range(await radios.count())
                if await radios.nth(i).get_attribute("aria-checked") != "true"
            ]
            await measured(page, session, radios.nth(workshop.rng.choice(unchecked)).click)
        elif move == "split":
            await measured(page, session, lambda s=split: choose(page, "Split by", avoid=s, rng=workshop.rng))
        else:
            current = await sidebar.get_by_role("combobox", name="Segment").input_value()
            await measured(
                page, session, lambda c=current: choose(page, "Segment", avoid=c, rng=workshop.rng)
            )
        await think(workshop)


async def edit_targets(
    page: Page, session: Session, workshop: Workshop, spot: TargetSpot, step: float
) -> None:
    """Save new goals for one's own target; after every few, a conflicting save on the shared one."""
    await open_target(page, session, workshop, spot)
    goal = spot.start
    saves = 0
    for round_ in range(workshop.conflict_rounds):
        while workshop.running() and saves < OWN_SAVES_PER_ROUND * (round_ + 1):
            goal = round(goal + step, 1)
            await save_goal(page, session, spot, goal)
            saves += 1
            await think(workshop)
        # Every round takes place, even after the deadline: the partner waits for it.
        await conflicting_save(page, session, workshop, round_, step)
        if workshop.running():
            await open_target(page, session, workshop, spot)
    while workshop.running():
        goal = round(goal + step, 1)
        await save_goal(page, session, spot, goal)
        await think(workshop)


async def open_target(page: Page, session: Session, workshop: Workshop, spot: TargetSpot) -> None:
    await open_page(page, session, workshop.url("objectives", **spot.query()))
    author = page.get_by_role("textbox", name="Your name, for the audit log")
    await author.fill(session.name)
    await measured(page, session, lambda: author.press("Enter"))
    if not (await page.get_by_role("combobox", name="KPI").input_value()).startswith(spot.option):
        await measured(page, session, lambda: choose(page, "KPI", pick=spot.option))


async def save_goal(page: Page, session: Session, spot: TargetSpot, goal: float) -> bool:
    """Type ``goal`` and press Save target; True when the app confirmed this save.

    The click may take two runs (the number box commits its value as it loses the focus, then
    the button's run), and on a busy server the second can start well after the first ended: wait
    for the message that names this goal, or the refusal, not for the first run to end.
    """
    definition = KPIS[spot.kpi]
    saved = re.compile(
        rf"Saved: {re.escape(definition.name)} .*, {re.escape(definition.format_value(goal))} by"
    )
    await page.get_by_role("spinbutton", name=re.compile(r"^Target \(")).fill(f"{goal:g}")
    button = page.get_by_role("button", name="Save target")
    outcome = (
        page.get_by_test_id("stAlert")
        .filter(has_text=saved)
        .or_(page.get_by_test_id("stAlert").filter(has_text="Your change was not saved"))
    )
    if await measured(page, session, button.click) is None and not await outcome.count():
        # The click started no run (it landed on a button a rerun was replacing): click again,
        # as a person would.
        await measured(page, session, button.click)
    try:
        await outcome.first.wait_for(timeout=ACTION_TIMEOUT_MS)
    except PlaywrightTimeout:
        shown = " ".join(await page.get_by_test_id("stAlert").all_inner_texts())
        session.errors.append(f"save of {spot.kpi} = {goal:g}: neither saved nor refused ({shown[:200]!r})")
        return False
    await settle(page)
    alerts = " ".join(await page.get_by_test_id("stAlert").all_inner_texts())
    if saved.search(alerts):
        session.acknowledged.append((time.monotonic(), spot.kpi, spot.by, spot.segment, goal))
        return True
    return False


async def conflicting_save(
    page: Page, session: Session, workshop: Workshop, round_: int, step: float
) -> None:
    """Both editors open the shared target, then save different goals at the same moment."""
    await open_target(page, session, workshop, SHARED_TARGET)
    await meet(workshop)  # both forms now hold the same version
    goal = round(SHARED_TARGET.start + round_ + step, 1)
    saved = await save_goal(page, session, SHARED_TARGET, goal)
    session.conflicts.append((round_, "saved" if saved else "refused"))
    await meet(workshop)


async def meet(workshop: Workshop) -> None:
    # A partner that failed must not keep the other waiting for ever.
    await asyncio.wait_for(workshop.barrier.wait(), timeout=ACTION_TIMEOUT_MS / 1000)


async def run_segmentations(page: Page, session: Session, workshop: Workshop) -> None:
    """Segment the customers again and again, another number of segments (or scaling) each time."""
    await open_page(page, session, workshop.url("segmentation"))
    slider = page.get_by_role("slider", name="Number of segments")
    while workshop.running():
        if await slider.input_value() == await slider.get_attribute("max"):
            await slider.press("Home")
            scaling = page.get_by_role("radio", name=re.compile("^(Robust|Standard)"), checked=False)
            await page.locator("label", has=scaling).click()
        else:
            await slider.press("ArrowRight")
        await measured(page, session, page.get_by_role("button", name="Segment customers").click)
        await think(workshop)


async def train_churn_models(page: Page, session: Session, workshop: Workshop) -> None:
    """Analyse churn again and again with another window after the cutoff or another model."""
    await open_page(page, session, workshop.url("churn"))
    window = page.get_by_role("slider", name="Window after the cutoff")
    while workshop.running():
        if workshop.rng.random() < 0.5:
            await choose(
                page,
                "Model",
                avoid=await page.get_by_role("combobox", name="Model").input_value(),
                rng=workshop.rng,
            )
        else:
            at_end = await window.input_value() == await window.get_attribute("min")
            await window.press("End" if at_end else "ArrowLeft")
        await measured(page, session, page.get_by_role("button", name="Analyse").click)
        await think(workshop)


async def upload_large_file(page: Page, session: Session, workshop: Workshop, path: Path) -> None:
    """A third of the way through the crowd, upload the 150 MB CSV file on the Data page: it must
    be refused with the cell limit's message, and the page must stay usable."""
    await open_page(page, session, workshop.url("data"))
    await asyncio.sleep(max(0.0, workshop.deadline - workshop.duration * 2 / 3 - time.monotonic()))
    upload = page.get_by_test_id("stFileUploaderDropzoneInput")
    await measured(page, session, lambda: upload.set_input_files(path))
    # Streamlit 1.67 names an alert's content by its kind: stAlertContentError, …Warning, …Info.
    alerts = page.locator("[data-testid^=stAlertContent]")
    with contextlib.suppress(PlaywrightTimeout):  # reported below with what the page shows
        await alerts.filter(has_text=LARGE_UPLOAD_REFUSAL).first.wait_for(timeout=ACTION_TIMEOUT_MS)
    shown = " ".join(await alerts.all_inner_texts())
    if LARGE_UPLOAD_REFUSAL not in shown:
        session.errors.append(f"{path.name}: expected the cell limit's message, saw {shown[:200]!r}")


# --------------------------------------------------------------------------------------------
# The server's memory
# --------------------------------------------------------------------------------------------


class MemorySampler(threading.Thread):
    """The server's resident memory and CPU time, and the browsers' CPU time, sampled each second.

    The server is process ``pid`` (with any worker processes it starts); the browsers are the
    other processes this script started (Playwright's driver and Chromium).
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, float]] = []  # (server MB, server and workers MB)
        # (wall clock, server CPU seconds, browsers' and worker processes' CPU seconds so far)
        self.cpu_seconds: list[tuple[float, float, float, float]] = []
        self._browsers: dict[int, float] = {}
        self._browser_total = 0.0
        self._workers: dict[int, float] = {}
        self._worker_total = 0.0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(1.0):
            server = _family(self.pid)
            self.samples.append((_rss_mb(self.pid), sum(_rss_mb(p) for p in server)))
            self.cpu_seconds.append(
                (
                    time.monotonic(),
                    _cpu_seconds(self.pid),
                    self._browser_cpu(set(server)),
                    self._worker_cpu(server),
                )
            )

    def _browser_cpu(self, server: set[int]) -> float:
        # Per process, the CPU time since the previous sample: renderers come and go with contexts.
        now = {p: _cpu_seconds(p) for p in _family(os.getpid()) if p not in server and p != os.getpid()}
        for pid, seconds in now.items():
            if not math.isnan(seconds):
                self._browser_total += seconds - self._browsers.get(pid, seconds)
            _lower_priority(pid, self.pid)
        self._browsers = now
        return self._browser_total

    def _worker_cpu(self, server: list[int]) -> float:
        # The server's worker process comes and goes (stopped when idle): counted per process.
        now = {p: _cpu_seconds(p) for p in server if p != self.pid}
        for pid, seconds in now.items():
            if not math.isnan(seconds):
                self._worker_total += seconds - self._workers.get(pid, 0.0)
        self._workers = {p: s for p, s in now.items() if not math.isnan(s)}
        return self._worker_total

    def cpu_share(self, start: float, end: float) -> tuple[float, float, float]:
        """CPU seconds per wall-clock second of the server, the browsers and the server's worker
        processes (2.0 = both cores)."""
        inside = [sample for sample in self.cpu_seconds if start <= sample[0] <= end]
        if len(inside) < 2:
            return math.nan, math.nan, math.nan
        first, last = inside[0], inside[-1]
        wall = last[0] - first[0]
        return tuple((last[i] - first[i]) / wall for i in (1, 2, 3))

    def stop(self) -> None:
        self._done.set()
        self.join()


def browser_cores(setting: str = BROWSER_CORES) -> set[int]:
    """The cores the browsers run on (see :data:`BROWSER_CORES`): every core this script may use
    for "all" or on a machine of one core, the last of them for "last", else the listed ones."""
    available = os.sched_getaffinity(0)
    if setting == "all" or len(available) < 2:
        return set(available)
    if setting == "last":
        return {max(available)}
    chosen = {int(core) for core in setting.split(",") if core.strip()} & available
    return chosen or set(available)


def _lower_priority(pid: int, server: int) -> None:
    """Every thread of ``pid`` at :data:`BROWSER_NICE` at least (Chromium sets its own
    priorities, per thread, so it is done again at each sample), and its autogroup too.

    Linux groups the processes of each session (``setsid``) into an autogroup and shares the
    cores fairly between autogroups before nice values count, which they do only inside one.
    Chromium starts its processes in sessions of their own: their nice value alone left the
    server one autogroup among many. An autogroup other than the server's is set to
    :data:`BROWSER_AUTOGROUP_NICE` as a whole (never the server's own: that would lower the
    server too).
    """
    for task in Path(f"/proc/{pid}/task").glob("[0-9]*"):
        try:
            if os.getpriority(os.PRIO_PROCESS, int(task.name)) < BROWSER_NICE:
                os.setpriority(os.PRIO_PROCESS, int(task.name), BROWSER_NICE)
        except OSError:
            continue  # gone meanwhile, or not ours to change
    group = _autogroup(pid)
    if (
        group is not None
        and group[1] < BROWSER_AUTOGROUP_NICE
        and group[0] != (_autogroup(server) or ("",))[0]
    ):
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/autogroup").write_text(str(BROWSER_AUTOGROUP_NICE))


def _autogroup(pid: int) -> tuple[str, int] | None:
    """The autogroup of ``pid`` and its nice value (``/autogroup-967 nice 0``); None where the
    kernel has none (switched off, or another system)."""
    try:
        name, _, nice = Path(f"/proc/{pid}/autogroup").read_text().split()
        return name, int(nice)
    except (OSError, ValueError):
        return None


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for_worker_exit(pid: int, timeout: float) -> float:
    """Wait until the server's worker process has stopped (it stops once idle); the seconds waited.

    Jobs the crowd queued (model fits, the Scorecard's results for the next clicks) keep the
    worker busy for a while after the last click on a loaded machine: its memory is work in
    progress, not something the server holds on to.
    """
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not any(_is_worker(p) for p in _family(pid)[1:]):
            break
        time.sleep(1.0)
    return time.monotonic() - started


def _is_worker(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"spawn_main" in command


def _family(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    family, frontier = [pid], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        family += children
        frontier = children
    return family


# --------------------------------------------------------------------------------------------
# The workshop
# --------------------------------------------------------------------------------------------


def prepare(folder: Path) -> str:
    """The demo workspace with the three targets the editors will change."""
    store = Store(folder)
    try:
        workspace = ensure_demo_workspace(store)
        book = TargetBook(store, workspace.id)
        for spot in (*OWN_TARGETS, SHARED_TARGET):
            book.set_target(
                Target(spot.kpi, spot.start, DUE, segment_by=spot.by, segment=spot.segment), author="Setup"
            )
        return workspace.id
    finally:
        store.engine.dispose()


WARM_UP_PAGES = {
    "Scorecard": "",
    "Objectives": "objectives",
    "Segmentation": "segmentation",
    "Churn lab": "churn",
}


async def warm_up(browser: Browser, workshop: Workshop) -> list[Session]:
    """One visitor opens each page before the crowd arrives: the cold server's first views."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    await context.add_init_script(RUN_STATE_RECORDER)
    page = await context.new_page()
    visits = [Session(title, "First visitor") for title in WARM_UP_PAGES]
    try:
        for visit, path in zip(visits, WARM_UP_PAGES.values(), strict=True):
            await open_page(page, visit, workshop.url(path))
    finally:
        await context.close()
    return visits


@dataclass
class CrowdRun:
    """What the crowd did: its sessions, the first visitor's views, and when the crowd worked."""

    sessions: list[Session]
    first_visits: list[Session]
    started: float
    ended: float
    # The machine's load average (1 min) as the crowd started and ended: others' work shows here.
    load: tuple[float, float]


async def crowd(server: Server, workspace_id: str, duration: float, large_file: Path) -> CrowdRun:
    rng = random.Random(7)
    sessions = [Session(f"Scorecard {i + 1}", "Scorecard filters") for i in range(FILTER_SESSIONS)]
    editors = [Session(name, "Target edits") for name in ("Ana", "Ben")]
    segmenter = Session("Segmenter", "Segmentation runs")
    churner = Session("Churn analyst", "Churn model training")
    uploader = Session("Uploader", "Large upload")
    async with async_playwright() as playwright:
        browser: Browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        workshop = Workshop(
            server=server,
            workspace_id=workspace_id,
            duration=duration,
            deadline=math.inf,
            conflict_rounds=2,
            barrier=asyncio.Barrier(len(editors)),
            rng=rng,
        )

        cold = await warm_up(browser, workshop)
        started, load_before = time.monotonic(), os.getloadavg()[0]
        workshop.deadline = started + duration

        async def person(session: Session, work: Callable[..., Awaitable[None]], *args: object) -> None:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            await context.add_init_script(RUN_STATE_RECORDER)
            page = await context.new_page()
            try:
                await work(page, session, workshop, *args)
            except Exception as error:  # a failed session is reported, not fatal to the others
                session.errors.append(f"{type(error).__name__}: {str(error).splitlines()[0][:300]}")
                await check_for_exceptions(page, session)
            finally:
                await context.close()

        await asyncio.gather(
            *(person(s, filter_scorecard) for s in sessions),
            *(
                person(s, edit_targets, spot, step)
                for s, spot, step in zip(editors, OWN_TARGETS, GOAL_STEPS, strict=True)
            ),
            person(segmenter, run_segmentations),
            person(churner, train_churn_models),
            person(uploader, upload_large_file, large_file),
        )
        ended = time.monotonic()
        await browser.close()
    return CrowdRun(
        [*sessions, *editors, segmenter, churner, uploader],
        cold,
        started,
        ended,
        (load_before, os.getloadavg()[0]),
    )


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``share`` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def by_kind(sessions: list[Session]) -> dict[str, list[Session]]:
    """The sessions grouped by kind, kinds in the order they first appear."""
    groups: dict[str, list[Session]] = {}
    for session in sessions:
        groups.setdefault(session.kind, []).append(session)
    return groups


def report(
    run: CrowdRun, memory: MemorySampler, duration: float, browsers_on: set[int], server_on: set[int]
) -> None:
    sessions = run.sessions
    print("\n### Cold server: one visitor opens each page first\n")
    print("| page | first view s |")
    print("|---|---:|")
    for visit in run.first_visits:
        print(f"| {visit.name} | {visit.first_render or math.nan:.2f} |")
    print(
        f"\n### Crowded workshop: {len(sessions)} browser sessions, {duration:.0f} s of work "
        f"(the last actions ended after {run.ended - run.started:.0f} s)\n"
    )
    print("| session | sessions | reruns | first view s | median s | p95 s | max s | missed clicks |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind, group in by_kind(sessions).items():
        latencies = [x for s in group for x in s.latencies]
        firsts = [s.first_render for s in group if s.first_render is not None]
        first = f"{statistics.median(firsts):.2f}" if firsts else "—"
        if latencies:
            figures = f"{statistics.median(latencies):.2f} | {percentile(latencies, 0.95):.2f} | {max(latencies):.2f}"
        else:
            figures = "— | — | —"
        missed = sum(s.missed for s in group)
        print(f"| {kind} | {len(group)} | {len(latencies)} | {first} | {figures} | {missed} |")
    everything = [x for s in sessions for x in s.latencies]
    if everything:
        print(
            f"| all | {len(sessions)} | {len(everything)} | | {statistics.median(everything):.2f} | "
            f"{percentile(everything, 0.95):.2f} | {max(everything):.2f} | {sum(s.missed for s in sessions)} |"
        )
    server = [m for m, _ in memory.samples]
    family = [m for _, m in memory.samples]
    if memory.samples:
        print(
            f"\nServer memory (resident, {len(memory.samples)} samples): first {server[0]:.0f} MB, "
            f"peak {max(server):.0f} MB, last {server[-1]:.0f} MB; with worker processes peak "
            f"{max(family):.0f} MB (limit {MEMORY_LIMIT_MB:,} MB)."
        )
    server_cores, browser_cores, worker_cores = memory.cpu_share(run.started, run.ended)
    print(
        f"CPU while the crowd worked: server {server_cores:.2f} cores, its worker process "
        f"{worker_cores:.2f} (model fits, nice {WORKER_NICE}), browsers {browser_cores:.2f} cores, "
        f"of {os.cpu_count()}; machine load average {run.load[0]:.1f} at the start, {run.load[1]:.1f} at the end."
    )
    if len(browsers_on) < len(server_on):
        print(
            f"The browsers ran on core {', '.join(map(str, sorted(browsers_on)))} only "
            f"(BSC_LOAD_BROWSER_CORES), the server on all {len(server_on)}: as if on laptops of "
            "their own, the browsers took no more than that core from the server."
        )
    else:
        print("The browsers could use every core the server used (BSC_LOAD_BROWSER_CORES=all).")


def failures(
    sessions: list[Session], memory: MemorySampler, folder: Path, workspace_id: str, settled_mb: float
) -> list[str]:
    problems = [f"{s.name}: {error}" for s in sessions for error in s.errors]
    if settled_mb > SETTLED_MEMORY_LIMIT_MB:
        problems.append(
            f"server memory {SETTLE_S} s after the crowd left: {settled_mb:.0f} MB, "
            f"above {SETTLED_MEMORY_LIMIT_MB:,} MB"
        )
    # Counted per kind of session: the browsers share one core (BROWSER_CORES), and a session
    # whose first clicks came while its page was still being drawn may have measured none.
    for kind, group in by_kind(sessions).items():
        measured_runs = sum(len(s.latencies) for s in group)
        missed = sum(s.missed for s in group)
        if not measured_runs:
            problems.append(f"{kind}: no rerun measured")
        # A click that started no run sent nothing to the server; a few happen while a rerun redraws.
        elif missed > measured_runs:
            problems.append(f"{kind}: {missed} clicks started no run, against {measured_runs} that did")
    peak = max((m for _, m in memory.samples), default=0.0)
    if peak > MEMORY_LIMIT_MB:
        problems.append(f"server memory peaked at {peak:.0f} MB, above {MEMORY_LIMIT_MB:,} MB")
    store = Store(folder)
    try:
        book = TargetBook(store, workspace_id)
        log = book.audit_log(limit=None)
        goals = log[log["field"] == "goal"]
        editors = [s for s in sessions if s.kind == "Target edits"]
        for session in editors:
            for _, kpi, by, segment, goal in session.acknowledged:
                label = Target(kpi, goal, DUE, segment_by=by, segment=segment).label
                logged = goals[
                    (goals["who"] == session.name) & (goals["what"] == label) & (goals["new"] == f"{goal:g}")
                ]
                if logged.empty:
                    problems.append(
                        f"{session.name}'s acknowledged {label} = {goal:g} is not in the audit log"
                    )
        for spot in (*OWN_TARGETS, SHARED_TARGET):
            stored = book.find_target(spot.kpi, spot.by, spot.segment)
            saves = sorted(
                (when, goal)
                for session in editors
                for when, kpi, by, segment, goal in session.acknowledged
                if (kpi, by, segment) == (spot.kpi, spot.by, spot.segment)
            )
            if saves and stored.goal != saves[-1][1]:
                problems.append(
                    f"{stored.label}: stored goal {stored.goal:g}, last acknowledged {saves[-1][1]:g}"
                )
        rounds: dict[int, list[str]] = {}
        for session in editors:
            for round_, outcome in session.conflicts:
                rounds.setdefault(round_, []).append(outcome)
        for round_, outcomes in sorted(rounds.items()):
            if sorted(outcomes) != ["refused", "saved"]:
                problems.append(
                    f"conflicting saves, round {round_ + 1}: {outcomes} (one saved, one refused expected)"
                )
        if not rounds:
            problems.append("no conflicting saves took place")
    finally:
        store.engine.dispose()
    return problems


def server_runs(log: Path, start: float, end: float) -> None:
    """The server's own time per script run while the crowd worked, per page, from its timing log."""
    runs = []
    if log.exists():
        runs = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    runs = [r for r in runs if start <= r["at"] <= end]
    print("\n### The server's own time per script run while the crowd worked\n")
    print(
        "Wall: from the script's start to its end on the server; CPU: the script thread's own CPU "
        "(model fitting in other threads is not in it). Browsers and network are in neither. "
        "Alone / beside others: the median wall of the runs during which no other session's script "
        "ran, and of those that shared the server with at least one (they wait for the GIL and "
        "the cores in turn).\n"
    )
    print(
        "| page | runs | median wall s | p95 wall s | median CPU s | p95 CPU s "
        "| median wall s, alone (runs) | median wall s, beside others (runs) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    crowded = _beside_others(runs)
    pages = sorted({r["page"] for r in runs})
    for page in [*pages, None]:
        group = [(r, c) for r, c in zip(runs, crowded, strict=True) if page is None or r["page"] == page]
        if not group:
            continue
        walls, cpus = [r["wall_s"] for r, _ in group], [r["cpu_s"] for r, _ in group]
        alone = [r["wall_s"] for r, c in group if not c]
        beside = [r["wall_s"] for r, c in group if c]
        print(
            f"| {page or '**all**'} | {len(group)} | {statistics.median(walls):.2f} | "
            f"{percentile(walls, 0.95):.2f} | {statistics.median(cpus):.2f} | {percentile(cpus, 0.95):.2f} | "
            f"{_median_of(alone)} | {_median_of(beside)} |"
        )


def _beside_others(runs: list[dict]) -> list[bool]:
    """For each logged run, whether another run's span (its end ``at`` less its wall time) overlapped it."""
    spans = [(r["at"] - r["wall_s"], r["at"]) for r in runs]
    return [
        any(
            i != j and start < other_end and other_start < end
            for j, (other_start, other_end) in enumerate(spans)
        )
        for i, (start, end) in enumerate(spans)
    ]


def _median_of(walls: list[float]) -> str:
    return f"{statistics.median(walls):.2f} ({len(walls)})" if walls else "— (0)"


def main() -> int:
    duration = float(sys.argv[1]) if len(sys.argv) > 1 else DURATION_S
    with tempfile.TemporaryDirectory(prefix="bsc-load-") as folder:
        data = Path(folder) / "data"
        workspace_id = prepare(data)
        log = Path(folder) / "runs.jsonl"
        os.environ[RUN_TIMING_LOG] = str(log)
        large_file = Path(folder) / LARGE_UPLOAD
        WRITERS[LARGE_UPLOAD](large_file)
        server = start_server(data)
        # The browsers, started by this thread from here on, inherit its cores; the server
        # keeps every core.
        server_on = os.sched_getaffinity(0)
        browsers_on = browser_cores()
        os.sched_setaffinity(0, browsers_on)
        memory = MemorySampler(server.process.pid)
        memory.start()
        try:
            run = asyncio.run(crowd(server, workspace_id, duration, large_file))
            time.sleep(SETTLE_S)
            drained = _wait_for_worker_exit(server.process.pid, WORKER_DRAIN_S)
            settled_mb = sum(_rss_mb(p) for p in _family(server.process.pid))
        finally:
            memory.stop()
            server.stop()
        report(run, memory, duration, browsers_on, server_on)
        # The crowd's span in wall-clock time (the log's clock), from its monotonic span.
        offset = time.time() - time.monotonic()
        server_runs(log, run.started + offset, run.ended + offset)
        print(
            f"Server memory {SETTLE_S} s after the crowd left (the {LARGE_UPLOAD} upload included)"
            + (
                f" and {drained:.0f} s more until its worker had finished the queued jobs"
                if drained >= 1
                else ""
            )
            + f": {settled_mb:.0f} MB (limit {SETTLED_MEMORY_LIMIT_MB:,} MB)."
        )
        problems = failures(run.sessions, memory, data, workspace_id, settled_mb)
        problems += [f"first visit, {v.name}: {error}" for v in run.first_visits for error in v.errors]
    for session in run.sessions:
        if session.kind == "Target edits":
            print(
                f"{session.name}: {len(session.acknowledged)} saves acknowledged, conflicts {session.conflicts}"
            )
    if problems:
        print("\nFAILED:\n" + "\n".join(f"- {p}" for p in problems))
        return 1
    print("\nNo session showed an exception, every acknowledged edit is stored, every conflict was refused.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
