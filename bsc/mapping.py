"""How a table's columns map onto the product's roles, and the problems found in a table."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass
class TableMapping:
    """The kind of a table and the column behind each role.

    ``roles`` maps a role id of the kind (see :mod:`bsc.schema`) to a source column name.
    ``segments`` are categorical source columns used as segment attributes, ``attributes``
    numeric source columns kept for segmentation and models. ``outcomes`` are categorical
    source columns that restate churn (churn reason, customer status "Churned"...): kept as text
    for the churn lab, never offered as segments, since split by them churn is 0% or 100% by
    construction. ``confidence`` holds the detector's confidence (0–1) per role,
    ``kind_confidence`` the confidence in ``kind``.
    """

    kind: str
    roles: dict[str, str] = field(default_factory=dict)
    segments: list[str] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)
    confidence: dict[str, float] = field(default_factory=dict)
    kind_confidence: float = 0.0
    outcomes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TableMapping:
        return cls(**json.loads(text))

    def column_role(self, column: str) -> str | None:
        for role, source in self.roles.items():
            if source == column:
                return role
        return None


@dataclass(frozen=True)
class Problem:
    """One problem in a table, with how many rows it touches and a few examples."""

    severity: Severity
    message: str
    rows: int = 0
    examples: tuple[str, ...] = ()
    column: str | None = None

    def to_dict(self) -> dict:
        return {
            "severity": self.severity,
            "message": self.message,
            "rows": self.rows,
            "examples": list(self.examples),
            "column": self.column,
        }
