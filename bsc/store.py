"""The workspace store: metadata in a SQL database (SQLite by default), tables as Parquet files.

Layout under the data folder (``BSC_DATA_DIR``, default ``./workspace-data``)::

    bsc.sqlite3                      metadata (or BSC_DATABASE_URL, e.g. PostgreSQL)
    tables/<table_id>.raw.parquet     the table as read from the uploaded file
    tables/<table_id>.parquet         its canonical form (roles applied, typed)

Writes are atomic: files are written to a temporary name and renamed into place, and the
metadata row is written in a transaction after the files exist, so a crash leaves either
the old version or the new one, never half of one. Each table carries a ``version`` that
every update must name, so two sessions cannot silently overwrite each other.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine

from bsc.errors import InputError
from bsc.mapping import Problem, TableMapping

DEFAULT_DATA_DIR = "workspace-data"

metadata = MetaData()

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("version", Integer, nullable=False, default=1),
)

datasets = Table(
    "datasets",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("workspace_id", String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(300), nullable=False),
    Column("source", String(300), nullable=False),
    Column("sheet", String(300)),
    Column("kind", String(40), nullable=False),
    Column("mapping", Text, nullable=False),
    Column("problems", Text, nullable=False, default="[]"),
    Column("rows", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("version", Integer, nullable=False, default=1),
)


@dataclass(frozen=True)
class Workspace:
    id: str
    name: str
    created_at: datetime
    version: int


@dataclass(frozen=True)
class Dataset:
    """One stored table of a workspace, with its mapping."""

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


class ConflictError(InputError):
    """Somebody else saved a newer version first; the save was refused and nothing changed."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _new_id() -> str:
    return uuid.uuid4().hex


def frame_hash(frame: pd.DataFrame) -> str:
    """A content hash of a whole frame (every row, not a sample), stable across runs."""
    digest = hashlib.sha256()
    digest.update("\x1f".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` through a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        frame.to_parquet(tmp, index=False)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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
        metadata.create_all(self.engine)

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
        current = self.get_workspace(workspace_id)
        with self.engine.begin() as conn:
            conn.execute(
                workspaces.update()
                .where(workspaces.c.id == workspace_id)
                .values(name=new_name, version=current.version + 1)
            )
        return self.get_workspace(workspace_id)

    def delete_workspace(self, workspace_id: str) -> None:
        tables = self.list_datasets(workspace_id)
        with self.engine.begin() as conn:
            conn.execute(datasets.delete().where(datasets.c.workspace_id == workspace_id))
            conn.execute(workspaces.delete().where(workspaces.c.id == workspace_id))
        for dataset in tables:
            self._remove_files(dataset.id)

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
        """Store a new table: its raw and canonical Parquet files first, then the metadata row."""
        self.get_workspace(workspace_id)
        dataset_id = _new_id()
        write_parquet_atomic(raw, self.raw_path(dataset_id))
        write_parquet_atomic(canonical, self.canonical_path(dataset_id))
        now = _now()
        row = {
            "id": dataset_id,
            "workspace_id": workspace_id,
            "name": _clean_name(name),
            "source": source,
            "sheet": sheet,
            "kind": mapping.kind,
            "mapping": mapping.to_json(),
            "problems": _problems_json(problems),
            "rows": len(raw),
            "content_hash": frame_hash(canonical),
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(datasets.insert().values(**row))
        except Exception:
            self._remove_files(dataset_id)
            raise
        return self.get_dataset(dataset_id)

    def update_mapping(
        self,
        dataset_id: str,
        *,
        expected_version: int,
        canonical: pd.DataFrame,
        mapping: TableMapping,
        problems: Sequence[Problem] = (),
    ) -> Dataset:
        """Replace a table's mapping and canonical form, refusing if someone saved in between."""
        current = self.get_dataset(dataset_id)
        if current.version != expected_version:
            raise ConflictError(
                f"“{current.name}” was changed in another session (now version {current.version}); "
                "your change was not saved. The current mapping is shown."
            )
        staged = self.canonical_path(dataset_id).with_suffix(f".v{expected_version + 1}.parquet")
        write_parquet_atomic(canonical, staged)
        with self.engine.begin() as conn:
            result = conn.execute(
                datasets.update()
                .where(datasets.c.id == dataset_id, datasets.c.version == expected_version)
                .values(
                    kind=mapping.kind,
                    mapping=mapping.to_json(),
                    problems=_problems_json(problems),
                    content_hash=frame_hash(canonical),
                    updated_at=_now(),
                    version=expected_version + 1,
                )
            )
            if result.rowcount != 1:
                staged.unlink(missing_ok=True)
                raise ConflictError(
                    f"“{current.name}” was changed in another session; your change was not saved."
                )
            os.replace(staged, self.canonical_path(dataset_id))
        return self.get_dataset(dataset_id)

    def delete_dataset(self, dataset_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(datasets.delete().where(datasets.c.id == dataset_id))
        self._remove_files(dataset_id)

    def load_raw(self, dataset_id: str) -> pd.DataFrame:
        return pd.read_parquet(self.raw_path(dataset_id))

    def load_canonical(self, dataset_id: str) -> pd.DataFrame:
        return pd.read_parquet(self.canonical_path(dataset_id))

    def raw_path(self, dataset_id: str) -> Path:
        return self.data_dir / "tables" / f"{dataset_id}.raw.parquet"

    def canonical_path(self, dataset_id: str) -> Path:
        return self.data_dir / "tables" / f"{dataset_id}.parquet"

    def workspace_tables(self, workspace_id: str) -> dict[str, list[Path]]:
        """Canonical Parquet files of a workspace by table kind, for the KPI engine."""
        tables: dict[str, list[Path]] = {}
        for dataset in self.list_datasets(workspace_id):
            tables.setdefault(dataset.kind, []).append(self.canonical_path(dataset.id))
        return tables

    def workspace_fingerprint(self, workspace_id: str) -> str:
        """Changes whenever any table of the workspace changes: a cache key for computed results."""
        parts = [f"{d.id}:{d.version}:{d.content_hash}" for d in self.list_datasets(workspace_id)]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    def _remove_files(self, dataset_id: str) -> None:
        for path in (self.raw_path(dataset_id), self.canonical_path(dataset_id)):
            path.unlink(missing_ok=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _dataset(row) -> Dataset:
    values = dict(row)
    values["mapping"] = TableMapping.from_json(values["mapping"])
    values["problems"] = tuple(
        Problem(**{**item, "examples": tuple(item["examples"])}) for item in json.loads(values["problems"])
    )
    return Dataset(**values)


def _problems_json(problems: Sequence[Problem]) -> str:
    return json.dumps([problem.to_dict() for problem in problems])


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise InputError("A name cannot be empty.")
    if len(cleaned) > 200:
        raise InputError("That name is too long (200 characters at most).")
    return cleaned
