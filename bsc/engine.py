"""Where the KPI expressions run: DuckDB in-process by default, or Spark.

The KPIs are Ibis expressions over the workspace's canonical Parquet tables. A :class:`Backend`
wraps an Ibis connection, reads the Parquet files of a table kind as one Ibis table (several
files of a kind are unioned by column name) and keeps what it has read in memory, so that the
next scorecard over the same files starts from loaded tables. The transaction log is the
exception (:data:`READ_IN_PLACE`): it is read from its files, and only the tables derived from
it are kept in memory.

Choosing the backend
--------------------
:func:`default_backend` is DuckDB, in-process, unless the environment variable
``BSC_SPARK_MASTER`` names a Spark master, for example::

    BSC_SPARK_MASTER=local[2]              # Spark inside this process, two worker threads
    BSC_SPARK_MASTER=spark://host:7077     # a standalone Spark cluster

With a cluster, the executors read the Parquet files themselves: the workspace's data folder
must be visible at the same path on every Spark node (a shared or network file system).
The cluster's Spark version must match the installed ``pyspark`` (4.0.x), and Java 17 must be
on the machine running the app.

DuckDB's memory
---------------
The backend of :func:`default_backend` is bounded: DuckDB holds at most ``BSC_DUCKDB_MEMORY_MB``
megabytes (kept tables and running queries) and spills the rest to ``BSC_DUCKDB_TEMP_DIR``
(defaults and reasons in :mod:`bsc.memory`).

Reading stored tables without a backend
---------------------------------------
Work done in pandas rather than in Ibis (the churn lab's labels from churn dates, the sidebar's
segment values) reads the same files through :func:`table_columns` (names and types, from the
file footers), :func:`read_columns` (some columns of every file of a kind) and :func:`files_key`
(a cache key of the files).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bsc.cache_keys import cache_key
from bsc.errors import InputError
from bsc.memory import duckdb_memory_limit, duckdb_temp_directory
from bsc.schema import ASSIGNMENTS, KINDS

__all__ = [
    "ASSIGNMENTS",
    "READ_IN_PLACE",
    "SPARK_MASTER_ENV",
    "Backend",
    "default_backend",
    "files_key",
    "loaded_tables",
    "read_columns",
    "table_columns",
]

SPARK_MASTER_ENV = "BSC_SPARK_MASTER"

# Loaded tables kept per backend; a workspace has a handful of kinds, a session a few workspaces.
_LOADED_TABLES_KEPT = 32
# Kinds read from their Parquet files by each query rather than copied into memory. The order
# log is the table that grows with the business (10M lines for 1M customers): copying it whole
# took longer than every other table together and held a second copy of it in memory, while
# the KPI queries start from the tables derived from it (one row per order, per customer and
# month), which are kept.
READ_IN_PLACE = frozenset({"transactions"})


class Backend:
    """An Ibis connection that reads canonical tables and runs KPI expressions.

    Build one with :meth:`duckdb` or :meth:`spark` (or :func:`default_backend`). A backend is
    safe to share between threads: queries run one at a time.

    Parameters
    ----------
    connection
        An Ibis backend connection.
    name
        ``"duckdb"`` or ``"pyspark"``.
    """

    def __init__(self, connection: ibis.BaseBackend, name: str) -> None:
        self.connection = connection
        self.name = name
        self._lock = threading.RLock()
        self._loaded: dict[tuple[Any, ...], ir.Table] = {}

    def __repr__(self) -> str:
        return f"Backend({self.name!r})"

    @classmethod
    def duckdb(
        cls,
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
        temp_directory: Path | str | None = None,
    ) -> Backend:
        """DuckDB in this process (``ibis.duckdb.connect()``), an in-memory database.

        ``memory_limit`` (DuckDB's form, e.g. ``"2048MiB"``) bounds its buffer pool: past it,
        kept tables and large intermediate results go to ``temp_directory``. DuckDB's own
        defaults (80 % of the machine's memory, ``.tmp`` in the current folder) when None; the
        app's and the command line's backend set both (:func:`default_backend`).
        """
        config: dict[str, Any] = {}
        if threads is not None:
            config["threads"] = threads
        if memory_limit is not None:
            config["memory_limit"] = memory_limit
        if temp_directory is not None:
            config["temp_directory"] = str(temp_directory)
        return cls(ibis.duckdb.connect(**config), "duckdb")

    @classmethod
    def spark(cls, master: str = "local[2]", *, session: Any | None = None) -> Backend:
        """Spark through Ibis's PySpark backend.

        Parameters
        ----------
        master
            Spark master URL: ``local[2]`` runs Spark inside this process with two threads,
            ``spark://host:7077`` connects to a standalone cluster. Ignored when ``session``
            is given, or when a Spark session is already running in this process (it is reused).
        session
            An existing ``SparkSession`` to use as is.

        Notes
        -----
        Timestamps are read and computed in UTC (the Ibis backend sets the session time zone),
        so that a canonical date-time means the same on DuckDB and on Spark.
        """
        try:
            from pyspark.sql import SparkSession
        except ImportError as error:  # pragma: no cover - pyspark is a pinned dependency
            raise InputError(
                "Spark was requested but pyspark is not installed; install it or unset "
                f"{SPARK_MASTER_ENV} to compute on DuckDB."
            ) from error
        if session is None:
            session = (
                SparkSession.builder.master(master)
                .appName("customer-scorecard")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.session.timeZone", "UTC")
                .getOrCreate()
            )
        return cls(ibis.pyspark.connect(session), "pyspark")

    def read(self, kind: str, paths: Sequence[Path | str]) -> ir.Table:
        """The canonical table of one kind, as one Ibis table loaded in the backend's memory.

        Several files are unioned by column name; a column missing from one file is null in its
        rows. The result is kept: reading the same files again (same paths, sizes and
        modification times) returns the loaded table without touching the disk. Besides the
        table kinds, ``kind`` may be :data:`ASSIGNMENTS` (saved segmentations). The kinds of
        :data:`READ_IN_PLACE` (the transaction log) are not copied into memory: the table reads
        its files on each query, and the tables derived from it (:meth:`derive`) are kept.

        Raises
        ------
        InputError
            If ``kind`` is unknown, no file is given, a file is missing or the files cannot be
            read together.
        """
        if kind not in KINDS and kind != ASSIGNMENTS:
            raise InputError(f"Unknown table kind {kind!r}; expected one of {', '.join(KINDS)}.")
        files = _existing_files(paths)
        return self._remember(
            ("read", kind, _signature(files)),
            lambda: _conform(self._read_parquet(files), kind),
            in_memory=kind not in READ_IN_PLACE,
        )

    def derive(
        self,
        name: str,
        kind: str,
        paths: Sequence[Path | str],
        build: Callable[[ir.Table], ir.Table],
        *,
        in_memory: bool = True,
    ) -> ir.Table:
        """A table derived from the canonical table of a kind, computed once and kept in memory.

        ``build`` turns the loaded table into an expression; its result is kept under ``name``
        for these exact files, like :meth:`read`. Use it for derivations that do not depend on
        any setting (e.g. one row per order from order lines). With ``in_memory`` false, the
        expression is kept but not computed: for a plain selection of rows and columns, which
        would cost as much to copy as the table it selects from (loaded, or read in place:
        :data:`READ_IN_PLACE`).
        """
        files = _existing_files(paths)
        return self._remember(
            ("derive", name, kind, _signature(files)),
            lambda: build(self.read(kind, files)),
            in_memory=in_memory,
        )

    def _remember(
        self, key: tuple[Any, ...], build: Callable[[], ir.Table], *, in_memory: bool = True
    ) -> ir.Table:
        with self._lock:
            if key not in self._loaded:
                table = build()
                self._loaded[key] = table.cache() if in_memory else table
                while len(self._loaded) > _LOADED_TABLES_KEPT:
                    self._loaded.pop(next(iter(self._loaded)))
            return self._loaded[key]

    def execute(self, expression: ir.Expr) -> pd.DataFrame:
        """Run an expression and return its result as a pandas frame."""
        with self._lock:
            return self.connection.to_pandas(expression)

    def forget(self) -> None:
        """Drop every loaded table (they are read again on next use)."""
        with self._lock:
            self._loaded.clear()

    def _read_parquet(self, files: list[Path]) -> ir.Table:
        names = [str(path) for path in files]
        try:
            if self.name == "pyspark":
                session = self.connection._session
                frame = session.read.option("mergeSchema", "true").parquet(*names)
                view = ibis.util.gen_name("bsc_canonical")
                frame.createOrReplaceTempView(view)
                return self.connection.table(view)
            return self.connection.read_parquet(names, union_by_name=True)
        except Exception as error:
            raise InputError(
                f"The stored tables {', '.join(path.name for path in files)} cannot be read together: {error}"
            ) from error


@functools.cache
def default_backend() -> Backend:
    """The backend the app and the CLI use, created once per process.

    Spark when the environment variable ``BSC_SPARK_MASTER`` is set (its value is the master
    URL, e.g. ``local[2]`` or ``spark://host:7077``), DuckDB in-process otherwise, with the
    memory limit and spill folder of the settings ``BSC_DUCKDB_MEMORY_MB`` and
    ``BSC_DUCKDB_TEMP_DIR`` (:mod:`bsc.memory`).

    Raises
    ------
    InputError
        If ``BSC_DUCKDB_MEMORY_MB`` is not a whole number of megabytes (see
        :func:`bsc.memory.duckdb_memory_limit`).
    """
    master = os.environ.get(SPARK_MASTER_ENV, "").strip()
    if master:
        return Backend.spark(master)
    return Backend.duckdb(memory_limit=duckdb_memory_limit(), temp_directory=duckdb_temp_directory())


def table_columns(paths: Sequence[Path | str]) -> dict[str, pa.DataType]:
    """Column names and Arrow types of the canonical files of one kind, read from their footers.

    Cheap (no rows are read). Columns are the union over the files, in first-seen order.

    Raises
    ------
    InputError
        If a file is missing or is not Parquet.
    """
    columns: dict[str, pa.DataType] = {}
    for path in _existing_files(paths):
        try:
            schema = pq.read_schema(path)
        except (OSError, pa.ArrowException) as error:
            raise InputError(
                f"The stored table {path.name} is not a readable Parquet file: {error}"
            ) from error
        for field in schema:
            columns.setdefault(field.name, field.type)
    return columns


def read_columns(
    tables: Mapping[str, Sequence[Path | str]], kind: str, columns: Sequence[str]
) -> pd.DataFrame:
    """The given columns of every stored file of one table kind, as one pandas frame.

    Only the columns are read, not whole files. A file lacking some of the columns leaves them
    blank (NaN) in its rows; a file holding none of them adds no rows; a column no file holds
    is left out, so ``column in frame.columns`` says whether the workspace records it. Rows
    come file after file, in the order of ``tables[kind]``, with a fresh index.

    Parameters
    ----------
    tables
        Table kind -> canonical Parquet files (:meth:`bsc.store.Store.workspace_tables`).
    kind
        A table kind of :data:`bsc.schema.KINDS`, or :data:`ASSIGNMENTS` (saved segmentations).
    columns
        The columns wanted, in the order they should come.

    Returns
    -------
    pandas.DataFrame
        With no file of the kind, or none holding any of the columns: an empty frame with all
        of ``columns``.

    Raises
    ------
    InputError
        If ``kind`` is unknown, or a file is missing or is not Parquet.
    """
    if kind not in KINDS and kind != ASSIGNMENTS:
        raise InputError(f"Unknown table kind {kind!r}; expected one of {', '.join(KINDS)}.")
    parts = []
    for path in tables.get(kind, []):
        stored = table_columns([path])
        present = [column for column in columns if column in stored]
        if present:
            parts.append(pd.read_parquet(path, columns=present))
    if not parts:
        return pd.DataFrame(columns=list(columns))
    return pd.concat(parts, ignore_index=True)


def files_key(tables: Mapping[str, Sequence[Path | str]]) -> str:
    """A cache key of stored tables: every file's kind, path, size and modification time.

    Cheap (no file is opened). A stored file is never rewritten without a new size or time, so
    equal keys mean equal contents; results computed from files are kept by this key rather
    than by their values when recomputing them could differ in the last bits (sums aggregated
    in parallel).
    """
    return cache_key(
        *sorted(
            (kind, *entry)
            for kind, paths in tables.items()
            for entry in _signature([Path(path) for path in paths])
        )
    )


def _signature(files: list[Path]) -> tuple[tuple[str, int, int], ...]:
    return tuple((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in files)


def _existing_files(paths: Sequence[Path | str]) -> list[Path]:
    files = [Path(path) for path in paths]
    if not files:
        raise InputError("No stored file was given for this table.")
    missing = [path.name for path in files if not path.is_file()]
    if missing:
        raise InputError(f"The stored table file(s) {', '.join(missing)} are missing from the workspace.")
    return files


def _conform(table: ir.Table, kind: str) -> ir.Table:
    """Cast role columns to their canonical types where a file stored them otherwise.

    Canonical files already hold these types; this only guards against, say, a date stored as a
    calendar date or an amount stored as integers, and costs nothing when types already match.
    """
    if kind not in KINDS:
        return table
    wanted = {"id": "string", "date": "timestamp", "number": "float64", "flag": "boolean"}
    casts: dict[str, ir.Value] = {}
    for role in KINDS[kind].roles:
        if role.id not in table.columns or role.type not in wanted:
            continue
        target = wanted[role.type]
        current = table[role.id].type()
        if role.type == "date" and current.is_timestamp():
            continue
        if role.type != "date" and str(current).removeprefix("!") == target:
            continue
        casts[role.id] = table[role.id].cast(target)
    return table.mutate(**casts) if casts else table


def loaded_tables(backend: Backend, tables: Mapping[str, Sequence[Path | str]]) -> dict[str, ir.Table]:
    """Every non-empty kind of ``tables`` read through ``backend`` (see :meth:`Backend.read`)."""
    return {kind: backend.read(kind, paths) for kind, paths in tables.items() if paths}
