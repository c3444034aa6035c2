"""A churn analysis as the Churn lab draws it: figures, drivers, curves and customers, kept as data.

:class:`~bsc.churn.analysis.ChurnAnalysis` holds fitted scikit-learn pipelines, which can only be
kept by pickling them. :class:`ChurnLabResult` holds what the lab shows of one analysis (the
verdict and its scores, the drivers, the evaluation curves, the scored customers and the riskiest
of them with their reasons, and the decision taken on every column), made of plain values and
tables only, so that it can be kept on disk with the workspace's results
(:mod:`bsc.result_files`) and shared by every session.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bsc.churn.analysis import ChurnAnalysis
from bsc.churn.decisions import at_risk_customers, scored_customers
from bsc.churn.evaluation import calibration_points, gains_points, roc_points
from bsc.churn.model import ModelScores
from bsc.result_files import keep_type

__all__ = ["LISTED", "ChurnLabResult", "churn_lab_result"]

# The most customers the lab lists to call (with their reasons); the list shown is its head.
LISTED = 1000


@keep_type
@dataclass(frozen=True)
class ChurnLabResult:
    """What the Churn lab shows of one analysis (see :class:`ChurnAnalysis` for each figure).

    Attributes
    ----------
    definition, dated, cutoff, horizon_days
        The churn definition in words, whether it is dated, its cutoff and window.
    scores_current
        True when the customers to call are those active at the end of the data (a dated
        definition), False when they are the customers not churned, scored out of fold.
    warnings
        The guards' messages, except "too good to be true", which is ``too_good``.
    scores, model_scores, chosen, balanced
        The chosen model's cross-validated scores, both models' scores, the chosen model's
        name, and whether churners and stayers were weighed equally.
    groups
        How many sources of columns the model saw (the drivers by source are drawn when > 1).
    drivers, group_drivers, within_noise
        Columns and sources that drive churn (with a ``name`` column for the columns), and the
        labels of the columns within the noise.
    coefficients
        The logistic regression's terms: ``Term``, ``coefficient``, ``odds_ratio``.
    roc, calibration, gains
        The evaluation curves of the out-of-fold probabilities.
    probability
        Column ``churn_probability``: every customer to act on (empty without a usable signal).
    at_risk
        The :data:`LISTED` riskiest of them with their reasons (:func:`at_risk_customers`).
    columns
        One row per column: ``column``, ``label``, ``type``, ``used``, ``single_auc`` (NaN when not
        measured), ``reason``.
    """

    definition: str
    dated: bool
    cutoff: pd.Timestamp | None
    horizon_days: int | None
    scores_current: bool
    n: int
    positives: int
    warnings: tuple[str, ...]
    has_signal: bool
    small_sample: bool
    verdict: str
    too_good: str | None
    choice: str
    auc_interval: tuple[float, float]
    scores: ModelScores
    model_scores: dict[str, ModelScores]
    chosen: str
    balanced: bool
    groups: int
    drivers: pd.DataFrame
    group_drivers: pd.DataFrame
    within_noise: tuple[str, ...]
    coefficients: pd.DataFrame
    roc: pd.DataFrame
    calibration: pd.DataFrame
    gains: pd.DataFrame
    probability: pd.DataFrame
    at_risk: pd.DataFrame
    columns: pd.DataFrame


def churn_lab_result(analysis: ChurnAnalysis, *, listed: int = LISTED) -> ChurnLabResult:
    """What the Churn lab shows of ``analysis``, with the ``listed`` riskiest customers."""
    data, plan, model = analysis.data, analysis.plan, analysis.model
    truth = data.churned.to_numpy(dtype=bool)
    out_of_fold = analysis.out_of_fold
    if analysis.has_signal:
        _, probability = scored_customers(analysis)
        at_risk = at_risk_customers(analysis, top=listed)
    else:
        # No list without a signal: calling the "riskiest" would be calling at random.
        probability = np.array([], dtype="float64")
        at_risk = pd.DataFrame({"customer": pd.Series(dtype="string"), "churn_probability": []})
    coefficients = model.coefficients_.copy()
    coefficients["Term"] = [
        f"{plan.label(column)}{term[len(column) :]}"
        for term, column in zip(coefficients["term"], coefficients["column"], strict=True)
    ]
    decisions = plan.decisions
    definition = data.definition
    return ChurnLabResult(
        definition=definition.text,
        dated=bool(definition.dated),
        cutoff=None if definition.cutoff is None else pd.Timestamp(definition.cutoff),
        horizon_days=None if definition.horizon_days is None else int(definition.horizon_days),
        scores_current=data.current is not None,
        n=int(analysis.n),
        positives=int(analysis.positives),
        warnings=tuple(w.message for w in analysis.warnings if w.kind != "too_good"),
        has_signal=bool(analysis.has_signal),
        small_sample=bool(analysis.small_sample),
        verdict=analysis.verdict,
        too_good=analysis.too_good.message if analysis.too_good else None,
        choice=analysis.choice,
        auc_interval=tuple(float(bound) for bound in analysis.auc_interval),
        scores=analysis.scores,
        model_scores=dict(model.scores_),
        chosen=str(model.chosen_),
        balanced=bool(model.class_weight_),
        groups=len(model.group_importance_),
        drivers=analysis.drivers.assign(name=lambda f: f["column"].map(plan.label)).reset_index(drop=True),
        group_drivers=analysis.group_drivers.reset_index(drop=True),
        within_noise=tuple(plan.label(column) for column in analysis.within_noise),
        coefficients=coefficients[["Term", "coefficient", "odds_ratio"]].reset_index(drop=True),
        roc=roc_points(truth, out_of_fold),
        calibration=calibration_points(truth, out_of_fold),
        gains=gains_points(truth, out_of_fold),
        probability=pd.DataFrame({"churn_probability": np.asarray(probability, dtype="float64")}),
        at_risk=at_risk,
        columns=pd.DataFrame(
            {
                "column": [d.column for d in decisions],
                "label": [plan.label(d.column) for d in decisions],
                "type": [str(d.type) for d in decisions],
                "used": [bool(d.used) for d in decisions],
                "single_auc": [np.nan if d.single_auc is None else float(d.single_auc) for d in decisions],
                "reason": [d.reason for d in decisions],
            }
        ),
    )
