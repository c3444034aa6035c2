"""The names a workshop gives its comment themes, kept per workspace and version-checked.

A theme found in the comments is named by its top words ("delivery, late, delivery late"); a
facilitator may rename it ("Late deliveries"). The name is kept under the theme's key (its three
top words, sorted: :func:`bsc.themes.theme_key`), so the same theme found again keeps it. Each
name carries a version: a save made from an outdated view is refused with
:class:`bsc.store.ConflictError`, as every other setting of a workspace, and a read-only
workspace refuses every save (the store's guard covers this table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update

from bsc.database import theme_labels_table
from bsc.errors import InputError
from bsc.store import ConflictError, Store

__all__ = ["MAX_LABEL_LENGTH", "ThemeLabel", "save_theme_label", "theme_labels"]

MAX_LABEL_LENGTH = 80


@dataclass(frozen=True)
class ThemeLabel:
    key: str
    label: str
    version: int


def theme_labels(store: Store, workspace_id: str) -> dict[str, ThemeLabel]:
    """Every theme name kept in the workspace, by theme key."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(theme_labels_table).where(theme_labels_table.c.workspace_id == workspace_id)
        ).all()
    return {row.theme_key: ThemeLabel(row.theme_key, row.label, row.version) for row in rows}


def save_theme_label(
    store: Store, workspace_id: str, key: str, label: str, *, expected_version: int, author: str = ""
) -> ThemeLabel | None:
    """Name theme ``key``; a blank ``label`` goes back to the top words (the kept name is removed).

    ``expected_version`` is the version the user saw: 0 when the theme had no name yet.

    Raises
    ------
    InputError
        When the name is longer than :data:`MAX_LABEL_LENGTH` characters.
    ConflictError
        When someone else named the theme since (the version moved on).
    """
    label = " ".join(str(label).split())
    if len(label) > MAX_LABEL_LENGTH:
        raise InputError(
            f"A theme's name can have at most {MAX_LABEL_LENGTH} characters; this one has {len(label)}."
        )
    table = theme_labels_table
    where = (table.c.workspace_id == workspace_id) & (table.c.theme_key == key)
    now = datetime.now(UTC).replace(tzinfo=None)
    with store.engine.begin() as conn:
        current = conn.execute(select(table.c.version).where(where)).scalar()
        if (current or 0) != expected_version:
            raise ConflictError(
                "Someone renamed this theme in another session; your name was not saved. Theirs is shown."
            )
        if not label:
            if current is not None:
                conn.execute(delete(table).where(where))
            return None
        if current is None:
            conn.execute(
                insert(table).values(
                    workspace_id=workspace_id,
                    theme_key=key,
                    label=label,
                    version=1,
                    updated_at=now,
                    updated_by=author,
                )
            )
            return ThemeLabel(key, label, 1)
        result = conn.execute(
            update(table)
            .where(where & (table.c.version == expected_version))
            .values(label=label, version=expected_version + 1, updated_at=now, updated_by=author)
        )
        if result.rowcount != 1:
            raise ConflictError("Someone renamed this theme in another session; your name was not saved.")
    return ThemeLabel(key, label, expected_version + 1)
