"""The server's import folder: files of any size, put on the server by whoever runs it.

The browser upload keeps its limits (:data:`bsc.ingest.MAX_UPLOAD_BYTES`). Whoever runs the
server may name a folder with the ``BSC_IMPORT_DIR`` setting; the Data page then lists the
CSV, TSV, text, Excel and Parquet files at its top level and imports a chosen one into the
current workspace (:func:`bsc.workspace.import_file`: text files larger than
:data:`bsc.large_files.STREAM_FROM_BYTES` are streamed, with memory bounded by the batch size).

A user only ever chooses a name from the listing, and a name is checked again when a file is
imported (:func:`server_file`): it must name a file directly in the folder once every symbolic
link is resolved, so neither ``..`` nor a link pointing elsewhere reaches outside the folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bsc.errors import InputError
from bsc.ingest.checks import SUPPORTED_EXTENSIONS

__all__ = ["IMPORT_DIR_SETTING", "ServerFile", "import_folder", "list_server_files", "server_file"]

IMPORT_DIR_SETTING = "BSC_IMPORT_DIR"


@dataclass(frozen=True)
class ServerFile:
    """A file of the import folder: its ``name`` (no folder part) and ``size`` in bytes."""

    name: str
    size: int


def import_folder(environ: Mapping[str, str] | None = None) -> Path | None:
    """The import folder, resolved, when :data:`IMPORT_DIR_SETTING` names an existing folder
    (a leading ``~`` is the home folder); else None: no server-side import."""
    text = (os.environ if environ is None else environ).get(IMPORT_DIR_SETTING, "").strip()
    if not text:
        return None
    folder = Path(text).expanduser().resolve()
    return folder if folder.is_dir() else None


def list_server_files(folder: Path) -> list[ServerFile]:
    """The files of the folder that can be imported, by name: those with a readable extension,
    not hidden, and (links resolved) inside the folder."""
    found = []
    for entry in sorted(folder.iterdir(), key=lambda path: path.name.lower()):
        if entry.name.startswith(".") or entry.suffix.lower() not in SUPPORTED_EXTENSIONS:
            continue
        try:
            path = server_file(folder, entry.name)
        except InputError:
            continue
        found.append(ServerFile(entry.name, path.stat().st_size))
    return found


def server_file(folder: Path, name: str) -> Path:
    """The file ``name`` directly in ``folder``, every link resolved.

    Raises
    ------
    InputError
        When ``name`` holds a folder part (``/``, ``..``), is hidden, does not exist, is not a
        file, resolves outside the folder (a link pointing elsewhere), or has an extension that
        cannot be read.
    """
    root = folder.resolve()
    shown = repr(name)
    if not name or name != Path(name).name or name in {".", ".."} or name.startswith("."):
        raise InputError(f"{shown} is not the name of a file in the import folder.")
    path = (root / name).resolve()
    if path.parent != root:
        raise InputError(f"{shown} leads outside the import folder; only its own files can be imported.")
    if not path.is_file():
        raise InputError(f"{shown} is not a file in the import folder (it may have been moved or deleted).")
    if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
        raise InputError(
            f"{shown} cannot be imported: only {', '.join(SUPPORTED_EXTENSIONS[:-1])} and "
            f"{SUPPORTED_EXTENSIONS[-1]} files can."
        )
    return path
