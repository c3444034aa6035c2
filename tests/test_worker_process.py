"""The one worker process: jobs run in another process, errors come back, idle workers stop."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import types
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from bsc.worker_process import WORKER_NICE, WorkerProcess

# A guard against a hung child process, not a speed test.
DEADLINE_S = 60
ROOT = Path(__file__).resolve().parents[1]
# A server that starts its worker, says the worker's process id, and is killed (no shutdown).
_KILLED_SERVER = """
import os
from bsc.worker_process import WorkerProcess

print(WorkerProcess().run(os.getpid), flush=True)
os._exit(9)
"""


@pytest.fixture
def worker():
    process = WorkerProcess()
    yield process
    process.stop()


def test_a_job_runs_in_another_process_and_returns_its_result(worker: WorkerProcess):
    assert worker.run(os.getpid) != os.getpid()
    # divmod(17, 5) = (3, 2), computed in the worker and sent back.
    assert worker.run(divmod, 17, 5) == (3, 2)


def test_the_worker_gives_way_to_the_servers_scripts(worker: WorkerProcess):
    # os.nice(0) reads a process's nice value without changing it: the server's here, the
    # worker's in the worker. The worker sits WORKER_NICE steps below normal priority (or stays
    # where it started, if the server already runs lower than that).
    assert worker.run(os.nice, 0) == max(WORKER_NICE, os.nice(0))
    assert WORKER_NICE > 0


def test_one_process_serves_one_job_after_another(worker: WorkerProcess):
    assert worker.run(os.getpid) == worker.run(os.getpid)


def test_the_jobs_error_is_raised_in_the_caller(worker: WorkerProcess):
    with pytest.raises(ValueError, match="invalid literal for int"):
        worker.run(int, "twelve")
    assert worker.run(int, "12") == 12


def test_a_dead_worker_fails_its_job_and_is_replaced(worker: WorkerProcess):
    first = worker.run(os.getpid)
    with pytest.raises(BrokenProcessPool):
        worker.run(os._exit, 3)
    assert worker.run(os.getpid) not in (first, os.getpid())


def test_an_idle_worker_is_stopped_and_started_again_when_needed():
    worker = WorkerProcess(idle_seconds=0.2)
    try:
        first = worker.run(os.getpid)
        deadline = time.monotonic() + DEADLINE_S
        while worker.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not worker.started
        assert worker.run(os.getpid) != first
    finally:
        worker.stop()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A process that has exited but not been collected yet is gone too.
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_worker_exits_when_its_server_is_killed():
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_SERVER], cwd=ROOT, capture_output=True, text=True, timeout=DEADLINE_S
    )
    worker = int(done.stdout.split()[0])
    deadline = time.monotonic() + DEADLINE_S
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(worker)


def test_the_script_streamlit_installed_as_main_is_not_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # Streamlit installs each script it runs as __main__; spawn would run that file in the child.
    marker = tmp_path / "ran"
    script = tmp_path / "page.py"
    script.write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).touch()\nraise SystemExit('page run')\n"
    )
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    process = WorkerProcess()
    try:
        assert process.run(os.getpid) != os.getpid()
    finally:
        process.stop()
    assert not marker.exists()
    assert sys.modules["__main__"] is page
