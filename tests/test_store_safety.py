"""Nothing lost, nothing leaked: writers killed mid-save, a restart, concurrent saves, file names.

A real process saves again and again and is killed with SIGKILL, at random moments and at the
worst moment by design; afterwards a fresh store on the folder must find a whole version, at least
as new as the last one the writer reported saved. Sessions saving at the same moment are each
applied or refused with a message. Nothing a user types or uploads becomes part of a path.
"""

from __future__ import annotations

import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from bsc.errors import InputError
from bsc.store import ConflictError, Store
from bsc.table_files import frame_hash
from bsc.targets import Target
from tests.store_writers import MAPPING, book, dataset_frame, goal_for, version_note

ROOT = Path(__file__).resolve().parents[1]


def start_writer(*args: str) -> subprocess.Popen:
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.store_writers", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline() == "ready\n"
    return writer


def acknowledged(writer: subprocess.Popen) -> int:
    """The last version the killed writer reported saved (0 if none)."""
    assert writer.stdout is not None
    lines = writer.stdout.read().splitlines()
    versions = [
        int(line.split()[1]) for line in lines if line.startswith("saved ") and line.split()[1].isdigit()
    ]
    return max(versions, default=0)


def kill(writer: subprocess.Popen, after: float) -> None:
    time.sleep(after)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)


class TestDatasetWriterKilled:
    @pytest.fixture
    def saved(self, tmp_path: Path) -> tuple[Path, str]:
        store = Store(tmp_path)
        workspace = store.create_workspace("Acme")
        dataset = store.save_dataset(
            workspace.id,
            name="orders.csv",
            source="orders.csv",
            sheet=None,
            raw=dataset_frame(1),
            canonical=dataset_frame(1),
            mapping=MAPPING,
            problems=[version_note(1)],
        )
        store.engine.dispose()
        return tmp_path, dataset.id

    @staticmethod
    def assert_whole(folder: Path, dataset_id: str, at_least: int) -> int:
        """A fresh store finds one whole version: metadata and file agree on its number."""
        store = Store(folder)
        dataset = store.get_dataset(dataset_id)
        canonical = store.load_canonical(dataset_id)
        assert dataset.version >= at_least
        assert dataset.problems == (version_note(dataset.version),)
        assert len(canonical) == len(dataset_frame(1))
        assert set(canonical["amount"]) == {float(dataset.version)}, "the file is another version's"
        assert frame_hash(canonical) == dataset.content_hash
        assert store.load_raw(dataset_id).shape == dataset_frame(1).shape
        store.engine.dispose()
        return dataset.version

    def test_killed_at_random_moments(self, saved: tuple[Path, str]):
        folder, dataset_id = saved
        rng = random.Random(20261127)
        version = 1
        for _ in range(5):
            writer = start_writer("dataset", str(folder), dataset_id)
            kill(writer, rng.uniform(0.0, 1.2))
            version = self.assert_whole(folder, dataset_id, max(version, acknowledged(writer)))
        assert version > 1, "the writer saved something between the kills"

    @pytest.mark.parametrize("renames", [1, 2, 3], ids=["first-rename", "second-rename", "third-rename"])
    def test_killed_right_after_a_file_is_put_in_place(self, saved: tuple[Path, str], renames: int):
        folder, dataset_id = saved
        writer = start_writer("dataset", str(folder), dataset_id, "--crash-after-replace", str(renames))
        writer.wait(timeout=60)
        assert writer.returncode == -signal.SIGKILL
        self.assert_whole(folder, dataset_id, acknowledged(writer))


class TestTargetWriterKilled:
    def test_killed_at_random_moments(self, tmp_path: Path):
        store = Store(tmp_path)
        workspace = store.create_workspace("Acme")
        target = book(store, workspace.id).set_target(Target("nps", goal_for(1), "2099-12"), author="Ana")
        store.engine.dispose()
        rng = random.Random(1127)
        version = 1
        for _ in range(4):
            writer = start_writer("target", str(tmp_path), workspace.id, target.id)
            kill(writer, rng.uniform(0.0, 0.8))
            at_least = max(version, acknowledged(writer))
            reopened = Store(tmp_path)
            found = book(reopened, workspace.id).get_target(target.id)
            assert found.version >= at_least
            assert found.goal == goal_for(found.version)
            log = book(reopened, workspace.id).audit_log(limit=None)
            goals = log[log["field"] == "goal"]
            assert len(goals) == found.version - 1, "one audit line per saved change"
            assert goals["new"].iloc[0] == f"{goal_for(found.version):g}"
            reopened.engine.dispose()
            version = found.version
        assert version > 1


def test_frames_of_different_versions_differ():
    # The checks above can tell versions apart only if their contents differ.
    assert frame_hash(dataset_frame(2)) != frame_hash(dataset_frame(3))
    assert goal_for(2) != goal_for(3)
    pd.testing.assert_frame_equal(dataset_frame(4), dataset_frame(4))


# --- a restart keeps everything -------------------------------------------------------------


def everything(store: Store) -> dict:
    """All a workspace store holds, read through the public APIs, in comparable form."""
    found: dict = {"workspaces": store.list_workspaces()}
    for workspace in found["workspaces"]:
        datasets = store.list_datasets(workspace.id)
        targets = book(store, workspace.id)
        found[workspace.id] = {
            "datasets": datasets,
            "canonical": {d.id: store.load_canonical(d.id) for d in datasets},
            "raw": {d.id: store.load_raw(d.id) for d in datasets},
            "segmentations": store.list_segmentations(workspace.id),
            "assignments": {
                s.id: store.load_assignments(s.id) for s in store.list_segmentations(workspace.id)
            },
            "objectives": targets.objectives(),
            "initiatives": targets.initiatives(),
            "targets": targets.targets(),
            "audit": targets.audit_log(limit=None),
            "fingerprint": store.workspace_fingerprint(workspace.id),
        }
    return found


def assert_same(before: dict, after: dict) -> None:
    assert after["workspaces"] == before["workspaces"]
    for workspace in before["workspaces"]:
        old, new = before[workspace.id], after[workspace.id]
        for key in ("datasets", "segmentations", "objectives", "initiatives", "targets", "fingerprint"):
            assert new[key] == old[key], key
        for key in ("canonical", "raw", "assignments"):
            assert new[key].keys() == old[key].keys()
            for item, frame in old[key].items():
                pd.testing.assert_frame_equal(new[key][item], frame)
        pd.testing.assert_frame_equal(new["audit"], old["audit"])


def test_a_restart_keeps_every_workspace_dataset_mapping_segmentation_objective_and_target(tmp_path: Path):
    from bsc.features import rfm_features
    from bsc.segmentation import default_rfm_segments, name_rfm_segments, rfm_breaks, rfm_scores
    from bsc.targets import Initiative, Objective
    from bsc.workspace import DEMO_DIR, import_file, remap_dataset

    store = Store(tmp_path)
    acme = store.create_workspace("Acme")
    beta = store.rename_workspace(store.create_workspace("Beta").id, "Beta retail")
    for name in ("customers.csv", "orders.csv", "surveys.csv"):
        stored, refused = import_file(store, acme.id, DEMO_DIR / name)
        assert refused == [] and len(stored) == 1
    customers = next(d for d in store.list_datasets(acme.id) if d.kind == "customers")
    fewer_segments = customers.mapping.segments[1:]
    remapped = remap_dataset(
        store,
        customers,
        type(customers.mapping)(**{**customers.mapping.__dict__, "segments": fewer_segments}),
    )
    assert remapped.version == 2

    rfm = rfm_features(store.workspace_tables(acme.id))
    segments = name_rfm_segments(rfm_scores(rfm, rfm_breaks(rfm)), default_rfm_segments())
    store.save_segmentation(acme.id, name="RFM segments", attribute="rfm_segment", segments=segments)

    targets = book(store, acme.id)
    objective = targets.add_objective(
        Objective("Delight customers", owner="Ana", kpis=("nps",)), author="Ana"
    )
    targets.add_initiative(Initiative(objective.id, "Call every detractor", owner="Ben"), author="Ana")
    target = targets.set_target(Target("nps", 30.0, "2099-12"), author="Ana")
    targets.update_target(target.id, {"goal": 35.0}, author="Ben", expected_version=1)
    store.set_read_only(beta.id, True)

    before = everything(store)
    assert len(before[acme.id]["datasets"]) == 3 and len(before[acme.id]["audit"]) >= 4
    store.engine.dispose()

    assert_same(before, everything(Store(tmp_path)))  # what a restarted server finds


# --- sessions saving at the same moment ------------------------------------------------------


def run_together(actions: list) -> list[tuple[str, object]]:
    """Run the actions in threads released at once: ("applied", result) or ("refused", error)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    barrier = Barrier(len(actions))

    def attempt(action):
        barrier.wait()
        try:
            return "applied", action()
        except InputError as error:  # anything else fails the test
            return "refused", error

    with ThreadPoolExecutor(len(actions)) as pool:
        return list(pool.map(attempt, actions))


class TestConcurrentSaves:
    def test_new_tables_saved_at_once_are_all_kept(self, tmp_path: Path):
        store = Store(tmp_path)
        workspace = store.create_workspace("Acme")
        outcomes = run_together(
            [
                lambda n=n: store.save_dataset(
                    workspace.id,
                    name=f"orders {n}.csv",
                    source=f"orders {n}.csv",
                    sheet=None,
                    raw=dataset_frame(n, 2000),
                    canonical=dataset_frame(n, 2000),
                    mapping=MAPPING,
                )
                for n in range(8)
            ]
        )
        assert [kind for kind, _ in outcomes] == ["applied"] * 8
        stored = {d.name: d for d in store.list_datasets(workspace.id)}
        assert sorted(stored) == sorted(f"orders {n}.csv" for n in range(8))
        for n in range(8):
            assert set(store.load_canonical(stored[f"orders {n}.csv"].id)["amount"]) == {float(n)}

    def test_one_table_remapped_at_once_keeps_exactly_one_change(self, tmp_path: Path):
        store = Store(tmp_path)
        workspace = store.create_workspace("Acme")
        dataset = store.save_dataset(
            workspace.id,
            name="orders.csv",
            source="orders.csv",
            sheet=None,
            raw=dataset_frame(0, 2000),
            canonical=dataset_frame(0, 2000),
            mapping=MAPPING,
        )
        outcomes = run_together(
            [
                lambda n=n: store.update_mapping(
                    dataset.id,
                    expected_version=1,
                    canonical=dataset_frame(n, 2000),
                    mapping=MAPPING,
                    problems=[version_note(n)],
                )
                for n in range(1, 9)
            ]
        )
        applied = [result for kind, result in outcomes if kind == "applied"]
        refused = [result for kind, result in outcomes if kind == "refused"]
        assert len(applied) == 1 and len(refused) == 7
        assert all(isinstance(error, ConflictError) and "another session" in str(error) for error in refused)
        [winner] = applied
        current = store.get_dataset(dataset.id)
        assert current.version == 2 and current.problems == winner.problems
        # Writer n saved amounts of n with the note "saved as version n".
        winner_number = float(winner.problems[0].message.split()[-1])
        assert set(store.load_canonical(dataset.id)["amount"]) == {winner_number}
        # The losers' files are gone: the winner's and the first version's remain.
        assert sorted(
            p.name for p in (tmp_path / "tables").iterdir() if not p.name.endswith(".raw.parquet")
        ) == sorted([f"{dataset.id}.parquet", current.canonical_file])

    def test_one_target_created_at_once_is_created_once(self, tmp_path: Path):
        store = Store(tmp_path)
        workspace = store.create_workspace("Acme")
        targets = book(store, workspace.id)
        outcomes = run_together(
            [
                lambda n=n: targets.set_target(Target("nps", 10.0 + n, "2099-12"), author=f"writer {n}")
                for n in range(6)
            ]
        )
        assert [kind for kind, _ in outcomes].count("applied") == 1
        refused = [result for kind, result in outcomes if kind == "refused"]
        assert all(isinstance(error, ConflictError) for error in refused)
        [stored] = targets.targets()
        assert stored.goal in {10.0 + n for n in range(6)}
        assert len(targets.audit_log(limit=None)) == 1

    def test_writers_in_separate_processes(self, tmp_path: Path):
        store = Store(tmp_path)
        workspace = store.create_workspace("Acme")
        dataset = store.save_dataset(
            workspace.id,
            name="orders.csv",
            source="orders.csv",
            sheet=None,
            raw=dataset_frame(0, 1000),
            canonical=dataset_frame(0, 1000),
            mapping=MAPPING,
        )
        target = book(store, workspace.id).set_target(Target("nps", 10.0, "2099-12"), author="Ana")
        go = tmp_path / "go"
        writers = [
            start_writer("race-dataset", str(tmp_path), dataset.id, str(go), str(n)) for n in range(1, 4)
        ] + [
            start_writer("race-target", str(tmp_path), workspace.id, target.id, str(go), str(n))
            for n in range(20, 23)
        ]
        go.touch()
        said = [writer.communicate(timeout=120)[0].strip() for writer in writers]
        assert all(writer.returncode == 0 for writer in writers), said
        datasets_said, targets_said = said[:3], said[3:]
        for group in (datasets_said, targets_said):
            assert group.count("applied") == 1, group
            assert all(
                line.startswith("refused: ") and "changed" in line for line in group if line != "applied"
            )
        winner = 1 + datasets_said.index("applied")
        assert set(store.load_canonical(dataset.id)["amount"]) == {float(winner)}
        found = book(store, workspace.id).get_target(target.id)
        assert (found.version, found.goal) == (2, float(20 + targets_said.index("applied")))


# --- file names cannot escape the data folder ------------------------------------------------

HOSTILE_NAMES = [
    "../../etc/passwd.csv",
    "/etc/passwd.csv",
    "..\\..\\Windows\\win.ini.csv",
    "C:\\Users\\Public\\orders.csv",
    "orders\x00.csv",
    "~/.ssh/authorized_keys.csv",
    "....//....//orders.csv",
    "%2e%2e%2forders.csv",
    "orders.csv\n.csv",
]
_STORE_FILE = re.compile(r"^[0-9a-f]{32}(\.raw|\.[0-9a-f]{32})?\.parquet$|^bsc\.sqlite3(-wal|-shm)?$")


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda name: repr(name))
def test_an_uploaded_file_name_never_becomes_a_path(name: str, tmp_path: Path):
    from bsc.detect import detect_mapping
    from bsc.ingest import read_tables
    from bsc.workspace import save_table

    data_dir = tmp_path / "deep" / "data"
    store = Store(data_dir)
    workspace = store.create_workspace(name.replace("\x00", "") or "x")
    [table] = read_tables(name, b"customer_id,order_date,amount\nC1,2024-01-05,10\nC2,2024-01-06,12\n")
    saved = save_table(store, workspace.id, table, detect_mapping(table.frame, table.name))
    store.save_segmentation(
        workspace.id, name=name, attribute="tier", segments=pd.Series(["a", "b"], index=["C1", "C2"])
    )

    assert saved.name == " ".join(name.split()) and saved.source == name  # kept as text only
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.is_relative_to(data_dir) for p in written), written
    assert {p.parent for p in written} <= {data_dir, data_dir / "tables", data_dir / "segmentations"}
    stored = [p.name for p in written if p.parent == data_dir / "tables"] + [
        p.name for p in written if p.parent == data_dir
    ]
    assert all(_STORE_FILE.match(file) for file in stored), stored
    assert [p.name for p in (data_dir / "segmentations").iterdir()] == [
        store.segmentation_path(store.list_segmentations(workspace.id)[0]).name
    ]
    assert store.load_raw(saved.id).shape == (2, 3)
