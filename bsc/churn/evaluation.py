"""How good a churn model is, and which columns matter, measured on customers it did not see.

Curves from out-of-fold probabilities (:func:`roc_points`, :func:`calibration_points`,
:func:`gains_points`), the standard error of an AUC (:func:`auc_standard_error`, Hanley and
McNeil [1]_), and permutation importance on each fold's held-out customers
(:func:`fold_permutation_importance`).

References
----------
.. [1] J. A. Hanley and B. J. McNeil, "The meaning and use of the area under a receiver
   operating characteristic (ROC) curve", Radiology 143 (1), 29–36, 1982.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.pipeline import Pipeline

__all__ = [
    "IMPORTANCE_ROWS",
    "MIN_CLASS_FOR_CV",
    "auc_standard_error",
    "calibration_points",
    "fold_permutation_importance",
    "gains_points",
    "roc_points",
    "thin_positions",
]

# Fewer churners or stayers than this: no model can be tested at all.
MIN_CLASS_FOR_CV = 5

# Held-out customers (in all) on which permutation importance is measured.
IMPORTANCE_ROWS = 4000


def roc_points(churned: np.ndarray, probability: np.ndarray, *, points: int = 200) -> pd.DataFrame:
    """The ROC curve: ``false_positive_rate`` and ``true_positive_rate`` (0–1), thinned to about
    ``points`` points (first and last kept)."""
    fpr, tpr, _ = roc_curve(np.asarray(churned, dtype=bool), probability)
    keep = thin_positions(len(fpr), points)
    return pd.DataFrame({"false_positive_rate": fpr[keep], "true_positive_rate": tpr[keep]})


def calibration_points(churned: np.ndarray, probability: np.ndarray, *, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed churn in ``bins`` groups of equal size (by predicted probability).

    Columns ``predicted`` (mean probability, 0–1), ``observed`` (churners' share) and
    ``customers``. A well-calibrated model has ``observed ≈ predicted``.
    """
    y = np.asarray(churned, dtype=bool)
    order = np.argsort(probability, kind="stable")
    groups = np.array_split(order, min(bins, len(order)))
    return pd.DataFrame(
        {
            "predicted": [float(probability[g].mean()) for g in groups],
            "observed": [float(y[g].mean()) for g in groups],
            "customers": [len(g) for g in groups],
        }
    )


def gains_points(churned: np.ndarray, probability: np.ndarray, *, points: int = 100) -> pd.DataFrame:
    """Cumulative gains and lift: contact customers from the riskiest down.

    ``contacted`` is the share of customers contacted (0–1), ``churners_reached`` the share
    of all churners among them, ``lift`` = churners_reached ÷ contacted (1 = no better than
    random). Starts at (0, 0).
    """
    y = np.asarray(churned, dtype=bool)
    order = np.argsort(-np.asarray(probability), kind="stable")
    reached = np.concatenate([[0], np.cumsum(y[order])]) / max(1, y.sum())
    contacted = np.arange(len(y) + 1) / len(y)
    keep = thin_positions(len(contacted), points)
    frame = pd.DataFrame({"contacted": contacted[keep], "churners_reached": reached[keep]})
    frame["lift"] = np.where(
        frame["contacted"] > 0,
        frame["churners_reached"] / frame["contacted"].where(frame["contacted"] > 0),
        np.nan,
    )
    return frame


def thin_positions(length: int, points: int) -> np.ndarray:
    """About ``points`` evenly spaced positions of ``0 … length - 1``, the first and last kept."""
    if length <= points:
        return np.arange(length)
    return np.unique(np.linspace(0, length - 1, points).round().astype(int))


def auc_standard_error(auc: float, positives: int, negatives: int) -> float:
    """Standard error of an AUC by Hanley and McNeil [1]_.

    .. math::

        SE = \\sqrt{\\frac{A(1-A) + (n_1 - 1)(Q_1 - A^2) + (n_0 - 1)(Q_2 - A^2)}{n_1 n_0}},
        \\quad Q_1 = \\frac{A}{2 - A}, \\quad Q_2 = \\frac{2A^2}{1 + A}
    """
    q1 = auc / (2 - auc)
    q2 = 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)) / (
        positives * negatives
    )
    return float(np.sqrt(max(variance, 0.0)))


def fold_permutation_importance(
    models: Sequence[Pipeline],
    X: pd.DataFrame,
    y: np.ndarray,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    groups: Mapping[str, str] | None = None,
    rows: int = IMPORTANCE_ROWS,
    random_state: int = 0,
    run: Callable[[Iterable[tuple]], Iterator] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Permutation importance on each fold's held-out customers (a sample of them), averaged.

    A column's (or group's) importance is the ROC AUC of the fold's model on its held-out
    customers minus the AUC after shuffling that column (the group's columns together, with
    one shuffle), averaged over repeats and folds.

    Parameters
    ----------
    models : sequence of Pipeline
        The model fitted on each fold's training customers, in the order of ``splits``.
    X, y : pandas.DataFrame, numpy.ndarray
        The typed features and the label of all customers.
    splits : sequence of (train, test) index arrays
        The folds.
    groups : mapping, optional
        Column -> group name; each group is also shuffled as a whole.
    rows : int
        Held-out customers (in all) on which importance is measured.
    random_state : int
        Seed of the samples and the shuffles.
    run : callable, optional
        Runs ``(function, *args)`` tasks and yields their results in order (the model's
        worker processes); by default one after the other in this process.

    Returns
    -------
    tuple of pandas.DataFrame
        Per column (``column``, ``importance``, ``importance_std`` over folds) and per group
        (``group`` instead of ``column``; empty without ``groups``), sorted by importance.
    """
    run = run or (lambda tasks: (task[0](*task[1:]) for task in tasks))
    columns = list(X.columns)
    grouped: dict[str, list[str]] = {}
    for column in columns:
        grouped.setdefault((groups or {}).get(column, ""), []).append(column)
    grouped.pop("", None)
    units = [[c] for c in columns] + list(grouped.values())
    per_fold = max(50, rows // len(splits))
    samples = []
    for index, (_, test) in enumerate(splits):
        rng = np.random.default_rng([random_state, index])
        chosen = test if len(test) <= per_fold else rng.choice(test, per_fold, replace=False)
        if y[chosen].all() or not y[chosen].any():
            continue
        samples.append((index, X.iloc[chosen].reset_index(drop=True), y[chosen]))
    drops = list(
        run(
            (_permutation_drops, models[index], held_out, truth, units, [random_state, index])
            for index, held_out, truth in samples
        )
    )
    stacked = np.vstack(drops) if drops else np.zeros((1, len(units)))
    mean = stacked.mean(axis=0)
    spread = stacked.std(axis=0, ddof=1) if len(stacked) > 1 else np.full(len(units), np.nan)
    per_column = pd.DataFrame(
        {"column": columns, "importance": mean[: len(columns)], "importance_std": spread[: len(columns)]}
    ).sort_values("importance", ascending=False, ignore_index=True)
    per_group = pd.DataFrame(
        {
            "group": list(grouped),
            "importance": mean[len(columns) :],
            "importance_std": spread[len(columns) :],
        }
    ).sort_values("importance", ascending=False, ignore_index=True)
    return per_column, per_group


def _permutation_drops(
    pipeline: Pipeline, held_out: pd.DataFrame, truth: np.ndarray, units: list[list[str]], seed: list[int]
) -> np.ndarray:
    """The drop in ROC AUC when each unit (a column, or a group of columns together) is shuffled."""
    rng = np.random.default_rng(seed)
    repeats = 5 if len(held_out) < 2000 else 3
    shuffled = []
    for unit in units:
        for _ in range(repeats):
            order = rng.permutation(len(held_out))
            variant = held_out.copy()
            variant[unit] = held_out[unit].iloc[order].to_numpy()
            shuffled.append(variant)
    # One prediction call for every shuffle: far faster than one call per shuffle.
    probability = pipeline.predict_proba(pd.concat([held_out, *shuffled], ignore_index=True))[:, 1]
    baseline = roc_auc_score(truth, probability[: len(held_out)])
    scores = probability[len(held_out) :].reshape(len(units), repeats, len(held_out))
    return np.array([baseline - np.mean([roc_auc_score(truth, s) for s in unit]) for unit in scores])
