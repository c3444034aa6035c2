"""Arrows users draw on the strategy map: stored per workspace, version-checked and audited.

An arrow joins two KPIs of :data:`bsc.kpis.KPIS` that the built-in links
(:data:`bsc.links.customer.CUSTOMER_LINKS`) do not already join. It is written through the same
insert and delete as targets (:mod:`bsc.targets.ledger`): in one transaction with its line in
the workspace's audit log, and a removal names the version it was made on, so that two people
never silently undo each other. A read-only workspace refuses both (:class:`bsc.store.ReadOnlyError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bsc.database import strategy_arrows_table
from bsc.errors import InputError
from bsc.kpis import KPIS
from bsc.store import ConflictError, Store
from bsc.targets.cells import checked_author
from bsc.targets.ledger import delete_record, insert_record, read_record
from bsc.targets.rows import RecordKind

__all__ = ["ARROWS", "ArrowBook", "UserArrow"]


@dataclass(frozen=True)
class UserArrow:
    """A user's arrow from the ``cause`` KPI to the ``effect`` KPI, with its stored fields."""

    cause: str
    effect: str
    id: str = ""
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str = ""

    @property
    def label(self) -> str:
        """ "Strategy map arrow Churn rate → Revenue", as in the audit log."""
        return f"Strategy map arrow {_name(self.cause)} → {_name(self.effect)}"

    def describe(self) -> str:
        return f"{_name(self.cause)} → {_name(self.effect)}"


def _name(kpi: str) -> str:
    return KPIS[kpi].name if kpi in KPIS else kpi


ARROWS = RecordKind(
    "arrow",
    strategy_arrows_table,
    (),
    lambda arrow: {"cause": arrow.cause, "effect": arrow.effect},
    lambda row: UserArrow(
        cause=row["cause"],
        effect=row["effect"],
        id=row["id"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    ),
)


class ArrowBook:
    """The user arrows of one workspace.

    Parameters
    ----------
    store
        The workspace store (its database holds the arrows table).
    workspace_id
        The workspace; :class:`InputError` if it does not exist.
    built_in
        ``(cause, effect)`` pairs already on the map, refused as user arrows.
    """

    def __init__(
        self, store: Store, workspace_id: str, built_in: frozenset[tuple[str, str]] = frozenset()
    ) -> None:
        self.store = store
        self.workspace_id = workspace_id
        self.built_in = built_in
        store.get_workspace(workspace_id)

    def arrows(self) -> list[UserArrow]:
        """Every user arrow, oldest first."""
        table = strategy_arrows_table
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(table)
                .where(table.c.workspace_id == self.workspace_id)
                .order_by(table.c.created_at, table.c.cause, table.c.effect)
            ).mappings()
            return [ARROWS.from_row(row) for row in rows]

    def add_arrow(self, cause: str, effect: str, *, author: str) -> UserArrow:
        """Store the arrow ``cause`` → ``effect``.

        Raises
        ------
        InputError
            For an unknown KPI, an arrow from a KPI to itself, or one the map already has.
        ConflictError
            When someone else drew the same arrow meanwhile.
        """
        author = checked_author(author)
        unknown = [kpi for kpi in (cause, effect) if kpi not in KPIS]
        if unknown:
            raise InputError(f"Unknown KPI {unknown[0]!r}; an arrow joins two KPIs of the scorecard.")
        if cause == effect:
            raise InputError(f"An arrow joins two different KPIs, not {KPIS[cause].name} to itself.")
        if (cause, effect) in self.built_in:
            raise InputError(
                f"The map already has the arrow {KPIS[cause].name} → {KPIS[effect].name}, tested customer by customer."
            )
        existing = self._find(cause, effect)
        if existing is not None:
            raise _already_drawn(existing)
        try:
            with self.store.engine.begin() as conn:
                arrow_id = insert_record(conn, self.workspace_id, ARROWS, UserArrow(cause, effect), author)
        except ConflictError:
            raced = self._find(cause, effect)
            if raced is None:
                raise
            raise _already_drawn(raced) from None
        return self._get(arrow_id)

    def remove_arrow(self, arrow_id: str, *, author: str, expected_version: int) -> None:
        """Remove an arrow; refused (:class:`ConflictError`) when it changed or went meanwhile."""
        author = checked_author(author)
        current = self._get(arrow_id)
        with self.store.engine.begin() as conn:
            delete_record(conn, self.workspace_id, ARROWS, current, expected_version, author)

    def _find(self, cause: str, effect: str) -> UserArrow | None:
        return next((a for a in self.arrows() if (a.cause, a.effect) == (cause, effect)), None)

    def _get(self, arrow_id: str) -> UserArrow:
        found = read_record(self.store.engine, self.workspace_id, ARROWS, arrow_id)
        if found is None:
            raise ConflictError("That arrow was removed in another session; nothing was saved.")
        return found


def _already_drawn(existing: UserArrow) -> ConflictError:
    return ConflictError(
        f"The arrow {existing.describe()} is already on the map, drawn by {existing.updated_by}; yours was not added."
    )
