"""The churn model: logistic regression and gradient boosting, cross-validated on the same folds.

:class:`ChurnModel` follows scikit-learn's conventions: it cross-validates a logistic
regression (on scaled numbers) and a histogram gradient boosting model (:func:`build_pipeline`)
on the same stratified folds, reports ROC AUC, PR AUC and the Brier score with their spread
over folds (:class:`ModelScores`), picks the better by cross-validated AUC, measures
permutation importance on held-out customers and fits the chosen model on all customers.

Class imbalance
---------------
When churners (or stayers) are less than :data:`BALANCE_BELOW` of the customers, both models
weigh the classes equally (``class_weight="balanced"``), which helps the rarer class shape the
model. Weighting shifts the predicted odds by the weight ratio, so probabilities are put back
on the real scale with the prior correction of King and Zeng [1]_ (:func:`prior_corrected`):

.. math::

    \\operatorname{logit} p = \\operatorname{logit} p_w + \\log \\frac{\\pi}{1 - \\pi}

where :math:`p_w` is the weighted model's probability and :math:`\\pi` the churners' share.

References
----------
.. [1] G. King and L. Zeng, "Logistic regression in rare events data", Political Analysis 9 (2),
   137–163, 2001.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.special import expit, logit
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from bsc.churn.evaluation import IMPORTANCE_ROWS, MIN_CLASS_FOR_CV, fold_permutation_importance
from bsc.errors import InputError
from bsc.result_files import keep_type

__all__ = [
    "BALANCE_BELOW",
    "MAX_LEVELS",
    "MODEL_LABELS",
    "PARALLEL_ROWS",
    "ChurnModel",
    "ModelChoice",
    "ModelName",
    "ModelScores",
    "Progress",
    "build_pipeline",
    "prior_corrected",
    "signed_log1p",
]

ModelName = Literal["logreg", "gbm"]
ModelChoice = Literal["auto", "logreg", "gbm"]
Progress = Callable[[float, str], None]
MODEL_LABELS: dict[str, str] = {"logreg": "Logistic regression", "gbm": "Gradient boosting"}
# Below this share of the rarer class, both classes are weighed equally.
BALANCE_BELOW = 0.40
# Categories with more levels keep the most common ones and group the rest as "other".
MAX_LEVELS = 30
# More customers than this, and n_jobs above 1: folds are fitted in parallel worker processes.
PARALLEL_ROWS = 20_000


def build_pipeline(
    model: ModelName,
    numbers: Sequence[str],
    categories: Sequence[str],
    *,
    skewed: Iterable[str] = (),
    class_weight: str | None = None,
    rows: int = 0,
    random_state: int = 0,
) -> Pipeline:
    """The scikit-learn pipeline of one model over typed features (see :meth:`FeaturePlan.features`).

    ``"logreg"``: numbers get their median where blank plus a "was blank" indicator, then are
    scaled to mean 0 and standard deviation 1; ``skewed`` numbers (money, counts, waiting times)
    are first put on a log scale, :math:`\\operatorname{sign}(x) \\log(1 + |x|)`, so that a few
    very large values do not dominate; categories are one-hot encoded (levels rarer than 1 % or
    beyond :data:`MAX_LEVELS` grouped as "other"); L2-regularised logistic regression (C = 1).
    ``"gbm"``: numbers as they are (blanks handled natively), categories ordinal-encoded and
    declared categorical; histogram gradient boosting with early stopping on a tenth of the
    training rows when there are 2,000 rows or more.
    """
    skewed = [c for c in numbers if c in set(skewed)]
    plain = [c for c in numbers if c not in set(skewed)]
    transformers: list[tuple] = []
    if model == "logreg":

        def numeric(log: bool) -> Pipeline:
            steps = [
                ("impute", SimpleImputer(strategy="median", add_indicator=True)),
                ("scale", StandardScaler()),
            ]
            if log:
                steps.insert(0, ("log", FunctionTransformer(signed_log1p, feature_names_out="one-to-one")))
            return Pipeline(steps)

        if plain:
            transformers.append(("number", numeric(False), plain))
        if skewed:
            transformers.append(("skewed", numeric(True), skewed))
        if categories:
            encoder = OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                min_frequency=0.01,
                max_categories=MAX_LEVELS,
                sparse_output=False,
            )
            transformers.append(("category", encoder, list(categories)))
        estimator = LogisticRegression(C=1.0, max_iter=2000, class_weight=class_weight)
    elif model == "gbm":
        if numbers:
            transformers.append(("number", "passthrough", list(numbers)))
        if categories:
            encoder = OrdinalEncoder(
                handle_unknown="use_encoded_value", unknown_value=np.nan, max_categories=MAX_LEVELS
            )
            transformers.append(("category", encoder, list(categories)))
        early = rows >= 2000
        estimator = HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=200 if early else 100,
            max_leaf_nodes=15,
            min_samples_leaf=20,
            l2_regularization=1.0,
            early_stopping=early,
            validation_fraction=0.1,
            n_iter_no_change=10,
            categorical_features=[False] * len(numbers) + [True] * len(categories),
            class_weight=class_weight,
            random_state=random_state,
        )
    else:
        raise InputError(f"Unknown model {model!r}; choose logreg, gbm or auto.")
    prepare = ColumnTransformer(transformers, verbose_feature_names_out=False)
    return Pipeline([("prepare", prepare), ("model", estimator)])


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """:math:`\\operatorname{sign}(x) \\log(1 + |x|)`: a log scale that keeps zero and negatives."""
    values = np.asarray(values, dtype="float64")
    return np.sign(values) * np.log1p(np.abs(values))


@keep_type
@dataclass(frozen=True)
class ModelScores:
    """Cross-validated scores of one model: the mean over folds and the standard deviation.

    ``roc_auc``: area under the ROC curve (0.5 = chance, 1 = perfect ranking).
    ``pr_auc``: average precision (chance = the churners' share).
    ``brier``: mean squared error of the probabilities (0 = perfect; the churners' share
    × (1 − share) for always predicting that share).
    """

    model: ModelName
    roc_auc: float
    roc_auc_std: float
    pr_auc: float
    pr_auc_std: float
    brier: float
    brier_std: float
    fold_roc_auc: tuple[float, ...]


class ChurnModel:
    """Cross-validated churn models on typed features, following scikit-learn's conventions.

    Parameters
    ----------
    model : {"auto", "logreg", "gbm"}
        Which model to fit on all customers after cross-validation; ``"auto"`` picks the one
        with the higher mean cross-validated ROC AUC. Both are always cross-validated.
    numbers, categories : sequence of str
        Columns of ``X`` fed as numbers and as categories.
    skewed : sequence of str
        Numbers the logistic regression sees on a log scale (see :func:`build_pipeline`).
    groups : mapping, optional
        Column -> group name (e.g. "Satisfaction (surveys)"); importance is also measured per
        group, shuffling the group's columns together.
    folds : int
        Stratified folds (at most the number of churners or stayers).
    random_state : int
        Seed of the fold split, of the boosting model and of the shuffles.
    n_jobs : int or None
        Threads for the models (None: all cores).
    importance_rows : int
        Held-out customers (in all) on which permutation importance is measured.

    Attributes
    ----------
    scores_ : dict[str, ModelScores]
        Per model.
    chosen_ : str
        The model used for predictions.
    margin_ : float
        Mean fold AUC of the chosen model minus the other's (negative when a worse model is
        forced).
    margin_std_ : float
        Standard deviation over folds of that difference (both models see the same folds).
    oof_probability_ : dict[str, numpy.ndarray]
        Out-of-fold churn probabilities per model, on the real scale.
    pipeline_ : sklearn.pipeline.Pipeline
        The chosen model fitted on all customers.
    importance_ : pandas.DataFrame
        ``column``, ``importance`` (mean drop in ROC AUC on held-out customers when the column
        is shuffled), ``importance_std`` (over folds), sorted by importance.
    group_importance_ : pandas.DataFrame
        The same per group (``group`` instead of ``column``); empty without ``groups``.
    coefficients_ : pandas.DataFrame
        Logistic regression fitted on all customers: ``term``, ``column``, ``coefficient``
        (change in log-odds per standard deviation of the scaled column, or for the level),
        ``odds_ratio``, sorted by absolute coefficient.
    positive_share_ : float
        Churners' share.
    class_weight_ : str or None
        ``"balanced"`` when the classes were weighed equally.
    """

    def __init__(
        self,
        model: ModelChoice = "auto",
        numbers: Sequence[str] = (),
        categories: Sequence[str] = (),
        *,
        skewed: Sequence[str] = (),
        groups: Mapping[str, str] | None = None,
        folds: int = 5,
        random_state: int = 0,
        n_jobs: int | None = 1,
        importance_rows: int = IMPORTANCE_ROWS,
    ) -> None:
        self.model = model
        self.numbers = numbers
        self.categories = categories
        self.skewed = skewed
        self.groups = groups
        self.folds = folds
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.importance_rows = importance_rows

    def fit(self, X: pd.DataFrame, y: np.ndarray | pd.Series, progress: Progress | None = None) -> ChurnModel:
        """Cross-validate both models, choose one and fit it on all customers.

        ``progress(fraction, message)`` is called as the work advances.

        Raises
        ------
        InputError
            With fewer than :data:`MIN_CLASS_FOR_CV` churners or stayers, or no feature.
        """
        if self.model not in ("auto", "logreg", "gbm"):
            raise InputError(f"Unknown model {self.model!r}; choose logreg, gbm or auto.")
        if not (list(self.numbers) or list(self.categories)):
            raise InputError("No column is left to learn from: include at least one column.")
        X = X[list(self.numbers) + list(self.categories)]
        y = np.asarray(y, dtype=bool)
        positives = int(y.sum())
        smaller = min(positives, len(y) - positives)
        if smaller < MIN_CLASS_FOR_CV:
            who = "churners" if positives <= len(y) - positives else "stayers"
            raise InputError(
                f"Only {smaller} {who} among {len(y):,} customers: at least {MIN_CLASS_FOR_CV} are needed "
                "to test a model honestly."
            )
        report = progress or (lambda fraction, message: None)
        self.positive_share_ = positives / len(y)
        self.class_weight_ = "balanced" if smaller / len(y) < BALANCE_BELOW else None
        folds = min(self.folds, smaller)
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
        splits = list(splitter.split(X, y))
        names: tuple[ModelName, ...] = ("logreg", "gbm")
        tasks = [(index, name) for index in range(folds) for name in names]
        steps = len(tasks) + 2
        parallel = self.n_jobs is not None and self.n_jobs > 1 and len(y) >= PARALLEL_ROWS
        # In this process, one thread: two OpenMP threads stall when other sessions share the
        # cores (measured: 94 s against 10 s for the demo's analysis beside three busy processes).
        with _Runner(self.n_jobs if parallel else 1, 1) as run:
            fitted = run(
                (
                    _fit_fold,
                    self,
                    name,
                    X.iloc[splits[index][0]],
                    y[splits[index][0]],
                    X.iloc[splits[index][1]],
                )
                for index, name in tasks
            )
            oof = {name: np.zeros(len(y)) for name in names}
            fold_scores: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
            fold_models: dict[str, list[Pipeline]] = {name: [] for name in names}
            for done, (index, name) in enumerate(tasks):
                report(done / steps, f"Fold {index + 1} of {folds}: {MODEL_LABELS[name].lower()}")
                pipeline, probability = next(fitted)
                test = splits[index][1]
                oof[name][test] = probability
                fold_scores[name].append(
                    (
                        roc_auc_score(y[test], probability),
                        average_precision_score(y[test], probability),
                        brier_score_loss(y[test], probability),
                    )
                )
                fold_models[name].append(pipeline)
            self.scores_ = {name: _scores(name, fold_scores[name]) for name in names}
            self.oof_probability_ = oof
            auc = {name: np.array(self.scores_[name].fold_roc_auc) for name in names}
            if self.model == "auto":
                self.chosen_ = "gbm" if auc["gbm"].mean() > auc["logreg"].mean() else "logreg"
            else:
                self.chosen_ = self.model
            other = "logreg" if self.chosen_ == "gbm" else "gbm"
            difference = auc[self.chosen_] - auc[other]
            self.margin_ = float(difference.mean())
            self.margin_std_ = float(difference.std(ddof=1)) if len(difference) > 1 else float("nan")

            report(len(tasks) / steps, "Measuring which columns matter on held-out customers")
            self.importance_, self.group_importance_ = fold_permutation_importance(
                fold_models[self.chosen_],
                X,
                y,
                splits,
                groups=self.groups,
                rows=self.importance_rows,
                random_state=self.random_state,
                run=run,
            )
            report((len(tasks) + 1) / steps, f"Fitting {MODEL_LABELS[self.chosen_].lower()} on all customers")
            final = list(dict.fromkeys([self.chosen_, "logreg"]))
            pipelines = dict(zip(final, run((_fit_all, self, name, X, y) for name in final), strict=True))
            self.pipeline_ = pipelines[self.chosen_]
            self.coefficients_ = _coefficients(pipelines["logreg"])
        report(1.0, "Done")
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Churn probabilities of customers (rows of typed features), as ``[[stay, churn], ...]``."""
        churn = self._probability(self.pipeline_, X[list(self.numbers) + list(self.categories)])
        return np.column_stack([1 - churn, churn])

    def _pipeline(self, name: ModelName, rows: int) -> Pipeline:
        return build_pipeline(
            name,
            list(self.numbers),
            list(self.categories),
            skewed=self.skewed,
            class_weight=self.class_weight_,
            rows=rows,
            random_state=self.random_state,
        )

    def _probability(self, pipeline: Pipeline, X: pd.DataFrame) -> np.ndarray:
        weighted = pipeline.predict_proba(X)[:, 1]
        if self.class_weight_ is None:
            return weighted
        return prior_corrected(weighted, self.positive_share_)


class _Runner:
    """Runs ``(function, *args)`` tasks in order, in this process or in worker processes.

    In worker processes (``workers`` > 1) each task runs single-threaded: two processes with
    one thread each keep both cores busy without the threads of one library waiting on each
    other when the machine is shared. In this process, tasks run one after the other with at
    most ``threads`` threads. Results come back in the order the tasks were given, as they finish.
    """

    def __init__(self, workers: int, threads: int | None) -> None:
        self.workers = workers
        self.threads = threads
        self._parallel: Parallel | None = None
        self._limits: threadpool_limits | None = None

    def __enter__(self) -> _Runner:
        if self.workers > 1:
            self._parallel = Parallel(n_jobs=self.workers, return_as="generator").__enter__()
        else:
            self._limits = threadpool_limits(limits=self.threads)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._parallel is not None:
            self._parallel.__exit__(*exc)
        if self._limits is not None:
            self._limits.restore_original_limits()

    def __call__(self, tasks: Iterable[tuple]) -> Iterator:
        if self._parallel is not None:
            return iter(self._parallel(delayed(_single_threaded)(*task) for task in tasks))
        return (task[0](*task[1:]) for task in tasks)


def _single_threaded(function: Callable, *args: object) -> object:
    with threadpool_limits(limits=1):
        return function(*args)


def _fit_fold(
    model: ChurnModel, name: ModelName, X_train: pd.DataFrame, y_train: np.ndarray, X_test: pd.DataFrame
) -> tuple[Pipeline, np.ndarray]:
    """One model fitted on a fold's training customers, and its probabilities for the held-out ones."""
    pipeline = model._pipeline(name, len(X_train)).fit(X_train, y_train)
    return pipeline, model._probability(pipeline, X_test)


def _fit_all(model: ChurnModel, name: ModelName, X: pd.DataFrame, y: np.ndarray) -> Pipeline:
    return model._pipeline(name, len(X)).fit(X, y)


def prior_corrected(probability: np.ndarray, positive_share: float) -> np.ndarray:
    """Put probabilities of a class-balanced model back on the real scale (King and Zeng [1]_).

    .. math:: \\operatorname{logit} p = \\operatorname{logit} p_w + \\log \\frac{\\pi}{1 - \\pi}

    A balanced model acts as if churners were half the customers; ``positive_share`` is
    :math:`\\pi`, their real share.
    """
    clipped = np.clip(probability, 1e-9, 1 - 1e-9)
    return expit(logit(clipped) + np.log(positive_share / (1 - positive_share)))


def _scores(name: ModelName, folds: list[tuple[float, float, float]]) -> ModelScores:
    values = np.array(folds)
    spread = values.std(axis=0, ddof=1) if len(values) > 1 else np.full(3, np.nan)
    return ModelScores(
        model=name,
        roc_auc=float(values[:, 0].mean()),
        roc_auc_std=float(spread[0]),
        pr_auc=float(values[:, 1].mean()),
        pr_auc_std=float(spread[1]),
        brier=float(values[:, 2].mean()),
        brier_std=float(spread[2]),
        fold_roc_auc=tuple(float(v) for v in values[:, 0]),
    )


def _coefficients(pipeline: Pipeline) -> pd.DataFrame:
    prepare: ColumnTransformer = pipeline.named_steps["prepare"]
    coefficients = pipeline.named_steps["model"].coef_[0]
    terms: list[tuple[str, str]] = []
    for name, transformer, columns in prepare.transformers_:
        if name in ("number", "skewed"):
            imputer: SimpleImputer = transformer.named_steps["impute"]
            kept = [c for c, s in zip(columns, imputer.statistics_, strict=True) if not np.isnan(s)]
            log = " (log scale)" if name == "skewed" else ""
            terms += [(f"{c}{log}", c) for c in kept]
            if imputer.indicator_ is not None:
                terms += [(f"{columns[i]} is blank", columns[i]) for i in imputer.indicator_.features_]
        elif name == "category":
            for position, (column, levels) in enumerate(zip(columns, transformer.categories_, strict=True)):
                infrequent = transformer.infrequent_categories_[position]
                rare = set(infrequent) if infrequent is not None else set()
                terms += [(f"{column} = {level}", column) for level in levels if level not in rare]
                if rare:
                    terms.append((f"{column} = other", column))
    frame = pd.DataFrame(terms, columns=["term", "column"])
    frame["coefficient"] = coefficients[: len(frame)]
    frame["odds_ratio"] = np.exp(frame["coefficient"])
    order = frame["coefficient"].abs().sort_values(ascending=False, kind="stable").index
    return frame.reindex(order).reset_index(drop=True)
