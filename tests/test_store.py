"""The workspace store: SQLite metadata and Parquet tables that survive a restart."""

from __future__ import annotations

import pandas as pd
import pytest

from bsc.errors import InputError
from bsc.mapping import Problem, TableMapping
from bsc.store import ConflictError, ReadOnlyError, Store

RAW = pd.DataFrame(
    {"Customer ID": ["001", "002"], "Order Date": ["20240101", "20240102"], "Amt": ["1.5", "2"]}
)
CANONICAL = pd.DataFrame(
    {
        "customer_id": pd.array(["001", "002"], dtype="string"),
        "date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
        "amount": [1.5, 2.0],
    }
)
PROBLEMS = (
    Problem("warning", "2 amounts are negative (returns)", rows=2, examples=("-1", "-2"), column="Amt"),
)
MAPPING = TableMapping(
    kind="transactions", roles={"customer_id": "Customer ID", "date": "Order Date", "amount": "Amt"}
)


def _save(store: Store, workspace_id: str, name: str = "orders.csv"):
    return store.save_dataset(
        workspace_id,
        name=name,
        source=name,
        sheet=None,
        raw=RAW,
        canonical=CANONICAL,
        mapping=MAPPING,
        problems=PROBLEMS,
    )


class TestWorkspaces:
    def test_currency_is_kept_with_the_workspace_and_version_checked(self, tmp_path):
        store = Store(tmp_path)
        ws = store.create_workspace("Acme")
        assert ws.currency is None
        set_ = store.set_currency(ws.id, "€", expected_version=ws.version)
        assert (set_.currency, set_.version) == ("EUR", ws.version + 1)
        assert Store(tmp_path).get_workspace(ws.id).currency == "EUR"
        # A second session still holding the first version is refused; nothing changes.
        with pytest.raises(ConflictError, match="changed this workspace"):
            store.set_currency(ws.id, "USD", expected_version=ws.version)
        with pytest.raises(InputError, match="is not a currency"):
            store.set_currency(ws.id, "euros", expected_version=set_.version)
        assert store.set_currency(ws.id, "", expected_version=set_.version).currency is None

    def test_currency_of_a_read_only_workspace_cannot_change(self, tmp_path):
        store = Store(tmp_path)
        ws = store.set_read_only(store.create_workspace("Acme").id, True)
        with pytest.raises(ReadOnlyError):
            store.set_currency(ws.id, "EUR", expected_version=ws.version)
        assert store.get_workspace(ws.id).currency is None

    def test_create_rename_delete(self, tmp_path):
        store = Store(tmp_path)
        ws = store.create_workspace("  Acme   retail ")
        assert ws.name == "Acme retail"
        renamed = store.rename_workspace(ws.id, "Acme")
        assert renamed.name == "Acme" and renamed.version == 2
        store.delete_workspace(ws.id)
        assert store.list_workspaces() == []

    def test_duplicate_and_empty_names_are_refused(self, tmp_path):
        store = Store(tmp_path)
        first = store.create_workspace("Acme")
        other = store.create_workspace("Other")
        with pytest.raises(InputError, match="already exists"):
            store.create_workspace("Acme")
        with pytest.raises(InputError, match="already exists"):
            store.rename_workspace(other.id, "Acme")
        with pytest.raises(InputError, match="empty"):
            store.create_workspace("   ")
        assert [w.name for w in store.list_workspaces()] == [first.name, other.name]

    def test_deleting_a_workspace_removes_its_tables_only(self, tmp_path):
        store = Store(tmp_path)
        doomed, kept = store.create_workspace("Doomed"), store.create_workspace("Kept")
        gone, stays = _save(store, doomed.id), _save(store, kept.id)
        store.delete_workspace(doomed.id)
        assert not store.canonical_path(gone).exists()
        assert store.list_datasets(kept.id) == [stays]
        assert store.canonical_path(stays.id).exists()


class TestDatasets:
    def test_saved_tables_survive_a_restart(self, tmp_path):
        store = Store(tmp_path)
        ws = store.create_workspace("Acme")
        saved = _save(store, ws.id)
        store.engine.dispose()

        reopened = Store(tmp_path)  # a new process would do exactly this
        [dataset] = reopened.list_datasets(ws.id)
        assert dataset == saved
        assert dataset.mapping == MAPPING
        assert dataset.problems == PROBLEMS
        pd.testing.assert_frame_equal(reopened.load_raw(dataset.id), RAW)
        pd.testing.assert_frame_equal(reopened.load_canonical(dataset.id), CANONICAL, check_dtype=False)
        assert reopened.workspace_tables(ws.id) == {"transactions": [reopened.canonical_path(dataset.id)]}

    def test_second_save_on_a_stale_version_is_refused(self, tmp_path):
        store = Store(tmp_path)
        ws = store.create_workspace("Acme")
        dataset = _save(store, ws.id)
        first_edit = TableMapping(kind="transactions", roles={**MAPPING.roles}, segments=["Amt"])
        store.update_mapping(dataset.id, expected_version=1, canonical=CANONICAL, mapping=first_edit)

        second_edit = TableMapping(kind="customers", roles={"customer_id": "Customer ID"})
        with pytest.raises(ConflictError, match="another session"):
            store.update_mapping(dataset.id, expected_version=1, canonical=CANONICAL, mapping=second_edit)
        current = store.get_dataset(dataset.id)
        assert current.version == 2 and current.mapping == first_edit

    def test_saving_into_a_deleted_workspace_is_refused_cleanly(self, tmp_path):
        store = Store(tmp_path)
        ws = store.create_workspace("Acme")
        store.delete_workspace(ws.id)
        with pytest.raises(InputError, match="no longer exists"):
            _save(store, ws.id)
        assert list((tmp_path / "tables").iterdir()) == []

    @pytest.mark.parametrize("failing", [".raw.parquet", "-canonical"])
    def test_a_failed_file_write_leaves_neither_file(self, tmp_path, monkeypatch, failing):
        # The raw and canonical files are written on two threads: when either write fails, the
        # other file is removed and no dataset row is written.
        import bsc.store

        written = bsc.store.write_parquet_atomic

        def write(table, path):
            is_raw = path.name.endswith(".raw.parquet")
            if (failing == ".raw.parquet") == is_raw:
                raise OSError("disk full")
            written(table, path)

        monkeypatch.setattr(bsc.store, "write_parquet_atomic", write)
        store = Store(tmp_path)
        ws = store.create_workspace("Acme")
        with pytest.raises(OSError, match="disk full"):
            _save(store, ws.id)
        assert list(tmp_path.rglob("*.parquet")) == []
        assert store.list_datasets(ws.id) == []

    def test_fingerprint_changes_with_content(self, tmp_path):
        store = Store(tmp_path)
        ws = store.create_workspace("Acme")
        empty = store.workspace_fingerprint(ws.id)
        dataset = _save(store, ws.id)
        one = store.workspace_fingerprint(ws.id)
        store.update_mapping(dataset.id, expected_version=1, canonical=CANONICAL.head(1), mapping=MAPPING)
        two = store.workspace_fingerprint(ws.id)
        segments = pd.Series(["a", "b"], index=pd.Index(["001", "002"], name="customer_id"))
        store.save_segmentation(ws.id, name="Value tiers", attribute="value_tier", segments=segments)
        assert len({empty, one, two, store.workspace_fingerprint(ws.id)}) == 4


class TestSegmentations:
    @staticmethod
    def _segments() -> pd.Series:
        return pd.Series(["Loyal", "New"], index=pd.Index(["001", "002"], name="customer_id"))

    def test_saved_segments_are_a_table_of_the_workspace(self, tmp_path):
        store = Store(tmp_path)
        ws = store.create_workspace("Acme")
        _save(store, ws.id)
        saved = store.save_segmentation(
            ws.id,
            name="Value segments",
            attribute="value_segments",
            segments=self._segments(),
            params={"k": 2},
        )
        reopened = Store(tmp_path)
        assert [s.name for s in reopened.list_segmentations(ws.id)] == ["Value segments"]
        assert reopened.get_segmentation(saved.id).params == {"k": 2}
        assert reopened.workspace_tables(ws.id)["assignments"] == [reopened.segmentation_path(saved)]
        assignments = reopened.load_assignments(saved.id)
        assert list(assignments.columns) == ["customer_id", "value_segments"]
        assert assignments["value_segments"].tolist() == ["Loyal", "New"]
        assert str(assignments["customer_id"].dtype) == "string"

    def test_rename_writes_a_new_version(self, tmp_path):
        store = Store(tmp_path)
        ws = store.create_workspace("Acme")
        saved = store.save_segmentation(ws.id, name="Tiers", attribute="tiers", segments=self._segments())
        renamed = store.rename_segmentation(
            saved.id, expected_version=1, name="Value tiers", attribute="value_tiers"
        )
        assert (renamed.name, renamed.attribute, renamed.version) == ("Value tiers", "value_tiers", 2)
        assert list(store.load_assignments(saved.id).columns) == ["customer_id", "value_tiers"]
        # The version before stays readable for a reader that just found it; the one before goes.
        assert store.segmentation_path(saved).exists()
        again = store.rename_segmentation(saved.id, expected_version=2, name="Tiers", attribute="tiers")
        assert not store.segmentation_path(saved).exists()
        assert store.segmentation_path(renamed).exists() and store.segmentation_path(again).exists()
        with pytest.raises(ConflictError):
            store.rename_segmentation(saved.id, expected_version=1, name="Again", attribute="again")
        assert store.get_segmentation(saved.id).version == 3

    def test_delete(self, tmp_path):
        store = Store(tmp_path)
        ws = store.create_workspace("Acme")
        saved = store.save_segmentation(ws.id, name="Tiers", attribute="tiers", segments=self._segments())
        store.delete_segmentation(saved.id)
        assert store.list_segmentations(ws.id) == []
        assert "assignments" not in store.workspace_tables(ws.id)
        assert not store.segmentation_path(saved).exists()

    def test_deleting_the_workspace_removes_its_segmentations(self, tmp_path):
        store = Store(tmp_path)
        ws = store.create_workspace("Acme")
        saved = store.save_segmentation(ws.id, name="Tiers", attribute="tiers", segments=self._segments())
        store.delete_workspace(ws.id)
        assert not store.segmentation_path(saved).exists()

    @pytest.mark.parametrize(
        ("attribute", "segments", "message"),
        [
            ("Value Tiers", None, "lowercase letters"),
            ("amount", None, "already a column"),
            ("tiers", None, "already uses"),
            ("fresh", pd.Series(["A", "B"], index=["001", "001"]), "only one segment"),
            ("fresh", pd.Series(["A", None], index=["001", "002"]), "needs a segment"),
            ("fresh", pd.Series([], dtype="string"), "no customers"),
        ],
        ids=["not-snake-case", "column-of-a-table", "taken", "customer-twice", "no-segment", "empty"],
    )
    def test_refused(self, tmp_path, attribute, segments, message):
        store = Store(tmp_path)
        ws = store.create_workspace("Acme")
        _save(store, ws.id)
        store.save_segmentation(ws.id, name="Tiers", attribute="tiers", segments=self._segments())
        with pytest.raises(InputError, match=message):
            store.save_segmentation(
                ws.id,
                name="Other",
                attribute=attribute,
                segments=self._segments() if segments is None else segments,
            )
        assert len(store.list_segmentations(ws.id)) == 1


class TestVersionedTableFiles:
    def test_a_new_mapping_goes_to_a_new_file_and_the_one_before_is_kept_until_the_next(self, tmp_path):
        store = Store(tmp_path)
        ws = store.create_workspace("Acme")
        first = _save(store, ws.id)
        second = store.update_mapping(
            first.id, expected_version=1, canonical=CANONICAL.head(1), mapping=MAPPING
        )
        assert store.canonical_path(second) != store.canonical_path(first)
        assert store.canonical_path(first).exists(), "a reader that just found it can still read it"
        third = store.update_mapping(first.id, expected_version=2, canonical=CANONICAL, mapping=MAPPING)
        assert not store.canonical_path(first).exists()
        assert store.canonical_path(second).exists() and store.canonical_path(third).exists()
        pd.testing.assert_frame_equal(store.load_canonical(first.id), CANONICAL, check_dtype=False)
        store.delete_dataset(first.id)
        assert list((tmp_path / "tables").iterdir()) == []

    def test_a_refused_mapping_leaves_no_file(self, tmp_path):
        store = Store(tmp_path)
        ws = store.create_workspace("Acme")
        dataset = _save(store, ws.id)
        store.update_mapping(dataset.id, expected_version=1, canonical=CANONICAL, mapping=MAPPING)
        files = sorted(p.name for p in (tmp_path / "tables").iterdir())
        with pytest.raises(ConflictError):
            store.update_mapping(dataset.id, expected_version=1, canonical=CANONICAL.head(1), mapping=MAPPING)
        assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == files


def _older_database(folder) -> str:
    """A data folder as an earlier release left it: no read-only flag, one canonical file per table."""
    store = Store(folder)
    ws = store.create_workspace("Acme")
    dataset = _save(store, ws.id)
    with store.engine.begin() as conn:
        for table, column in [
            ("workspaces", "read_only"),
            ("datasets", "canonical_file"),
            ("datasets", "previous_file"),
        ]:
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
    store.engine.dispose()
    return dataset.id


class TestOlderDatabases:
    def test_missing_columns_are_added_and_tables_kept(self, tmp_path):
        dataset_id = _older_database(tmp_path)
        store = Store(tmp_path)
        [ws] = store.list_workspaces()
        assert ws.read_only is False
        dataset = store.get_dataset(dataset_id)
        assert store.canonical_path(dataset) == tmp_path / "tables" / f"{dataset_id}.parquet"
        pd.testing.assert_frame_equal(store.load_canonical(dataset_id), CANONICAL, check_dtype=False)
        updated = store.update_mapping(
            dataset_id, expected_version=1, canonical=CANONICAL.head(1), mapping=MAPPING
        )
        assert len(store.load_canonical(updated.id)) == 1
        assert store.set_read_only(ws.id, True).read_only

    def test_two_stores_opening_an_older_database_at_once(self, tmp_path):
        from concurrent.futures import ThreadPoolExecutor

        _older_database(tmp_path)
        with ThreadPoolExecutor(4) as pool:
            stores = list(pool.map(lambda _: Store(tmp_path), range(4)))
        assert {len(s.list_workspaces()) for s in stores} == {1}


class TestReadOnlyWorkspaces:
    @pytest.fixture
    def store(self, tmp_path) -> Store:
        return Store(tmp_path)

    def test_every_store_write_is_refused_and_nothing_changes(self, store, tmp_path):
        ws = store.create_workspace("Acme")
        dataset = _save(store, ws.id)
        segments = pd.Series(["a", "b"], index=["001", "002"])
        saved = store.save_segmentation(ws.id, name="Tiers", attribute="tiers", segments=segments)
        locked = store.set_read_only(ws.id, True)
        assert locked.read_only and locked.version == ws.version + 1
        files = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet"))
        writes = {
            "save a table": lambda: _save(store, ws.id, "more.csv"),
            "remap a table": lambda: store.update_mapping(
                dataset.id, expected_version=1, canonical=CANONICAL.head(1), mapping=MAPPING
            ),
            "delete a table": lambda: store.delete_dataset(dataset.id),
            "save segments": lambda: store.save_segmentation(
                ws.id, name="More", attribute="more", segments=segments
            ),
            "rename segments": lambda: store.rename_segmentation(
                saved.id, expected_version=1, name="T", attribute="t"
            ),
            "delete segments": lambda: store.delete_segmentation(saved.id),
            "rename the workspace": lambda: store.rename_workspace(ws.id, "Other"),
            "delete the workspace": lambda: store.delete_workspace(ws.id),
        }
        for what, write in writes.items():
            with pytest.raises(ReadOnlyError, match="“Acme” is read-only, so nothing was changed"):
                write()
            assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet")) == files, what
        assert store.list_datasets(ws.id) == [dataset]
        assert store.list_segmentations(ws.id) == [saved]
        assert store.get_workspace(ws.id).name == "Acme"

    def test_other_workspaces_stay_editable_and_the_flag_can_be_turned_off(self, store):
        locked, open_ = store.create_workspace("Acme"), store.create_workspace("Beta")
        store.set_read_only(locked.id, True)
        _save(store, open_.id)
        assert len(store.list_datasets(open_.id)) == 1
        store.set_read_only(locked.id, False)
        _save(store, locked.id)
        assert len(store.list_datasets(locked.id)) == 1

    def test_writes_by_other_modules_are_refused_too(self, store):
        # Targets, objectives and the audit log are written by bsc.targets through the store's engine.
        from bsc.targets import Objective, Target
        from tests.store_writers import book

        ws = store.create_workspace("Acme")
        targets = book(store, ws.id)
        target = targets.set_target(Target("nps", 30.0, "2099-12"), author="Ana")
        store.set_read_only(ws.id, True)
        with pytest.raises(ReadOnlyError):
            targets.update_target(target.id, {"goal": 40.0}, author="Ana", expected_version=1)
        with pytest.raises(ReadOnlyError):
            targets.set_target(
                Target("nps", 20.0, "2099-06", segment_by=None), author="Ana", expected_version=1
            )
        with pytest.raises(ReadOnlyError):
            targets.add_objective(Objective("Delight", kpis=("nps",)), author="Ana")
        with pytest.raises(ReadOnlyError):
            targets.delete_target(target.id, author="Ana", expected_version=1)
        assert targets.get_target(target.id).goal == 30.0
        assert targets.objectives() == []
        assert len(targets.audit_log(limit=None)) == 1


class TestRefusedSaveLeavesNothing:
    def test_a_name_over_200_characters_writes_no_file(self, tmp_path):
        store = Store(tmp_path)
        ws = store.create_workspace("Acme")
        tables = tmp_path / "tables"
        before = sorted(tables.glob("*")) if tables.exists() else []
        with pytest.raises(InputError, match="too long"):
            _save(store, ws.id, name="x" * 201)
        after = sorted(tables.glob("*")) if tables.exists() else []
        assert after == before
        assert store.list_datasets(ws.id) == []
        # The same table under a short name is saved: nothing was held back by the refusal.
        assert _save(store, ws.id, name="x" * 200).name == "x" * 200
