"""The scorecard on a real Spark standalone cluster (one master, one worker) equals DuckDB's.

The master and the worker are the installed ``pyspark``'s own (its ``spark-class`` launcher),
bound to 127.0.0.1 on free ports. ``python -m bsc kpis`` runs twice on the test company's
files: once on DuckDB, once with ``BSC_SPARK_MASTER=spark://127.0.0.1:PORT``, where the driver
is the command's process and the executors run in the worker's JVM and read the Parquet files
of the command's throw-away workspace themselves (same machine, so the same paths). Every KPI
row must match. Both processes are stopped whatever happens.

Time limits stand in for pytest-timeout (not installed): each wait and each command has its own
deadline, so a cluster that never comes up fails the test instead of hanging ``make test``.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyspark
import pytest

from tests.conftest import write_tables
from tests.test_kpis_spark import small_company

pytestmark = [pytest.mark.spark, pytest.mark.cluster]

SPARK_HOME = Path(pyspark.__file__).resolve().parent
# Seconds: the master's and worker's JVMs start in about 15 s on a busy 2-core machine.
CLUSTER_START_LIMIT = 180
# Seconds for one `bsc kpis` run on the cluster (JVM start, a few dozen small Spark jobs).
COMMAND_LIMIT = 600
REPOSITORY = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _spark_env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SPARK_HOME": str(SPARK_HOME),
        # Master, worker, driver and executors all bind to the loopback interface.
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LOG_DIR": str(folder),
        "SPARK_WORKER_DIR": str(folder / "work"),
    }


def _start(folder: Path, name: str, arguments: list[str]) -> subprocess.Popen:
    log = open(folder / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process below
    process = subprocess.Popen(
        [str(SPARK_HOME / "bin" / "spark-class"), *arguments],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=_spark_env(folder),
        # Its own process group: stopping it also stops the executors the worker started.
        start_new_session=True,
    )
    process.log = log  # type: ignore[attr-defined]
    return process


def _wait_for(folder: Path, name: str, process: subprocess.Popen, line: str, deadline: float) -> None:
    log = folder / f"{name}.log"
    while time.monotonic() < deadline:
        if line in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            pytest.fail(f"The Spark {name} stopped:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.5)
    pytest.fail(f"The Spark {name} did not log {line!r} in time:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    process.log.close()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Cluster:
    """A running standalone master with one registered worker, and the folder of their logs."""

    url: str
    folder: Path

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A running standalone master with one registered worker (1 core, 1 GB)."""
    folder = tmp_path_factory.mktemp("spark-cluster")
    (folder / "work").mkdir()
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    deadline = time.monotonic() + CLUSTER_START_LIMIT
    started: list[subprocess.Popen] = []
    try:
        master = _start(
            folder,
            "master",
            [
                "org.apache.spark.deploy.master.Master",
                *("--host", "127.0.0.1", "--port", str(port), "--webui-port", str(_free_port())),
            ],
        )
        started.append(master)
        _wait_for(folder, "master", master, f"Starting Spark master at {url}", deadline)
        worker = _start(
            folder,
            "worker",
            [
                *("org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1"),
                *("--cores", "1", "--memory", "1g", "--webui-port", str(_free_port())),
                *("--work-dir", str(folder / "work")),
            ],
        )
        started.append(worker)
        _wait_for(folder, "worker", worker, f"Successfully registered with master {url}", deadline)
        yield Cluster(url, folder)
    finally:
        for process in reversed(started):
            _stop(process)


def _scorecard(files: list[Path], master: str | None) -> dict:
    """``python -m bsc kpis FILES --by region --json``, on DuckDB or on the Spark ``master``."""
    env = {key: value for key, value in os.environ.items() if key != "BSC_SPARK_MASTER"}
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    if master is not None:
        env["BSC_SPARK_MASTER"] = master
    finished = subprocess.run(
        [sys.executable, "-m", "bsc", "kpis", *map(str, files), "--by", "region", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPOSITORY,
        timeout=COMMAND_LIMIT,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return json.loads(finished.stdout)


def _same_number(left: float | None, right: float | None) -> bool:
    if left is None or right is None:
        return left is right
    # The JSON rounds values to 6 decimals, and a sum taken in another order can land the last
    # digit the other way (43.333437 against 43.333438): one unit of it is the same value.
    return math.isclose(left, right, rel_tol=1e-9, abs_tol=1.5e-6)


def test_company_scorecard_on_a_standalone_cluster_equals_duckdb(cluster: Cluster, tmp_path: Path):
    files = [path for paths in write_tables(tmp_path, small_company()).values() for path in paths]
    duck = _scorecard(files, None)
    spark = _scorecard(files, cluster.url)

    # The work ran on the cluster: the master took the application, the worker ran its executor.
    assert "Registering app customer-scorecard" in cluster.log("master")
    assert "Asked to launch executor" in cluster.log("worker")

    assert spark["unavailable"] == duck["unavailable"]
    assert spark["assumptions"] == duck["assumptions"]
    keyed = {(row["kpi"], row["period"], row["segment"]): row for row in spark["kpis"]}
    assert len(keyed) == len(spark["kpis"]) == len(duck["kpis"])
    # The test company has every table kind: a scorecard of many KPIs, by region and for all.
    assert len({row["kpi"] for row in duck["kpis"]}) >= 15
    assert {"north", "south"} <= {row["segment"] for row in duck["kpis"]}
    for row in duck["kpis"]:
        other = keyed[(row["kpi"], row["period"], row["segment"])]
        for field in ("value", "ci_low", "ci_high"):
            assert _same_number(row[field], other[field]), (row, other)
        assert (row["n"], row["complete"], row["reason"]) == (other["n"], other["complete"], other["reason"])
    # The segments set side by side (each against all customers, with its test) agree too.
    assert len(duck["comparison"]) > 0
    for left, right in zip(duck["comparison"], spark["comparison"], strict=True):
        assert _same_comparison(left, right), (left, right)


def _same_comparison(left: dict, right: dict) -> bool:
    return left.keys() == right.keys() and all(
        _same_number(left[key], right[key])
        if isinstance(left[key], float) or isinstance(right[key], float)
        else left[key] == right[key]
        for key in left
    )
