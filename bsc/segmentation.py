"""Customer segments: k-means on per-customer features, and RFM quintile scoring.

Two ways to put customers into segments, both ending in one segment name per customer that
can be saved as a segment attribute of the workspace (see :meth:`bsc.store.Store.save_segmentation`):

- :class:`CustomerSegmentation`, a scikit-learn style estimator: missing values imputed with the
  feature's median (and counted), skewed money and counts through a signed ``log1p``, then
  standard or robust scaling, all in a :class:`~sklearn.compose.ColumnTransformer`; then
  k-means (:class:`~sklearn.cluster.KMeans`, or :class:`~sklearn.cluster.MiniBatchKMeans` for
  very large tables). The number of segments is given or chosen among 2–10 by the silhouette
  (on a sample) beside the inertia elbow; stability is the adjusted Rand index between the
  segments and refits with other seeds.
- RFM scoring (:func:`rfm_breaks`, :func:`rfm_scores`, :func:`name_rfm_segments`): recency,
  frequency and monetary value scored 1–5 between editable breaks (quintiles by default),
  mapped to named segments through an editable table (:func:`default_rfm_segments`).

Both describe segments the same way (:func:`segment_profiles`): size, the mean of each feature
and its z-score against all customers, and names suggested from that profile
(:func:`suggest_names`).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.metrics import adjusted_rand_score, pairwise_distances
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, RobustScaler, StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from bsc.engine import ASSIGNMENTS, Backend
from bsc.errors import InputError
from bsc.features import FEATURES, Tables
from bsc.kpis import KpiParams, compute_kpis

__all__ = [
    "DEFAULT_FEATURES",
    "RFM_SEGMENT_COLUMNS",
    "SCALINGS",
    "SEGMENT_KPIS",
    "TRANSFORMS",
    "CustomerSegmentation",
    "Profiles",
    "Projection",
    "RfmBreaks",
    "SampleSilhouette",
    "SegmentKpis",
    "default_rfm_segments",
    "default_transforms",
    "name_rfm_segments",
    "rfm_breaks",
    "rfm_scores",
    "segment_kpis",
    "segment_profiles",
    "signed_log1p",
    "suggest_names",
]

Transform = Literal["log1p", "none"]
Scaling = Literal["standard", "robust"]
TRANSFORMS: tuple[Transform, ...] = ("log1p", "none")
SCALINGS: tuple[Scaling, ...] = ("standard", "robust")
DEFAULT_FEATURES: tuple[str, ...] = ("recency_days", "frequency", "monetary", "tenure_days")
Progress = Callable[[float, str], None]

# A k within this much silhouette of the best is as well separated for practical purposes.
SILHOUETTE_TOLERANCE = 0.02
# Sample skewness above which a non-negative attribute gets log1p by default.
SKEWED = 1.0


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """:math:`\\operatorname{sign}(x)\\,\\log(1 + |x|)`: ``log1p`` that keeps negative values.

    Equal to ``log1p`` for :math:`x \\ge 0`; a customer whose returns exceed their purchases
    (negative monetary value) stays on the scale, mirrored below zero.
    """
    return np.sign(values) * np.log1p(np.abs(values))


def default_transforms(features: pd.DataFrame) -> dict[str, Transform]:
    """``log1p`` for skewed features, ``none`` for the others.

    Known features follow :attr:`bsc.features.FeatureDef.skewed` (money and counts); other
    columns get ``log1p`` when they are never negative and their sample skewness exceeds 1.
    """
    transforms: dict[str, Transform] = {}
    for name in features.columns:
        if name in FEATURES:
            transforms[name] = "log1p" if FEATURES[name].skewed else "none"
            continue
        values = features[name].dropna()
        skewed = len(values) > 2 and values.min() >= 0 and values.skew() > SKEWED
        transforms[name] = "log1p" if skewed else "none"
    return transforms


# --------------------------------------------------------------------------------------------
# Profiles and names
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profiles:
    """How segments differ.

    Attributes
    ----------
    sizes
        Customers per segment (index: segment).
    means
        Segment × feature: the mean of each feature over the segment's customers who have a
        value (in the feature's own unit).
    z_scores
        Segment × feature: :math:`z = (\\bar x_{\\mathrm{segment}} - \\bar x) / s`, the segment
        mean against the mean over all customers, in standard deviations :math:`s` of all
        customers (population form). 0 for a feature without spread; NaN when the segment has
        no value for the feature.
    """

    sizes: pd.Series
    means: pd.DataFrame
    z_scores: pd.DataFrame


def segment_profiles(features: pd.DataFrame, segments: pd.Series | np.ndarray) -> Profiles:
    """Sizes, feature means and z-scores per segment.

    Parameters
    ----------
    features
        One row per customer (missing values allowed: each mean skips them).
    segments
        The segment of each row, aligned with ``features``.
    """
    segments = pd.Series(np.asarray(segments), index=features.index, name="segment")
    grouped = features.groupby(segments, sort=True)
    means = grouped.mean()
    overall_mean = features.mean()
    spread = features.std(ddof=0)
    z_scores = (means - overall_mean) / spread.where(spread > 0)
    z_scores.loc[:, spread.index[spread == 0]] = 0.0
    z_scores = z_scores.where(means.notna())
    sizes = grouped.size().rename("customers")
    return Profiles(sizes=sizes, means=means, z_scores=z_scores)


# Each archetype scores a segment by a weighted mean of its z-scores (features the workspace
# lacks are left out); see suggest_names.
_ARCHETYPES: tuple[tuple[str, Mapping[str, float]], ...] = (
    ("High-value loyal", {"frequency": 1.0, "monetary": 1.0, "recency_days": -1.0}),
    ("At risk", {"frequency": 0.5, "monetary": 0.5, "recency_days": 1.0}),
    ("Hibernating", {"recency_days": 1.0, "frequency": -0.5, "monetary": -0.5}),
    ("New", {"tenure_days": -1.0, "recency_days": -0.5}),
    ("Promising", {"recency_days": -1.0, "frequency": -0.5, "tenure_days": -0.25}),
    ("Big spenders", {"average_order_value": 1.0, "monetary": 0.5}),
    ("Unhappy", {"nps_mean": -1.0, "csat_mean": -1.0, "ces_mean": 1.0}),
    ("Needs support", {"tickets": 1.0, "first_response_hours": 0.5}),
)
_ARCHETYPE_FIT = 0.5  # weighted mean z-score an archetype needs to lend its name
_NOTABLE = 0.25  # |z| below this is "about average"
_WORDS: dict[str, tuple[str, str]] = {
    # feature: (word when above average, word when below)
    "recency_days": ("lapsed", "recent"),
    "frequency": ("frequent", "occasional"),
    "monetary": ("high-spend", "low-spend"),
    "average_order_value": ("large baskets", "small baskets"),
    "tenure_days": ("long-standing", "newer"),
    "nps_mean": ("promoters", "detractors"),
    "csat_mean": ("satisfied", "dissatisfied"),
    "ces_mean": ("high effort", "low effort"),
    "tickets": ("many tickets", "few tickets"),
    "first_response_hours": ("slow answers", "fast answers"),
    "loyalty_member": ("members", "non-members"),
}


def suggest_names(z_scores: pd.DataFrame) -> dict[object, str]:
    """A short, distinct name for each segment from its z-score profile.

    Each archetype (High-value loyal, At risk, Hibernating, New, Promising, Big spenders,
    Unhappy, Needs support) scores a segment by the weighted mean of its z-scores, e.g. At risk
    :math:`= (0.5 z_F + 0.5 z_M + z_R) / 2`, over the features present. Archetypes are handed
    out greedily, best score first, each to one segment, when the score reaches 0.5. Other
    segments are described by their two most distinctive features ("Recent, occasional"), or
    "Average" when no feature stands out (all :math:`|z| < 0.25`). Repeated names get a number.
    """
    scores: dict[tuple[object, str], float] = {}
    for segment, profile in z_scores.iterrows():
        for name, weights in _ARCHETYPES:
            present = {f: w for f, w in weights.items() if f in profile.index and pd.notna(profile[f])}
            total = sum(abs(w) for w in weights.values())
            if sum(abs(w) for w in present.values()) < total / 2:
                continue
            scores[(segment, name)] = sum(w * profile[f] for f, w in present.items()) / sum(
                abs(w) for w in present.values()
            )
    names: dict[object, str] = {}
    for (segment, name), score in sorted(scores.items(), key=lambda item: -item[1]):
        if score < _ARCHETYPE_FIT:
            break
        if segment not in names and name not in names.values():
            names[segment] = name
    for segment, profile in z_scores.iterrows():
        if segment not in names:
            names[segment] = _describe(profile)
    return _distinct({segment: names[segment] for segment in z_scores.index})


def _describe(profile: pd.Series) -> str:
    notable = profile.dropna()
    notable = notable[notable.abs() >= _NOTABLE]
    if notable.empty:
        return "Average"
    words = []
    for feature in notable.abs().sort_values(ascending=False).index[:2]:
        above, below = _WORDS.get(feature, (f"high {_label(feature)}", f"low {_label(feature)}"))
        words.append(above if profile[feature] > 0 else below)
    text = ", ".join(words)
    return text[0].upper() + text[1:]


def _label(feature: str) -> str:
    return FEATURES[feature].label.lower() if feature in FEATURES else feature.replace("_", " ")


def _distinct(names: dict[object, str]) -> dict[object, str]:
    seen: dict[str, int] = {}
    result = {}
    for segment, name in names.items():
        seen[name] = seen.get(name, 0) + 1
        result[segment] = name if seen[name] == 1 else f"{name} {seen[name]}"
    return result


# --------------------------------------------------------------------------------------------
# k-means
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Projection:
    """Customers on the first two principal components of the prepared features.

    Attributes
    ----------
    points
        Columns ``pc1``, ``pc2``, ``segment``; a random sample of at most ``max_points`` rows.
    explained
        Share of the prepared features' variance along each component (0–1).
    """

    points: pd.DataFrame
    explained: tuple[float, float]


class CustomerSegmentation(ClusterMixin, BaseEstimator):
    """k-means segments of customers, with the number of segments found or given.

    Parameters
    ----------
    n_clusters
        Number of segments, or ``"auto"`` to choose among ``k_min``–``k_max`` (see Notes).
    k_min, k_max
        Range of k tried by ``"auto"`` (default 2–10).
    transforms
        Feature -> ``"log1p"`` (signed, see :func:`signed_log1p`) or ``"none"``; features not
        listed follow :func:`default_transforms`.
    scaling
        ``"standard"`` (mean 0, standard deviation 1) or ``"robust"`` (median 0, interquartile
        range 1; less pulled by outliers).
    random_state
        Seed of every random choice (k-means starts, the silhouette sample, the PCA sample):
        the same data and parameters give the same segments.
    n_init
        k-means runs per k, the best (lowest inertia) kept.
    minibatch_above
        Above this many customers, :class:`~sklearn.cluster.MiniBatchKMeans` replaces
        :class:`~sklearn.cluster.KMeans` (measured: full k-means is faster up to a few hundred
        thousand customers with a handful of features).
    silhouette_sample
        Customers the silhouette is computed on (all of them when fewer); its cost grows with
        the square of this number.
    scan_sample
        Customers the k scan and the stability refits are fitted on (all of them when fewer).
    stability_runs
        Refits, each with another seed on another random sample of ``scan_sample`` customers,
        whose segments are compared with the chosen ones on the same customers.
    stable_ari
        Mean adjusted Rand index below which the segments are reported as unstable.
    threads
        Threads the k-means and distance computations may use (None: every core). One thread
        leaves the other cores to other users of the app, and is measured several times faster
        than two on a busy two-core machine, where waiting threads spin.

    Attributes
    ----------
    feature_names_in_ : numpy.ndarray
        The features, in the order of the columns given to :meth:`fit`.
    transforms_ : dict[str, str]
        The transform applied to each feature.
    missing_ : pandas.Series
        Customers without a value, per feature; they get the feature's median.
    preprocessor_ : sklearn.compose.ColumnTransformer
        Imputation, transforms and scaling, fitted.
    model_ : KMeans or MiniBatchKMeans
        The fitted k-means model of the chosen k.
    k_ : int
        Number of segments.
    k_scores_ : pandas.DataFrame
        Columns ``k``, ``silhouette``, ``inertia``: one row per k tried (one row with a fixed k).
    elbow_k_ : int or None
        k at the elbow of the inertia curve (None with a fixed k or fewer than three k tried).
    k_reason_ : str
        Why this k, in one sentence.
    labels_ : numpy.ndarray
        Segment of each customer, 0 to k − 1, numbered from the largest segment down.
    silhouette_ : float
        Mean silhouette of the segments (on the sample), −1 to 1; higher is better separated.
    stability_scores_ : list[float]
        Adjusted Rand index between ``labels_`` and each refit (1 = same segments, about
        0 = unrelated), over the refit's customers.
    stability_ari_ : float
        Mean of ``stability_scores_`` (1.0 when ``stability_runs`` is 0).
    stable_ : bool
        ``stability_ari_ >= stable_ari``.
    profiles_ : Profiles
        Sizes, means and z-scores of the segments over the features given to :meth:`fit`.
    names_ : dict[int, str]
        Suggested segment names (see :func:`suggest_names`).

    Notes
    -----
    With ``n_clusters="auto"``, each k of the range is fitted once (one k-means++ start) on
    ``scan_sample`` customers drawn at random and scored by its mean silhouette (on the first
    ``silhouette_sample`` of them, the same for every k) and its inertia (sum of squared
    distances to the segment centres, over the scan sample). The chosen k is then fitted on
    every customer with ``n_init`` starts. The elbow is the k farthest
    from the straight line joining the first and last points of the inertia curve, both axes
    scaled to 0–1. The chosen k is the one with the best silhouette; when several are within
    0.02 of it, the one nearest the elbow.
    """

    def __init__(
        self,
        n_clusters: int | Literal["auto"] = "auto",
        *,
        k_min: int = 2,
        k_max: int = 10,
        transforms: Mapping[str, str] | None = None,
        scaling: Scaling = "standard",
        random_state: int = 42,
        n_init: int = 3,
        minibatch_above: int = 300_000,
        silhouette_sample: int = 4000,
        scan_sample: int = 25_000,
        stability_runs: int = 4,
        stable_ari: float = 0.8,
        threads: int | None = 1,
    ) -> None:
        self.n_clusters = n_clusters
        self.k_min = k_min
        self.k_max = k_max
        self.transforms = transforms
        self.scaling = scaling
        self.random_state = random_state
        self.n_init = n_init
        self.minibatch_above = minibatch_above
        self.silhouette_sample = silhouette_sample
        self.scan_sample = scan_sample
        self.stability_runs = stability_runs
        self.stable_ari = stable_ari
        self.threads = threads

    # -- fitting -----------------------------------------------------------------------------

    def fit(
        self, X: pd.DataFrame, y: None = None, *, progress: Progress | None = None
    ) -> CustomerSegmentation:
        """Prepare the features, choose k when asked, fit k-means and describe the segments.

        Parameters
        ----------
        X
            One row per customer, one numeric column per feature (missing values allowed).
        y
            Ignored.
        progress
            Called with the share of the work done (0–1) and what is being done.

        Raises
        ------
        InputError
            For an unknown transform or scaling, a feature without any value or not numeric,
            fewer customers than segments, or an impossible k.
        """
        with threadpool_limits(limits=self.threads):
            return self._fit(X, progress or (lambda share, message: None))

    def _fit(self, X: pd.DataFrame, report: Progress) -> CustomerSegmentation:
        frame = self._checked_frame(X)
        ks = self._ks(frame)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.transforms_ = self._transforms(frame)
        self.missing_ = frame.isna().sum().astype("int64")

        report(0.0, "Preparing the features")
        self.preprocessor_ = self._preprocessor().fit(frame)
        prepared = np.ascontiguousarray(self.preprocessor_.transform(frame), dtype=np.float64)
        distinct = len(np.unique(prepared, axis=0)) if len(prepared) <= 50_000 else len(prepared)
        if distinct < max(ks):
            raise InputError(
                f"Only {distinct} customers differ in these features: ask for at most {distinct} segments "
                "or choose other features."
            )
        scan = self._sample_rows(len(prepared), self.scan_sample, self.random_state)
        scored = scan[: self.silhouette_sample]
        silhouette = SampleSilhouette(prepared[scored])

        auto = self.n_clusters == "auto"
        steps = (len(ks) if auto else 0) + 1 + self.stability_runs + 1
        done = 0
        rows = []
        if auto:
            for k in ks:
                report(done / steps, f"Trying k = {k}")
                trial = self._kmeans(k, self.random_state, len(scan), n_init=1).fit(prepared[scan])
                labels = trial.labels_[: len(scored)]
                rows.append({"k": k, "silhouette": silhouette.score(labels), "inertia": trial.inertia_})
                done += 1
            self.k_scores_ = pd.DataFrame(rows, columns=["k", "silhouette", "inertia"])
            self.elbow_k_ = _elbow(self.k_scores_) if len(ks) >= 3 else None
        else:
            self.elbow_k_ = None
            self.k_scores_ = pd.DataFrame(columns=["k", "silhouette", "inertia"])

        k = ks[0] if not auto else self._choose_k()[0]
        report(done / steps, f"Fitting k-means with k = {k} on all {len(prepared):,} customers")
        model = self._kmeans(k, self.random_state, len(prepared), n_init=self.n_init).fit(prepared)
        done += 1
        if not auto:
            score = silhouette.score(model.labels_[scored])
            self.k_scores_ = pd.DataFrame([{"k": k, "silhouette": score, "inertia": float(model.inertia_)}])
        self.k_, self.k_reason_ = self._choose_k()

        # Number segments from the largest down so that "segment 0" means the same on every run.
        counts = np.bincount(model.labels_, minlength=k)
        order = np.argsort(-counts, kind="stable")
        self._segment_of_cluster = np.empty(k, dtype=np.int64)
        self._segment_of_cluster[order] = np.arange(k)
        self.model_ = model
        self.labels_ = self._segment_of_cluster[model.labels_]
        self.silhouette_ = silhouette.score(model.labels_[scored])
        del silhouette

        self.stability_scores_ = []
        for run in range(self.stability_runs):
            report(done / steps, f"Checking stability: refit {run + 1} of {self.stability_runs}")
            rows_drawn = self._sample_rows(len(prepared), self.scan_sample, self.random_state + 1 + run)
            refit = self._kmeans(k, self.random_state + 1 + run, len(rows_drawn), n_init=self.n_init)
            refit.fit(prepared[rows_drawn])
            ari = adjusted_rand_score(model.labels_[rows_drawn], refit.labels_)
            self.stability_scores_.append(float(ari))
            done += 1
        self.stability_ari_ = float(np.mean(self.stability_scores_)) if self.stability_scores_ else 1.0
        self.stable_ = self.stability_ari_ >= self.stable_ari

        report((steps - 1) / steps, "Describing the segments")
        self.profiles_ = segment_profiles(frame, self.labels_)
        self.names_ = {int(k): v for k, v in suggest_names(self.profiles_.z_scores).items()}
        report(1.0, "Done")
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The segment (0 to k − 1, numbered as in ``labels_``) of each row of ``X``."""
        check_is_fitted(self, "model_")
        frame = self._checked_frame(X, fitting=False)
        prepared = self.preprocessor_.transform(frame)
        with threadpool_limits(limits=self.threads):
            return self._segment_of_cluster[self.model_.predict(prepared)]

    def project(self, X: pd.DataFrame, *, max_points: int = 3000) -> Projection:
        """The customers of ``X`` on two principal components, for a scatter plot.

        The PCA is fitted on every customer's prepared features; at most ``max_points``
        customers, drawn at random (seeded), are returned.
        """
        check_is_fitted(self, "model_")
        frame = self._checked_frame(X, fitting=False)
        prepared = self.preprocessor_.transform(frame)
        components = min(2, prepared.shape[1])
        pca = PCA(n_components=components, random_state=self.random_state).fit(prepared)
        points = pca.transform(prepared)
        if components == 1:
            points = np.column_stack([points[:, 0], np.zeros(len(points))])
        rows = np.random.default_rng(self.random_state).permutation(len(points))[:max_points]
        rows.sort()
        explained = [*pca.explained_variance_ratio_.tolist(), 0.0][:2]
        return Projection(
            points=pd.DataFrame(
                {
                    "pc1": points[rows, 0],
                    "pc2": points[rows, 1],
                    "segment": self.predict(frame.iloc[rows]),
                },
                index=frame.index[rows],
            ),
            explained=(float(explained[0]), float(explained[1])),
        )

    def segment_names(self, renamed: Mapping[int, str] | None = None) -> dict[int, str]:
        """Suggested names with the user's renames applied.

        Raises
        ------
        InputError
            When a name is empty or two segments share one.
        """
        check_is_fitted(self, "model_")
        names = dict(self.names_)
        for segment, name in (renamed or {}).items():
            if int(segment) in names:
                names[int(segment)] = " ".join(str(name).split())
        return _checked_names(names)

    # -- helpers -----------------------------------------------------------------------------

    def _checked_frame(self, X: pd.DataFrame, *, fitting: bool = True) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise InputError("Segmentation needs a table of features with named columns.")
        if not fitting:
            missing = [name for name in self.feature_names_in_ if name not in X.columns]
            if missing:
                raise InputError(f"These features are missing: {', '.join(missing)}.")
            return X[list(self.feature_names_in_)].astype("float64")
        if X.shape[1] == 0:
            raise InputError("Choose at least one feature to segment customers by.")
        not_numeric = [name for name in X.columns if not pd.api.types.is_numeric_dtype(X[name])]
        if not_numeric:
            raise InputError(f"Features must be numbers; not: {', '.join(map(str, not_numeric))}.")
        frame = X.astype("float64")
        empty = [name for name in frame.columns if frame[name].isna().all()]
        if empty:
            raise InputError(f"No customer has a value for {', '.join(map(str, empty))}; leave it out.")
        if self.scaling not in SCALINGS:
            raise InputError(f"Unknown scaling {self.scaling!r}; choose one of {', '.join(SCALINGS)}.")
        return frame

    def _ks(self, frame: pd.DataFrame) -> list[int]:
        customers = len(frame)
        if customers < 3:
            raise InputError(f"Segmentation needs at least 3 customers; there are {customers}.")
        if self.n_clusters == "auto":
            low, high = int(self.k_min), min(int(self.k_max), customers - 1)
            if low < 2 or high < low:
                raise InputError(
                    f"Cannot try k from {self.k_min} to {self.k_max} with {customers} customers."
                )
            return list(range(low, high + 1))
        if isinstance(self.n_clusters, bool) or not isinstance(self.n_clusters, int | np.integer):
            raise InputError(
                f"The number of segments must be a whole number or 'auto', not {self.n_clusters!r}."
            )
        k = int(self.n_clusters)
        if not 2 <= k <= customers - 1:
            raise InputError(f"The number of segments must be between 2 and {customers - 1}; {k} was asked.")
        return [k]

    def _transforms(self, frame: pd.DataFrame) -> dict[str, str]:
        chosen = dict(default_transforms(frame))
        for name, transform in (self.transforms or {}).items():
            if name not in chosen:
                continue
            if transform not in TRANSFORMS:
                raise InputError(
                    f"Unknown transform {transform!r} for {name}; choose one of {', '.join(TRANSFORMS)}."
                )
            chosen[name] = transform
        return chosen

    def _preprocessor(self) -> ColumnTransformer:
        scaler = StandardScaler if self.scaling == "standard" else RobustScaler
        groups: list[tuple[str, Pipeline, list[str]]] = []
        for transform in TRANSFORMS:
            columns = [name for name, chosen in self.transforms_.items() if chosen == transform]
            if not columns:
                continue
            steps: list[tuple[str, object]] = [("impute", SimpleImputer(strategy="median"))]
            if transform == "log1p":
                steps.append(("log1p", FunctionTransformer(signed_log1p, feature_names_out="one-to-one")))
            steps.append(("scale", scaler()))
            groups.append((transform, Pipeline(steps), columns))
        return ColumnTransformer(groups, remainder="drop", verbose_feature_names_out=False)

    def _kmeans(self, k: int, seed: int, rows: int, *, n_init: int) -> KMeans | MiniBatchKMeans:
        if rows > self.minibatch_above:
            return MiniBatchKMeans(n_clusters=k, n_init=n_init, random_state=seed, batch_size=4096)
        return KMeans(n_clusters=k, n_init=n_init, random_state=seed)

    @staticmethod
    def _sample_rows(rows: int, size: int, seed: int) -> np.ndarray:
        """``size`` distinct row numbers drawn at random (all rows, shuffled, when fewer)."""
        return np.random.default_rng(seed).permutation(rows)[:size]

    def _choose_k(self) -> tuple[int, str]:
        scores = self.k_scores_
        if self.n_clusters != "auto":
            k = int(scores["k"].iloc[0])
            return k, f"k = {k} was chosen by hand (silhouette {scores['silhouette'].iloc[0]:.2f})."
        if len(scores) == 1:
            k = int(scores["k"].iloc[0])
            return k, f"k = {k} is the only number of segments these few customers allow."
        best = scores.loc[scores["silhouette"].idxmax()]
        near = scores[scores["silhouette"] >= best["silhouette"] - SILHOUETTE_TOLERANCE]
        tried = f"k = {int(scores['k'].min())}–{int(scores['k'].max())}"
        elbow = self.elbow_k_
        elbow_text = f"the inertia elbow is at k = {elbow}" if elbow is not None else "no inertia elbow"
        if len(near) == 1 or elbow is None:
            k = int(best["k"])
            return k, f"k = {k} has the best silhouette ({best['silhouette']:.2f}) of {tried}; {elbow_text}."
        pick = near.loc[(near["k"] - elbow).abs().idxmin()]
        k = int(pick["k"])
        if k == int(best["k"]):
            return k, f"k = {k} has the best silhouette ({best['silhouette']:.2f}) of {tried}; {elbow_text}."
        return k, (
            f"k = {k}: its silhouette ({pick['silhouette']:.2f}) is within {SILHOUETTE_TOLERANCE} of the best "
            f"({best['silhouette']:.2f} at k = {int(best['k'])}) and it is nearest the inertia elbow "
            f"(k = {elbow}) among those, so it separates about as well with a better fit."
        )


class SampleSilhouette:
    """Mean silhouettes of several labellings of the same points, from one distance matrix.

    :math:`s(i) = (b_i - a_i) / \\max(a_i, b_i)`, where :math:`a_i` is the mean distance from
    point *i* to the other points of its segment and :math:`b_i` the smallest mean distance to
    the points of another segment; 0 for a point alone in its segment (as
    :func:`sklearn.metrics.silhouette_score`). The Euclidean distances are computed once, in
    float32 (64 MB for 4,000 points), and each labelling then costs one matrix product, where
    scikit-learn recomputes them for every k.
    """

    def __init__(self, points: np.ndarray) -> None:
        self.distances = pairwise_distances(np.asarray(points, dtype=np.float32))

    def score(self, labels: np.ndarray) -> float:
        """Mean silhouette of ``labels`` (NaN with fewer than two segments)."""
        _, codes = np.unique(labels, return_inverse=True)
        segments = int(codes.max()) + 1 if len(codes) else 0
        if segments < 2:
            return float("nan")
        rows = np.arange(len(codes))
        sizes = np.bincount(codes, minlength=segments)
        members = np.zeros((len(codes), segments), dtype=np.float32)
        members[rows, codes] = 1.0
        sums = (self.distances @ members).astype(np.float64)
        own_size = sizes[codes]
        within = sums[rows, codes] / np.maximum(own_size - 1, 1)
        between = sums / sizes
        between[rows, codes] = np.inf
        nearest = between.min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = (nearest - within) / np.maximum(within, nearest)
        values = np.where(own_size > 1, np.nan_to_num(values), 0.0)
        return float(values.mean())


def _elbow(scores: pd.DataFrame) -> int:
    """The k farthest from the chord between the ends of the inertia curve (both axes 0–1)."""
    k = scores["k"].to_numpy(dtype=float)
    inertia = scores["inertia"].to_numpy(dtype=float)
    x = (k - k[0]) / (k[-1] - k[0])
    span = inertia[0] - inertia[-1]
    y = (inertia - inertia[-1]) / span if span > 0 else np.zeros_like(inertia)
    # Chord from (0, 1) to (1, 0): distance ∝ |x + y − 1|; below the chord is the bend.
    distance = 1.0 - x - y
    return int(k[int(np.argmax(distance))])


def _checked_names(names: dict[int, str]) -> dict[int, str]:
    empty = [segment for segment, name in names.items() if not name]
    if empty:
        raise InputError("Every segment needs a name; one is empty.")
    seen: dict[str, int] = {}
    for segment, name in names.items():
        if name.casefold() in seen:
            raise InputError(f"Two segments are called “{name}”; give each segment its own name.")
        seen[name.casefold()] = segment
    return names


# --------------------------------------------------------------------------------------------
# RFM scoring
# --------------------------------------------------------------------------------------------

RFM_SEGMENT_COLUMNS = ("segment", "r_min", "r_max", "f_min", "f_max", "m_min", "m_max")
NO_ORDERS = "No orders"
UNMATCHED = "Other"


@dataclass(frozen=True)
class RfmBreaks:
    """Four ascending breaks per measure, cutting customers into five score bins.

    A value equal to a break falls in the lower bin: with recency breaks ``(10, 30, 60, 120)``
    a recency of 30 days is in the second bin. Recency scores 5 in its lowest bin (most recent)
    down to 1; frequency and monetary value score 1 in their lowest bin up to 5.
    """

    recency: tuple[float, float, float, float]
    frequency: tuple[float, float, float, float]
    monetary: tuple[float, float, float, float]

    def __post_init__(self) -> None:
        for measure in ("recency", "frequency", "monetary"):
            values = tuple(float(v) for v in getattr(self, measure))
            if len(values) != 4 or any(math.isnan(v) for v in values):
                raise InputError(f"The {measure} breaks must be four numbers.")
            if any(b < a for a, b in pairwise(values)):
                raise InputError(
                    f"The {measure} breaks must go up (or stay level): {', '.join(map(str, values))}."
                )
            object.__setattr__(self, measure, values)


def rfm_breaks(rfm: pd.DataFrame) -> RfmBreaks:
    """Quintile breaks: the 20th, 40th, 60th and 80th percentiles of each measure.

    Computed over customers with orders (columns ``recency_days``, ``frequency``, ``monetary``
    as :func:`bsc.features.rfm_features` returns), with linear interpolation
    (:meth:`pandas.Series.quantile`). Many customers with the same value (say one order) make
    breaks repeat; the bins between equal breaks are then empty.
    """
    ordered = rfm[rfm["frequency"] > 0] if "frequency" in rfm.columns else rfm
    if ordered.empty:
        raise InputError("RFM scores need customers with orders; there are none.")
    quantiles = [0.2, 0.4, 0.6, 0.8]
    return RfmBreaks(
        recency=tuple(ordered["recency_days"].quantile(quantiles).round(2)),
        frequency=tuple(ordered["frequency"].quantile(quantiles).round(2)),
        monetary=tuple(ordered["monetary"].quantile(quantiles).round(2)),
    )


def rfm_scores(rfm: pd.DataFrame, breaks: RfmBreaks) -> pd.DataFrame:
    """R, F and M scores (1–5) of each customer, and the three-digit cell such as ``"545"``.

    .. math:: F = 1 + \\#\\{b \\in \\mathrm{breaks}_F : b < f\\}, \\quad
              M = 1 + \\#\\{b : b < m\\}, \\quad R = 5 - \\#\\{b : b < r\\}

    Customers without orders (recency NaN or frequency 0) get no score (NA) and cell "".
    """
    has_orders = rfm["recency_days"].notna() & (rfm["frequency"] > 0)

    def above(values: pd.Series, cuts: tuple[float, ...]) -> np.ndarray:
        return np.searchsorted(np.asarray(cuts), values.to_numpy(dtype=float), side="left")

    scores = pd.DataFrame(
        {
            "r": 5 - above(rfm["recency_days"].fillna(0), breaks.recency),
            "f": 1 + above(rfm["frequency"].fillna(0), breaks.frequency),
            "m": 1 + above(rfm["monetary"].fillna(0), breaks.monetary),
        },
        index=rfm.index,
    ).astype("Int64")
    scores = scores.where(has_orders, axis=0)
    cell = scores["r"].astype("string") + scores["f"].astype("string") + scores["m"].astype("string")
    scores["cell"] = cell.fillna("")
    return scores


def default_rfm_segments() -> pd.DataFrame:
    """The usual RFM segment map on R and F scores (M open), first matching row wins.

    Covers all 25 (R, F) pairs: Champions (R 5, F 4–5), Loyal customers (R 3–4, F 4–5),
    Potential loyalists (R 4–5, F 2–3), New customers (R 5, F 1), Promising (R 4, F 1),
    Need attention (R 3, F 3), About to sleep (R 3, F 1–2), Can't lose them (R 1–2, F 5),
    At risk (R 1–2, F 3–4), Hibernating (R 1–2, F 1–2).
    """
    rows = [
        ("Champions", 5, 5, 4, 5),
        ("Loyal customers", 3, 4, 4, 5),
        ("Potential loyalists", 4, 5, 2, 3),
        ("New customers", 5, 5, 1, 1),
        ("Promising", 4, 4, 1, 1),
        ("Need attention", 3, 3, 3, 3),
        ("About to sleep", 3, 3, 1, 2),
        ("Can't lose them", 1, 2, 5, 5),
        ("At risk", 1, 2, 3, 4),
        ("Hibernating", 1, 2, 1, 2),
    ]
    table = pd.DataFrame(
        [(name, r_low, r_high, f_low, f_high, 1, 5) for name, r_low, r_high, f_low, f_high in rows],
        columns=list(RFM_SEGMENT_COLUMNS),
    )
    return table.astype({column: "int64" for column in RFM_SEGMENT_COLUMNS[1:]})


def name_rfm_segments(scores: pd.DataFrame, table: pd.DataFrame) -> pd.Series:
    """The segment of each customer: the first row of ``table`` whose R, F and M ranges hold
    the customer's scores (bounds included); "Other" when none does, "No orders" without scores.

    Raises
    ------
    InputError
        When the table lacks a column, a bound is not a whole number 1–5, a minimum exceeds its
        maximum, or a name is empty.
    """
    table = _checked_rfm_table(table)
    names = pd.Series(UNMATCHED, index=scores.index, dtype="string", name="segment")
    unassigned = scores["r"].notna().to_numpy(copy=True)
    r, f, m = (scores[c].fillna(0).to_numpy(dtype=int) for c in ("r", "f", "m"))
    for row in table.itertuples(index=False):
        match = (
            unassigned
            & (row.r_min <= r)
            & (r <= row.r_max)
            & (row.f_min <= f)
            & (f <= row.f_max)
            & (row.m_min <= m)
            & (m <= row.m_max)
        )
        names[match] = row.segment
        unassigned &= ~match
    names[scores["r"].isna().to_numpy()] = NO_ORDERS
    return names


def _checked_rfm_table(table: pd.DataFrame) -> pd.DataFrame:
    missing = [column for column in RFM_SEGMENT_COLUMNS if column not in table.columns]
    if missing:
        raise InputError(f"The segment table needs the columns {', '.join(missing)}.")
    table = table[list(RFM_SEGMENT_COLUMNS)].dropna(how="all")
    names = table["segment"].astype("string").str.strip()
    if names.isna().any() or (names == "").any():
        raise InputError("Every row of the segment table needs a segment name.")
    bounds = table[list(RFM_SEGMENT_COLUMNS[1:])].apply(pd.to_numeric, errors="coerce")
    if bounds.isna().any().any() or not bounds.isin([1, 2, 3, 4, 5]).all().all():
        raise InputError("Score bounds in the segment table must be whole numbers from 1 to 5.")
    for measure in ("r", "f", "m"):
        wrong = bounds[f"{measure}_min"] > bounds[f"{measure}_max"]
        if wrong.any():
            name = names[wrong].iloc[0]
            raise InputError(f"In “{name}”, the {measure.upper()} minimum is above its maximum.")
    return pd.concat([names.rename("segment"), bounds.astype("int64")], axis=1)


# --------------------------------------------------------------------------------------------
# The customer KPIs of each segment
# --------------------------------------------------------------------------------------------

SEGMENT_KPIS: tuple[str, ...] = ("nps", "churn_rate", "revenue_per_customer", "clv")
ALL_CUSTOMERS = "All customers"
_PREVIEW_ATTRIBUTE = "segment_preview"


@dataclass(frozen=True)
class SegmentKpis:
    """Customer KPIs per segment, side by side.

    Attributes
    ----------
    values
        Index: "All customers" then each segment; one column per KPI computed.
    periods
        KPI -> the year its values are from (the latest year with a value for all customers).
    unavailable
        KPI -> why it could not be computed from this workspace.
    """

    values: pd.DataFrame
    periods: dict[str, str]
    unavailable: dict[str, str]


def segment_kpis(
    tables: Tables,
    segments: pd.Series,
    *,
    kpis: Sequence[str] = SEGMENT_KPIS,
    params: KpiParams | None = None,
    backend: Backend | None = None,
) -> SegmentKpis:
    """The scorecard's KPIs for each segment of an unsaved segmentation, over the latest year.

    The segments are written to a temporary assignments file and the scorecard is computed split
    by them (:func:`bsc.kpis.compute_kpis` with ``period="year"``), exactly as it will be once
    the segmentation is saved; already saved segmentations are left out. For each KPI the latest
    year with a value for all customers is kept (the year may be incomplete when the data ends
    mid-year). Customers of the fact tables without a segment count under "(unknown)".

    Parameters
    ----------
    segments
        Segment name per customer, indexed by customer id.
    """
    others = {kind: paths for kind, paths in tables.items() if kind != ASSIGNMENTS}
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series(segments.index, dtype="string"),
            _PREVIEW_ATTRIBUTE: pd.Series(segments.to_numpy(), dtype="string"),
        }
    )
    with tempfile.TemporaryDirectory(prefix="bsc-segments-") as folder:
        path = f"{folder}/segments.parquet"
        frame.to_parquet(path, index=False)
        result = compute_kpis(
            {**others, ASSIGNMENTS: [path]},
            period="year",
            by=_PREVIEW_ATTRIBUTE,
            params=params,
            backend=backend,
            kpis=kpis,
        )
    columns: dict[str, pd.Series] = {}
    periods: dict[str, str] = {}
    for kpi in kpis:
        rows = result.kpi(kpi)
        totals = rows[rows["segment"].isna() & rows["value"].notna()]
        if totals.empty:
            continue
        latest = max(totals["period"])
        chosen = rows[rows["period"] == latest]
        labels = chosen["segment"].astype(object).where(chosen["segment"].notna(), ALL_CUSTOMERS)
        columns[kpi] = pd.Series(chosen["value"].to_numpy(dtype=float), index=labels.to_numpy())
        periods[kpi] = str(latest)
    unavailable = dict(result.unavailable)
    for kpi in kpis:
        if kpi not in columns and kpi not in unavailable:
            unavailable[kpi] = "no value for all customers in any year"
    order = [ALL_CUSTOMERS, *sorted(set(segments.astype(str)))]
    values = pd.DataFrame(columns)
    extra = [label for label in values.index if label not in order]
    values = values.reindex([*order, *extra]) if columns else pd.DataFrame(index=order)
    values.index.name = "segment"
    return SegmentKpis(values=values, periods=periods, unavailable=unavailable)
