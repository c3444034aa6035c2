"""Processes that write into a store, for tests/test_store_safety.py.

``python -m tests.store_writers MODE FOLDER ...``:

- ``dataset FOLDER DATASET_ID [--crash-after-replace N]`` saves a new canonical table into the
  dataset again and again until it is killed;
- ``target FOLDER WORKSPACE_ID TARGET_ID`` changes a target's goal again and again through
  :class:`bsc.targets.TargetBook` until it is killed;
- ``race-dataset FOLDER DATASET_ID GO_FILE TAG`` and ``race-target FOLDER WORKSPACE_ID TARGET_ID
  GO_FILE TAG`` wait until GO_FILE exists, then save once on version 1, as several people
  pressing Save at the same moment.

A writer prints ``ready`` once set up, then ``saved N`` after each save that returned (version N),
so the test knows what was acknowledged; a racing writer prints ``applied`` or ``refused: ...``.
Every version's content is derived from its number (:func:`dataset_frame`, :func:`goal_for`), so a
reader can tell a whole version from a mix of two.

``--crash-after-replace N`` kills the process itself right after the store's N-th file rename,
the moment between putting a file in place and committing its metadata.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from bsc import store as store_module
from bsc.errors import InputError
from bsc.mapping import Problem, TableMapping
from bsc.store import Store

ROWS = 200_000
MAPPING = TableMapping(
    kind="transactions", roles={"customer_id": "customer", "date": "day", "amount": "value"}
)
TODAY = date(2026, 11, 27)


def dataset_frame(version: float, rows: int = ROWS) -> pd.DataFrame:
    """The canonical table of one version: every amount is the version number."""
    return pd.DataFrame(
        {
            "customer_id": pd.array([f"C{i % 5000:05d}" for i in range(rows)], dtype="string"),
            "date": pd.date_range("2024-01-01", periods=rows, freq="min").astype("datetime64[us]"),
            "amount": np.full(rows, float(version)),
        }
    )


def version_note(version: int) -> Problem:
    return Problem("info", f"saved as version {version}")


def goal_for(version: int) -> float:
    """The NPS goal a target has at ``version``: different from one version to the next."""
    return float((version * 7) % 200 - 100)


def kpi_source(unit: str, by: str | None):
    """Hand-made NPS values, so that targets can be set without a workspace's tables."""
    from bsc.kpis import KpiParams, KpiResult

    values = pd.DataFrame(
        {
            "kpi": pd.array(["nps", "nps"], dtype="string"),
            "period": pd.array(["2026-09", "2026-10"], dtype="string"),
            "segment": pd.array([None, None], dtype="string"),
            "value": [20.0, 24.0],
            "ci_low": [15.0, 19.0],
            "ci_high": [25.0, 29.0],
            "numerator": [math.nan, math.nan],
            "denominator": [math.nan, math.nan],
            "n": pd.array([100, 100], dtype="Int64"),
        }
    )
    return KpiResult(values, [], [], {}, unit, by, KpiParams())  # type: ignore[arg-type]


def book(store: Store, workspace_id: str):
    from bsc.targets import TargetBook

    return TargetBook(store, workspace_id, kpi_source=kpi_source, today=lambda: TODAY)


def crash_after_replace(count: int) -> None:
    real_replace = os.replace
    calls = 0

    def replace_then_die(source, destination):
        nonlocal calls
        real_replace(source, destination)
        calls += 1
        if calls == count:
            os.kill(os.getpid(), signal.SIGKILL)

    store_module.os.replace = replace_then_die  # type: ignore[assignment]


def save_datasets(store: Store, dataset_id: str) -> None:
    while True:
        current = store.get_dataset(dataset_id)
        version = current.version + 1
        store.update_mapping(
            dataset_id,
            expected_version=current.version,
            canonical=dataset_frame(version),
            mapping=MAPPING,
            problems=[version_note(version)],
        )
        print(f"saved {version}", flush=True)


def save_targets(store: Store, workspace_id: str, target_id: str) -> None:
    targets = book(store, workspace_id)
    while True:
        current = targets.get_target(target_id)
        version = current.version + 1
        targets.update_target(
            target_id, {"goal": goal_for(version)}, author="writer", expected_version=current.version
        )
        print(f"saved {version}", flush=True)


def race(save, go_file: Path) -> None:
    while not go_file.exists():
        time.sleep(0.005)
    try:
        save()
    except InputError as error:
        print(f"refused: {error}", flush=True)
    else:
        print("applied", flush=True)


def main(argv: list[str]) -> None:
    mode, folder, *rest = argv
    if "--crash-after-replace" in rest:
        crash_after_replace(int(rest[rest.index("--crash-after-replace") + 1]))
    store = Store(folder)
    if mode.endswith("target"):
        targets = book(store, rest[0])
    print("ready", flush=True)
    if mode == "dataset":
        save_datasets(store, rest[0])
    elif mode == "target":
        save_targets(store, rest[0], rest[1])
    elif mode == "race-dataset":
        dataset_id, go_file, tag = rest[:3]
        race(
            lambda: store.update_mapping(
                dataset_id, expected_version=1, canonical=dataset_frame(float(tag), 1000), mapping=MAPPING
            ),
            Path(go_file),
        )
    elif mode == "race-target":
        target_id, go_file, tag = rest[1:4]
        race(
            lambda: targets.update_target(
                target_id, {"goal": float(tag)}, author=f"writer {tag}", expected_version=1
            ),
            Path(go_file),
        )


if __name__ == "__main__":
    main(sys.argv[1:])
