"""The workspace store: metadata in a SQL database (SQLite by default), tables as Parquet files.

Layout under the data folder (``BSC_DATA_DIR``, default ``./workspace-data``)::

    bsc.sqlite3                      metadata (or BSC_DATABASE_URL, e.g. PostgreSQL)
    tables/<table_id>.raw.parquet     the table as read from the uploaded file (a large file
                                      imported on the server is streamed into it in batches)
    tables/<table_id>.parquet         its canonical form (roles applied, typed)
    tables/<table_id>.<token>.parquet its canonical form after a new mapping was saved
    segmentations/<id>.v<version>.parquet
                                      a saved segmentation: customer_id and its segment

File names are made by the store alone, from ids it draws itself: nothing a user types or
uploads (a file name, a workspace name) ever becomes part of a path.

Nothing is lost when a process dies mid-save. Files are written to a temporary name, flushed to
disk and renamed into place; a file is never overwritten while the metadata still points to it:
a new version of a canonical table goes to a new file, and the metadata row, written in one
transaction, then points to it. So a crash at any moment leaves the old version or the new one,
whole, never a mix. The file of the version before is kept until the next save, so that a
reader that found it just before the switch can still read it. Each table carries a ``version``
that every update must name, so two sessions cannot silently overwrite each other: the second
save is refused with a :class:`ConflictError` saying what changed.

A workspace can be marked read-only (:meth:`Store.set_read_only`). Then every write into it, by
the store or by any module writing rows that carry its ``workspace_id`` through the store's
engine (targets, objectives, the audit log...), raises :class:`ReadOnlyError`. Who may be
an owner, editor or viewer of a workspace (:mod:`bsc.access`) is not its content: owners can
change it while the workspace is read-only.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy import Table, create_engine, event, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import Delete, Insert, Update

from bsc.cache_keys import cache_key
from bsc.currency import currency_code
from bsc.database import ACCESS_TABLES, create_tables, datasets, segmentations, workspaces
from bsc.errors import InputError
from bsc.mapping import Problem, TableMapping
from bsc.schema import ASSIGNMENTS
from bsc.table_files import arrow_table, file_hash, table_hash, tables_by_kind, write_parquet_atomic

DEFAULT_DATA_DIR = "workspace-data"

_ATTRIBUTE_NAME = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")


@dataclass(frozen=True)
class Workspace:
    """A company's tables, mappings, segmentations, objectives and targets.

    ``read_only``: nothing in it can be changed until it is turned off (see :meth:`Store.set_read_only`).
    ``currency``: the ISO 4217 code of its money values, None while unknown (see :meth:`Store.set_currency`).
    """

    id: str
    name: str
    created_at: datetime
    version: int
    read_only: bool = False
    currency: str | None = None


@dataclass(frozen=True)
class Dataset:
    """One stored table of a workspace, with its mapping.

    ``streamed``: read from a large file in batches (:mod:`bsc.large_files`), never held whole in
    memory; its raw file is read a row group at a time (:meth:`Store.load_raw_head`,
    :func:`bsc.large_files.restream_parquet`). Its ``content_hash`` is then the SHA-256 of the
    source file's bytes, then of each new canonical file after a new mapping.
    """

    id: str
    workspace_id: str
    name: str
    source: str
    sheet: str | None
    kind: str
    mapping: TableMapping
    problems: tuple[Problem, ...]
    rows: int
    content_hash: str
    created_at: datetime
    updated_at: datetime
    version: int
    canonical_file: str = ""
    streamed: bool = False


@dataclass(frozen=True)
class Segmentation:
    """A saved segmentation: every customer's segment, a segment attribute of the workspace.

    ``attribute`` is the column name the segments take in the scorecard's "Split by";
    ``params`` records how the segments were made (method, features, k...).
    """

    id: str
    workspace_id: str
    name: str
    attribute: str
    created_at: datetime
    params: dict
    version: int


class ConflictError(InputError):
    """Somebody else saved a newer version first; the save was refused and nothing changed."""


class ReadOnlyError(InputError):
    """The workspace is read-only; the change was refused and nothing changed."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _new_id() -> str:
    return uuid.uuid4().hex


class Store:
    """Workspaces and their datasets, persisted in ``data_dir`` (and ``database_url`` if given)."""

    def __init__(self, data_dir: str | Path | None = None, database_url: str | None = None) -> None:
        self.data_dir = Path(data_dir or os.environ.get("BSC_DATA_DIR") or DEFAULT_DATA_DIR).resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "tables").mkdir(exist_ok=True)
        default_url = f"sqlite:///{self.data_dir / 'bsc.sqlite3'}"
        url = database_url or os.environ.get("BSC_DATABASE_URL") or default_url
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        event.listen(self.engine, "before_execute", _refuse_writes_to_read_only_workspaces)
        event.listen(self.engine, "handle_error", _explain_integrity_error)
        create_tables(self.engine)

    # -- workspaces -------------------------------------------------------------------------

    def list_workspaces(self) -> list[Workspace]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(workspaces).order_by(workspaces.c.created_at)).mappings().all()
        return [Workspace(**row) for row in rows]

    def get_workspace(self, workspace_id: str) -> Workspace:
        with self.engine.connect() as conn:
            row = conn.execute(select(workspaces).where(workspaces.c.id == workspace_id)).mappings().first()
        if row is None:
            raise InputError("That workspace no longer exists; it may have been deleted in another session.")
        return Workspace(**row)

    def find_workspace(self, name: str) -> Workspace | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(workspaces).where(workspaces.c.name == name)).mappings().first()
        return Workspace(**row) if row else None

    def create_workspace(self, name: str) -> Workspace:
        name = _clean_name(name)
        if self.find_workspace(name) is not None:
            raise InputError(f"A workspace called “{name}” already exists; choose another name.")
        workspace = Workspace(id=_new_id(), name=name, created_at=_now(), version=1)
        with self.engine.begin() as conn:
            conn.execute(workspaces.insert().values(**workspace.__dict__))
        return workspace

    def rename_workspace(self, workspace_id: str, new_name: str) -> Workspace:
        new_name = _clean_name(new_name)
        existing = self.find_workspace(new_name)
        if existing is not None and existing.id != workspace_id:
            raise InputError(f"A workspace called “{new_name}” already exists; choose another name.")
        current = self.writable_workspace(workspace_id)
        with self.engine.begin() as conn:
            conn.execute(
                workspaces.update()
                .where(workspaces.c.id == workspace_id)
                .values(name=new_name, version=current.version + 1)
            )
        return self.get_workspace(workspace_id)

    def set_read_only(self, workspace_id: str, read_only: bool) -> Workspace:
        """Mark a workspace read-only (for viewers: nothing in it can be changed) or editable again."""
        current = self.get_workspace(workspace_id)
        with self.engine.begin() as conn:
            conn.execute(
                workspaces.update()
                .where(workspaces.c.id == workspace_id)
                .values(read_only=bool(read_only), version=current.version + 1)
            )
        return self.get_workspace(workspace_id)

    def set_currency(self, workspace_id: str, currency: str | None, *, expected_version: int) -> Workspace:
        """Set the currency of the workspace's money values ("EUR", "€" or None for unknown).

        Refused (:class:`ConflictError`) when the workspace changed since version
        ``expected_version`` was read, and (:class:`ReadOnlyError`) when it is read-only.
        """
        code = currency_code(currency)
        current = self.writable_workspace(workspace_id)
        with self.engine.begin() as conn:
            changed = conn.execute(
                workspaces.update()
                .where(workspaces.c.id == workspace_id, workspaces.c.version == expected_version)
                .values(currency=code, version=current.version + 1)
            ).rowcount
        if not changed:
            raise ConflictError(
                "Someone changed this workspace in the meantime (its name, currency or read-only "
                "setting); nothing was saved. Look at it again and retry."
            )
        return self.get_workspace(workspace_id)

    def writable_workspace(self, workspace_id: str) -> Workspace:
        """The workspace, or :class:`ReadOnlyError` when it is read-only."""
        workspace = self.get_workspace(workspace_id)
        if workspace.read_only:
            raise _read_only_error(workspace.name)
        return workspace

    def delete_workspace(self, workspace_id: str) -> None:
        self.writable_workspace(workspace_id)
        tables = self.list_datasets(workspace_id)
        saved = self.list_segmentations(workspace_id)
        with self.engine.begin() as conn:
            conn.execute(segmentations.delete().where(segmentations.c.workspace_id == workspace_id))
            conn.execute(datasets.delete().where(datasets.c.workspace_id == workspace_id))
            conn.execute(workspaces.delete().where(workspaces.c.id == workspace_id))
        for dataset in tables:
            self._remove_files(dataset.id)
        for segmentation in saved:
            self.segmentation_path(segmentation).unlink(missing_ok=True)

    # -- datasets ---------------------------------------------------------------------------

    def list_datasets(self, workspace_id: str) -> list[Dataset]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    select(datasets)
                    .where(datasets.c.workspace_id == workspace_id)
                    .order_by(datasets.c.created_at, datasets.c.name)
                )
                .mappings()
                .all()
            )
        return [_dataset(row) for row in rows]

    def get_dataset(self, dataset_id: str) -> Dataset:
        with self.engine.connect() as conn:
            row = conn.execute(select(datasets).where(datasets.c.id == dataset_id)).mappings().first()
        if row is None:
            raise InputError("That dataset no longer exists; it may have been deleted in another session.")
        return _dataset(row)

    def save_dataset(
        self,
        workspace_id: str,
        *,
        name: str,
        source: str,
        sheet: str | None,
        raw: pd.DataFrame,
        canonical: pd.DataFrame,
        mapping: TableMapping,
        problems: Sequence[Problem] = (),
    ) -> Dataset:
        """Store a new table: its raw and canonical Parquet files first, then the metadata row.

        Everything that can refuse the save (the workspace, the name) is checked before a file
        is written, so a refused save leaves nothing behind.
        """
        self.writable_workspace(workspace_id)
        clean_name = _clean_name(name)
        dataset_id = _new_id()
        canonical_file = f"{dataset_id}.parquet"
        raw_path, canonical_path = self.raw_path(dataset_id), self._table_path(canonical_file)
        # The raw file is written on a second thread while this one writes the canonical file and
        # hashes it: Arrow's Parquet writer and hash release the GIL, so the two overlap.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bsc-store") as pool:
            raw_written = pool.submit(write_parquet_atomic, raw, raw_path)
            try:
                # One conversion to Arrow serves both the canonical file and its content hash.
                canonical_table = arrow_table(canonical)
                write_parquet_atomic(canonical_table, canonical_path)
                content_hash = table_hash(canonical_table)
            except BaseException:
                wait([raw_written])
                raw_path.unlink(missing_ok=True)
                raise
            try:
                raw_written.result()
            except BaseException:
                canonical_path.unlink(missing_ok=True)
                raise
        row = _dataset_row(workspace_id, dataset_id, clean_name, source, sheet, mapping, problems)
        return self._insert_dataset({**row, "rows": len(raw), "content_hash": content_hash})

    def save_streamed_dataset(
        self,
        workspace_id: str,
        *,
        name: str,
        source: str,
        raw_file: Path,
        canonical_file: Path,
        mapping: TableMapping,
        problems: Sequence[Problem],
        rows: int,
        content_hash: str,
    ) -> Dataset:
        """Keep a table streamed from a large file (:func:`bsc.large_files.stream_to_parquet`).

        ``raw_file`` and ``canonical_file`` were written in :meth:`scratch_file` places; they are
        flushed to disk and moved in (no copy), then the metadata row is written, so a crash
        leaves the table whole or absent. ``content_hash`` is the source file's (see
        :attr:`Dataset.streamed`). Refused, before anything moves, in a read-only workspace.
        """
        self.writable_workspace(workspace_id)
        clean_name = _clean_name(name)
        dataset_id = _new_id()
        row = _dataset_row(workspace_id, dataset_id, clean_name, source, None, mapping, problems)
        _move_in(raw_file, self.raw_path(dataset_id))
        _move_in(canonical_file, self._table_path(row["canonical_file"]))
        return self._insert_dataset({**row, "rows": rows, "content_hash": content_hash, "streamed": True})

    def scratch_file(self) -> Path:
        """A new file name in the tables folder (the same disk, so a move is a rename) for a table
        being streamed; not a table's file until :meth:`save_streamed_dataset` moves it."""
        return self.data_dir / "tables" / f".incoming-{_new_id()}.parquet"

    def _insert_dataset(self, row: dict) -> Dataset:
        try:
            with self.engine.begin() as conn:
                conn.execute(datasets.insert().values(**row))
        except Exception:
            self.raw_path(row["id"]).unlink(missing_ok=True)
            self._table_path(row["canonical_file"]).unlink(missing_ok=True)
            raise
        return self.get_dataset(row["id"])

    def update_mapping(
        self,
        dataset_id: str,
        *,
        expected_version: int,
        canonical: pd.DataFrame | Path,
        mapping: TableMapping,
        problems: Sequence[Problem] = (),
    ) -> Dataset:
        """Replace a table's mapping and canonical form, refusing if someone saved in between.

        The new canonical form goes to a new file (a frame is written there; a Parquet file
        streamed to a :meth:`scratch_file` is moved there); the metadata row then points to it,
        in one transaction that also checks the version. The file of the version before is kept
        (a reader may have just found it) and the one before that is removed.
        """
        current = self.get_dataset(dataset_id)
        self.writable_workspace(current.workspace_id)
        if current.version != expected_version:
            raise ConflictError(
                f"“{current.name}” was changed in another session (now version {current.version}); "
                "your change was not saved. The current mapping is shown."
            )
        new_file = f"{dataset_id}.{_new_id()}.parquet"
        if isinstance(canonical, Path):
            _move_in(canonical, self._table_path(new_file))
            content_hash = file_hash(self._table_path(new_file))
        else:
            canonical_table = arrow_table(canonical)
            write_parquet_atomic(canonical_table, self._table_path(new_file))
            content_hash = table_hash(canonical_table)
        try:
            with self.engine.begin() as conn:
                outdated = conn.execute(
                    select(datasets.c.previous_file).where(datasets.c.id == dataset_id)
                ).scalar()
                result = conn.execute(
                    datasets.update()
                    .where(datasets.c.id == dataset_id, datasets.c.version == expected_version)
                    .values(
                        kind=mapping.kind,
                        mapping=mapping.to_json(),
                        problems=_problems_json(problems),
                        content_hash=content_hash,
                        updated_at=_now(),
                        version=expected_version + 1,
                        canonical_file=new_file,
                        previous_file=current.canonical_file,
                    )
                )
                if result.rowcount != 1:
                    raise ConflictError(
                        f"“{current.name}” was changed in another session; your change was not saved."
                    )
        except BaseException:
            self._table_path(new_file).unlink(missing_ok=True)
            raise
        if outdated and outdated not in (new_file, current.canonical_file):
            self._table_path(outdated).unlink(missing_ok=True)
        return self.get_dataset(dataset_id)

    def delete_dataset(self, dataset_id: str) -> None:
        dataset = self.get_dataset(dataset_id)
        self.writable_workspace(dataset.workspace_id)
        with self.engine.begin() as conn:
            conn.execute(datasets.delete().where(datasets.c.id == dataset_id))
        self._remove_files(dataset_id)

    def load_raw(self, dataset_id: str) -> pd.DataFrame:
        return pd.read_parquet(self.raw_path(dataset_id))

    def load_raw_head(self, dataset_id: str, rows: int) -> pd.DataFrame:
        """The first ``rows`` rows of a table as read, without reading the rest of its file."""
        raw = pq.ParquetFile(self.raw_path(dataset_id))
        head = next(raw.iter_batches(batch_size=max(1, rows)), None)
        return (head.to_pandas() if head is not None else raw.schema_arrow.empty_table().to_pandas()).head(
            rows
        )

    def load_canonical(self, dataset_id: str) -> pd.DataFrame:
        return pd.read_parquet(self.canonical_path(dataset_id))

    def raw_path(self, dataset_id: str) -> Path:
        return self._table_path(f"{dataset_id}.raw.parquet")

    def canonical_path(self, dataset: Dataset | str) -> Path:
        """The file of a table's current canonical form (a new file after each new mapping)."""
        if isinstance(dataset, str):
            dataset = self.get_dataset(dataset)
        return self._table_path(dataset.canonical_file)

    def _table_path(self, file_name: str) -> Path:
        return self.data_dir / "tables" / file_name

    def workspace_tables(self, workspace_id: str) -> dict[str, list[Path]]:
        """Canonical Parquet files of a workspace by table kind, for the KPI engine.

        In a workspace without a feedback table, a customers table holding survey scores (one
        answer per customer, see :data:`bsc.schema.CUSTOMER_SURVEY_ROLES`) is also listed as the
        feedback table: its ``customer_id``, ``nps`` and ``csat`` columns are a survey without
        dates. A real survey, with its dates, takes precedence over it.
        """
        tables = tables_by_kind(
            (dataset.kind, dataset.mapping.roles, self.canonical_path(dataset))
            for dataset in self.list_datasets(workspace_id)
        )
        # Saved segmentations: (customer_id, attribute) files, joined onto customers by the KPIs.
        for segmentation in self.list_segmentations(workspace_id):
            tables.setdefault(ASSIGNMENTS, []).append(self.segmentation_path(segmentation))
        return tables

    def workspace_fingerprint(self, workspace_id: str) -> str:
        """Changes whenever any table or saved segmentation of the workspace changes: a cache key."""
        parts = [f"{d.id}:{d.version}:{d.content_hash}" for d in self.list_datasets(workspace_id)]
        parts += [f"{s.id}:{s.version}:{s.attribute}" for s in self.list_segmentations(workspace_id)]
        return cache_key(*parts)

    # -- saved segmentations ------------------------------------------------------------------

    def list_segmentations(self, workspace_id: str) -> list[Segmentation]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    select(segmentations)
                    .where(segmentations.c.workspace_id == workspace_id)
                    .order_by(segmentations.c.created_at, segmentations.c.name)
                )
                .mappings()
                .all()
            )
        return [_segmentation(row) for row in rows]

    def get_segmentation(self, segmentation_id: str) -> Segmentation:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(segmentations).where(segmentations.c.id == segmentation_id))
                .mappings()
                .first()
            )
        if row is None:
            raise InputError(
                "That segmentation no longer exists; it may have been deleted in another session."
            )
        return _segmentation(row)

    def save_segmentation(
        self,
        workspace_id: str,
        *,
        name: str,
        attribute: str,
        segments: pd.Series,
        params: dict | None = None,
    ) -> Segmentation:
        """Keep a segmentation: the assignments file first, then the metadata row.

        Parameters
        ----------
        name
            Shown to users, e.g. "Value segments".
        attribute
            Column name of the segment attribute (lowercase letters, digits and single ``_``),
            unique in the workspace: not another segmentation's, not a column of its tables.
        segments
            Segment name per customer, indexed by customer id.
        params
            How the segments were made, kept as JSON.

        Raises
        ------
        InputError
            For an empty name, an attribute name that is taken or malformed, no customers,
            a customer listed twice or a customer without a segment.
        """
        self.writable_workspace(workspace_id)
        name = _clean_name(name)
        self._check_attribute(workspace_id, attribute)
        frame = _assignments(segments, attribute)
        segmentation = Segmentation(
            id=_new_id(),
            workspace_id=workspace_id,
            name=name,
            attribute=attribute,
            created_at=_now(),
            params=dict(params or {}),
            version=1,
        )
        path = self.segmentation_path(segmentation)
        write_parquet_atomic(frame, path)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    segmentations.insert().values(
                        **{**segmentation.__dict__, "params": json.dumps(segmentation.params, default=str)}
                    )
                )
        except Exception:
            path.unlink(missing_ok=True)
            raise
        return segmentation

    def load_assignments(self, segmentation_id: str) -> pd.DataFrame:
        """Columns ``customer_id`` and the segmentation's attribute, one row per customer."""
        return pd.read_parquet(self.segmentation_path(self.get_segmentation(segmentation_id)))

    def rename_segmentation(
        self, segmentation_id: str, *, expected_version: int, name: str, attribute: str
    ) -> Segmentation:
        """Give a segmentation a new name and attribute column, refused if someone changed it since.

        The version is checked and the row updated first, which takes the database's write lock,
        then the new version's file is written and the change committed: two renames never write
        the same file, and a crash before the commit leaves the old version in force.
        """
        current = self.get_segmentation(segmentation_id)
        self.writable_workspace(current.workspace_id)
        if current.version != expected_version:
            raise ConflictError(
                f"“{current.name}” was changed in another session; your change was not saved."
            )
        name = _clean_name(name)
        if attribute != current.attribute:
            self._check_attribute(current.workspace_id, attribute)
        frame = pd.read_parquet(self.segmentation_path(current)).rename(
            columns={current.attribute: attribute}
        )
        renamed = Segmentation(
            **{**current.__dict__, "name": name, "attribute": attribute, "version": expected_version + 1}
        )
        with self.engine.begin() as conn:
            result = conn.execute(
                segmentations.update()
                .where(segmentations.c.id == segmentation_id, segmentations.c.version == expected_version)
                .values(name=name, attribute=attribute, version=expected_version + 1)
            )
            if result.rowcount != 1:
                raise ConflictError(
                    f"“{current.name}” was changed in another session; your change was not saved."
                )
            write_parquet_atomic(frame, self.segmentation_path(renamed))
        # The file of the version before stays for readers that just found it; older ones go.
        for version in range(1, current.version):
            self._segmentation_file(segmentation_id, version).unlink(missing_ok=True)
        return self.get_segmentation(segmentation_id)

    def delete_segmentation(self, segmentation_id: str) -> None:
        current = self.get_segmentation(segmentation_id)
        self.writable_workspace(current.workspace_id)
        with self.engine.begin() as conn:
            conn.execute(segmentations.delete().where(segmentations.c.id == segmentation_id))
        for version in range(1, current.version + 1):
            self._segmentation_file(segmentation_id, version).unlink(missing_ok=True)

    def segmentation_path(self, segmentation: Segmentation) -> Path:
        """The assignments file of one version (a new file per version, so caches see the change)."""
        return self._segmentation_file(segmentation.id, segmentation.version)

    def _segmentation_file(self, segmentation_id: str, version: int) -> Path:
        return self.data_dir / "segmentations" / f"{segmentation_id}.v{version}.parquet"

    def _check_attribute(self, workspace_id: str, attribute: str) -> None:
        if not _ATTRIBUTE_NAME.match(attribute or ""):
            raise InputError(
                f"“{attribute}” cannot name a segment attribute: use lowercase letters, digits and single underscores."
            )
        taken = {s.attribute: s.name for s in self.list_segmentations(workspace_id)}
        if attribute in taken:
            raise InputError(
                f"The segmentation “{taken[attribute]}” already uses the name {attribute}; choose another."
            )
        for dataset in self.list_datasets(workspace_id):
            path = self.canonical_path(dataset)
            if path.is_file() and attribute in pq.read_schema(path).names:
                raise InputError(
                    f"{attribute} is already a column of the table “{dataset.name}”; choose another name."
                )

    def _remove_files(self, dataset_id: str) -> None:
        """Every file of a deleted table: raw, canonical, and canonical forms of earlier versions."""
        for path in (self.data_dir / "tables").glob(f"{dataset_id}.*"):
            path.unlink(missing_ok=True)


def _read_only_error(workspace_name: str) -> ReadOnlyError:
    return ReadOnlyError(
        f"The workspace “{workspace_name}” is read-only, so nothing was changed. "
        "It can be made editable again on the Workspaces page."
    )


def _refuse_writes_to_read_only_workspaces(conn: Connection, clause, multiparams, params, _options) -> None:
    """Refuse, before it runs, any insert, update or delete of rows of a read-only workspace.

    Listens to every statement of the store's engine, so that it covers every module that
    writes rows carrying a ``workspace_id`` (datasets, segmentations, targets, objectives,
    initiatives, the audit log), not only the store's own methods.
    """
    if clause_table(clause) is None or clause.table.name in ACCESS_TABLES:
        return
    touched = touched_workspaces(conn, clause, multiparams, params)
    if not touched:
        return
    locked = conn.execute(
        select(workspaces.c.name).where(workspaces.c.id.in_(touched), workspaces.c.read_only.is_(True))
    ).scalar()
    if locked is not None:
        raise _read_only_error(locked)


def clause_table(clause) -> Table | None:
    """The table an insert, update or delete writes rows of a workspace into (rows carrying a
    ``workspace_id``); None for any other statement."""
    if isinstance(clause, Insert | Update | Delete) and "workspace_id" in clause.table.c:
        return clause.table
    return None


def touched_workspaces(conn: Connection, clause: Insert | Update | Delete, multiparams, params) -> set[str]:
    """The ids of the workspaces whose rows a write (see :func:`clause_table`) inserts, changes or deletes.

    Shared by the engine listeners that guard writes: this one (read-only workspaces) and the
    one of :mod:`bsc.access` (roles).
    """
    if isinstance(clause, Insert):
        rows = [*multiparams, params, clause.compile().params]
        touched = {row.get("workspace_id") for row in rows if isinstance(row, dict)}
    else:
        where = clause.whereclause if clause.whereclause is not None else True
        touched = set(conn.execute(select(clause.table.c.workspace_id).where(where)).scalars())
    touched.discard(None)
    return touched


def _explain_integrity_error(context) -> InputError | None:
    """A save the database refused because another session got there first, as a message.

    Two sessions creating the same thing at the same moment (a workspace name, the target of a
    KPI and segment) both pass the check for an existing one; the database's unique constraint
    then refuses the second. A row referring to something deleted meanwhile breaks a foreign key.
    Works for any module writing through the store's engine.
    """
    if not isinstance(context.sqlalchemy_exception, IntegrityError):
        return None
    reason = str(context.original_exception).lower()
    if "unique" in reason or "duplicate key" in reason:
        return ConflictError(
            "Someone saved the same thing in another session at the same moment; yours was not saved. "
            "Their version is shown once the page reloads."
        )
    if "foreign key" in reason:
        return InputError("What this change belongs to was deleted in another session; nothing was saved.")
    return None


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _dataset(row) -> Dataset:
    values = dict(row)
    values.pop("previous_file", None)
    values["canonical_file"] = values.get("canonical_file") or f"{values['id']}.parquet"
    values["mapping"] = TableMapping.from_json(values["mapping"])
    values["problems"] = tuple(
        Problem(**{**item, "examples": tuple(item["examples"])}) for item in json.loads(values["problems"])
    )
    return Dataset(**values)


def _segmentation(row) -> Segmentation:
    values = dict(row)
    values["params"] = json.loads(values["params"] or "{}")
    return Segmentation(**values)


def _assignments(segments: pd.Series, attribute: str) -> pd.DataFrame:
    """The stored form of a segmentation: ``customer_id`` and ``attribute``, both strings."""
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series(segments.index, dtype="string").str.strip(),
            attribute: pd.Series(segments.to_numpy(), dtype="string").str.strip(),
        }
    )
    if frame.empty:
        raise InputError("There are no customers to save segments for.")
    if frame["customer_id"].isna().any() or frame["customer_id"].duplicated().any():
        raise InputError("Each customer can be in only one segment, and every customer needs an id.")
    if frame[attribute].isna().any() or (frame[attribute] == "").any():
        raise InputError("Every customer needs a segment name.")
    return frame


def _dataset_row(
    workspace_id: str,
    dataset_id: str,
    name: str,
    source: str,
    sheet: str | None,
    mapping: TableMapping,
    problems: Sequence[Problem],
) -> dict:
    """A new table's metadata row, but for its ``rows`` and ``content_hash``."""
    now = _now()
    return {
        "id": dataset_id,
        "workspace_id": workspace_id,
        "name": name,
        "source": source,
        "sheet": sheet,
        "kind": mapping.kind,
        "mapping": mapping.to_json(),
        "problems": _problems_json(problems),
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "canonical_file": f"{dataset_id}.parquet",
    }


def _move_in(source: Path, target: Path) -> None:
    """Flush a file written elsewhere in the tables folder to disk and rename it into place."""
    with open(source, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(source, target)


def _problems_json(problems: Sequence[Problem]) -> str:
    return json.dumps([problem.to_dict() for problem in problems])


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise InputError("A name cannot be empty.")
    if len(cleaned) > 200:
        raise InputError("That name is too long (200 characters at most).")
    return cleaned
