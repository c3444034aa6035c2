"""Working out what a raw table is: its kind, the column behind each role, its segments.

Detection looks at column names *and* values. Each role has name patterns (strong and weak) and
a test of its values, kept as data in :mod:`bsc.detect.rules`; so are each table kind's hints.
A column's confidence for a role is

.. math::

    c = v \\times (0.5 + 0.5\\, n)

where :math:`v \\in [0, 1]` is how well the values fit the role and :math:`n` is 1 for a strong
name match, 0.5 for a weak one. Without any name match a role may still be taken from the values
alone (:math:`n = 0`, so :math:`c \\le 0.5`) when its rule allows it: that is how a log without a
header, such as CDNOW's, is recognised as transactions. A role is assigned when :math:`c \\ge 0.35`.

Detection looks at a bounded number of rows: a table longer than :data:`DETECTION_ROWS`
(100,000) is judged on that many rows spread evenly over it (:func:`detection_rows`), and each
column's numbers and dates on :data:`~bsc.detect.values.SAMPLE_SIZE` of its filled cells.

The value parsers used here (numbers written as text, dates in many formats, yes/no flags) are
public, and exported here, because :mod:`bsc.prepare` parses whole columns with them.

The package, one module per idea:

- :mod:`bsc.detect.values`: blanks, numbers and yes/no flags written as text;
- :mod:`bsc.detect.dates`: dates in many formats and Excel day numbers;
- :mod:`bsc.detect.profiles`: what a column's name and values look like, and its value type;
- :mod:`bsc.detect.rules`: the role rules and kind hints, and a column's confidence for a role;
- this module: :func:`detect_mapping`, which assigns the roles of each kind, picks the kind that
  fits best and lists the segments and attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bsc import schema
from bsc.detect.dates import (
    DATE_FORMATS,
    date_formats,
    day_month_ambiguous,
    describe_date_format,
    parse_dates,
)
from bsc.detect.profiles import (
    DETECTION_ROWS,
    ColumnProfile,
    _max_segment_levels,
    detect_value_type,
    detection_rows,
    name_key,
    profile_column,
)
from bsc.detect.rules import (
    _KIND_HINTS,
    _is_churn_outcome,
    _named_like_churn_outcome,
    _role_confidence,
    _role_weight,
    _strong_names,
)
from bsc.detect.values import (
    FALSE_WORDS,
    TRUE_WORDS,
    blank_mask,
    clean_text,
    parse_flags,
    parse_numbers,
    regex_replace,
    spread_sample,
    uses_decimal_comma,
)
from bsc.mapping import TableMapping

__all__ = [
    "DATE_FORMATS",
    "DETECTION_ROWS",
    "FALSE_WORDS",
    "TRUE_WORDS",
    "ColumnProfile",
    "blank_mask",
    "clean_text",
    "date_formats",
    "day_month_ambiguous",
    "describe_date_format",
    "detect_mapping",
    "detect_value_type",
    "detection_rows",
    "name_key",
    "parse_dates",
    "parse_flags",
    "parse_numbers",
    "profile_column",
    "regex_replace",
    "restates_churn",
    "spread_sample",
    "uses_decimal_comma",
]

# The least confidence c (see above) at which a role is assigned.
ASSIGN_THRESHOLD = 0.35


@dataclass(frozen=True)
class _KindFit:
    kind: str
    roles: dict[str, str]
    confidence: dict[str, float]
    required_mean: float
    score: float


def _fit_kind(kind_id: str, profiles: list[ColumnProfile], strong: list[set], name: str) -> _KindFit | None:
    """Assign the roles of one kind greedily by confidence and score the kind (None when none of
    its required role sets can be filled)."""
    kind = schema.kind(kind_id)
    candidates = []
    for p, strong_roles in zip(profiles, strong, strict=True):
        if p.value_type == "empty":
            continue
        for order, role_id in enumerate(kind.role_ids):
            elsewhere = bool(strong_roles) and (kind_id, role_id) not in strong_roles
            confidence = _role_confidence(kind_id, role_id, p, elsewhere)
            if confidence >= ASSIGN_THRESHOLD:
                candidates.append((-confidence, p.position, order, role_id, p))
    roles: dict[str, str] = {}
    confidence: dict[str, float] = {}
    used: set[int] = set()
    for negative, position, _order, role_id, p in sorted(candidates, key=lambda c: c[:3]):
        if role_id in roles or position in used:
            continue
        roles[role_id] = p.column
        confidence[role_id] = -negative
        used.add(position)
    met = [required for required in kind.required_any if all(r in roles for r in required)]
    if not met:
        return None
    required_mean = max(float(np.mean([confidence[r] for r in required])) for required in met)
    score = sum(_role_weight(kind_id, r) * c for r, c in confidence.items())
    hints = _KIND_HINTS[kind_id]
    if any(word in name_key(name) for word in hints.table_words):
        score += 0.5
    if hints.customer_ids and "customer_id" in roles:
        p = next(p for p in profiles if p.column == roles["customer_id"])
        unique = p.unique_ratio >= 0.98
        repeated = p.unique_ratio <= 0.9
        if hints.customer_ids == "unique":
            score += 0.5 if unique else (-1.0 if repeated else 0.0)
        elif hints.customer_ids == "repeated":
            score += 0.25 if repeated else (-0.25 if unique and p.filled >= 20 else 0.0)
    return _KindFit(kind_id, roles, confidence, required_mean, score)


@dataclass(frozen=True)
class _Columns:
    segments: list[str]
    attributes: list[str]
    outcomes: list[str]


def _segments_and_attributes(profiles: list[ColumnProfile], taken: set[str]) -> _Columns:
    """Segments: low-cardinality categorical or yes/no columns (2 to ``_max_segment_levels``
    values) that do not restate churn (those are outcomes, see
    :data:`bsc.detect.rules._CHURN_OUTCOMES`). Attributes: numeric columns with at least two
    values that are not ids."""
    columns = _Columns([], [], [])
    for p in profiles:
        if p.column in taken or p.value_type in ("empty", "date", "id", "text"):
            continue
        if p.value_type in ("category", "flag"):
            if 2 <= p.distinct <= _max_segment_levels(p.rows):
                (columns.outcomes if _is_churn_outcome(p) else columns.segments).append(p.column)
        elif p.value_type == "number" and p.distinct >= 2 and not p.id_named:
            columns.attributes.append(p.column)
    return columns


def restates_churn(frame: pd.DataFrame, column: str) -> bool:
    """True when ``column`` says who churned or why, by its name and (for a status) its values:
    split by it, churn would be 0% or 100% by construction (see
    :data:`bsc.detect.rules._CHURN_OUTCOMES`)."""
    if not _named_like_churn_outcome(name_key(str(column))):
        return False  # as the profile would say, without measuring the column's values
    return _is_churn_outcome(profile_column(detection_rows(frame), list(frame.columns).index(column)))


def detect_mapping(frame: pd.DataFrame, name: str = "") -> TableMapping:
    """Guess a table's kind, the column behind each role, its segments and numeric attributes,
    and the columns that restate churn (``outcomes``, never segments).

    Parameters
    ----------
    frame : pandas.DataFrame
        A raw table (see :mod:`bsc.ingest`); cells may be text or typed.
    name : str
        The table's name; words in it (``orders``, ``survey``, ...) count as weak evidence.

    Returns
    -------
    TableMapping
        ``kind`` is ``"unknown"`` (with no roles) when no kind's required roles can be found.
        ``confidence`` holds each assigned role's confidence; ``kind_confidence`` is the mean
        confidence of the best filled required role set, halved when another kind scores as
        well, i.e. ``mean × min(1, 0.5 + (best - runner_up) / best)``.

    Notes
    -----
    Each kind's roles are assigned greedily, the most confident (column, role) pair first; ties
    go to the leftmost column. A kind scores the weighted sum of its role confidences (customer id
    0.5, date 0.75, a survey score on a customer record 0.25, others 1), plus 0.5 when the
    table's name has a word of the kind, plus 0.5 for a customers table whose ids are unique
    (−1 when they repeat) and 0.25 for a transactions table whose ids repeat (−0.25 when every
    id is unique).
    """
    rows = detection_rows(frame)
    profiles = [profile_column(rows, i) for i in range(rows.shape[1])]
    strong = [_strong_names(p) for p in profiles]
    fits = [fit for kind_id in schema.KINDS if (fit := _fit_kind(kind_id, profiles, strong, name))]
    fits.sort(key=lambda fit: -fit.score)
    if not fits or fits[0].score <= 0:
        columns = _segments_and_attributes(profiles, set())
        return TableMapping(
            kind=schema.UNKNOWN,
            segments=columns.segments,
            attributes=columns.attributes,
            outcomes=columns.outcomes,
        )
    best = fits[0]
    runner_up = fits[1].score if len(fits) > 1 else 0.0
    kind_confidence = best.required_mean * min(1.0, 0.5 + (best.score - max(runner_up, 0.0)) / best.score)
    columns = _segments_and_attributes(profiles, set(best.roles.values()))
    return TableMapping(
        kind=best.kind,
        roles=best.roles,
        segments=columns.segments,
        attributes=columns.attributes,
        outcomes=columns.outcomes,
        confidence=best.confidence,
        kind_confidence=round(kind_confidence, 3),
    )
