"""The stored book of a workspace: its objectives, initiatives, targets and audit log.

Everything a workshop sets lives in the workspace database (the tables of :mod:`bsc.database`),
written at once in a transaction, version-checked and audited (see :mod:`bsc.targets.ledger`).
:class:`TargetBook` reads the records, checks every change against the workspace's KPIs
(:mod:`bsc.targets.checks`) and writes it through the one insert, update and delete that serve
every kind of record. Deleting a workspace deletes its objectives, initiatives, targets and
audit log (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import select

from bsc.database import audit_table, initiatives_table, objectives_table, targets_table
from bsc.errors import InputError
from bsc.kpis import KPIS, KpiResult, compute_kpis
from bsc.store import ConflictError, Store
from bsc.targets.cells import checked_author
from bsc.targets.checks import (
    _checked_initiative,
    _checked_objective,
    _checked_target,
    _initiative_changes,
    _objective_changes,
    _target_changes,
)
from bsc.targets.files import targets_from_frame, targets_to_frame
from bsc.targets.ledger import delete_record, insert_record, read_record, update_record
from bsc.targets.model import STORED_FIELDS, Initiative, Objective, Target
from bsc.targets.rows import INITIATIVES, OBJECTIVES, TARGETS, RecordKind

__all__ = ["ImportSummary", "KpiSource", "TargetBook"]

KpiSource = Callable[[str, str | None], KpiResult]


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int


class TargetBook:
    """The objectives, initiatives, targets and audit log of one workspace.

    Parameters
    ----------
    store
        The workspace store; the tables are created in its database if missing.
    workspace_id
        The workspace.
    kpi_source
        ``(period unit, by) -> KpiResult`` for the workspace, used to check that a KPI can be
        computed, that a segment exists and to read the baseline. Defaults to
        :func:`bsc.kpis.compute_kpis` over the workspace's tables (a page passes its cached
        version).
    today
        Returns today's date (UTC by default); due dates before it are refused.

    Raises
    ------
    InputError
        If the workspace does not exist.
    """

    def __init__(
        self,
        store: Store,
        workspace_id: str,
        *,
        kpi_source: KpiSource | None = None,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.store = store
        self.workspace_id = workspace_id
        store.get_workspace(workspace_id)
        self._kpi_source = kpi_source or self._compute
        self._today = today or _today
        self._results: dict[tuple[str, str | None], KpiResult] = {}

    # -- reading ---------------------------------------------------------------------------

    def targets(self) -> list[Target]:
        """Every target of the workspace, in KPI registry order, all customers first."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(targets_table).where(targets_table.c.workspace_id == self.workspace_id)
            ).mappings()
            found = [TARGETS.from_row(row) for row in rows]
        order = {kpi: i for i, kpi in enumerate(KPIS)}
        return sorted(found, key=lambda t: (order.get(t.kpi, 99), t.segment_by or "", t.segment or ""))

    def get_target(self, target_id: str) -> Target:
        return self._get(TARGETS, target_id)

    def find_target(
        self, kpi: str, segment_by: str | None = None, segment: str | None = None
    ) -> Target | None:
        with self.store.engine.connect() as conn:
            row = (
                conn.execute(
                    select(targets_table).where(
                        targets_table.c.workspace_id == self.workspace_id,
                        targets_table.c.kpi == kpi,
                        targets_table.c.segment_by == (segment_by or ""),
                        targets_table.c.segment == (segment or ""),
                    )
                )
                .mappings()
                .first()
            )
        return TARGETS.from_row(row) if row else None

    def objectives(self) -> list[Objective]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(objectives_table)
                .where(objectives_table.c.workspace_id == self.workspace_id)
                .order_by(objectives_table.c.created_at, objectives_table.c.name)
            ).mappings()
            return [OBJECTIVES.from_row(row) for row in rows]

    def get_objective(self, objective_id: str) -> Objective:
        return self._get(OBJECTIVES, objective_id)

    def initiatives(self, objective_id: str | None = None) -> list[Initiative]:
        query = select(initiatives_table).where(initiatives_table.c.workspace_id == self.workspace_id)
        if objective_id is not None:
            query = query.where(initiatives_table.c.objective_id == objective_id)
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                query.order_by(initiatives_table.c.created_at, initiatives_table.c.name)
            ).mappings()
            return [INITIATIVES.from_row(row) for row in rows]

    def get_initiative(self, initiative_id: str) -> Initiative:
        return self._get(INITIATIVES, initiative_id)

    def audit_log(self, limit: int | None = 500) -> pd.DataFrame:
        """The latest changes first: columns ``when, who, what, field, old, new``."""
        query = (
            select(audit_table)
            .where(audit_table.c.workspace_id == self.workspace_id)
            .order_by(audit_table.c.at.desc(), audit_table.c.id.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        with self.store.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return pd.DataFrame(
            {
                "when": pd.to_datetime([row["at"] for row in rows]),
                "who": [row["who"] for row in rows],
                "what": [row["label"] for row in rows],
                "field": [row["field"] for row in rows],
                "old": [row["old"] for row in rows],
                "new": [row["new"] for row in rows],
            }
        )

    # -- targets ---------------------------------------------------------------------------

    def set_target(self, target: Target, *, author: str, expected_version: int | None = None) -> Target:
        """Create the target of a KPI and segment, or replace its goal, bands, weight, trajectory.

        Parameters
        ----------
        target
            The wanted target (``id``, ``version`` and the baseline are ignored: a new target
            takes its baseline from the KPI's latest value, an existing one keeps its own).
        author
            Who sets it, for the audit log.
        expected_version
            None to create; the version the change was made on to replace.

        Raises
        ------
        ConflictError
            When the KPI and segment already have a target and ``expected_version`` is None or
            stale (also when another session created it between this one's check and its
            insert), or when the target was deleted meanwhile. The message shows the current value.
        InputError
            For bad values; nothing is saved.
        """
        author = checked_author(author)
        existing = self.find_target(target.kpi, target.segment_by, target.segment)
        if existing is None and expected_version:
            raise ConflictError(
                f"The target for {_label_of(target)} was deleted in another session; nothing was saved."
            )
        if existing is not None and expected_version is None:
            raise _already_set(existing)
        if existing is not None:
            checked = self._checked_target(_keeping_stored(target, existing), existing)
            with self.store.engine.begin() as conn:
                update_record(conn, self.workspace_id, TARGETS, existing, checked, expected_version, author)
            return self.get_target(existing.id)
        checked = self._checked_target(target, None)
        try:
            with self.store.engine.begin() as conn:
                target_id = insert_record(conn, self.workspace_id, TARGETS, checked, author)
        except ConflictError:
            # Another session created the same KPI and segment between the check above and this
            # insert: the database's unique constraint refused ours. Name what they saved.
            raced = self.find_target(target.kpi, target.segment_by, target.segment)
            if raced is None:
                raise
            raise _already_set(raced) from None
        return self.get_target(target_id)

    def update_target(
        self, target_id: str, changes: Mapping[str, object], *, author: str, expected_version: int
    ) -> Target:
        """Change some fields of a stored target (``goal, due_period, band_mode, green, amber,
        weight, trajectory``), typed values or text as typed in a table.

        ``trajectory`` takes a mapping period -> value (or pairs); an empty one means the linear
        ramp. Raises :class:`ConflictError` when ``expected_version`` is stale and
        :class:`InputError` for bad values; nothing is saved then.
        """
        author = checked_author(author)
        current = self.get_target(target_id)
        _refuse_unknown(TARGETS, changes)
        proposed = replace(current, **_target_changes(changes, current))
        checked = self._checked_target(proposed, current)
        with self.store.engine.begin() as conn:
            update_record(conn, self.workspace_id, TARGETS, current, checked, expected_version, author)
        return self.get_target(target_id)

    def delete_target(self, target_id: str, *, author: str, expected_version: int) -> None:
        """Delete a target, refused when someone changed it since ``expected_version``."""
        author = checked_author(author)
        current = self.get_target(target_id)
        with self.store.engine.begin() as conn:
            delete_record(conn, self.workspace_id, TARGETS, current, expected_version, author)

    def import_targets(self, frame: pd.DataFrame, *, author: str) -> ImportSummary:
        """Create or replace targets from rows of a targets file (see :func:`targets_from_frame`).

        Every row is checked first (readable values, KPIs this workspace can compute, existing
        segments, due periods not past); one bad row and nothing is saved. Then all targets are
        written in one transaction, each change in the audit log.
        """
        author = checked_author(author)
        wanted = targets_from_frame(frame)
        plans: list[tuple[Target | None, Target]] = []
        problems = []
        for target in wanted:
            existing = self.find_target(target.kpi, target.segment_by, target.segment)
            if existing is not None:
                target = _keeping_stored(target, existing)
            try:
                plans.append((existing, self._checked_target(target, existing)))
            except InputError as error:
                problems.append(f"{_label_of(target)}: {error}")
        if problems:
            raise InputError("Nothing was imported. " + " ".join(problems[:10]))
        created = updated = unchanged = 0
        with self.store.engine.begin() as conn:
            for existing, target in plans:
                if existing is None:
                    insert_record(conn, self.workspace_id, TARGETS, target, author)
                    created += 1
                elif update_record(
                    conn, self.workspace_id, TARGETS, existing, target, existing.version, author
                ):
                    updated += 1
                else:
                    unchanged += 1
        return ImportSummary(created=created, updated=updated, unchanged=unchanged)

    def export_targets(self) -> pd.DataFrame:
        """The targets in the import/export layout (see :func:`targets_to_frame`)."""
        return targets_to_frame(self.targets())

    # -- objectives and initiatives --------------------------------------------------------

    def add_objective(self, objective: Objective, *, author: str) -> Objective:
        """Store a new objective. Raises InputError for an empty or taken name, a due date in the
        past or a KPI this workspace cannot compute."""
        author = checked_author(author)
        checked = self._checked_objective(objective, None)
        with self.store.engine.begin() as conn:
            objective_id = insert_record(conn, self.workspace_id, OBJECTIVES, checked, author)
        return self.get_objective(objective_id)

    def update_objective(
        self, objective_id: str, changes: Mapping[str, object], *, author: str, expected_version: int
    ) -> Objective:
        """Change ``name, description, owner, due_date, kpis`` of an objective (version-checked)."""
        author = checked_author(author)
        current = self.get_objective(objective_id)
        _refuse_unknown(OBJECTIVES, changes)
        proposed = replace(current, **_objective_changes(changes))
        checked = self._checked_objective(proposed, current)
        with self.store.engine.begin() as conn:
            changed = update_record(
                conn, self.workspace_id, OBJECTIVES, current, checked, expected_version, author
            )
        return self.get_objective(objective_id) if changed else current

    def delete_objective(self, objective_id: str, *, author: str, expected_version: int) -> None:
        """Delete an objective and its initiatives (version-checked)."""
        author = checked_author(author)
        current = self.get_objective(objective_id)
        initiatives = [(INITIATIVES, initiative) for initiative in self.initiatives(objective_id)]
        with self.store.engine.begin() as conn:
            delete_record(
                conn, self.workspace_id, OBJECTIVES, current, expected_version, author, cascaded=initiatives
            )

    def add_initiative(self, initiative: Initiative, *, author: str) -> Initiative:
        """Store a new initiative under an existing objective."""
        author = checked_author(author)
        checked = self._checked_initiative(initiative)
        with self.store.engine.begin() as conn:
            initiative_id = insert_record(conn, self.workspace_id, INITIATIVES, checked, author)
        return self.get_initiative(initiative_id)

    def update_initiative(
        self, initiative_id: str, changes: Mapping[str, object], *, author: str, expected_version: int
    ) -> Initiative:
        """Change ``name, owner, status, start_date, end_date`` of an initiative (version-checked)."""
        author = checked_author(author)
        current = self.get_initiative(initiative_id)
        _refuse_unknown(INITIATIVES, changes)
        proposed = replace(current, **_initiative_changes(changes))
        checked = self._checked_initiative(proposed)
        with self.store.engine.begin() as conn:
            changed = update_record(
                conn, self.workspace_id, INITIATIVES, current, checked, expected_version, author
            )
        return self.get_initiative(initiative_id) if changed else current

    def delete_initiative(self, initiative_id: str, *, author: str, expected_version: int) -> None:
        author = checked_author(author)
        current = self.get_initiative(initiative_id)
        with self.store.engine.begin() as conn:
            delete_record(conn, self.workspace_id, INITIATIVES, current, expected_version, author)

    # -- checks ----------------------------------------------------------------------------

    def kpi_result(self, unit: str, by: str | None) -> KpiResult:
        """The workspace's KPIs per ``unit`` split by ``by`` (cached for this book)."""
        key = (unit, by)
        if key not in self._results:
            self._results[key] = self._kpi_source(unit, by)
        return self._results[key]

    def _compute(self, unit: str, by: str | None) -> KpiResult:
        return compute_kpis(self.store.workspace_tables(self.workspace_id), period=unit, by=by)

    def _checked_target(self, target: Target, current: Target | None) -> Target:
        return _checked_target(target, current, today=self._today(), kpi_result=self.kpi_result)

    def _checked_objective(self, objective: Objective, current: Objective | None) -> Objective:
        return _checked_objective(
            objective, current, others=self.objectives(), today=self._today(), kpi_result=self.kpi_result
        )

    def _checked_initiative(self, initiative: Initiative) -> Initiative:
        self.get_objective(initiative.objective_id)  # refused when deleted meanwhile
        return _checked_initiative(initiative)

    def _get(self, kind: RecordKind, record_id: str) -> Any:
        found = read_record(self.store.engine, self.workspace_id, kind, record_id)
        if found is None:
            raise ConflictError(f"That {kind.entity} was deleted in another session; nothing was saved.")
        return found


def _today() -> date:
    return datetime.now(UTC).date()


def _refuse_unknown(kind: RecordKind, changes: Mapping[str, object]) -> None:
    unknown = sorted(set(changes) - set(kind.editable))
    if unknown:
        raise InputError(f"These {kind.entity} fields cannot be edited: {', '.join(unknown)}.")


def _keeping_stored(target: Target, existing: Target) -> Target:
    """``target`` replacing ``existing``: it keeps the stored fields and the baseline."""
    return replace(
        target, **{name: getattr(existing, name) for name in (*STORED_FIELDS, "baseline", "baseline_period")}
    )


def _already_set(existing: Target) -> ConflictError:
    """The error for creating a target the KPI and segment already have: shows the stored one."""
    return ConflictError(
        f"{existing.label} already has a target, set by {existing.updated_by}: "
        f"{existing.describe()} (version {existing.version}). Yours was not saved; edit that one "
        "instead."
    )


def _label_of(target: Target) -> str:
    return target.label if target.kpi in KPIS else target.kpi
