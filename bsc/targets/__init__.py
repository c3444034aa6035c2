"""Objectives, initiatives and targets of a workspace: stored, version-checked, audited, evaluated.

The package, one module per idea:

- :mod:`bsc.targets.model`: the records, :class:`Target` (with its trajectory),
  :class:`Objective` and :class:`Initiative`;
- :mod:`bsc.targets.statuses`: band limits, the status of a KPI value against its target,
  trajectories for charts, the status of every KPI and segment, the roll-up per component;
- :mod:`bsc.targets.words`: a KPI's standing against its target in words ("behind by 6 pts");
- :mod:`bsc.targets.cells`: reading values people type (numbers, bands, segments, dates);
- :mod:`bsc.targets.files`: targets to and from the import/export layout, CSV and Excel;
- :mod:`bsc.targets.checks`: what a target, objective or initiative must satisfy to be stored;
- :mod:`bsc.targets.rows`: how each kind of record is stored (its table and columns);
- :mod:`bsc.targets.ledger`: the one version-checked, audited insert, update and delete;
- :mod:`bsc.targets.book`: :class:`TargetBook`, the stored book of a workspace.

This module re-exports the public names, so that ``from bsc.targets import Target`` works.
"""

from __future__ import annotations

from bsc.targets.book import ImportSummary, TargetBook
from bsc.targets.files import (
    TARGET_COLUMNS,
    read_targets_file,
    targets_from_frame,
    targets_to_csv,
    targets_to_frame,
    targets_to_xlsx,
)
from bsc.targets.model import INITIATIVE_STATUSES, Initiative, Objective, Target
from bsc.targets.statuses import (
    COMPONENT_NAMES,
    OVERALL,
    STATUS_COLOURS,
    STATUS_LABELS,
    STATUS_SCORES,
    band_limits,
    evaluate,
    judge,
    rollup,
    trajectories,
)
from bsc.targets.words import gap_words, status_words, target_words, tile_words

__all__ = [
    "COMPONENT_NAMES",
    "INITIATIVE_STATUSES",
    "OVERALL",
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "STATUS_SCORES",
    "TARGET_COLUMNS",
    "ImportSummary",
    "Initiative",
    "Objective",
    "Target",
    "TargetBook",
    "band_limits",
    "evaluate",
    "gap_words",
    "judge",
    "read_targets_file",
    "rollup",
    "status_words",
    "target_words",
    "targets_from_frame",
    "targets_to_csv",
    "targets_to_frame",
    "targets_to_xlsx",
    "tile_words",
    "trajectories",
]
