"""How targets, objectives and initiatives are stored: one :class:`RecordKind` per record.

A kind names its table of :mod:`bsc.database`, the fields an edit may change (written and
audited one by one, in this order), the columns a record fills and how a row becomes a record
again. The writes of :mod:`bsc.targets.ledger` take a kind, so that one insert, one update and
one delete serve all three records. The names starting with ``_`` are shared inside
:mod:`bsc.targets` only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from bsc.database import initiatives_table, objectives_table, targets_table
from bsc.targets.model import STORED_FIELDS, Initiative, Objective, Target

__all__ = ["INITIATIVES", "OBJECTIVES", "TARGETS", "Record", "RecordKind"]

Record = Target | Objective | Initiative


@dataclass(frozen=True)
class RecordKind:
    """One kind of stored record.

    Attributes
    ----------
    entity
        "target", "objective" or "initiative": in the audit log and in messages.
    table
        Its table; every row also holds ``id, workspace_id`` and the fields of
        :data:`bsc.targets.model.STORED_FIELDS`.
    editable
        The fields an edit may change, in the order their changes are logged.
    columns
        A record's own columns (all but the id, the workspace and the stored fields).
    from_row
        The record of a row.
    """

    entity: str
    table: Table
    editable: tuple[str, ...]
    columns: Callable[[Any], dict[str, object]]
    from_row: Callable[[Mapping[str, Any]], Any]


def _target_columns(target: Target) -> dict[str, object]:
    return {
        "kpi": target.kpi,
        # Empty strings for all customers: the unique constraint never sees two NULLs as equal.
        "segment_by": target.segment_by or "",
        "segment": target.segment or "",
        "baseline": target.baseline,
        "baseline_period": target.baseline_period,
        "due_period": target.due_period,
        "goal": float(target.goal),
        "trajectory": json.dumps([[label, value] for label, value in target.trajectory]),
        "band_mode": target.band_mode,
        "green": float(target.green),
        "amber": float(target.amber),
        "weight": float(target.weight),
    }


def _objective_columns(objective: Objective) -> dict[str, object]:
    return {
        "name": objective.name,
        "description": objective.description,
        "owner": objective.owner,
        "due_date": objective.due_date,
        "kpis": json.dumps(list(objective.kpis)),
    }


def _initiative_columns(initiative: Initiative) -> dict[str, object]:
    return {
        "objective_id": initiative.objective_id,
        "name": initiative.name,
        "owner": initiative.owner,
        "status": initiative.status,
        "start_date": initiative.start_date,
        "end_date": initiative.end_date,
    }


def _stored(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in STORED_FIELDS}


def _target(row: Mapping[str, Any]) -> Target:
    return Target(
        kpi=row["kpi"],
        goal=float(row["goal"]),
        due_period=row["due_period"],
        segment_by=row["segment_by"] or None,
        segment=(row["segment"] or None) if row["segment_by"] else None,
        trajectory=tuple((label, float(value)) for label, value in json.loads(row["trajectory"] or "[]")),
        band_mode=row["band_mode"],
        green=float(row["green"]),
        amber=float(row["amber"]),
        weight=float(row["weight"]),
        baseline=row["baseline"],
        baseline_period=row["baseline_period"],
        **_stored(row),
    )


def _objective(row: Mapping[str, Any]) -> Objective:
    return Objective(
        name=row["name"],
        description=row["description"],
        owner=row["owner"],
        due_date=row["due_date"],
        kpis=tuple(json.loads(row["kpis"] or "[]")),
        **_stored(row),
    )


def _initiative(row: Mapping[str, Any]) -> Initiative:
    return Initiative(
        objective_id=row["objective_id"],
        name=row["name"],
        owner=row["owner"],
        status=row["status"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        **_stored(row),
    )


TARGETS = RecordKind(
    "target",
    targets_table,
    ("goal", "due_period", "band_mode", "green", "amber", "weight", "trajectory"),
    _target_columns,
    _target,
)
OBJECTIVES = RecordKind(
    "objective",
    objectives_table,
    ("name", "description", "owner", "due_date", "kpis"),
    _objective_columns,
    _objective,
)
INITIATIVES = RecordKind(
    "initiative",
    initiatives_table,
    ("name", "owner", "status", "start_date", "end_date"),
    _initiative_columns,
    _initiative,
)
