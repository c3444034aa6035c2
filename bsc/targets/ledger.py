"""Version-checked, audited writes of targets, objectives and initiatives.

Every row carries a ``version``: an edit names the version it was made on, and a save on a
stale version is refused with :class:`bsc.store.ConflictError` whose message shows the current
value, so two people editing the same record never silently overwrite each other. Every change
is written to the audit log (who, when, what, old and new value) on the same connection as the
row, so both are saved or neither.

One helper per write serves every kind of record (:mod:`bsc.targets.rows`), and the other books
kept the same way (KPI notes, strategy-map arrows) use them too: :func:`insert_record`,
:func:`update_record` and :func:`delete_record` each write the row, check the version and log the
change; the caller runs them inside one transaction (``engine.begin()``), under the name
:func:`bsc.targets.cells.checked_author` accepts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from bsc.database import audit_table
from bsc.store import ConflictError
from bsc.targets.rows import Record, RecordKind

__all__ = ["delete_record", "insert_record", "read_record", "update_record"]


def insert_record(conn: Connection, workspace_id: str, kind: RecordKind, record: Record, author: str) -> str:
    """Store a new record at version 1 and log "created"; returns its new id."""
    now = _now()
    record_id = uuid.uuid4().hex
    conn.execute(
        kind.table.insert().values(
            id=record_id,
            workspace_id=workspace_id,
            **kind.columns(record),
            created_at=now,
            updated_at=now,
            updated_by=author,
            version=1,
        )
    )
    stored = replace(record, id=record_id)
    _audit(conn, workspace_id, author, kind, stored, "created", "", stored.describe())
    return record_id


def update_record(
    conn: Connection,
    workspace_id: str,
    kind: RecordKind,
    current: Record,
    proposed: Record,
    expected_version: int | None,
    author: str,
) -> bool:
    """Write the editable fields where ``proposed`` differs from ``current``, one log entry each.

    Returns False, writing nothing, when no field changed. Raises :class:`ConflictError` when
    ``current`` is not at ``expected_version``, or when someone else saved or deleted the row
    meanwhile (then nothing is written).
    """
    if current.version != expected_version:
        raise _conflict(current)
    changed = _changed_fields(current, proposed, kind.editable)
    if not changed:
        return False
    columns = kind.columns(proposed)
    result = conn.execute(
        kind.table.update()
        .where(kind.table.c.id == current.id, kind.table.c.version == expected_version)
        .values(
            **{name: columns[name] for name in changed},
            updated_at=_now(),
            updated_by=author,
            version=(expected_version or 0) + 1,
        )
    )
    if result.rowcount != 1:
        raise _stale(conn.engine, workspace_id, kind, current.id)
    for name, (old, new) in changed.items():
        _audit(conn, workspace_id, author, kind, current, name, _shown(old), _shown(new))
    return True


def delete_record(
    conn: Connection,
    workspace_id: str,
    kind: RecordKind,
    current: Record,
    expected_version: int,
    author: str,
    *,
    cascaded: Sequence[tuple[RecordKind, Record]] = (),
) -> None:
    """Delete a record at ``expected_version`` and log "deleted".

    ``cascaded`` are the records the database deletes along with it (an objective's
    initiatives, ``ON DELETE CASCADE``); each is logged as deleted first. Raises
    :class:`ConflictError` as :func:`update_record` does.
    """
    if current.version != expected_version:
        raise _conflict(current)
    result = conn.execute(
        kind.table.delete().where(kind.table.c.id == current.id, kind.table.c.version == expected_version)
    )
    if result.rowcount != 1:
        raise _stale(conn.engine, workspace_id, kind, current.id)
    for cascaded_kind, record in cascaded:
        _audit(conn, workspace_id, author, cascaded_kind, record, "deleted", record.describe(), "")
    _audit(conn, workspace_id, author, kind, current, "deleted", current.describe(), "")


def read_record(engine: Engine, workspace_id: str, kind: RecordKind, record_id: str) -> Any:
    """The stored record with this id in the workspace, or None."""
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(kind.table).where(
                    kind.table.c.id == record_id, kind.table.c.workspace_id == workspace_id
                )
            )
            .mappings()
            .first()
        )
    return kind.from_row(row) if row else None


def _audit(
    conn: Connection,
    workspace_id: str,
    author: str,
    kind: RecordKind,
    record: Record,
    field: str,
    old: str,
    new: str,
) -> None:
    conn.execute(
        audit_table.insert().values(
            workspace_id=workspace_id,
            at=_now(),
            who=author,
            entity=kind.entity,
            entity_id=record.id,
            label=record.label,
            field=field,
            old=old,
            new=new,
        )
    )


def _conflict(current: Record) -> ConflictError:
    """The error for a save made on an older version: shows who changed what, and the value now."""
    when = current.updated_at.strftime("%H:%M UTC on %Y-%m-%d") if current.updated_at else "meanwhile"
    return ConflictError(
        f"{current.label} was changed by {current.updated_by} at {when}; it is now: {current.describe()} "
        f"(version {current.version}). Your change was not saved; the current value is shown."
    )


def _stale(engine: Engine, workspace_id: str, kind: RecordKind, record_id: str) -> ConflictError:
    """The error for a save that lost a race: re-read the row to show its current value."""
    current = read_record(engine, workspace_id, kind, record_id)
    if current is None:
        return ConflictError(f"That {kind.entity} was deleted in another session; nothing was saved.")
    return _conflict(current)


def _changed_fields(current: Any, proposed: Any, names: Sequence[str]) -> dict[str, tuple[object, object]]:
    return {
        name: (getattr(current, name), getattr(proposed, name))
        for name in names
        if getattr(current, name) != getattr(proposed, name)
    }


def _shown(value: object) -> str:
    """A value as written in the audit log."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ", ".join(
            f"{item[0]}: {item[1]:g}" if isinstance(item, tuple) else str(item) for item in value
        )
    return str(value)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
