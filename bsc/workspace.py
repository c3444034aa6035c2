"""Putting tables into a workspace: from uploaded bytes to stored, mapped tables, and the demo workspace.

Also the command line's throw-away workspace (:func:`files_workspace`), which needs no store.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bsc import ingest
from bsc.currency import detect_currency
from bsc.detect import detect_mapping
from bsc.errors import InputError
from bsc.imports import retrying_import_deadlocks
from bsc.ingest import MB, RawTable, read_path
from bsc.ingest.checks import TEXT_EXTENSIONS
from bsc.large_files import is_streamed, restream_parquet, stream_to_parquet
from bsc.mapping import TableMapping
from bsc.prepare import PreparedTable, prepare_table
from bsc.schema import CUSTOMER_SURVEY_ROLES
from bsc.table_files import file_hash, tables_by_kind, write_parquet

if TYPE_CHECKING:
    # Only for annotations: the command line's throw-away workspace runs without the store and
    # so without SQLAlchemy.
    from bsc.store import Dataset, Store, Workspace

DEMO_WORKSPACE = "Demo company"
DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
# Files read, detected and prepared at once when several are imported together: reading is
# Arrow's, and detection and preparation run mostly in Arrow's compute functions, which release
# Python's lock, so two files share two cores; each file in flight holds its tables in memory.
FILES_AT_ONCE = max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class ReadyTable:
    """One table of a file, read, with its detected mapping and either its prepared form or the
    reason it cannot be used."""

    table: RawTable
    mapping: TableMapping
    prepared: PreparedTable | None
    refused: InputError | None


def _read_and_prepare(path: str | Path) -> list[ReadyTable]:
    ready: list[ReadyTable] = []
    for table in read_path(path):
        mapping = detect_mapping(table.frame, table.name)
        try:
            ready.append(ReadyTable(table, mapping, prepare_table(table.frame, mapping), None))
        except InputError as error:
            ready.append(ReadyTable(table, mapping, None, error))
    return ready


def prepare_files(paths: Sequence[str | Path]) -> Iterator[list[ReadyTable]]:
    """Each file's tables, read, detected and prepared (:data:`FILES_AT_ONCE` files at a time,
    the largest first), given in the order of ``paths``. A file that cannot be read raises its
    InputError when its turn comes, as reading it alone would."""
    sizes = [Path(path).stat().st_size if Path(path).is_file() else 0 for path in paths]
    order = sorted(range(len(paths)), key=lambda i: -sizes[i])
    pool = ThreadPoolExecutor(max_workers=FILES_AT_ONCE, thread_name_prefix="bsc-import")
    try:
        futures = {i: pool.submit(_read_and_prepare, paths[i]) for i in order}
        for i in range(len(paths)):
            yield futures[i].result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# The roles that hold money, by table kind: where a table's currency can be read.
MONEY_ROLES = {"transactions": "amount", "marketing": "spend", "customers": "acquisition_cost"}


def table_currency(table: RawTable, mapping: TableMapping) -> str | None:
    """The currency the table's money column is in, when its cells or header say so (else None)."""
    column = mapping.roles.get(MONEY_ROLES.get(mapping.kind, ""))
    if column is None or column not in table.frame:
        return None
    return detect_currency(table.frame[column], column)


def save_table(
    store: Store,
    workspace_id: str,
    table: RawTable,
    mapping: TableMapping,
    prepared: PreparedTable | None = None,
) -> Dataset:
    """Prepare ``table`` with ``mapping`` (unless given ``prepared``) and store it; raises
    InputError when the mapping cannot work.

    A workspace whose currency is still unknown takes the one the table's money column names
    (:func:`table_currency`); one already known is kept (the user may have set it by hand).
    """
    if prepared is None:
        prepared = prepare_table(table.frame, mapping)
    saved = store.save_dataset(
        workspace_id,
        name=table.name,
        source=table.source,
        sheet=table.sheet,
        raw=table.frame,
        canonical=prepared.canonical,
        mapping=mapping,
        problems=[*table.problems, *prepared.problems],
    )
    _take_currency(store, workspace_id, table_currency(table, mapping))
    return saved


def remap_dataset(
    store: Store, dataset: Dataset, mapping: TableMapping, progress: Callable[[int], None] | None = None
) -> Dataset:
    """Apply a new mapping to a stored table, refused if someone changed it since ``dataset`` was read.

    A streamed table (:attr:`bsc.store.Dataset.streamed`) is prepared again from its raw file a
    row group at a time (:func:`bsc.large_files.restream_parquet`), with ``progress`` called
    with the rows done; any other is prepared whole.
    """
    if dataset.streamed:
        store.writable_workspace(dataset.workspace_id)  # refused before the table is read
        scratch = store.scratch_file()
        try:
            _, problems = restream_parquet(store.raw_path(dataset.id), scratch, mapping, progress=progress)
            return store.update_mapping(
                dataset.id,
                expected_version=dataset.version,
                canonical=scratch,
                mapping=mapping,
                problems=problems,
            )
        finally:
            scratch.unlink(missing_ok=True)
    prepared = prepare_table(store.load_raw(dataset.id), mapping)
    return store.update_mapping(
        dataset.id,
        expected_version=dataset.version,
        canonical=prepared.canonical,
        mapping=mapping,
        problems=prepared.problems,
    )


def import_file(
    store: Store,
    workspace_id: str,
    path: str | Path,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Dataset], list[str]]:
    """Read a file, detect each table's mapping and store every table that can be used.

    Returns the stored datasets and one message per table that could not be stored, so that a
    bad sheet never loses the good ones. A text file larger than
    :data:`bsc.large_files.STREAM_FROM_BYTES` (of any size the disk holds) is streamed
    (:func:`import_streamed_file`, ``progress`` called with the rows read so far); any other file
    is read whole, within the upload's limits (:func:`bsc.ingest.read_path`).

    Raises InputError when the file cannot be read whole, and ReadOnlyError for a read-only
    workspace; a large file that cannot be streamed is refused (a message, nothing kept).
    """
    if is_streamed(path):
        store.writable_workspace(workspace_id)  # a read-only workspace raises, as below
        try:
            return [import_streamed_file(store, workspace_id, path, progress)], []
        except InputError as error:
            # As a table of a file read whole whose mapping cannot work: refused, named.
            name = Path(path).name
            return [], [str(error) if str(error).startswith(name) else f"{name}: {error}"]
    _refuse_large_workbooks(path)
    stored: list[Dataset] = []
    refused: list[str] = []
    for table in read_path(path):
        mapping = detect_mapping(table.frame, table.name)
        try:
            stored.append(save_table(store, workspace_id, table, mapping))
        except InputError as error:
            refused.append(f"{table.name}: {error}")
    return stored, refused


def _refuse_large_workbooks(path: str | Path) -> None:
    """A workbook or Parquet file above the upload limit: only text files are read in batches."""
    path = Path(path)
    limit = ingest.MAX_UPLOAD_BYTES
    if path.suffix.lower() in TEXT_EXTENSIONS or not path.is_file() or path.stat().st_size <= limit:
        return
    raise InputError(
        f"{path.name} is {path.stat().st_size / MB:,.1f} MB: a workbook or Parquet file may be at most "
        f"{limit // MB:,} MB, since only CSV, TSV and text files are read in batches. "
        "Save it as CSV and import that."
    )


def import_streamed_file(
    store: Store,
    workspace_id: str,
    path: str | Path,
    progress: Callable[[int], None] | None = None,
) -> Dataset:
    """Stream a large text file into a kept workspace, with memory bounded by the batch size.

    The table as read and its canonical form are streamed into two Parquet files in the store's
    tables folder (:func:`bsc.large_files.stream_to_parquet`), then kept with the detected
    mapping, the problems over the whole file, its rows and the SHA-256 of the file's bytes
    (:meth:`bsc.store.Store.save_streamed_dataset`). As :func:`save_table`, the workspace takes
    the currency the money column names when it has none yet. Raises InputError when the file
    cannot be read in batches or the workspace is read-only (before the file is read); nothing
    is left behind then.
    """
    path = Path(path)
    store.writable_workspace(workspace_id)
    raw, canonical = store.scratch_file(), store.scratch_file()
    try:
        streamed = stream_to_parquet(path, canonical, raw_out=raw, progress=progress)
        saved = store.save_streamed_dataset(
            workspace_id,
            name=path.name,
            source=path.name,
            raw_file=raw,
            canonical_file=canonical,
            mapping=streamed.mapping,
            problems=streamed.problems,
            rows=streamed.rows,
            content_hash=file_hash(path),
        )
    finally:
        raw.unlink(missing_ok=True)
        canonical.unlink(missing_ok=True)
    _take_currency(store, workspace_id, table_currency(streamed.table, streamed.mapping))
    return saved


def _take_currency(store: Store, workspace_id: str, currency: str | None) -> None:
    """Give a workspace whose currency is still unknown the one a table names."""
    workspace = store.get_workspace(workspace_id)
    if currency is not None and workspace.currency is None:
        store.set_currency(workspace_id, currency, expected_version=workspace.version)


@contextmanager
def files_workspace(
    paths: Sequence[str | Path],
    currencies: set[str] | None = None,
    import_meanwhile: Sequence[str] = ("bsc.kpis", "ibis.backends.duckdb"),
) -> Iterator[tuple[dict[str, list[Path]], list[str]]]:
    """A throw-away workspace holding the tables of ``paths``, for the command line.

    Yields the canonical tables by kind (as :meth:`Store.workspace_tables` gives them, in the
    order of the files) and one message per table that could not be used. Each table is read,
    detected and prepared as :func:`import_file` does, but only its canonical Parquet file is
    written: no copy of the raw table, no metadata database, no content hash, since nothing
    outlives the command. Text files larger than :data:`bsc.large_files.STREAM_FROM_BYTES`
    (of any size the disk holds) are streamed into their Parquet file in batches
    (:func:`bsc.large_files.stream_to_parquet`), with memory bounded by the batch size. Two files
    are done at a time, the largest first, in forked processes where that is safe
    (:func:`_files_pool`). Everything is removed on exit. When ``currencies`` is given, the
    currency each table's money column names (:func:`table_currency`) is added to it. The
    modules named in ``import_meanwhile`` are imported while the files are read.
    """
    # The command's next step (the KPI engine: Ibis, DuckDB) is imported while the files are
    # read, on the part of the cores that reading leaves free. Ibis loads its DuckDB backend on
    # the first connection, not with ``import ibis``: it is named here so that the first query
    # does not wait for it (0.2 s).
    importer = threading.Thread(target=_import_all, args=(import_meanwhile,), daemon=True)
    try:
        streamed = [is_streamed(path) for path in paths]
        with tempfile.TemporaryDirectory(prefix="bsc-") as folder:
            stored: list[tuple[str, dict[str, str], Path]] = []
            refused: list[str] = []
            with_currency = currencies is not None
            sizes = [Path(path).stat().st_size if Path(path).is_file() else 0 for path in paths]
            # The pool's processes are forked here, before this command starts any thread.
            pool = _files_pool()
            try:
                futures = {
                    i: pool.submit(_write_tables, paths[i], Path(folder), i, with_currency, streamed[i])
                    for i in sorted(range(len(paths)), key=lambda i: -sizes[i])  # the largest first
                }
                importer.start()
                for i, path in enumerate(paths):
                    for table in _written(futures[i], path, Path(folder), i, with_currency, streamed[i]):
                        if table.refused is not None:
                            refused.append(table.refused)
                            continue
                        stored.append((table.kind, table.roles, table.file))
                        if table.currency is not None and currencies is not None:
                            currencies.add(table.currency)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
            importer.join()
            yield tables_by_kind(stored), refused
    finally:
        # Also when a file cannot be read: the process must not end while the other thread is
        # inside an extension's import (DuckDB's), which aborts it ("exception not rethrown").
        if importer.ident is not None:
            importer.join()


@dataclass(frozen=True)
class _WrittenTable:
    """One table of a file as :func:`_write_tables` left it: its canonical Parquet file, or why
    it was refused."""

    kind: str
    roles: dict[str, str]
    file: Path | None
    currency: str | None
    refused: str | None


def _write_tables(
    path: str | Path, folder: Path, number: int, with_currency: bool, streamed: bool = False
) -> list[_WrittenTable]:
    """Read, detect and prepare the tables of file ``number``; write each canonical table into
    ``folder``. A ``streamed`` file (larger than memory should hold at once) is read, prepared
    and written in batches (:func:`bsc.large_files.stream_to_parquet`). Run in a process of
    :func:`_files_pool`: only the small records come back."""
    if streamed:
        return [_stream_file(path, folder, number, with_currency)]
    written = []
    for position, item in enumerate(_read_and_prepare(path)):
        if item.prepared is None:
            written.append(_WrittenTable("", {}, None, None, f"{item.table.name}: {item.refused}"))
            continue
        # Numbered file names: nothing read from the files becomes part of a path.
        file = folder / f"{number}-{position}.parquet"
        write_parquet(item.prepared.canonical, file)
        currency = table_currency(item.table, item.mapping) if with_currency else None
        written.append(_WrittenTable(item.mapping.kind, dict(item.mapping.roles), file, currency, None))
    return written


def _stream_file(path: str | Path, folder: Path, number: int, with_currency: bool) -> _WrittenTable:
    """Stream a large text file into ``folder`` (or say why it is refused)."""
    file = folder / f"{number}-0.parquet"
    try:
        streamed = stream_to_parquet(path, file, compressed=False)
    except InputError as error:
        file.unlink(missing_ok=True)
        return _WrittenTable("", {}, None, None, f"{Path(path).name}: {error}")
    currency = table_currency(streamed.table, streamed.mapping) if with_currency else None
    return _WrittenTable(streamed.mapping.kind, dict(streamed.mapping.roles), file, currency, None)


def _written(
    job: Future, path: str | Path, folder: Path, number: int, with_currency: bool, streamed: bool
) -> list[_WrittenTable]:
    """The job's tables; a file whose process died (out of memory, killed) is done again here."""
    try:
        return job.result()
    except BrokenProcessPool:
        return _write_tables(path, folder, number, with_currency, streamed)


def _files_pool() -> Executor:
    """Processes for the command's files where they can be forked safely, else threads.

    Reading, detecting and preparing a table is mostly pandas and Python, which hold the
    interpreter's lock: two threads take turns on it, two forked processes use both cores while
    this one imports the KPI engine. A fork copies only the thread that calls it, so it is used
    only while the process has no other thread (a command line run; never the server, whose
    sessions run in threads), and only where the system forks (not Windows).
    """
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return ProcessPoolExecutor(max_workers=FILES_AT_ONCE, mp_context=multiprocessing.get_context("fork"))
    return ThreadPoolExecutor(max_workers=FILES_AT_ONCE, thread_name_prefix="bsc-import")


def _import_all(modules: Sequence[str]) -> None:
    # Ahead of need only: should an import fail here, the command meets the error itself when
    # it imports the module, on the main thread.
    with contextlib.suppress(Exception):
        for module in modules:
            retrying_import_deadlocks(lambda module=module: importlib.import_module(module))


def ensure_demo_workspace(store: Store, demo_dir: Path = DEMO_DIR) -> Workspace:
    """Create the demo workspace from the shipped demo company when the store has no workspace yet."""
    existing = store.list_workspaces()
    if existing:
        return existing[0]
    try:
        workspace = store.create_workspace(DEMO_WORKSPACE)
    except InputError:
        # Another session created it at the same moment.
        found = store.find_workspace(DEMO_WORKSPACE)
        if found is None:
            raise
        return found
    # Imported here: the demo generator brings the workbook writer, which nothing else here needs
    # (the command line's throw-away workspace starts faster without it).
    from bsc.demo.company import DEMO_CURRENCY

    for ready in prepare_files(sorted(demo_dir.glob("*.csv"))):
        for item in ready:
            if item.prepared is not None:
                save_table(store, workspace.id, item.table, item.mapping, item.prepared)
    return store.set_currency(workspace.id, DEMO_CURRENCY, expected_version=workspace.version)


def kpi_sources(requires: tuple[tuple[str, ...], ...], datasets: list[Dataset]) -> list[str]:
    """The source columns that feed a KPI, as ``table: column → role`` lines.

    ``requires`` holds the KPI's alternatives of ``kind.role`` sets; the first alternative the
    workspace can satisfy is the one used. Without a feedback table, a customers table's survey
    scores feed the satisfaction KPIs (as :meth:`bsc.store.Store.workspace_tables` serves them).
    """
    served = [(d.kind, d) for d in datasets]
    if not any(d.kind == "feedback" for d in datasets):
        served += [
            ("feedback", d)
            for d in datasets
            if d.kind == "customers" and set(CUSTOMER_SURVEY_ROLES) & set(d.mapping.roles)
        ]
    present = {(kind, role) for kind, d in served for role in d.mapping.roles}
    for option in requires:
        needed = [tuple(item.split(".", 1)) for item in option]
        if all(pair in present for pair in needed):
            return [
                f"{d.name}: {d.mapping.roles[role]} → {role}"
                + (" (one score per customer, undated)" if d.kind != kind else "")
                for kind, role in needed
                for served_as, d in served
                if served_as == kind and role in d.mapping.roles
            ]
    return []
