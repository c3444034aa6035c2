"""Key drivers of one outcome: each candidate feature's share of the explained variation, with intervals.

:func:`key_drivers` takes a table with one row per answer (NPS, CSAT) or per customer (churn)
and the candidate features (:class:`Feature`), encodes them (one column per number, the levels
of a category as indicator columns, a "missing" flag beside a number with gaps: each feature one
group), and decomposes the model's fit among them by general dominance
(:mod:`bsc.drivers.dominance`): :math:`R^2` of least squares for NPS and CSAT scores,
McFadden's pseudo-:math:`R^2` of a logistic regression for churn.

Honesty rules:

- Bootstrap 95 % percentile intervals from :data:`RESAMPLES` resamples with a fixed seed.
- At most :data:`MAX_ROWS` rows (:data:`MAX_CUSTOMERS` for churn) are used, drawn at random with
  the same seed, so that the page answers in seconds: the intervals are then those of that many
  rows, a little wider than the full data would give.
- A driver is *within noise* when its interval reaches down to what a feature without any
  effect reaches 5 % of the time (:func:`bsc.drivers.dominance.null_importance`).
- At most :data:`MAX_FEATURES` features (:data:`MAX_CHURN_FEATURES` for churn): beyond, those
  that explain most on their own are kept and the rest listed in ``left_out``.
- *Performance* is a rating's mean on its own scale, 0 = the lowest answer, 100 = the highest;
  features that are not ratings (times, categories, amounts) have none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from bsc.drivers.dominance import (
    bootstrap_weights,
    linear_subset_fits,
    logistic_subset_fits,
    null_importance,
    null_log_likelihood,
    shapley_values,
)
from bsc.errors import InputError
from bsc.result_files import keep_type

__all__ = [
    "MAX_CUSTOMERS",
    "MAX_FEATURES",
    "MAX_ROWS",
    "RESAMPLES",
    "TARGETS",
    "Driver",
    "DriverAnalysis",
    "Feature",
    "key_drivers",
]

Target = Literal["nps", "csat", "churn"]
TARGETS: dict[str, str] = {"nps": "NPS score (0–10)", "csat": "CSAT (1–5)", "churn": "Churn"}
RESAMPLES = 200
SEED = 20260101
MAX_ROWS = 50_000
MAX_CUSTOMERS = 3_000
MAX_FEATURES = 12
MAX_CHURN_FEATURES = 8
# A category keeps its most frequent levels as indicator columns; the rest share one baseline.
MAX_LEVELS = 8
# Fewer rows than this and no analysis is made: the intervals would span everything.
MIN_ROWS = 50


@dataclass(frozen=True)
class Feature:
    """A candidate driver: a column of the table, how to encode it and how to show it.

    ``kind`` is ``"rating"`` (a survey rating on ``scale``, with a performance), ``"number"``
    (a time, an amount: no performance) or ``"category"`` (levels as indicator columns). A
    number's gaps are filled with its mean and, when ``flag_missing``, flagged in a column of
    its own in the feature's group; without, another feature carries the gaps (a customer's
    mean ratings share one "answered no survey" feature).
    """

    column: str
    label: str
    kind: Literal["rating", "number", "category"]
    scale: tuple[float, float] | None = None
    source: str = ""
    flag_missing: bool = True


@keep_type
@dataclass(frozen=True)
class Driver:
    """One feature's importance: its Shapley share of the fit, interval and noise level.

    ``importance`` is in units of the fit (:math:`R^2` or McFadden's :math:`R^2`), ``share`` the
    part of the full model's fit (importances add up to it); ``performance`` 0–100 or None.
    """

    feature: str
    label: str
    kind: str
    importance: float
    ci_low: float
    ci_high: float
    null_level: float
    performance: float | None
    share: float
    source: str = ""

    @property
    def within_noise(self) -> bool:
        """The interval reaches down to what a feature without effect reaches 5 % of the time."""
        return not (self.ci_low > self.null_level)

    def as_dict(self) -> dict:
        return {
            "feature": self.label,
            "importance": self.importance,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "performance": self.performance,
            "share": self.share,
            "within_noise": self.within_noise,
            "null_level": self.null_level,
            "column": self.feature,
        }


@keep_type
@dataclass(frozen=True)
class DriverAnalysis:
    """Key drivers of ``target`` for one group of rows (``segment`` None: all of them)."""

    target: str
    measure: str
    r2: float
    r2_low: float
    r2_high: float
    rows: int
    rows_used: int
    resamples: int
    drivers: tuple[Driver, ...]
    segment: str | None = None
    left_out: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        return {
            "target": self.target,
            "measure": self.measure,
            "r2": self.r2,
            "r2_ci_low": self.r2_low,
            "r2_ci_high": self.r2_high,
            "segment": self.segment,
            "rows": self.rows,
            "rows_used": self.rows_used,
            "resamples": self.resamples,
            "left_out": list(self.left_out),
            "notes": list(self.notes),
            "drivers": [d.as_dict() for d in self.drivers],
        }


@dataclass(frozen=True)
class _Encoded:
    columns: list[np.ndarray]
    groups: list[list[int]]
    features: list[Feature]


def _encode(frame: pd.DataFrame, features: Sequence[Feature]) -> _Encoded:
    """Standardised numeric columns, one group per feature; features without spread are dropped."""
    columns: list[np.ndarray] = []
    groups: list[list[int]] = []
    kept: list[Feature] = []
    for feature in features:
        values = frame[feature.column]
        block: list[np.ndarray] = []
        if feature.kind == "category":
            text = values.astype("string").fillna("(blank)")
            levels = text.value_counts().index[: MAX_LEVELS + 1]
            # The most frequent level is the baseline; the others become indicator columns.
            block = [(text == level).to_numpy(dtype=float) for level in levels[1:]]
        else:
            numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
            missing = np.isnan(numbers)
            if missing.all():
                continue
            block = [np.where(missing, np.nanmean(numbers), numbers)]
            if missing.any() and feature.flag_missing:
                block.append(missing.astype(float))
        block = [column for column in block if column.std() > 0]
        if not block:
            continue
        start = len(columns)
        columns.extend((column - column.mean()) / column.std() for column in block)
        groups.append(list(range(start, len(columns))))
        kept.append(feature)
    return _Encoded(columns, groups, kept)


def _performance(frame: pd.DataFrame, feature: Feature) -> float | None:
    if feature.kind != "rating" or feature.scale is None:
        return None
    low, high = feature.scale
    mean = pd.to_numeric(frame[feature.column], errors="coerce").mean()
    if high <= low or pd.isna(mean):
        return None
    return float(np.clip(100.0 * (mean - low) / (high - low), 0.0, 100.0))


def _outcome(frame: pd.DataFrame, target: str) -> pd.Series:
    values = frame[target]
    if target == "churn":
        return values.astype("boolean").astype(float)
    return pd.to_numeric(values, errors="coerce")


def key_drivers(
    frame: pd.DataFrame,
    target: Target,
    features: Sequence[Feature],
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    max_rows: int | None = None,
    max_features: int | None = None,
    segment: str | None = None,
) -> DriverAnalysis:
    """The key drivers of ``target`` (a column of ``frame``) among ``features``.

    Rows without an outcome are left out. The drivers come back largest importance first.

    Raises
    ------
    InputError
        When the target is unknown or missing, fewer than :data:`MIN_ROWS` rows have it, the
        outcome does not vary, or no feature varies.
    """
    if target not in TARGETS:
        raise InputError(f"Unknown target {target!r}: choose one of {', '.join(TARGETS)}.")
    if target not in frame.columns:
        raise InputError(f"These tables have no {TARGETS[target]} to explain.")
    logistic = target == "churn"
    limit = max_rows or (MAX_CUSTOMERS if logistic else MAX_ROWS)
    most = max_features or (MAX_CHURN_FEATURES if logistic else MAX_FEATURES)
    y_all = _outcome(frame, target)
    frame = frame[y_all.notna()]
    rows = len(frame)
    if rows < MIN_ROWS:
        raise InputError(
            f"Only {rows} rows have a {TARGETS[target]}: at least {MIN_ROWS} are needed to tell drivers from noise."
        )
    rng = np.random.default_rng(seed)
    if rows > limit:
        frame = frame.iloc[np.sort(rng.choice(rows, limit, replace=False))]
    y = _outcome(frame, target).to_numpy(dtype=float)
    if np.ptp(y) == 0:
        raise InputError(f"Every row has the same {TARGETS[target]}: there is nothing to explain.")
    encoded = _encode(frame, features)
    if not encoded.groups:
        raise InputError("None of the candidate drivers varies in these rows.")
    X = np.column_stack(encoded.columns)
    with threadpool_limits(limits=1):
        chosen, left_out = _choose(X, y, encoded, most, logistic)
    groups = [encoded.groups[j] for j in chosen]
    used = [encoded.features[j] for j in chosen]
    # Re-index the kept groups' columns.
    order = [c for g in groups for c in g]
    X = X[:, order]
    positions = iter(range(len(order)))
    groups = [[next(positions) for _ in g] for g in groups]

    fit = logistic_subset_fits if logistic else linear_subset_fits
    # Thousands of small products: one BLAS thread does them faster than two contending ones,
    # and leaves the other core to the other sessions.
    with threadpool_limits(limits=1):
        plain = fit(X, y, groups, np.ones((1, len(y))))
        weights = bootstrap_weights(len(y), resamples, rng)
        boot = fit(X, y, groups, weights)
    point = shapley_values(plain)[0]
    spread = shapley_values(boot)
    low, high = np.percentile(spread, [2.5, 97.5], axis=0)
    r2 = float(plain[0, -1])
    r2_low, r2_high = (float(v) for v in np.percentile(boot[:, -1], [2.5, 97.5]))
    scale = float(-null_log_likelihood(y, np.ones((1, len(y))))[0]) if logistic else 1.0 - r2
    drivers = [
        Driver(
            feature=feature.column,
            label=feature.label,
            kind=feature.kind,
            importance=float(point[j]),
            ci_low=float(low[j]),
            ci_high=float(high[j]),
            null_level=null_importance(len(groups[j]), len(y), X.shape[1], logistic=logistic, scale=scale),
            performance=_performance(frame, feature),
            share=float(point[j] / r2) if r2 > 0 else math.nan,
            source=feature.source,
        )
        for j, feature in enumerate(used)
    ]
    drivers.sort(key=lambda d: -d.importance)
    notes = []
    if rows > limit:
        notes.append(
            f"Computed on {limit:,} of {rows:,} rows drawn at random: the intervals are those of "
            f"{limit:,} rows, a little wider than all rows would give."
        )
    return DriverAnalysis(
        target=target,
        measure="McFadden's pseudo-R²" if logistic else "R²",
        r2=r2,
        r2_low=r2_low,
        r2_high=r2_high,
        rows=rows,
        rows_used=len(y),
        resamples=resamples,
        drivers=tuple(drivers),
        segment=segment,
        left_out=tuple(encoded.features[j].label for j in left_out),
        notes=tuple(notes),
    )


def _choose(
    X: np.ndarray, y: np.ndarray, encoded: _Encoded, most: int, logistic: bool
) -> tuple[list[int], list[int]]:
    """The features kept (at most ``most``, those that explain most alone) and those left out."""
    count = len(encoded.groups)
    if count <= most:
        return list(range(count)), []
    fit = logistic_subset_fits if logistic else linear_subset_fits
    alone = [
        float(fit(X[:, g], y, [list(range(len(g)))], np.ones((1, len(y))))[0, 1]) for g in encoded.groups
    ]
    ranked = sorted(range(count), key=lambda j: -alone[j])
    return sorted(ranked[:most]), sorted(ranked[most:])


def drivers_by_segment(
    frame: pd.DataFrame,
    target: Target,
    features: Sequence[Feature],
    by: str,
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    most_segments: int = 8,
) -> list[DriverAnalysis]:
    """:func:`key_drivers` within each level of column ``by`` (the largest ``most_segments``
    levels with at least :data:`MIN_ROWS` outcomes), ``by`` itself no longer a candidate.

    A segment whose outcome does not vary, or whose features do not, is left out."""
    if by not in frame.columns:
        raise InputError(f"These rows cannot be split by {by!r}.")
    others = [f for f in features if f.column != by]
    levels = frame[by].astype("string").value_counts()
    analyses = []
    for level, count in levels.head(most_segments).items():
        if count < MIN_ROWS:
            continue
        try:
            analyses.append(
                key_drivers(
                    frame[frame[by].astype("string") == level],
                    target,
                    others,
                    resamples=resamples,
                    seed=seed,
                    segment=str(level),
                )
            )
        except InputError:
            continue
    return analyses
