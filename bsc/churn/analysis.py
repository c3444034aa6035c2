"""The analysis: the feature plan, the fitted models and the guards, with the answer in words.

:func:`analyse_churn` plans the features (:mod:`bsc.churn.feature_plan`), cross-validates both
models (:class:`~bsc.churn.model.ChurnModel`) and adds the guards: too few customers, churners
or stayers for figures to rely on (:data:`SMALL_SAMPLE`), and no usable signal
(:attr:`ChurnAnalysis.has_signal`). It computes every time: the app keeps the analyses it shows
(``ui/churn_results.py``), keyed by :meth:`~bsc.churn.labels.ChurnData.fingerprint` and the
parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from bsc.churn.evaluation import auc_standard_error
from bsc.churn.feature_plan import FeaturePlan, plan_features
from bsc.churn.labels import ChurnData
from bsc.churn.model import MODEL_LABELS, ChurnModel, ModelChoice, ModelScores, Progress
from bsc.errors import InputError

__all__ = ["SMALL_SAMPLE", "USEFUL_AUC", "ChurnAnalysis", "analyse_churn"]

# Fewer customers, churners or stayers than this: results are shown as rough ranges.
SMALL_SAMPLE = 50
# A model whose cross-validated AUC is below this has no usable signal, however significant.
USEFUL_AUC = 0.55


@dataclass(frozen=True)
class ChurnAnalysis:
    """A finished analysis: the data, the feature plan, the fitted models and the guards.

    Attributes
    ----------
    data : ChurnData
    plan : FeaturePlan
    model : ChurnModel
        Fitted (see its attributes for scores, importance and coefficients).
    warnings : tuple of str
        Guards that fired (small sample, rows left out...).
    """

    data: ChurnData
    plan: FeaturePlan
    model: ChurnModel
    warnings: tuple[str, ...] = ()

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
                f"its ROC AUC can only be placed roughly between {low:.2f} and {high:.2f}. Treat what follows "
                "as a first look, not a basis for decisions."
            )
        return (
            f"{name} ranks a random churner above a random stayer {scores.roc_auc:.0%} of the time "
            f"(cross-validated ROC AUC {scores.roc_auc:.2f} ± {scores.roc_auc_std:.2f} over folds; 0.5 is a "
            "coin toss)."
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
                f"{MODEL_LABELS[chosen]} is used: its cross-validated ROC AUC is higher than "
                f"{MODEL_LABELS[other].lower()}'s by {margin:.3f}{spread_text}{noise}."
            )
        comparison = "higher" if margin >= 0 else "lower"
        return (
            f"{MODEL_LABELS[chosen]} is used, as chosen: its cross-validated ROC AUC is {comparison} than "
            f"{MODEL_LABELS[other].lower()}'s by {abs(margin):.3f}{spread_text}{noise}."
        )

    @property
    def out_of_fold(self) -> np.ndarray:
        """Out-of-fold churn probabilities of the chosen model, aligned with ``data.churned``."""
        return self.model.oof_probability_[self.model.chosen_]

    def summary(self, top: int = 10) -> dict:
        """The figures of the analysis as plain values (the CLI's JSON)."""
        scores = self.scores
        importance = self.model.importance_
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
            "warnings": list(self.warnings),
            "excluded": [{"column": d.column, "reason": d.reason} for d in self.plan.excluded],
            "top_features": list(importance.loc[importance["importance"] > 0, "column"].head(top)),
        }


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
) -> ChurnAnalysis:
    """Plan the features, cross-validate both models and fit the chosen one.

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
    return ChurnAnalysis(data, plan, fitted, tuple(_warnings(data, y)))


def _warnings(data: ChurnData, y: np.ndarray) -> list[str]:
    warnings: list[str] = []
    positives, n = int(y.sum()), len(y)
    if n < SMALL_SAMPLE:
        warnings.append(
            f"Only {n} customers: at least {SMALL_SAMPLE} are needed for figures you can rely on; "
            "scores are shown as rough ranges."
        )
    if min(positives, n - positives) < SMALL_SAMPLE:
        who = "churners" if positives <= n - positives else "stayers"
        warnings.append(
            f"Only {min(positives, n - positives)} {who}: with fewer than {SMALL_SAMPLE} the model's scores "
            "swing from one sample to the next; treat them as rough."
        )
    if data.left_out:
        warnings.append(f"{data.left_out:,} rows had no readable churn value and were left out.")
    return warnings
