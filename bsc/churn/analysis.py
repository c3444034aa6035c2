"""The analysis: the feature plan, the fitted models and the guards, with the answer in words.

:func:`analyse_churn` plans the features (:mod:`bsc.churn.feature_plan`), cross-validates both
models (:class:`~bsc.churn.model.ChurnModel`) and adds the guards: too few customers, churners
or stayers for figures to rely on (:data:`SMALL_SAMPLE`), no usable signal
(:attr:`ChurnAnalysis.has_signal`), a model too good to be true (:data:`TOO_GOOD_AUC`, naming
the column that carries it), and drivers within the noise (:attr:`ChurnAnalysis.drivers`).
Beyond :data:`TRAINING_SAMPLE` labelled customers it learns from a stratified sample of that
many (:func:`stratified_sample`) and says so in a warning. It computes every time: the app keeps the analyses it shows
(``ui/churn_results.py``), keyed by :meth:`~bsc.churn.labels.ChurnData.fingerprint` and the
parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from bsc.churn.evaluation import auc_standard_error
from bsc.churn.feature_plan import FeaturePlan, plan_features
from bsc.churn.labels import ChurnData, stratified_rows
from bsc.churn.model import MODEL_LABELS, ChurnModel, ModelChoice, ModelScores, Progress
from bsc.errors import InputError

__all__ = [
    "SMALL_SAMPLE",
    "TOO_GOOD_AUC",
    "TRAINING_SAMPLE",
    "USEFUL_AUC",
    "ChurnAnalysis",
    "ChurnWarning",
    "analyse_churn",
    "stratified_sample",
]

# At most this many labelled customers are learnt from. Five-fold cross-validation of both models
# and the permutation importance on all 1M customers of the 10M-order company took minutes on
# two cores and blocked the Scorecard's other extras behind it. On 100,000 customers the AUC's
# standard error (Hanley & McNeil, at an AUC of 0.8) is 0.0014 at a churn rate of 50% and 0.0027
# at 10%, far below the gaps the page reads.
TRAINING_SAMPLE = 100_000

# Fewer customers, churners or stayers than this: results are shown as rough ranges.
SMALL_SAMPLE = 50
# A model whose cross-validated AUC is below this has no usable signal, however significant.
USEFUL_AUC = 0.55
# A model above this is too good to be true: churn models on what is known before customers leave
# reach 0.74-0.87 on the real telco, IBM telco and bank tables; 0.98 came from a churn score
# recorded with the outcome.
TOO_GOOD_AUC = 0.95

WarningKind = Literal["small_sample", "few_churners", "rows_left_out", "too_good", "sampled"]


@dataclass(frozen=True)
class ChurnWarning:
    """A guard that fired, in words, with the column it is about (if any).

    Attributes
    ----------
    kind : {"small_sample", "few_churners", "rows_left_out", "too_good", "sampled"}
    message : str
        What to know, for a workshop facilitator.
    feature : str or None
        The column the warning is about (for ``too_good``: the one carrying the model).
    """

    kind: WarningKind
    message: str
    feature: str | None = None

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        return {"kind": self.kind, "message": self.message, "feature": self.feature}


@dataclass(frozen=True)
class ChurnAnalysis:
    """A finished analysis: the data, the feature plan, the fitted models and the guards.

    Attributes
    ----------
    data : ChurnData
    plan : FeaturePlan
    model : ChurnModel
        Fitted (see its attributes for scores, importance and coefficients).
    warnings : tuple of ChurnWarning
        Guards that fired (small sample, rows left out, too good to be true).
    """

    data: ChurnData
    plan: FeaturePlan
    model: ChurnModel
    warnings: tuple[ChurnWarning, ...] = ()

    @property
    def n(self) -> int:
        return len(self.data.churned)

    @property
    def positives(self) -> int:
        return int(self.data.churned.sum())

    @property
    def scores(self) -> ModelScores:
        """Cross-validated scores of the chosen model."""
        return self.model.scores_[self.model.chosen_]

    @property
    def small_sample(self) -> bool:
        """Fewer than :data:`SMALL_SAMPLE` customers, churners or stayers: numbers are rough."""
        return min(self.n, self.positives, self.n - self.positives) < SMALL_SAMPLE

    @property
    def auc_interval(self) -> tuple[float, float]:
        """A 95 % interval of the chosen model's AUC: mean ± 1.96 × the Hanley–McNeil standard
        error, widened to mean ± 2 × the fold spread when that is larger; clipped to 0–1."""
        auc = self.scores.roc_auc
        error = auc_standard_error(auc, self.positives, self.n - self.positives)
        half = max(1.96 * error, 2 * np.nan_to_num(self.scores.roc_auc_std))
        return max(0.0, auc - half), min(1.0, auc + half)

    @property
    def has_signal(self) -> bool:
        """True when the chosen model beats chance usefully: AUC ≥ 0.55 and the interval above 0.5."""
        low, _ = self.auc_interval
        return self.scores.roc_auc >= USEFUL_AUC and low > 0.5

    @property
    def verdict(self) -> str:
        """The answer in one or two sentences."""
        scores = self.scores
        name = MODEL_LABELS[self.model.chosen_]
        low, high = self.auc_interval
        if not self.has_signal:
            return (
                f"The model found no usable signal: its cross-validated ROC AUC is {scores.roc_auc:.2f} "
                f"(plausibly {low:.2f} to {high:.2f}), where 0.5 is a coin toss. These columns do not tell "
                "churners from stayers; do not act on the scores below."
            )
        if self.small_sample:
            return (
                f"{name} seems to find some signal, but with {self.positives} churners among {self.n} customers "
                f"how well it ranks churners (its ROC AUC) can only be placed roughly between {low:.2f} and {high:.2f}. Treat what follows "
                "as a first look, not a basis for decisions."
            )
        suspect = (
            f" That is too good to be true: “{self.plan.label(self.too_good.feature)}” probably records the outcome."
            if self.too_good and self.too_good.feature
            else ""
        )
        return (
            f"{name} ranks a random churner above a random stayer {scores.roc_auc:.0%} of the time "
            f"(cross-validated ROC AUC {scores.roc_auc:.2f} ± {scores.roc_auc_std:.2f} over folds; 0.5 is a "
            f"coin toss).{suspect}"
        )

    @property
    def choice(self) -> str:
        """Which model is used and by how much it beat the other."""
        chosen, margin = self.model.chosen_, self.model.margin_
        other = "gbm" if chosen == "logreg" else "logreg"
        spread = self.model.margin_std_
        spread_text = f" (fold-to-fold spread of the difference {spread:.3f})" if np.isfinite(spread) else ""
        within = np.isfinite(spread) and abs(margin) <= spread
        noise = "; the difference is within the noise" if within else ""
        if self.model.model == "auto":
            return (
                f"{MODEL_LABELS[chosen]} is used: it ranks churners better than "
                f"{MODEL_LABELS[other].lower()} does, by {margin:.3f} (cross-validated ROC AUC){spread_text}{noise}."
            )
        comparison = "better" if margin >= 0 else "worse"
        return (
            f"{MODEL_LABELS[chosen]} is used, as chosen: it ranks churners {comparison} than "
            f"{MODEL_LABELS[other].lower()} does, by {abs(margin):.3f} (cross-validated ROC AUC)"
            f"{spread_text}{noise}."
        )

    @property
    def too_good(self) -> ChurnWarning | None:
        """The "too good to be true" warning, when it fired."""
        return next((w for w in self.warnings if w.kind == "too_good"), None)

    @property
    def drivers(self) -> pd.DataFrame:
        """The columns that really drive the model: permutation importance whose 95 % interval over
        folds lies above 0 (see :func:`bsc.churn.evaluation.importance_interval`), most important
        first. Where the interval cannot be measured, a positive importance counts."""
        return _real(self.model.importance_)

    @property
    def within_noise(self) -> list[str]:
        """Columns the model saw whose importance is within the noise (interval including 0)."""
        real = set(self.drivers["column"])
        return [c for c in self.model.importance_["column"] if c not in real]

    @property
    def group_drivers(self) -> pd.DataFrame:
        """The groups of columns (where the data comes from) that really drive the model."""
        return _real(self.model.group_importance_)

    @property
    def out_of_fold(self) -> np.ndarray:
        """Out-of-fold churn probabilities of the chosen model, aligned with ``data.churned``."""
        return self.model.oof_probability_[self.model.chosen_]

    def summary(self, top: int = 10) -> dict:
        """The figures of the analysis as plain values (the CLI's JSON)."""
        scores = self.scores
        return {
            "target": self.data.definition.column or self.data.definition.source,
            "definition": self.data.definition.text,
            "n": int(self.n),
            "positives": int(self.positives),
            "model": self.model.chosen_,
            "roc_auc": round(float(scores.roc_auc), 4),
            "roc_auc_std": round(float(scores.roc_auc_std), 4),
            "pr_auc": round(float(scores.pr_auc), 4),
            "brier": round(float(scores.brier), 4),
            "signal": bool(self.has_signal),
            "warnings": [w.as_dict() for w in self.warnings],
            "excluded": [{"column": d.column, "reason": d.reason} for d in self.plan.excluded],
            "top_features": list(self.drivers["column"].head(top)),
            "features_within_noise": self.within_noise,
        }


def _real(importance: pd.DataFrame) -> pd.DataFrame:
    low = importance["importance_low"]
    real = low > 0 if low.notna().all() else importance["importance"] > 0
    return importance[real].reset_index(drop=True)


def analyse_churn(
    data: ChurnData,
    *,
    model: ModelChoice = "auto",
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    folds: int = 5,
    random_state: int = 0,
    n_jobs: int | None = 1,
    progress: Progress | None = None,
    max_customers: int | None = TRAINING_SAMPLE,
) -> ChurnAnalysis:
    """Plan the features, cross-validate both models and fit the chosen one.

    With more than ``max_customers`` labelled customers (None: no bound) the plan and the models
    learn from a stratified sample of ``max_customers`` of them (:func:`stratified_sample`,
    seeded with ``random_state``); the analysis's :attr:`~ChurnAnalysis.data` is that sample, its
    ``current`` customers (those scored for the next period) are all kept, and a ``sampled``
    warning states the sample's size. Data already prepared as such a sample
    (``churn_data_from_workspace(..., sample=max_customers)``, drawn with the same seed) gives
    the same analysis, with the same warning.

    Every call computes: nothing is kept here. Equal :meth:`ChurnData.fingerprint` and
    parameters give an equal analysis, so a caller may keep results under that key.

    Raises
    ------
    InputError
        With fewer than :data:`MIN_CLASS_FOR_CV` churners or stayers, when no column is left,
        or for an unknown model.
    """
    if model not in ("auto", "logreg", "gbm"):
        raise InputError(f"Unknown model {model!r}; choose logreg, gbm or auto.")
    include, exclude = tuple(sorted(set(include))), tuple(sorted(set(exclude)))
    report = progress or (lambda fraction, message: None)
    report(0.0, "Reading the columns")
    unknown = [c for c in (*include, *exclude) if c not in data.customers.columns]
    if unknown:
        raise InputError(f"There is no column {', '.join(map(repr, unknown))} to include or exclude.")
    # Data prepared as a sample (ChurnData.population) was drawn as stratified_sample draws.
    whole = data.labelled
    if max_customers is not None and len(data.churned) > max_customers:
        data = stratified_sample(data, max_customers, random_state)
    y = data.churned.to_numpy(dtype=bool)
    plan = plan_features(
        data.customers,
        data.churned,
        label_columns=data.label_columns,
        reference_date=data.reference_date,
        include=include,
        exclude=exclude,
        labels=data.labels,
        notes=data.notes,
        skewed=data.skewed,
        groups=data.groups,
        random_state=random_state,
    )
    X = plan.features(data.customers)
    fitted = ChurnModel(
        model,
        plan.numbers,
        plan.categories,
        skewed=sorted(plan.skewed),
        groups=plan.groups or None,
        folds=folds,
        random_state=random_state,
        n_jobs=n_jobs,
    ).fit(X, y, progress=lambda f, m: report(0.05 + 0.95 * f, m))
    warnings = _warnings(data, y)
    if len(y) < whole:
        warnings.insert(
            0,
            ChurnWarning(
                "sampled",
                f"Learnt from a stratified sample of {len(y):,} of the {whole:,} labelled customers "
                "(churners and stayers in their overall proportions); scores and drivers are "
                "measured on that sample.",
            ),
        )
    too_good = _too_good(plan, fitted)
    if too_good is not None:
        warnings.insert(0, too_good)
    return ChurnAnalysis(data, plan, fitted, tuple(warnings))


def stratified_sample(data: ChurnData, size: int, random_state: int = 0) -> ChurnData:
    """``data`` with ``size`` of its labelled customers drawn at random (seeded), churners and
    stayers in their proportions in ``data`` (each class's count rounded, at least one of each
    class present); rows keep their order. ``current`` and everything else are kept."""
    rows = stratified_rows(data.churned.to_numpy(dtype=bool), size, random_state)
    return replace(
        data,
        customers=data.customers.iloc[rows].reset_index(drop=True),
        churned=data.churned.iloc[rows].reset_index(drop=True),
        population=data.labelled,
    )


def _warnings(data: ChurnData, y: np.ndarray) -> list[ChurnWarning]:
    warnings: list[ChurnWarning] = []
    positives, n = int(y.sum()), len(y)
    if n < SMALL_SAMPLE:
        warnings.append(
            ChurnWarning(
                "small_sample",
                f"Only {n} customers: at least {SMALL_SAMPLE} are needed for figures you can rely on; "
                "scores are shown as rough ranges.",
            )
        )
    if min(positives, n - positives) < SMALL_SAMPLE:
        who = "churners" if positives <= n - positives else "stayers"
        warnings.append(
            ChurnWarning(
                "few_churners",
                f"Only {min(positives, n - positives)} {who}: with fewer than {SMALL_SAMPLE} the model's scores "
                "swing from one sample to the next; treat them as rough.",
            )
        )
    if data.left_out:
        warnings.append(
            ChurnWarning(
                "rows_left_out", f"{data.left_out:,} rows had no readable churn value and were left out."
            )
        )
    return warnings


def _too_good(plan: FeaturePlan, model: ChurnModel) -> ChurnWarning | None:
    """Warn when the chosen model's cross-validated AUC passes :data:`TOO_GOOD_AUC`, naming the
    column whose shuffling lowers it most (the one that carries the model)."""
    auc = model.scores_[model.chosen_].roc_auc
    if not auc > TOO_GOOD_AUC:
        return None
    top = model.importance_.iloc[0]
    column = str(top["column"])
    single = plan.decision(column).single_auc
    alone = f", and on its own it reaches an AUC of {single:.2f}" if single is not None else ""
    return ChurnWarning(
        "too_good",
        f"Too good to be true: the model ranks churners almost perfectly (cross-validated ROC AUC {auc:.2f}, "
        f"above {TOO_GOOD_AUC:.2f}). "
        f"Churn is rarely this predictable from what is known before customers leave. "
        f"“{plan.label(column)}” carries it: shuffling it lowers that score by {top['importance']:.2f}{alone}. "
        "It was probably recorded after the customer left, or computed from the label: leave it out unless "
        "you are sure it is known before a customer leaves.",
        column,
    )
