"""``python -m bsc import PATH... --workspace NAME [--data-dir DIR] [--json]``: files into a kept workspace.

Unlike the other commands, whose throw-away workspace is gone when they finish, ``import``
keeps the tables in a workspace of the store (created when missing), where the app shows them.
Files may be of any size the disk holds: text files larger than
:data:`bsc.large_files.STREAM_FROM_BYTES` are streamed in batches
(:func:`bsc.workspace.import_file`), with memory bounded by ``BSC_STREAM_BATCH_MB``.

Every file is tried: one that cannot be read (missing, unreadable, wider than
:data:`bsc.ingest.MAX_COLUMNS` columns...) is listed under ``refused`` with its reason, the
others are kept, and the command then exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bsc.errors import InputError
from bsc.json_output import strict_json

__all__ = ["IMPORT_MEANING", "add_import_command", "import_command"]

# What each field of ``import --json`` means.
IMPORT_MEANING = {
    "workspace": "the workspace the tables were kept in (created when it did not exist)",
    "file": "the file a table was read from; table: its name (a workbook's sheet)",
    "kind": "the table kind detected from its columns (customers, transactions, feedback, tickets, marketing)",
    "rows": "data rows read from the file",
    "streamed": "true when the file was read in batches rather than whole (a large text file)",
    "problems": "what reading and preparing noticed; rows: the rows a problem touches",
    "refused": "one message per file or table that could not be kept; the exit status is then 2",
}


def import_command(args: argparse.Namespace) -> int:
    """Import every file into the workspace ``--workspace``; print what was kept and refused."""
    from bsc.store import Store
    from bsc.workspace import import_file

    store = Store(args.data_dir)
    name = " ".join(args.workspace.split())
    workspace = store.find_workspace(name) or store.create_workspace(name)
    store.writable_workspace(workspace.id)  # a read-only workspace: refused before any file is read
    tables: list[dict] = []
    refused: list[str] = []
    for path in args.paths:
        try:
            stored, not_kept = import_file(store, workspace.id, path, progress=_progress(path))
        except InputError as error:
            stored, not_kept = [], [_named(path, str(error))]
        except OSError as error:  # unreadable: permissions, a folder, a vanished disk
            stored, not_kept = [], [_named(path, f"{error.strerror or error}")]
        refused += not_kept
        tables += [_table_report(path, dataset) for dataset in stored]
    report = {"workspace": workspace.name, "tables": tables, "refused": refused}
    for message in refused:
        print(f"error: {message}", file=sys.stderr)
    if args.json:
        print(strict_json({**report, "meaning": IMPORT_MEANING}))
    else:
        _print_text(report, store.data_dir)
    return 2 if refused else 0


def _table_report(path: Path, dataset) -> dict:
    return {
        "file": path.name,
        "table": dataset.name,
        "kind": dataset.kind,
        "rows": dataset.rows,
        "streamed": dataset.streamed,
        "problems": [
            {"severity": p.severity, "message": p.message, "rows": p.rows, "examples": list(p.examples)}
            for p in dataset.problems
        ],
    }


def _named(path: Path, message: str) -> str:
    return message if message.startswith(path.name) or str(path) in message else f"{path.name}: {message}"


def _progress(path: Path):
    """Rows read so far of a streamed file, on one line of a terminal; nothing when piped."""
    if not sys.stderr.isatty():
        return None

    def show(rows: int) -> None:
        print(f"\r{path.name}: {rows:,} rows read…", end="", file=sys.stderr, flush=True)

    return show


def _print_text(report: dict, data_dir: Path) -> None:
    kept = report["tables"]
    print(
        f"Workspace “{report['workspace']}” (data folder {data_dir}): {len(kept)} table(s) kept, "
        f"{len(report['refused'])} refused."
    )
    for table in kept:
        how = ", read in batches" if table["streamed"] else ""
        print(
            f"{table['table']}: {table['kind']}, {table['rows']:,} rows{how}, {len(table['problems'])} problem(s)"
        )
        for problem in table["problems"]:
            examples = f"; e.g. {', '.join(problem['examples'])}" if problem["examples"] else ""
            print(f"  [{problem['severity']}] {problem['message']} ({problem['rows']:,} rows{examples})")
    print("rows: data rows read from the file; a problem's rows: the rows it touches.")


def add_import_command(commands: argparse._SubParsersAction) -> None:
    """Register ``import`` on the command line's sub-commands."""
    command = commands.add_parser(
        "import", help="import files of any size into a kept workspace (created when missing)"
    )
    command.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    command.add_argument(
        "--workspace", required=True, metavar="NAME", help="the workspace to keep the tables in"
    )
    command.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="the app's data folder (default: BSC_DATA_DIR, else ./workspace-data)",
    )
    command.add_argument("--json", action="store_true", help="print JSON")
    command.set_defaults(run=import_command)
